// Whole-file reads and writes and folder creation for run folders and the
// other outputs next to them. Failures the environment causes (a folder that
// cannot be created, a write that fails) are IoError with the path and the
// OS's reason; a missing input file is NotFound.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace qsim::runfolder {

// Reads a whole file; NotFound when it cannot be opened.
StatusOr<std::string> ReadTextFile(const std::string& path);
// Writes `text` to `path` (truncating).
Status WriteTextFile(const std::string& path, std::string_view text);
// Creates `dir` and its parents.
Status MakeDirectories(const std::string& dir);

}  // namespace qsim::runfolder
