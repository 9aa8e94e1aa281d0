#include "sim/internal/taskevent_writer.h"

#include <cerrno>
#include <charconv>
#include <cstdint>

#include "runfolder/columns.h"
#include "runfolder/files.h"
#include "sim/internal/epoch.h"

namespace qsim::sim {
namespace {

std::string_view TypeName(EventType t) {
  switch (t) {
    case EventType::kEnqueued: return "SWARMING_ENQUEUED";
    case EventType::kCompleted: return "SWARMING_COMPLETED";
    case EventType::kAssigned: return "QSCHEDULER_ASSIGNED";
    case EventType::kPreempted: return "QSCHEDULER_PREEMPTED";
    case EventType::kReprioritized: return "QSCHEDULER_REPRIORITIZED";
    case EventType::kUnassigned: return "QSCHEDULER_UNASSIGNED";
  }
  return "EVENT_TYPE_UNSPECIFIED";
}

void Quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

void Key(std::string& out, std::string_view key) {
  out += ",\"";
  out += key;
  out += "\":";
}

void Str(std::string& out, std::string_view key, std::string_view value) {
  Key(out, key);
  Quoted(out, value);
}

void Int(std::string& out, std::string_view key, int64_t value) {
  Key(out, key);
  out += std::to_string(value);
}

void Bool(std::string& out, std::string_view key, bool value) {
  Key(out, key);
  out += value ? "true" : "false";
}

void Strings(std::string& out, std::string_view key, const std::vector<std::string>& values) {
  Key(out, key);
  out += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    Quoted(out, values[i]);
  }
  out += ']';
}

// Floats in their shortest form that reads back to the same float.
void Floats(std::string& out, std::string_view key, const float* values, size_t n) {
  Key(out, key);
  out += '[';
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, values[i]);
    out.append(buf, r.ptr);
  }
  out += ']';
}

// "2024-01-01T00:00:12.116Z": runfolder::kTaskEventsEpochUs plus the
// simulated time (never before the epoch).
void Time(std::string& out, int64_t sim_us) {
  const int64_t us = runfolder::kTaskEventsEpochUs + sim_us;
  int64_t secs = us / 1000000, frac = us % 1000000;
  int64_t days = secs / 86400, rest = secs % 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  const int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp + (mp < 10 ? 3 : -9), y = yoe + era * 400 + (m <= 2);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", static_cast<int>(y), static_cast<int>(m),
                        static_cast<int>(d), static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                        static_cast<int>(rest % 60));
  if (frac != 0) n += std::snprintf(buf + n, sizeof buf - n, ".%06d", static_cast<int>(frac));
  Key(out, "time");
  out += '"';
  out.append(buf, n);
  out += "Z\"";
}

void Details(std::string& out, const TaskEvent& e) {
  switch (e.type) {
    case EventType::kEnqueued:
      out += ",\"enqueued_details\":{\"tags\":[";
      for (size_t i = 0; i < e.tags.size(); ++i) {
        if (i > 0) out += ',';
        Quoted(out, e.tags[i]);
      }
      out += "]}";
      break;
    case EventType::kAssigned:
      out += ",\"assigned_details\":{\"provision_required\":";
      out += e.provision_required ? "true" : "false";
      Int(out, "priority", e.priority);
      Bool(out, "preempting", e.preempting);
      Floats(out, "preemption_cost", e.preemption_cost.data(), e.preempting ? e.preemption_cost.size() : 0);
      Str(out, "preempted_task_id", e.preempted_task);
      out += '}';
      break;
    case EventType::kPreempted:
      out += ",\"preempted_details\":{\"priority\":" + std::to_string(e.priority);
      Str(out, "preempting_account_id", e.preempting_account);
      Str(out, "preempting_task_id", e.preempting_task);
      Int(out, "preempting_priority", e.preempting_priority);
      out += '}';
      break;
    case EventType::kReprioritized:
      out += ",\"reprioritized_details\":{\"old_priority\":" + std::to_string(e.old_priority);
      Int(out, "new_priority", e.new_priority);
      out += '}';
      break;
    case EventType::kCompleted:
      out += ",\"completed_details\":{\"reason\":";
      Quoted(out, e.reason == CompletedReason::kNone ? "REASON_UNSPECIFIED" : CompletedReasonName(e.reason));
      Str(out, "other_task_id", e.other_task);
      Str(out, "other_bot_id", e.other_bot);
      out += '}';
      break;
    case EventType::kUnassigned:
      out += ",\"unassigned_details\":{}";
      break;
  }
}

}  // namespace

StatusOr<std::unique_ptr<TaskEventWriter>> TaskEventWriter::Open(const std::string& path, std::string scheduler_id) {
  std::string temp;
  StatusOr<std::FILE*> f = runfolder::OpenForReplace(path, &temp);
  if (!f.ok()) return f.status();
  return std::unique_ptr<TaskEventWriter>(new TaskEventWriter(*f, temp, path, std::move(scheduler_id)));
}

TaskEventWriter::TaskEventWriter(std::FILE* f, std::string temp_path, std::string path, std::string scheduler_id)
    : f_(f), temp_path_(std::move(temp_path)), path_(std::move(path)), scheduler_id_(std::move(scheduler_id)) {}

TaskEventWriter::~TaskEventWriter() {
  if (f_ != nullptr) runfolder::AbandonReplace(f_, temp_path_, path_);
}

// Every field is written, in the proto's order, so a query never meets a
// missing column; balances and costs are empty lists when the event has none.
void TaskEventWriter::Write(const TaskEvent& e) {
  std::string& out = line_;
  out.assign("{\"event_type\":\"");
  out += TypeName(e.type);
  out += '"';
  Str(out, "scheduler_id", scheduler_id_);
  Str(out, "task_id", e.task);
  Time(out, ToMicros(Since(e.time)));
  Strings(out, "base_labels", e.task_base_labels);
  Strings(out, "provisionable_labels", e.task_provisionable_labels);
  Str(out, "account_id", e.account);
  Bool(out, "account_valid", e.account_balance.has_value());
  Floats(out, "account_balance", e.account_balance ? e.account_balance->data() : nullptr,
         e.account_balance ? e.account_balance->size() : 0);
  Floats(out, "cost", e.cost.data(), e.worker.empty() ? 0 : e.cost.size());
  Str(out, "bot_id", e.worker);
  Strings(out, "bot_dimensions", e.worker_labels);
  Str(out, "category", "");
  Bool(out, "is_callback", e.type == EventType::kEnqueued || e.type == EventType::kCompleted);
  Details(out, e);
  out += "}\n";
  if (error_ == 0 && std::fwrite(out.data(), 1, out.size(), f_) != out.size()) error_ = errno != 0 ? errno : EIO;
}

Status TaskEventWriter::Close() {
  std::FILE* f = f_;
  f_ = nullptr;
  return runfolder::CommitReplace(f, temp_path_, path_, error_);
}

}  // namespace qsim::sim
