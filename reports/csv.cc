#include "reports/csv.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace qsim::reports {

namespace {

int ColumnOf(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Status RequireColumnsOf(const std::vector<std::string>& header, const std::string& path,
                        const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (ColumnOf(header, name) < 0) return InvalidArgument(path + ":1: missing column \"" + name + "\"");
  }
  return Status::Ok();
}

StatusOr<CsvTable> ReadAll(CsvReader& reader) {
  CsvTable table;
  table.path = reader.path();
  table.header = reader.header();
  for (;;) {
    StatusOr<bool> more = reader.Next();
    if (!more.ok()) return more.status();
    if (!*more) return table;
    table.rows.push_back(reader.row());
  }
}

}  // namespace

int CsvTable::Column(std::string_view name) const { return ColumnOf(header, name); }

Status CsvTable::RequireColumns(const std::vector<std::string>& names) const {
  return RequireColumnsOf(header, path, names);
}

CsvReader::CsvReader(std::unique_ptr<std::istream> in, std::string path)
    : in_(std::move(in)), path_(std::move(path)) {}

StatusOr<CsvReader> CsvReader::Open(const std::string& path) {
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) return NotFound(path + ": cannot open for reading");
  return StartReading(std::move(in), path);
}

StatusOr<CsvReader> CsvReader::FromText(std::string_view text, const std::string& path) {
  return StartReading(std::make_unique<std::istringstream>(std::string(text)), path);
}

StatusOr<CsvReader> CsvReader::StartReading(std::unique_ptr<std::istream> in, const std::string& path) {
  CsvReader reader(std::move(in), path);
  StatusOr<bool> header = reader.ReadRecord(reader.header_);
  if (!header.ok()) return header.status();
  if (!*header) return InvalidArgument(path + ":1: empty file, expected a header line");
  return reader;
}

int CsvReader::Column(std::string_view name) const { return ColumnOf(header_, name); }

Status CsvReader::RequireColumns(const std::vector<std::string>& names) const {
  return RequireColumnsOf(header_, path_, names);
}

StatusOr<bool> CsvReader::ReadRecord(std::vector<std::string>& fields) {
  std::streambuf& in = *in_->rdbuf();
  constexpr auto kEnd = std::char_traits<char>::eof();
  if (in.sgetc() == kEnd) return false;
  row_line_ = line_;
  size_t count = 0;
  // Fields are overwritten in place so that a row's strings keep their
  // capacity from one row to the next.
  auto field = [&]() -> std::string& {
    if (count == fields.size()) fields.emplace_back();
    std::string& f = fields[count];
    f.clear();
    return f;
  };
  std::string* current = &field();
  bool quoted = false;
  auto error = [&](const std::string& what) {
    return InvalidArgument(path_ + ":" + std::to_string(line_) + ": " + what);
  };
  for (;;) {
    int c = in.sbumpc();
    if (c == kEnd || c == '\n') {
      if (c == '\n') ++line_;
      break;
    }
    switch (c) {
      case '"':
        if (!current->empty() || quoted) return error("stray quote inside a field");
        quoted = true;
        for (;;) {
          int q = in.sbumpc();
          if (q == kEnd) return error("unterminated quoted field");
          if (q == '"') {
            if (in.sgetc() != '"') break;
            in.sbumpc();
          } else if (q == '\n') {
            ++line_;
          }
          current->push_back(static_cast<char>(q));
        }
        break;
      case ',':
        ++count;
        current = &field();
        quoted = false;
        break;
      case '\r':
        if (in.sgetc() == '\n') break;
        [[fallthrough]];
      default:
        if (quoted) return error("text after a closing quote");
        current->push_back(static_cast<char>(c));
    }
  }
  fields.resize(count + 1);
  return true;
}

StatusOr<bool> CsvReader::Next() {
  StatusOr<bool> more = ReadRecord(row_);
  if (!more.ok() || !*more) return more;
  if (row_.size() != header_.size()) {
    return InvalidArgument(path_ + ":" + std::to_string(row_line_) + ": " + std::to_string(row_.size()) +
                           " fields, the header has " + std::to_string(header_.size()));
  }
  return true;
}

StatusOr<std::optional<double>> CsvReader::NumberAt(int column) const {
  StatusOr<std::optional<double>> value = ParseNumberField(row_[column]);
  if (!value.ok()) {
    return InvalidArgument(path_ + ":" + std::to_string(row_line_) + ": column " + header_[column] + ": " +
                           value.status().message());
  }
  return value;
}

StatusOr<CsvTable> ParseCsv(std::string_view text, const std::string& path) {
  StatusOr<CsvReader> reader = CsvReader::FromText(text, path);
  if (!reader.ok()) return reader.status();
  return ReadAll(*reader);
}

StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return DataLoss(path + ": read error");
  return buffer.str();
}

Status WriteTextFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InvalidArgument(path + ": cannot open for writing");
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return DataLoss(path + ": write error");
  return Status::Ok();
}

StatusOr<CsvTable> ReadCsvFile(const std::string& path) {
  StatusOr<CsvReader> reader = CsvReader::Open(path);
  if (!reader.ok()) return reader.status();
  return ReadAll(*reader);
}

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(field);
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    line += CsvField(fields[i]);
  }
  line.push_back('\n');
  return line;
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

StatusOr<std::optional<double>> ParseNumberField(std::string_view field) {
  if (field.empty()) return std::optional<double>();
  std::string copy(field);
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || errno == ERANGE) {
    return InvalidArgument("\"" + copy + "\" is not a number");
  }
  return std::optional<double>(value);
}

std::vector<std::string> SplitString(std::string_view text, char sep) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == sep) {
      parts.emplace_back();
    } else {
      parts.back().push_back(c);
    }
  }
  return parts;
}

}  // namespace qsim::reports
