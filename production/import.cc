// Reading a TaskEvent log file (NDJSON or binary), a SchedulerConfig and a
// StateSnapshot.
#include "production/import.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "base/input_file.h"
#include "production/internal/json_message.h"
#include "production/internal/log_rows.h"

namespace qsim::production {
namespace {

using internal::LogRows;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

StatusOr<std::string> ReadWhole(const std::string& path, uint64_t max_bytes, const std::string& what) {
  if (Status s = CheckInputFile(path, max_bytes, what); !s.ok()) return s;
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError(path + ": read failed");
  return text.str();
}

// By extension, else by the first byte that is not blank: '{' is JSON.
StatusOr<LogFormat> DetectFormat(const std::string& path) {
  for (const char* ext : {".jsonl", ".ndjson", ".json"}) {
    if (EndsWith(path, ext)) return LogFormat::kNdjson;
  }
  for (const char* ext : {".pb", ".binpb", ".bin"}) {
    if (EndsWith(path, ext)) return LogFormat::kBinary;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open for reading");
  char c = 0;
  while (in.get(c)) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return c == '{' ? LogFormat::kNdjson : LogFormat::kBinary;
  }
  return LogFormat::kNdjson;  // empty: reported as a log with no rows
}

Status ReadNdjson(const std::string& path, LogRows* rows) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open for reading");
  std::string line;
  int64_t number = 0, blank = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      ++blank;
      continue;
    }
    const std::string where = path + ":" + std::to_string(number);
    if (Status s = internal::AddJsonLine(line, where, rows); !s.ok()) return s;
  }
  if (in.bad()) return IoError(path + ": read failed");
  rows->blank_lines = blank;
  return Status::Ok();
}

void WarnCounts(const std::map<std::string, int64_t>& counts, const std::string& what, Warnings* warnings) {
  for (const auto& [value, n] : counts) {
    warnings->push_back(std::to_string(n) + " " + what + " \"" + value + "\"");
  }
}

// A text that starts with '{' is protobuf JSON, anything else text format.
Status ParseConfigLike(const std::string& path, const std::string& text, google::protobuf::Message* message) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    std::vector<internal::UnknownEnum> unknown;
    if (Status s = internal::JsonToMessage(text, message, &unknown); !s.ok()) return s.WithContext(path);
    if (!unknown.empty()) {
      return InvalidArgument(path + ": field \"" + unknown[0].field + "\": unknown value \"" + unknown[0].value +
                             "\"");
    }
    return Status::Ok();
  }
  // Text format: the parser reports line and column through an error collector.
  class Collector : public google::protobuf::io::ErrorCollector {
   public:
    void AddError(int line, int column, const std::string& message) override {
      if (first.empty()) first = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
    }
    std::string first;
  } collector;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  if (!parser.ParseFromString(text, message)) {
    return InvalidArgument(path + ":" + (collector.first.empty() ? std::string("not text format") : collector.first));
  }
  return Status::Ok();
}

constexpr uint64_t kMaxConfigBytes = uint64_t{256} << 20;

}  // namespace

StatusOr<ObservedLog> ReadTaskEventLog(const std::string& path, const ReadOptions& options, Warnings* warnings) {
  if (Status s = CheckInputFile(path, internal::kMaxLogBytes, "TaskEvent log"); !s.ok()) return s;
  LogFormat format = options.format;
  if (format == LogFormat::kAuto) {
    StatusOr<LogFormat> detected = DetectFormat(path);
    if (!detected.ok()) return detected.status();
    format = *detected;
  }
  LogRows rows;
  if (format == LogFormat::kNdjson) {
    if (Status s = ReadNdjson(path, &rows); !s.ok()) return s;
  } else {
    StatusOr<std::string> bytes = ReadWhole(path, internal::kMaxLogBytes, "TaskEvent log");
    if (!bytes.ok()) return bytes.status();
    if (Status s = internal::AddBinaryEventList(*bytes, path, &rows); !s.ok()) return s;
  }
  Warnings local;
  Warnings& out = warnings != nullptr ? *warnings : local;
  WarnCounts(rows.unknown_event_types, "rows left out: unknown event_type", &out);
  WarnCounts(rows.unknown_reasons, "rows read as REASON_UNSPECIFIED: unknown completed_details.reason", &out);
  if (rows.blank_lines > 0) out.push_back(std::to_string(rows.blank_lines) + " blank lines skipped");
  if (rows.events.empty()) return InvalidArgument(path + ": the log has no rows to import");
  return BuildObservedLog(rows.events, rows.where, options, &out);
}

StatusOr<SchedulerConfig> ReadSchedulerConfig(const std::string& path) {
  StatusOr<std::string> text = ReadWhole(path, kMaxConfigBytes, "SchedulerConfig");
  if (!text.ok()) return text.status();
  SchedulerConfig config;
  if (Status s = ParseConfigLike(path, *text, &config); !s.ok()) return s;
  for (const auto& [id, account] : config.account_configs()) {
    const std::string field = "field \"account_configs[\"" + id + "\"]";
    if (account.charge_rate_size() > 5) {
      return InvalidArgument(path + ": " + field + ".charge_rate\": more than 5 values");
    }
    for (float r : account.charge_rate()) {
      if (!(r >= 0)) return InvalidArgument(path + ": " + field + ".charge_rate\": a rate below 0");
    }
    if (!(account.max_charge_seconds() >= 0)) {
      return InvalidArgument(path + ": " + field + ".max_charge_seconds\": below 0");
    }
    if (account.max_fanout() < 0) return InvalidArgument(path + ": " + field + ".max_fanout\": below 0");
  }
  return config;
}

StatusOr<StateSnapshot> ReadStateSnapshot(const std::string& path) {
  StatusOr<std::string> text = ReadWhole(path, kMaxConfigBytes, "state snapshot");
  if (!text.ok()) return text.status();
  StateSnapshot snapshot;
  if (Status s = ParseConfigLike(path, *text, &snapshot); !s.ok()) return s;
  if (!snapshot.has_time()) return InvalidArgument(path + ": field \"time\": missing (a snapshot is taken at a time)");
  return snapshot;
}

void MergeSchedulerConfig(const SchedulerConfig& config, ObservedLog* log, Warnings* warnings) {
  std::map<std::string, ObservedAccount> accounts;
  for (const ObservedAccount& a : log->accounts) accounts[a.id] = a;
  int64_t inferred = static_cast<int64_t>(accounts.size());
  for (const auto& [id, c] : config.account_configs()) {
    ObservedAccount& a = accounts[id];
    if (!a.id.empty()) --inferred;
    a.id = id;
    a.charge_rates.assign(c.charge_rate().begin(), c.charge_rate().end());
    a.max_charge_seconds = c.max_charge_seconds();
    a.max_fanout = c.max_fanout();
    a.disable_free_tasks = c.disable_free_tasks();
    a.from_config = true;
    a.per_label_task_limits.clear();
    for (const auto& [prefix, limit] : c.per_label_task_limits()) a.per_label_task_limits.emplace_back(prefix, limit);
    std::sort(a.per_label_task_limits.begin(), a.per_label_task_limits.end());
  }
  log->accounts.clear();
  for (auto& [id, a] : accounts) log->accounts.push_back(std::move(a));
  log->disable_preemption = config.disable_preemption();
  if (config.has_bot_expiration()) {
    log->bot_expiration_us = config.bot_expiration().seconds() * 1000000 + config.bot_expiration().nanos() / 1000;
  }
  if (inferred > 0 && warnings != nullptr) {
    warnings->push_back(std::to_string(inferred) + " accounts named in the log are not in the config; inferred");
  }
}

}  // namespace qsim::production
