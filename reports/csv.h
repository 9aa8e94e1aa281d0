// CSV in and out for the reports module: the one place that reads the run
// folder's RFC 4180 files (see /tmp/outputs.md, "the run-folder contract") and
// the one place that formats numbers for our own outputs, so that every file we
// write has the same bytes on every run.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace qsim::reports {

// A parsed CSV file: the header and the data rows, every row as wide as the
// header (ParseCsv rejects ragged rows).
struct CsvTable {
  std::string path;  // for error messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // The index of column `name`, or -1.
  int Column(std::string_view name) const;
  // Checks that every name in `names` is a column; the error names the file.
  Status RequireColumns(const std::vector<std::string>& names) const;
};

// Reads RFC 4180 records one at a time, so that a large file (a week's
// tasks.csv holds a million rows) is never held whole. Open() reads the
// header; each Next() reads one data row, as wide as the header.
class CsvReader {
 public:
  // NotFound when the file does not exist; an error naming the file when it
  // is empty or its header is malformed.
  static StatusOr<CsvReader> Open(const std::string& path);
  // The same over text already in memory; `path` is for error messages.
  static StatusOr<CsvReader> FromText(std::string_view text, const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  // The index of column `name`, or -1.
  int Column(std::string_view name) const;
  // Checks that every name in `names` is a column; the error names the file.
  Status RequireColumns(const std::vector<std::string>& names) const;

  // Reads the next data row into row(): true when there was one, false at
  // the end; an error says `path:line: ...` (ragged row, stray quote, ...).
  StatusOr<bool> Next();
  const std::vector<std::string>& row() const { return row_; }
  // The line the current row starts on (rows may span lines inside quotes).
  int row_line() const { return row_line_; }
  // Field `column` of the current row as a number (nullopt when empty); the
  // error says `path:line: column NAME: ...`.
  StatusOr<std::optional<double>> NumberAt(int column) const;

 private:
  CsvReader(std::unique_ptr<std::istream> in, std::string path);
  // Reads the header.
  static StatusOr<CsvReader> StartReading(std::unique_ptr<std::istream> in, const std::string& path);
  // Reads one record into `fields`; false when the input had none left.
  StatusOr<bool> ReadRecord(std::vector<std::string>& fields);

  std::unique_ptr<std::istream> in_;
  std::string path_;
  std::vector<std::string> header_;
  std::vector<std::string> row_;
  int line_ = 1;  // the line the next character is on
  int row_line_ = 0;
};

// Parses RFC 4180 text (fields quoted with '"' when they contain a comma,
// quote or newline; "" inside quotes is one quote). `\r\n` is accepted too.
// Errors say `path:line: ...`.
StatusOr<CsvTable> ParseCsv(std::string_view text, const std::string& path);
StatusOr<CsvTable> ReadCsvFile(const std::string& path);

// Reads a whole file; NotFound when it does not exist.
StatusOr<std::string> ReadTextFile(const std::string& path);
// Writes `text` to `path` (truncating); the error names the path.
Status WriteTextFile(const std::string& path, std::string_view text);

// One field quoted as RFC 4180 asks (only when needed).
std::string CsvField(std::string_view field);
// A line of fields, comma separated, ending in '\n'.
std::string CsvLine(const std::vector<std::string>& fields);

// The stable text of a double: shortest of %.6g, "nan" / "inf" / "-inf"
// spelled out; -0 prints as 0 so that an exact zero delta is always "0".
std::string FormatNumber(double value);

// Parses a number field; an empty field is nullopt (it "did not happen");
// anything else that is not a whole-field number is an error.
StatusOr<std::optional<double>> ParseNumberField(std::string_view field);

// Splits `text` at every `sep`, keeping empty parts ("a,,b" -> a, "", b).
std::vector<std::string> SplitString(std::string_view text, char sep);

}  // namespace qsim::reports
