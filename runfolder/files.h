// Whole-file reads and writes and folder creation for run folders and the
// other outputs next to them. Failures the environment causes (a folder that
// cannot be created, a write that fails) are IoError with the path and the
// OS's reason; a missing input file is NotFound.
//
// Every file qsim writes appears whole or not at all: it is written to
// `PATH.part` in the same folder, flushed to disk and renamed onto PATH. A
// reader never sees a file cut mid-row; an interrupted write leaves at most a
// `.part` file, which the run-folder checks (manifest.h) flag.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "base/status.h"

namespace qsim::runfolder {

// The name a file is written under before it is renamed into place.
inline constexpr std::string_view kPartSuffix = ".part";

// Reads a whole file; NotFound when it cannot be opened.
// Files read whole are held in memory: this is the most one may hold.
inline constexpr uint64_t kMaxWholeFileBytes = uint64_t{1} << 30;
StatusOr<std::string> ReadTextFile(const std::string& path);
// Writes `text` to `path` through `path.part` and a rename, replacing any
// older file. A `path` that exists and is not a regular file (a device such
// as /dev/full, a FIFO) is written in place: renaming over it would replace it.
Status WriteTextFile(const std::string& path, std::string_view text);
// Creates `dir` and its parents.
Status MakeDirectories(const std::string& dir);
// MakeDirectories, then proves a file can be created in `dir` (a probe that
// is removed again): an output folder that cannot be used fails here, with
// the path and the OS's reason, before any work is done.
Status MakeWritableFolder(const std::string& dir);

// The steps of WriteTextFile, for writers that stream (CsvWriter). Open
// returns a stdio stream on `path.part` (or on `path` itself when it is not
// a regular file) and sets `*temp_path` to what was opened. Commit flushes,
// fsyncs and closes `f` and renames `temp_path` onto `path`; `error` is the
// errno of an earlier failed write (0: none). Abandon closes `f` and removes
// the temporary file. Both close `f`.
StatusOr<std::FILE*> OpenForReplace(const std::string& path, std::string* temp_path);
Status CommitReplace(std::FILE* f, const std::string& temp_path, const std::string& path, int error);
void AbandonReplace(std::FILE* f, const std::string& temp_path, const std::string& path);

}  // namespace qsim::runfolder
