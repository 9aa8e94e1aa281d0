// The one CSV module of qsim: RFC 4180 reading and writing and the one number
// format, for the run folder (docs/run-folder.md) and every other CSV file qsim
// reads or writes (replay task logs, compare.csv, sweep.csv).
//
// Writing: a field is quoted only when it holds a comma, quote, CR or LF;
// lines end in `\n`. Reading: the same, plus `\r\n` line ends.
#pragma once

#include <cstdint>
#include <cstdio>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace qsim::runfolder {

// ----------------------------------------------------------------- numbers

// Integer microseconds as seconds with exactly six decimals ("12.000500",
// "-0.250000"), by integer arithmetic only.
std::string FormatMicros(int64_t us);

// The one spelling of a double in every file qsim writes: finite values as
// printf's %.6g, except that -0 is "0" (so an exact zero is always "0");
// NaN is "nan" whatever its sign bit; infinities are "inf" and "-inf".
std::string FormatNumber(double value);

// Parses a number field; an empty field is nullopt ("did not happen");
// anything else that is not a whole-field number is an error.
StatusOr<std::optional<double>> ParseNumberField(std::string_view field);

// ----------------------------------------------------------------- writing

// One field quoted as RFC 4180 asks (only when needed).
std::string CsvField(std::string_view field);
// A line of fields, comma separated, ending in '\n'.
std::string CsvLine(const std::vector<std::string>& fields);

// A buffered CSV file written a field at a time; EndRow ends the line. Write
// errors are kept and reported by Close (IoError naming the file). The file
// is written as `path.part` and renamed onto `path` by a successful Close
// (files.h); a writer destroyed without Close removes its `.part` file, so an
// abandoned file never appears under its name.
class CsvWriter {
 public:
  // IoError naming the path and the OS reason when it cannot be created.
  static StatusOr<std::unique_ptr<CsvWriter>> Open(const std::string& path);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // The header line: `columns` joined by commas (column names need no quotes).
  template <typename Columns>
  void Header(const Columns& columns) {
    for (std::string_view c : columns) Raw(c);
    EndRow();
  }
  CsvWriter& Field(std::string_view s);  // quoted if it holds a comma, quote or line break
  CsvWriter& Field(int64_t v);
  CsvWriter& Micros(int64_t us);         // FormatMicros
  CsvWriter& Float(double v) { return Raw(FormatNumber(v)); }
  CsvWriter& Empty() { return Raw(""); }
  CsvWriter& Raw(std::string_view s);    // as is (the caller knows it needs no quotes)
  void EndRow();
  Status Close();

 private:
  CsvWriter(std::FILE* f, std::string path, std::string temp_path)
      : f_(f), path_(std::move(path)), temp_path_(std::move(temp_path)) {}
  void Separate();  // the comma before every field but a row's first
  void Flush();
  std::FILE* f_;
  std::string path_;
  std::string temp_path_;  // what f_ writes: path_ + ".part", or path_ itself for a device
  std::string buf_;
  bool first_ = true;
  int error_ = 0;  // the first failed write's errno, 0 when none failed
};

// ----------------------------------------------------------------- reading

struct CsvReadOptions {
  // Skip lines with nothing on them (hand-written input such as a replay log
  // may end in blank lines); otherwise a blank line is a one-field row.
  bool skip_blank_lines = false;
};

// Reads RFC 4180 records one at a time, so that a large file (a week's
// tasks.csv holds a million rows) is never held whole. Open() reads the
// header; each Next() reads one data row, as wide as the header.
class CsvReader {
 public:
  using Options = CsvReadOptions;

  // NotFound when the file does not exist; an error naming the file when it
  // is empty or its header is malformed.
  static StatusOr<CsvReader> Open(const std::string& path);
  static StatusOr<CsvReader> Open(const std::string& path, Options options);
  // The same over text already in memory; `path` is for error messages.
  static StatusOr<CsvReader> FromText(std::string_view text, const std::string& path, Options options = {});

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  // The index of column `name`, or -1.
  int Column(std::string_view name) const;
  // Checks that every name in `names` is a column; the error names the file.
  Status RequireColumns(const std::vector<std::string_view>& names) const;

  // Reads the next data row into row(): true when there was one, false at
  // the end; an error says `path:line: ...` (ragged row, stray quote, ...).
  StatusOr<bool> Next();
  const std::vector<std::string>& row() const { return row_; }
  // The line the current row starts on (rows may span lines inside quotes).
  int row_line() const { return row_line_; }
  // Where field `i` of the current row starts: its line and 1-based column
  // (of the opening quote, for a quoted field). REQUIRES: i < row().size().
  std::pair<int, int> FieldPosition(size_t i) const { return positions_[i]; }
  // Field `column` of the current row as a number (nullopt when empty); the
  // error says `path:line: column NAME: ...`.
  StatusOr<std::optional<double>> NumberAt(int column) const;

 private:
  CsvReader(std::unique_ptr<std::istream> in, std::string path, Options options);
  static StatusOr<CsvReader> StartReading(std::unique_ptr<std::istream> in, const std::string& path,
                                          Options options);
  void SkipBlankLines();
  // Reads one record into `fields`; false when the input had none left.
  StatusOr<bool> ReadRecord(std::vector<std::string>& fields);

  std::unique_ptr<std::istream> in_;
  std::string path_;
  Options options_;
  std::vector<std::string> header_;
  std::vector<std::string> row_;
  std::vector<std::pair<int, int>> positions_;
  int line_ = 1;    // the line the next character is on
  int column_ = 1;  // and its column
  int row_line_ = 0;
};

// A whole CSV file: the header and the data rows, every row as wide as the
// header. For small files (summary.csv, compare.csv); stream large ones.
struct CsvTable {
  std::string path;  // for error messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  int Column(std::string_view name) const;
  Status RequireColumns(const std::vector<std::string_view>& names) const;
};

// Errors say `path:line: ...`.
StatusOr<CsvTable> ParseCsv(std::string_view text, const std::string& path);
StatusOr<CsvTable> ReadCsvFile(const std::string& path);

// `s` as a JSON string literal, quotes included: ", \\ and control
// characters escaped. The one JSON quoting of qsim's outputs (run.json,
// compare.json, sweep.json).
std::string JsonQuote(std::string_view s);

}  // namespace qsim::runfolder
