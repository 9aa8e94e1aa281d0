// The one check made before qsim reads an input file: it exists, it is a
// regular file (a directory, a device such as /dev/zero or a FIFO would fail
// late, be read until memory runs out, or block forever), and it is no larger
// than the limit its kind of input has (docs/limits.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "base/status.h"

namespace qsim {

// "512 B", "5.0 MiB", "1.1 GiB": a size for people.
inline std::string FormatBytes(int64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

// NotFound when `path` does not exist; InvalidArgument, naming the path and
// `what` the file was to be ("scenario", "trace", ...), when it is not a
// regular file or is larger than `max_bytes`.
inline Status CheckInputFile(const std::string& path, uint64_t max_bytes, const std::string& what) {
  std::error_code ec;
  std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return NotFound(path + ": no such file");
  if (!std::filesystem::is_regular_file(st)) {
    return InvalidArgument(path + ": not a regular file (a " + what +
                           " must be a file, not a directory, device or pipe)");
  }
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return InvalidArgument(path + ": cannot read its size: " + ec.message());
  if (size > max_bytes) {
    const auto as_int64 = [](uint64_t n) { return static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX)); };
    return InvalidArgument(path + ": the " + what + " file is " + FormatBytes(as_int64(size)) +
                           ", more than the limit of " + FormatBytes(as_int64(max_bytes)) + " (docs/limits.md)");
  }
  return Status::Ok();
}

}  // namespace qsim
