#include "runfolder/csv.h"

#include "base/input_file.h"

#include <cstdio>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "runfolder/files.h"

namespace qsim::runfolder {
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

bool NeedsQuotes(std::string_view field) { return field.find_first_of(",\"\n\r") != std::string_view::npos; }

void AppendQuoted(std::string& out, std::string_view field) {
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

int ColumnOf(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Status RequireColumnsOf(const std::vector<std::string>& header, const std::string& path,
                        const std::vector<std::string_view>& names) {
  for (std::string_view name : names) {
    if (ColumnOf(header, name) < 0) {
      return InvalidArgument(path + ":1: missing column \"" + std::string(name) + "\"");
    }
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

// ----------------------------------------------------------------- numbers

std::string FormatMicros(int64_t us) {
  std::string text;
  AppendMicros(text, us);
  return text;
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

// ----------------------------------------------------------------- writing

std::string CsvField(std::string_view field) {
  if (!NeedsQuotes(field)) return std::string(field);
  std::string quoted;
  AppendQuoted(quoted, field);
  return quoted;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    if (NeedsQuotes(fields[i])) AppendQuoted(line, fields[i]);
    else line += fields[i];
  }
  line.push_back('\n');
  return line;
}

StatusOr<std::unique_ptr<CsvWriter>> CsvWriter::Open(const std::string& path) {
  std::string temp_path;
  StatusOr<std::FILE*> f = OpenForReplace(path, &temp_path);
  if (!f.ok()) return f.status();
  return std::unique_ptr<CsvWriter>(new CsvWriter(*f, path, std::move(temp_path)));
}

CsvWriter::~CsvWriter() {
  if (f_) AbandonReplace(f_, temp_path_, path_);
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
  if (!NeedsQuotes(s)) return Raw(s);
  Separate();
  AppendQuoted(buf_, s);
  return *this;
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
  if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size() && error_ == 0) {
    error_ = errno != 0 ? errno : EIO;
  }
  buf_.clear();
}

Status CsvWriter::Close() {
  if (!f_) return Status::Ok();
  Flush();
  std::FILE* f = f_;
  f_ = nullptr;
  return CommitReplace(f, temp_path_, path_, error_);
}

// ----------------------------------------------------------------- reading

CsvReader::CsvReader(std::unique_ptr<std::istream> in, std::string path, Options options)
    : in_(std::move(in)), path_(std::move(path)), options_(options) {}

StatusOr<CsvReader> CsvReader::Open(const std::string& path) { return Open(path, Options()); }

StatusOr<CsvReader> CsvReader::Open(const std::string& path, Options options) {
  // Read a row at a time, so no size limit; but a device or pipe would never end.
  QSIM_RETURN_IF_ERROR(CheckInputFile(path, UINT64_MAX, "CSV"));
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) return NotFound(path + ": cannot open for reading: " + std::strerror(errno));
  return StartReading(std::move(in), path, options);
}

StatusOr<CsvReader> CsvReader::FromText(std::string_view text, const std::string& path, Options options) {
  return StartReading(std::make_unique<std::istringstream>(std::string(text)), path, options);
}

StatusOr<CsvReader> CsvReader::StartReading(std::unique_ptr<std::istream> in, const std::string& path,
                                            Options options) {
  CsvReader reader(std::move(in), path, options);
  StatusOr<bool> header = reader.ReadRecord(reader.header_);
  if (!header.ok()) return header.status();
  if (!*header) return InvalidArgument(path + ":1: empty file, expected a header line");
  return reader;
}

int CsvReader::Column(std::string_view name) const { return ColumnOf(header_, name); }

Status CsvReader::RequireColumns(const std::vector<std::string_view>& names) const {
  return RequireColumnsOf(header_, path_, names);
}

void CsvReader::SkipBlankLines() {
  std::streambuf& in = *in_->rdbuf();
  for (;;) {
    int c = in.sgetc();
    if (c == '\n') {
      in.sbumpc();
    } else if (c == '\r') {
      in.sbumpc();
      if (in.sgetc() != '\n') {
        in.sungetc();  // a lone CR starts a field
        return;
      }
      in.sbumpc();
    } else {
      return;
    }
    ++line_;
    column_ = 1;
  }
}

StatusOr<bool> CsvReader::ReadRecord(std::vector<std::string>& fields) {
  std::streambuf& in = *in_->rdbuf();
  constexpr auto kEnd = std::char_traits<char>::eof();
  if (options_.skip_blank_lines) SkipBlankLines();
  if (in.sgetc() == kEnd) return false;
  row_line_ = line_;
  size_t count = 0;
  positions_.clear();
  // Fields are overwritten in place so that a row's strings keep their
  // capacity from one row to the next.
  auto field = [&]() -> std::string& {
    if (count == fields.size()) fields.emplace_back();
    positions_.emplace_back(line_, column_);
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
    ++column_;
    if (c == kEnd || c == '\n') {
      if (c == '\n') {
        ++line_;
        column_ = 1;
      }
      break;
    }
    switch (c) {
      case '"':
        if (!current->empty() || quoted) return error("stray quote inside a field");
        quoted = true;
        for (;;) {
          int q = in.sbumpc();
          ++column_;
          if (q == kEnd) {  // located where the quote opens: the end of the file says nothing
            const auto [open_line, open_column] = positions_.back();
            return InvalidArgument(path_ + ":" + std::to_string(open_line) + ":" + std::to_string(open_column) +
                                   ": unterminated quoted field (its quote opens here and is never closed)");
          }
          if (q == '"') {
            if (in.sgetc() != '"') break;
            in.sbumpc();
            ++column_;
          } else if (q == '\n') {
            ++line_;
            column_ = 1;
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

int CsvTable::Column(std::string_view name) const { return ColumnOf(header, name); }

Status CsvTable::RequireColumns(const std::vector<std::string_view>& names) const {
  return RequireColumnsOf(header, path, names);
}

StatusOr<CsvTable> ParseCsv(std::string_view text, const std::string& path) {
  StatusOr<CsvReader> reader = CsvReader::FromText(text, path);
  if (!reader.ok()) return reader.status();
  return ReadAll(*reader);
}

StatusOr<CsvTable> ReadCsvFile(const std::string& path) {
  StatusOr<CsvReader> reader = CsvReader::Open(path);
  if (!reader.ok()) return reader.status();
  return ReadAll(*reader);
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
          out += buffer;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace qsim::runfolder
