// zlib directly rather than Boost.Iostreams' gzip filter: its read side
// returns a truncated stream's prefix without complaint, and reports damage
// by exceptions through a streambuf; here every outcome is a zlib return
// code, mapped to a Status in one place.
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <zlib.h>

#include "replay/trace_file_internal.h"

#include "base/input_file.h"
#include "replay/trace_parse_internal.h"

namespace qsim::replay::internal {
namespace {

// A bound on the decompressed size: the largest trace of the conformance set
// is under 1 MiB, so kMaxTraceBytes (1 GiB) only stops a damaged or hostile
// file from taking all memory.
constexpr size_t kMaxTextBytes = kMaxTraceBytes;

// Owns a zlib inflate stream; inflateEnd runs on every path out.
class Inflater {
 public:
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (started_) inflateEnd(&z_);
  }
  // 16 + MAX_WBITS: expect the gzip wrapper (header and CRC-32 trailer).
  bool Start() {
    started_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;
    return started_;
  }
  z_stream& z() { return z_; }

 private:
  z_stream z_{};
  bool started_ = false;
};

std::string Reason(const z_stream& z, int code) {
  if (z.msg != nullptr) return z.msg;
  switch (code) {
    case Z_NEED_DICT: return "needs a preset dictionary";
    case Z_MEM_ERROR: return "out of memory";
    default: return "zlib error " + std::to_string(code);
  }
}

}  // namespace

bool LooksGzipped(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

StatusOr<std::string> Gunzip(std::string_view bytes, std::string_view file) {
  const std::string where(file);
  Inflater inflater;
  if (!inflater.Start()) return Internal(where + ": cannot start zlib's decompressor");
  z_stream& z = inflater.z();

  std::string text;
  std::array<unsigned char, 1 << 16> buffer;
  size_t fed = 0;  // bytes handed to zlib so far
  // zlib counts input in a 32-bit uInt: feed at most this much at a time.
  constexpr size_t kChunk = std::numeric_limits<uInt>::max();
  auto consumed = [&] { return fed - z.avail_in; };
  for (;;) {
    if (z.avail_in == 0 && fed < bytes.size()) {
      const size_t n = std::min(kChunk, bytes.size() - fed);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + fed));
      z.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    z.next_out = buffer.data();
    z.avail_out = static_cast<uInt>(buffer.size());
    const int code = inflate(&z, Z_NO_FLUSH);
    text.append(reinterpret_cast<const char*>(buffer.data()), buffer.size() - z.avail_out);
    if (text.size() > kMaxTextBytes) {
      return DataLoss(where + ": gzip data decompresses to more than " + std::to_string(kMaxTextBytes >> 20) +
                      " MiB, too large for a trace");
    }
    if (code == Z_STREAM_END) {
      if (consumed() == bytes.size()) return text;
      // Another gzip member follows; anything else fails its header check.
      if (inflateReset(&z) != Z_OK) return Internal(where + ": cannot restart zlib's decompressor");
      continue;
    }
    if (code == Z_OK) continue;
    if (code == Z_BUF_ERROR && consumed() == bytes.size()) {
      return DataLoss(where + ": truncated gzip data: the file ends after " + std::to_string(bytes.size()) +
                      " bytes, inside a compressed stream (an interrupted copy or download?)");
    }
    return DataLoss(where + ": corrupt gzip data at byte " + std::to_string(consumed()) + ": " + Reason(z, code));
  }
}

StatusOr<std::string> ReadTraceText(const std::string& path) {
  // A plain trace larger than the bound is refused before it is read; a
  // directory, device (/dev/zero) or FIFO never would be read to its end.
  QSIM_RETURN_IF_ERROR(CheckInputFile(path, kMaxTextBytes, "trace (.jsonl or .jsonl.gz)"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open the file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return IoError(path + ": cannot read the file");
  std::string data = std::move(bytes).str();
  if (LooksGzipped(data)) return Gunzip(data, path);
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    return DataLoss(path + ": expected gzip data (the name ends in .gz), but the file does not start with "
                    "gzip's signature bytes");
  }
  return data;
}

}  // namespace qsim::replay::internal
