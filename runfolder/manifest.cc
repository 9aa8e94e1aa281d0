#include "runfolder/manifest.h"

#include "runfolder/measured.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"

namespace qsim::runfolder {
namespace {

namespace fs = std::filesystem;

std::string InDir(const std::string& dir, std::string_view name) {
  if (dir.empty() || dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

// Every name qsim run writes into a run folder, run.json included.
std::vector<std::string> KnownRunFiles() {
  return {std::string(kTasksFile),     std::string(kSummaryFile),          std::string(kTimeseriesFile),
          std::string(kEventsFile),    std::string(kResolvedScenarioFile), std::string(kReportFile),
          std::string(kManifestFile),  std::string(kWaitsFile)};
}

// ------------------------------------------------------------------ JSON

void AppendJsonString(std::string& out, std::string_view s) { out += JsonQuote(s); }

void AppendStringList(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ", ";
    AppendJsonString(out, list[i]);
  }
  out += ']';
}

// A JSON value of the shapes run.json uses: a string, a number (kept as its
// text), a list of strings, an object of numbers (`file_bytes`).
struct JsonValue {
  enum Kind { kString, kNumber, kStringList, kNumberObject, kOther } kind = kOther;
  std::string text;
  std::vector<std::string> list;
  std::map<std::string, std::string> numbers;  // kNumberObject: key -> the number's text
};

// A reader for one flat JSON object whose values are strings, numbers,
// lists of strings (or true/false/null, read and ignored).
class FlatJsonReader {
 public:
  FlatJsonReader(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  StatusOr<std::map<std::string, JsonValue>> ReadObject() {
    std::map<std::string, JsonValue> fields;
    QSIM_RETURN_IF_ERROR(Expect('{'));
    if (Peek() == '}') {
      ++pos_;
    } else {
      for (;;) {
        StatusOr<std::string> key = String();
        if (!key.ok()) return key.status();
        QSIM_RETURN_IF_ERROR(Expect(':'));
        StatusOr<JsonValue> value = Value();
        if (!value.ok()) return value.status();
        fields[*key] = std::move(*value);
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        QSIM_RETURN_IF_ERROR(Expect('}'));
        break;
      }
    }
    if (Peek() != '\0') return Error("text after the object");
    return fields;
  }

 private:
  char Peek() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\r')) {
      ++pos_;
    }
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  Status Error(const std::string& what) const {
    int line = 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + pos_, '\n'));
    return DataLoss(path_ + ":" + std::to_string(line) + ": " + what);
  }
  Status Expect(char c) {
    if (Peek() != c) return Error(std::string("expected '") + c + "'");
    ++pos_;
    return Status::Ok();
  }
  StatusOr<std::string> String() {
    QSIM_RETURN_IF_ERROR(Expect('"'));
    std::string s;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c != '\\') {
        s += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'u': {
          unsigned code = 0;
          if (pos_ + 4 > text_.size() ||
              std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, code, 16).ptr != text_.data() + pos_ + 4) {
            return Error("bad \\u escape");
          }
          pos_ += 4;
          if (code >= 0x80) return Error("\\u escapes beyond ASCII are not used by run.json");
          s += static_cast<char>(code);
          break;
        }
        default: s += e;  // \" \\ \/
      }
    }
    if (pos_ >= text_.size()) return Error("unterminated string");
    ++pos_;
    return s;
  }
  StatusOr<JsonValue> Value() {
    JsonValue v;
    char c = Peek();
    if (c == '"') {
      StatusOr<std::string> s = String();
      if (!s.ok()) return s.status();
      v.kind = JsonValue::kString;
      v.text = std::move(*s);
    } else if (c == '[') {
      ++pos_;
      v.kind = JsonValue::kStringList;
      if (Peek() == ']') {
        ++pos_;
        return v;
      }
      for (;;) {
        StatusOr<std::string> s = String();
        if (!s.ok()) return s.status();
        v.list.push_back(std::move(*s));
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        QSIM_RETURN_IF_ERROR(Expect(']'));
        break;
      }
    } else if (c == '{') {
      ++pos_;
      v.kind = JsonValue::kNumberObject;
      if (Peek() == '}') {
        ++pos_;
        return v;
      }
      for (;;) {
        StatusOr<std::string> key = String();
        if (!key.ok()) return key.status();
        QSIM_RETURN_IF_ERROR(Expect(':'));
        const char d = Peek();
        if (d != '-' && (d < '0' || d > '9')) return Error("expected a number");
        StatusOr<JsonValue> number = Value();
        if (!number.ok()) return number.status();
        v.numbers[*key] = number->text;
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        QSIM_RETURN_IF_ERROR(Expect('}'));
        break;
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = pos_;
      while (pos_ < text_.size() && std::strchr("+-.eE0123456789", text_[pos_]) != nullptr) ++pos_;
      v.kind = JsonValue::kNumber;
      v.text = std::string(text_.substr(start, pos_ - start));
    } else {
      for (std::string_view word : {"true", "false", "null"}) {
        if (text_.substr(pos_, word.size()) == word) {
          pos_ += word.size();
          return v;
        }
      }
      return Error("expected a value");
    }
    return v;
  }

  std::string_view text_;
  const std::string& path_;
  size_t pos_ = 0;
};

// Compares tasks.csv's measured rows with summary.csv's `*` tasks; appends
// what disagrees to `problems`.
void CheckTaskCount(const std::string& dir, int64_t warmup_us, std::vector<std::string>& problems) {
  StatusOr<CsvTable> summary = ReadCsvFile(InDir(dir, kSummaryFile));
  if (!summary.ok()) {
    problems.push_back(summary.status().message());
    return;
  }
  int account = summary->Column(Column(kSummaryColumns, "account"));
  int tasks_column = summary->Column(Column(kSummaryColumns, "tasks"));
  std::optional<int64_t> expected;
  for (const auto& row : summary->rows) {
    int64_t n = 0;
    if (account < 0 || tasks_column < 0 || row[account] != "*") continue;
    const std::string& field = row[tasks_column];
    if (std::from_chars(field.data(), field.data() + field.size(), n).ptr == field.data() + field.size()) expected = n;
  }
  if (!expected) {
    problems.push_back(summary->path + ": no `*` row with a task count");
    return;
  }
  StatusOr<CsvReader> tasks = CsvReader::Open(InDir(dir, kTasksFile));
  if (!tasks.ok()) {
    problems.push_back(tasks.status().message());
    return;
  }
  int enqueue = tasks->Column(Column(kTasksColumns, "enqueue_s"));
  if (enqueue < 0) {
    problems.push_back(tasks->path() + ":1: the header has no enqueue_s column");
    return;
  }
  int64_t rows = 0, measured = 0;
  for (;;) {
    StatusOr<bool> more = tasks->Next();
    if (!more.ok()) {
      problems.push_back(more.status().message());
      return;
    }
    if (!*more) break;
    ++rows;
    std::optional<int64_t> t = ParseMicros(tasks->row()[enqueue]);
    if (!t) {
      problems.push_back(tasks->path() + ":" + std::to_string(tasks->row_line()) + ": column enqueue_s: not a time");
      return;
    }
    if (InMeasuredWindow(*t, warmup_us)) ++measured;
  }
  if (measured != *expected) {
    problems.push_back(tasks->path() + " has " + std::to_string(measured) + " tasks enqueued after the warm-up (" +
                       std::to_string(rows) + " rows) but " + summary->path + " counts " +
                       std::to_string(*expected) + " for `*`");
  }
}

std::string Joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += separator;
    s += items[i];
  }
  return s;
}

}  // namespace

std::string ScenarioHash(std::string_view resolved_yaml) {
  uint64_t hash = 14695981039346656037ull;
  size_t pos = 0;
  while (pos < resolved_yaml.size()) {
    size_t end = resolved_yaml.find('\n', pos);
    end = end == std::string_view::npos ? resolved_yaml.size() : end + 1;
    std::string_view line = resolved_yaml.substr(pos, end - pos);
    pos = end;
    if (line.substr(0, 5) == "seed:") continue;
    for (unsigned char c : line) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
  }
  char text[32];
  std::snprintf(text, sizeof text, "fnv1a64:%016llx", static_cast<unsigned long long>(hash));
  return text;
}

std::string ManifestJson(const RunManifest& m) {
  std::string out = "{\n  \"format\": 1,\n  \"status\": ";
  AppendJsonString(out, m.status == RunStatus::kComplete ? "complete" : "incomplete");
  out += ",\n  \"qsim_version\": ";
  AppendJsonString(out, m.qsim_version);
  out += ",\n  \"scenario_hash\": ";
  AppendJsonString(out, m.scenario_hash);
  out += ",\n  \"seed\": " + std::to_string(m.seed);
  out += ",\n  \"warmup_us\": " + std::to_string(m.warmup_us);
  out += ",\n  \"command_line\": ";
  AppendStringList(out, m.command_line);
  char wall[32];
  std::snprintf(wall, sizeof wall, "%.3f", m.wall_seconds);
  out += ",\n  \"wall_seconds\": " + std::string(wall);
  out += ",\n  \"files\": ";
  AppendStringList(out, m.files);
  if (!m.file_bytes.empty()) {
    out += ",\n  \"file_bytes\": {";
    bool first = true;
    for (const auto& [name, bytes] : m.file_bytes) {
      out += first ? "" : ", ";
      first = false;
      AppendJsonString(out, name);
      out += ": " + std::to_string(bytes);
    }
    out += "}";
  }
  out += "\n}\n";
  return out;
}

StatusOr<RunManifest> ParseManifest(std::string_view text, const std::string& path) {
  FlatJsonReader reader(text, path);
  StatusOr<std::map<std::string, JsonValue>> fields = reader.ReadObject();
  if (!fields.ok()) return fields.status();
  auto get = [&](const std::string& key, JsonValue::Kind kind) -> StatusOr<const JsonValue*> {
    auto it = fields->find(key);
    if (it == fields->end()) return DataLoss(path + ": no \"" + key + "\"");
    if (it->second.kind != kind) return DataLoss(path + ": \"" + key + "\" has the wrong type");
    return &it->second;
  };
  RunManifest m;
  StatusOr<const JsonValue*> status = get("status", JsonValue::kString);
  if (!status.ok()) return status.status();
  if ((*status)->text == "complete") m.status = RunStatus::kComplete;
  else if ((*status)->text == "incomplete") m.status = RunStatus::kIncomplete;
  else return DataLoss(path + ": \"status\": expected complete or incomplete, got \"" + (*status)->text + "\"");
  StatusOr<const JsonValue*> files = get("files", JsonValue::kStringList);
  if (!files.ok()) return files.status();
  m.files = (*files)->list;
  // The rest describes the run; a reader needs only the status and files,
  // and the warm-up to check the task count.
  if (auto v = get("qsim_version", JsonValue::kString); v.ok()) m.qsim_version = (*v)->text;
  if (auto v = get("scenario_hash", JsonValue::kString); v.ok()) m.scenario_hash = (*v)->text;
  if (auto v = get("command_line", JsonValue::kStringList); v.ok()) m.command_line = (*v)->list;
  if (auto v = get("seed", JsonValue::kNumber); v.ok()) {
    std::from_chars((*v)->text.data(), (*v)->text.data() + (*v)->text.size(), m.seed);
  }
  if (auto v = get("wall_seconds", JsonValue::kNumber); v.ok()) {
    m.wall_seconds = std::strtod((*v)->text.c_str(), nullptr);
  }
  if (fields->count("file_bytes")) {
    StatusOr<const JsonValue*> sizes = get("file_bytes", JsonValue::kNumberObject);
    if (!sizes.ok()) return sizes.status();
    for (const auto& [name, text] : (*sizes)->numbers) {
      int64_t bytes = -1;
      if (std::from_chars(text.data(), text.data() + text.size(), bytes).ptr != text.data() + text.size() ||
          bytes < 0) {
        return DataLoss(path + ": \"file_bytes\": \"" + name + "\": expected a size in bytes, got " + text);
      }
      m.file_bytes[name] = bytes;
    }
  }
  StatusOr<const JsonValue*> warmup = get("warmup_us", JsonValue::kNumber);
  if (!warmup.ok()) return warmup.status();
  const std::string& w = (*warmup)->text;
  if (std::from_chars(w.data(), w.data() + w.size(), m.warmup_us).ptr != w.data() + w.size()) {
    return DataLoss(path + ": \"warmup_us\": expected an integer, got " + w);
  }
  return m;
}

Status WriteManifest(const std::string& dir, const RunManifest& manifest) {
  RunManifest written = manifest;
  written.file_bytes.clear();
  if (manifest.status == RunStatus::kComplete) {
    // The sizes the files were finished at, so that a reader notices a file
    // cut short (or changed) afterwards even where its rows still parse.
    // report.html is left out: `qsim report` rewrites it.
    for (const std::string& name : manifest.files) {
      if (name == kReportFile) continue;
      std::error_code error;
      const std::uintmax_t bytes = fs::file_size(InDir(dir, name), error);
      if (!error) written.file_bytes[name] = static_cast<int64_t>(bytes);  // a missing one: InspectRunFolder says so
    }
  }
  return WriteTextFile(InDir(dir, kManifestFile), ManifestJson(written));
}

StatusOr<std::optional<RunManifest>> ReadManifest(const std::string& dir) {
  std::string path = InDir(dir, kManifestFile);
  std::error_code error;
  if (!fs::exists(path, error)) return std::optional<RunManifest>();
  StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  StatusOr<RunManifest> m = ParseManifest(*text, path);
  if (!m.ok()) return m.status();
  return std::optional<RunManifest>(std::move(*m));
}

Status PrepareRunFolder(const std::string& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) return MakeDirectories(dir);
  if (!fs::is_directory(dir, error)) return IoError(dir + ": not a folder");
  std::set<std::string> owned;
  for (const std::string& name : KnownRunFiles()) owned.insert(name);
  // An unreadable run.json still names a run folder; what it listed is then
  // unknown, and anything beyond the known names stays (and is refused).
  StatusOr<std::optional<RunManifest>> previous = ReadManifest(dir);
  if (previous.ok() && *previous) {
    for (const std::string& name : (*previous)->files) {
      if (name.find('/') == std::string::npos && name != "." && name != "..") owned.insert(name);
    }
  }
  std::vector<std::string> present, foreign;
  fs::directory_iterator it(dir, error);
  if (error) return IoError(dir + ": cannot list the folder: " + error.message());
  for (const fs::directory_entry& entry : it) {
    std::string name = entry.path().filename().string();
    std::string base = name;
    if (base.size() > kPartSuffix.size() && base.ends_with(kPartSuffix)) base.resize(base.size() - kPartSuffix.size());
    (owned.count(base) > 0 && !entry.is_directory(error) ? present : foreign).push_back(name);
  }
  if (!foreign.empty()) {
    std::sort(foreign.begin(), foreign.end());
    return InvalidArgument(dir + ": holds files no qsim run wrote (" + Joined(foreign, ", ") +
                           "); a run writes into an empty folder or one holding an earlier run, which it replaces");
  }
  std::sort(present.begin(), present.end());
  // run.json goes last, so that a clearing cut short still reads as a
  // folder whose listed files are missing.
  auto manifest = std::find(present.begin(), present.end(), std::string(kManifestFile));
  if (manifest != present.end()) std::rotate(manifest, manifest + 1, present.end());
  for (const std::string& name : present) {
    std::string path = InDir(dir, name);
    if (std::remove(path.c_str()) != 0) {
      return IoError(path + ": cannot remove the earlier run's file: " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

StatusOr<RunFolderCheck> InspectRunFolder(const std::string& dir) {
  RunFolderCheck check;
  std::error_code error;
  // No folder: nothing to check; the reader's own error names the file it
  // could not open.
  if (!fs::is_directory(dir, error)) return check;
  StatusOr<std::optional<RunManifest>> manifest = ReadManifest(dir);
  if (!manifest.ok()) {
    check.has_manifest = true;
    check.problems.push_back(manifest.status().message());
    return check;
  }
  if (!*manifest) return check;
  check.has_manifest = true;
  const RunManifest& m = **manifest;
  if (m.status != RunStatus::kComplete) {
    check.problems.push_back("run.json says the run is incomplete (it was interrupted or failed)");
  }
  std::set<std::string> listed(m.files.begin(), m.files.end());
  std::set<std::string> present;
  fs::directory_iterator it(dir, error);
  if (error) return IoError(dir + ": cannot list the folder: " + error.message());
  for (const fs::directory_entry& entry : it) present.insert(entry.path().filename().string());
  for (const std::string& name : listed) {
    if (present.count(name) == 0) check.problems.push_back(InDir(dir, name) + " is listed in run.json but missing");
  }

  for (const std::string& name : present) {
    if (listed.count(name) > 0 || name == kManifestFile || name == kReportFile) continue;
    check.problems.push_back(name + (name.ends_with(kPartSuffix) ? " is a file cut short by an interrupted write"
                                                                   : " is not a file of this run (run.json does not "
                                                                     "list it)"));
  }
  bool counted = listed.count(std::string(kTasksFile)) > 0 && listed.count(std::string(kSummaryFile)) > 0 &&
                 present.count(std::string(kTasksFile)) > 0 && present.count(std::string(kSummaryFile)) > 0;
  if (counted && m.status == RunStatus::kComplete) CheckTaskCount(dir, m.warmup_us, check.problems);
  return check;
}

Status RequireRecordedSizes(const std::string& dir) {
  StatusOr<std::optional<RunManifest>> manifest = ReadManifest(dir);
  if (!manifest.ok()) return manifest.status();
  if (!*manifest) return Status::Ok();
  std::vector<std::string> problems;
  for (const auto& [name, bytes] : (*manifest)->file_bytes) {
    std::error_code error;
    const std::uintmax_t now = fs::file_size(InDir(dir, name), error);
    if (error) {
      problems.push_back(InDir(dir, name) + ": cannot read its size: " + error.message());
    } else if (static_cast<int64_t>(now) != bytes) {
      problems.push_back(InDir(dir, name) + " is " + std::to_string(now) + " bytes but run.json says the run wrote " +
                         std::to_string(bytes) + " (cut short or changed since)");
    }
  }
  if (problems.empty()) return Status::Ok();
  return DataLoss(dir + ": not the run folder the run wrote: " + Joined(problems, "; ") + "; run the scenario again");
}

std::string OldFormatWarning(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error) || fs::exists(InDir(dir, kManifestFile), error)) return "";
  return dir + ": no run.json (a folder from an older qsim, or not written by qsim run): its completeness is "
               "not checked";
}

Status RequireCompleteRunFolder(const std::string& dir, std::string* warning) {
  if (warning) warning->clear();
  StatusOr<RunFolderCheck> check = InspectRunFolder(dir);
  if (!check.ok()) return check.status();
  if (!check->has_manifest) {
    if (warning) *warning = OldFormatWarning(dir);
    return Status::Ok();
  }
  if (check->problems.empty()) return Status::Ok();
  return DataLoss(dir + ": not a complete run folder: " + Joined(check->problems, "; ") +
                  "; run the scenario again");
}

// `path` absolute, with links and `..` resolved as far as it exists, and no
// trailing separator.
StatusOr<fs::path> Resolved(const std::string& path) {
  std::error_code error;
  fs::path p = fs::weakly_canonical(fs::absolute(path, error), error);
  if (error) return IoError(path + ": cannot resolve the path: " + error.message());
  while (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
  return p;
}

Status RequireOutputNotAnInput(const std::string& out_dir, const std::vector<std::string>& inputs) {
  StatusOr<fs::path> out = Resolved(out_dir);
  if (!out.ok()) return out.status();
  for (const std::string& input : inputs) {
    StatusOr<fs::path> in = Resolved(input);
    if (!in.ok()) return in.status();
    if (*in == *out) {
      return InvalidArgument("--out " + out_dir + " is the input " + input +
                             ": writing there would overwrite what is being read; choose another folder");
    }
  }
  return Status::Ok();
}

}  // namespace qsim::runfolder
