// CSV text as the run-folder contract (sim/README.md) wants it: RFC 4180
// quoting only when needed, `\n` line ends, times from integer microseconds
// with exactly 6 decimals, other floats as %.6g.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace qsim::sim {

// "12.000500", "-0.250000": integer arithmetic only.
std::string FormatMicros(int64_t us);
// %.6g: the same bytes on every run.
std::string FormatFloat(double v);

// A buffered CSV file. Fields are added one by one; EndRow ends the line.
class CsvWriter {
 public:
  static StatusOr<std::unique_ptr<CsvWriter>> Open(const std::string& path);
  ~CsvWriter();

  CsvWriter& Field(std::string_view s);  // quoted if it holds a comma, quote or newline
  CsvWriter& Field(int64_t v);
  CsvWriter& Micros(int64_t us);
  CsvWriter& Float(double v) { return Raw(FormatFloat(v)); }
  CsvWriter& Empty() { return Raw(""); }
  CsvWriter& Raw(std::string_view s);  // written as is (caller knows it needs no quotes)
  void EndRow();
  Status Close();

 private:
  explicit CsvWriter(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  void Separate();  // the comma before every field but a row's first
  void Flush();
  std::FILE* f_;
  std::string path_;
  std::string buf_;
  bool first_ = true;
  bool failed_ = false;
};

}  // namespace qsim::sim
