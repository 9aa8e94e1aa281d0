// Reading a trace file's bytes into text. Internal to replay/: replay.cc and
// the tests include it.
//
// A trace is stored either as plain JSON Lines (`.jsonl`) or gzip-compressed
// (`.jsonl.gz`, as the in-repo conformance set is). The content decides, not
// the name: data that starts with gzip's two signature bytes is decompressed
// (JSON text never starts with them), and a `.gz` file without them is an
// error. Line numbers in later errors count lines of the decompressed text.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace qsim::replay::internal {

// Decompresses gzip data (one member or several concatenated ones, as gzip
// allows). `file` names the data in errors, which are kDataLoss and say what
// is wrong: "FILE: corrupt gzip data at byte N: <zlib's reason>" or "FILE:
// truncated gzip data: ...". Never aborts, whatever the bytes.
StatusOr<std::string> Gunzip(std::string_view bytes, std::string_view file);

// True when `bytes` starts with the gzip signature (1f 8b).
bool LooksGzipped(std::string_view bytes);

// Reads the file at `path` and returns its text, decompressed when it is
// gzip data. Errors start with the path: "PATH: no such file", "PATH: is a
// directory, ...", "PATH: cannot open the file", or a Gunzip error.
StatusOr<std::string> ReadTraceText(const std::string& path);

}  // namespace qsim::replay::internal
