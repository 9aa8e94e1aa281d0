#include "sim/internal/csv.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace qsim::sim {
namespace {

// Every time in tasks.csv goes through here (millions in a week's run), so
// no printf: to_chars for the seconds, the six decimals by hand.
void AppendMicros(std::string& out, int64_t us) {
  // Negate in unsigned arithmetic so INT64_MIN cannot overflow.
  const uint64_t mag = us < 0 ? 0 - static_cast<uint64_t>(us) : static_cast<uint64_t>(us);
  char buf[32];
  char* p = buf;
  if (us < 0) *p++ = '-';
  p = std::to_chars(p, buf + sizeof buf, mag / 1000000).ptr;
  *p++ = '.';
  uint64_t fraction = mag % 1000000;
  for (int i = 5; i >= 0; --i, fraction /= 10) p[i] = static_cast<char>('0' + fraction % 10);
  out.append(buf, p + 6);
}

}  // namespace

std::string FormatMicros(int64_t us) {
  std::string text;
  AppendMicros(text, us);
  return text;
}

std::string FormatFloat(double v) {
  char buf[40];
  if (v == 0) v = 0;  // no "-0"
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

StatusOr<std::unique_ptr<CsvWriter>> CsvWriter::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return InvalidArgument(path + ": cannot write: " + std::strerror(errno));
  return std::unique_ptr<CsvWriter>(new CsvWriter(f, path));
}

CsvWriter::~CsvWriter() {
  if (f_) Close().IgnoreError();
}

void CsvWriter::Separate() {
  if (!first_) buf_ += ',';
  first_ = false;
}

CsvWriter& CsvWriter::Raw(std::string_view s) {
  Separate();
  buf_.append(s);
  return *this;
}

CsvWriter& CsvWriter::Micros(int64_t us) {
  Separate();
  AppendMicros(buf_, us);
  return *this;
}

CsvWriter& CsvWriter::Field(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return Raw(s);
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return Raw(q);
}

CsvWriter& CsvWriter::Field(int64_t v) {
  char buf[24];
  return Raw(std::string_view(buf, std::to_chars(buf, buf + sizeof buf, v).ptr));
}

void CsvWriter::EndRow() {
  buf_ += '\n';
  first_ = true;
  if (buf_.size() >= (1 << 20)) Flush();
}

void CsvWriter::Flush() {
  if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) failed_ = true;
  buf_.clear();
}

Status CsvWriter::Close() {
  if (!f_) return Status::Ok();
  Flush();
  if (std::fclose(f_) != 0) failed_ = true;
  f_ = nullptr;
  if (failed_) return InvalidArgument(path_ + ": write failed");
  return Status::Ok();
}

}  // namespace qsim::sim
