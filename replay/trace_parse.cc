// Trace lines are parsed by protobuf's strict JSON parser (unknown fields,
// wrong types and trailing text are errors), then checked against
// docs/trace-format.md: every op has exactly the fields the format lists for
// it, plus the optional ones it allows.
//
// Scalars use proto3 `optional`, so a missing one is visible. A repeated
// field cannot tell a missing list from `[]`, so a small scan of each line's
// text records the path of every key whose value is a list; it also catches
// what protobuf lets through (repeated keys, camelCase names), and nesting
// deeper than kMaxTraceNesting before protobuf sees the line. "NaN",
// "Infinity" and microseconds beyond 2^53 are rejected after parsing
// (RequireInRange). Still accepted:
// numbers written as strings ("17"), leading zeros.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "base/key_path.h"
#include "replay/trace_parse_internal.h"
#include "scheduler/events.h"
#include "scheduler/policy_schema.h"

namespace qsim::replay::internal {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr std::string_view kFormat = "qscheduler-trace/1";

constexpr std::array<std::pair<std::string_view, OpKind>, 11> kOps = {{
    {"config", OpKind::kConfig},
    {"add_account", OpKind::kAddAccount},
    {"delete_account", OpKind::kDeleteAccount},
    {"notify_waiting", OpKind::kNotifyWaiting},
    {"notify_running", OpKind::kNotifyRunning},
    {"notify_absent", OpKind::kNotifyAbsent},
    {"task_error", OpKind::kTaskError},
    {"assign_tasks", OpKind::kAssignTasks},
    {"cancellations", OpKind::kCancellations},
    {"check", OpKind::kCheck},
    {"roundtrip", OpKind::kRoundtrip},
}};

using Names = std::initializer_list<std::string_view>;


// Records the path of every key whose value is a JSON list, whether the text
// is exactly one JSON object, and the first key the protobuf parser would let
// through although the format forbids it: a repeated key (protobuf appends
// repeated lists) or a camelCase alias of a snake_case name. The text must be
// valid JSON on its own or part of a valid JSON text (see ParseTrace); on
// anything else the scan still ends, with meaningless results. Whatever the
// text, the scan recurses at most kMaxTraceNesting + 1 deep and stops at
// the first value nested deeper (too_deep()).
class LineScanner {
 public:
  explicit LineScanner(std::string_view text) : text_(text) {
    std::string path;
    SkipSpace();
    const bool object = pos_ < text_.size() && text_[pos_] == '{';
    Value(path, 0);
    SkipSpace();
    one_object_ = object && pos_ == text_.size() && !too_deep_;
  }
  bool one_object() const { return one_object_; }
  // True when a list or object opens at a nesting depth beyond
  // kMaxTraceNesting; too_deep_column() is its 1-based column.
  bool too_deep() const { return too_deep_; }
  size_t too_deep_column() const { return too_deep_column_; }
  // "" or `field "x": ...`.
  const std::string& problem() const { return problem_; }
  std::set<std::string> TakeLists() { return std::move(lists_); }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' ||
                                   text_[pos_] == '\n')) {
      ++pos_;
    }
  }
  // At an opening quote; returns the raw text between the quotes.
  std::string_view String() {
    size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    std::string_view s = text_.substr(start, std::min(pos_, text_.size()) - start);
    ++pos_;
    return s;
  }
  // `depth` counts the lists and objects around this value.
  void Value(std::string& path, int depth) {
    SkipSpace();
    if (pos_ >= text_.size() || too_deep_) return;
    char c = text_[pos_];
    if ((c == '{' || c == '[') && depth >= kMaxTraceNesting) {
      too_deep_ = true;
      too_deep_column_ = pos_ + 1;
      pos_ = text_.size();  // the rest is not scanned
      return;
    }
    if (c == '{') {
      ++pos_;
      std::vector<std::string_view> keys;
      for (;;) {
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] == '}') break;
        if (text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        std::string_view key = String();
        SkipSpace();
        ++pos_;  // ':'
        SkipSpace();
        size_t saved = path.size();
        if (!path.empty()) path += '.';
        path += key;
        if (problem_.empty()) {
          if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
            problem_ = "field \"" + path + "\": expected once, given twice";
          } else if (std::any_of(key.begin(), key.end(), [](char k) { return k >= 'A' && k <= 'Z'; })) {
            problem_ = "field \"" + path + "\": unknown field";
          }
        }
        keys.push_back(key);
        if (pos_ < text_.size() && text_[pos_] == '[') lists_.insert(path);
        Value(path, depth + 1);
        path.resize(saved);
      }
      ++pos_;
    } else if (c == '[') {
      ++pos_;
      for (int i = 0;; ++i) {
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] == ']') break;
        if (text_[pos_] == ',') ++pos_;
        size_t saved = path.size();
        path += '[';
        path += std::to_string(i);
        path += ']';
        Value(path, depth + 1);
        path.resize(saved);
      }
      ++pos_;
    } else if (c == '"') {
      String();
    } else {
      // A number or literal; a stray character is skipped so the scan always advances.
      const size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']') ++pos_;
      if (pos_ == start) ++pos_;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::set<std::string> lists_;
  bool one_object_ = false;
  bool too_deep_ = false;
  size_t too_deep_column_ = 0;
  std::string problem_;
};

std::string ExpectedKind(const FieldDescriptor& f) {
  if (f.is_map()) return "an object";
  if (f.is_repeated()) return "a list";
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE: return "an object";
    case FieldDescriptor::CPPTYPE_STRING: return "a string";
    case FieldDescriptor::CPPTYPE_BOOL: return "true or false";
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE: return "a number";
    default: return "an integer";
  }
}

std::string ExpectedKindForProtoType(std::string_view type) {
  if (type == "TYPE_STRING") return "a string";
  if (type == "TYPE_BOOL") return "true or false";
  if (type == "TYPE_FLOAT" || type == "TYPE_DOUBLE") return "a number";
  if (type.find("INT") != std::string_view::npos) return "an integer";
  if (type.find("type.googleapis.com/") == 0) return "an object";
  return "a value of " + std::string(type);
}

// Checks one line; every error names the file, the line and the field.
class LineChecker {
 public:
  LineChecker(std::string_view file, int line, std::set<std::string> lists)
      : file_(file), line_(line), lists_(std::move(lists)) {}

  Status Error(const std::string& field, const std::string& what) const {
    return InvalidArgument(std::string(file_) + ":" + std::to_string(line_) + ": field \"" + field +
                           "\": " + what);
  }

  // `m` (found at `path`) must have exactly the fields `names`, and may have
  // those in `optional`; `owner` describes it for an unexpected field ("op
  // config", "an ENQUEUED event").
  Status ExactFields(const Message& m, const std::string& path, Names names, const std::string& owner,
                     Names optional = {}) const {
    const auto* descriptor = m.GetDescriptor();
    for (std::string_view name : names) {
      const FieldDescriptor* f = descriptor->FindFieldByName(std::string(name));
      if (!Present(m, path, *f)) return Error(JoinKey(path, name), "expected " + ExpectedKind(*f) + ", missing");
    }
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* f = descriptor->field(i);
      const bool listed = std::find(names.begin(), names.end(), f->name()) != names.end() ||
                          std::find(optional.begin(), optional.end(), f->name()) != optional.end();
      if (listed) {
        if (f->is_repeated() && !f->is_map()) QSIM_RETURN_IF_ERROR(WrittenAsList(m, path, *f));
        continue;
      }
      if (Present(m, path, *f)) return Error(JoinKey(path, f->name()), "unexpected in " + owner);
    }
    return Status::Ok();
  }

  template <typename List>
  Status Size(const List& list, const std::string& field, int min, int max) const {
    const int n = static_cast<int>(list.size());
    if (n >= min && n <= max) return Status::Ok();
    std::string want = min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
    return Error(field, "expected " + want + " numbers, got " + std::to_string(list.size()));
  }

 private:
  bool Present(const Message& m, const std::string& path, const FieldDescriptor& f) const {
    if (f.is_repeated()) {
      return m.GetReflection()->FieldSize(m, &f) > 0 || lists_.count(JoinKey(path, f.name())) > 0;
    }
    return m.GetReflection()->HasField(m, &f);
  }
  // Protobuf reads `"tags":"a"` as the list ["a"]; the format always writes lists.
  Status WrittenAsList(const Message& m, const std::string& path, const FieldDescriptor& f) const {
    if (m.GetReflection()->FieldSize(m, &f) > 0 && lists_.count(JoinKey(path, f.name())) == 0) {
      return Error(JoinKey(path, f.name()), "expected a list, got a single value");
    }
    return Status::Ok();
  }

  std::string_view file_;
  int line_;
  std::set<std::string> lists_;
};

// Rewrites a protobuf JSON parser error into `FILE:LINE: field "x": ...`.
Status JsonError(std::string_view file, int line, const std::string& message) {
  const std::string where = std::string(file) + ":" + std::to_string(line) + ": ";
  // "(path): invalid value V for type TYPE_X"
  if (message.size() > 1 && message[0] == '(') {
    size_t close = message.find("): invalid value ");
    size_t type = message.rfind(" for type ");
    if (close != std::string::npos && type != std::string::npos && type > close) {
      std::string path = message.substr(1, close - 1);
      std::string value = message.substr(close + 17, type - close - 17);
      return InvalidArgument(where + "field \"" + path + "\": expected " +
                             ExpectedKindForProtoType(message.substr(type + 10)) + ", got " + value);
    }
  }
  // A list where a map (an object) belongs: "...Cannot bind a list to map for field 'x'."
  if (size_t pos = message.find("Cannot bind a list to map for field '"); pos != std::string::npos) {
    std::string name = message.substr(pos + 37, message.find('\'', pos + 37) - pos - 37);
    return InvalidArgument(where + "field \"" + name + "\": expected an object, got a list");
  }
  // "[(path) ]name: <what>": protobuf names the enclosing object, then the key.
  for (const auto& [marker, what] : {std::pair<std::string_view, std::string_view>{": Cannot find field.", "unknown field"},
                                     {": Proto field is not repeating", "expected a single value, got a list"}}) {
    size_t pos = message.find(marker);
    if (pos == std::string::npos) continue;
    std::string path;
    std::string name = message.substr(0, pos);
    if (size_t close = name.find(") "); !name.empty() && name[0] == '(' && close != std::string::npos) {
      path = name.substr(1, close - 1);
      name = name.substr(close + 2);
    }
    return InvalidArgument(where + "field \"" + JoinKey(path, name) + "\": " + std::string(what));
  }
  // A duplicate key: "...oneof field '_x' is already set. Cannot set 'x' for type oneof"
  if (size_t pos = message.find("Cannot set '"); pos != std::string::npos) {
    std::string path;
    if (!message.empty() && message[0] == '(') path = message.substr(1, message.find(')') - 1);
    std::string name = message.substr(pos + 12, message.find('\'', pos + 12) - pos - 12);
    return InvalidArgument(where + "field \"" + JoinKey(path, name) + "\": expected once, given twice");
  }
  return InvalidArgument(where + "invalid JSON: " + message.substr(0, message.find('\n')));
}

bool KnownEventType(const std::string& type, EventType* out) {
  for (EventType t : {EventType::kEnqueued, EventType::kAssigned, EventType::kPreempted,
                      EventType::kReprioritized, EventType::kCompleted, EventType::kUnassigned}) {
    if (EventTypeName(t) == type) {
      *out = t;
      return true;
    }
  }
  return false;
}

bool KnownReason(const std::string& reason) {
  for (CompletedReason r : {CompletedReason::kBotIdle, CompletedReason::kIdleTaskAbsent,
                            CompletedReason::kRunningTaskAbsent, CompletedReason::kInconsistentBotForTask,
                            CompletedReason::kInconsistentTaskForBot}) {
    if (CompletedReasonName(r) == reason) return true;
  }
  return false;
}

// Every number of `m` (at `path`) and of the messages inside it must be in
// the format's range: floats finite (protobuf's JSON reader takes "NaN",
// "Infinity" and "-Infinity" for a float field, which no trace writes and
// which no comparison could match) and the microsecond fields (`*_us`)
// within +-2^53 (docs/trace-format.md), so that the library's time
// arithmetic on them cannot overflow. The header's `policy` is a Struct,
// checked by ReadPolicy.
Status RequireInRange(const LineChecker& c, const Message& m, const std::string& path) {
  constexpr int64_t kMaxMicros = int64_t{1} << 53;
  const auto* descriptor = m.GetDescriptor();
  const auto* reflection = m.GetReflection();
  auto bad = [&](const std::string& field, double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", value);
    return c.Error(field, std::string("expected a finite number, got ") + buf);
  };
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    const std::string name = JoinKey(path, f->name());
    if (f->is_map()) continue;  // per_label_task_limits: string -> int32
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_FLOAT:
        if (f->is_repeated()) {
          for (int k = 0; k < reflection->FieldSize(m, f); ++k) {
            const float v = reflection->GetRepeatedFloat(m, f, k);
            if (!std::isfinite(v)) return bad(IndexKey(name, k), v);
          }
        } else if (reflection->HasField(m, f) && !std::isfinite(reflection->GetFloat(m, f))) {
          return bad(name, reflection->GetFloat(m, f));
        }
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        if (f->is_repeated()) {
          for (int k = 0; k < reflection->FieldSize(m, f); ++k) {
            const double v = reflection->GetRepeatedDouble(m, f, k);
            if (!std::isfinite(v)) return bad(IndexKey(name, k), v);
          }
        } else if (reflection->HasField(m, f) && !std::isfinite(reflection->GetDouble(m, f))) {
          return bad(name, reflection->GetDouble(m, f));
        }
        break;
      case FieldDescriptor::CPPTYPE_INT64: {
        const std::string& n = f->name();
        if (f->is_repeated() || n.size() < 3 || n.compare(n.size() - 3, 3, "_us") != 0 || !reflection->HasField(m, f)) {
          break;
        }
        const int64_t v = reflection->GetInt64(m, f);
        if (v < -kMaxMicros || v > kMaxMicros) {
          return c.Error(name, "expected microseconds within +-2^53 (" + std::to_string(kMaxMicros) + "), got " +
                                   std::to_string(v));
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (f->message_type()->full_name() == "google.protobuf.Struct") break;
        if (f->is_repeated()) {
          for (int k = 0; k < reflection->FieldSize(m, f); ++k) {
            QSIM_RETURN_IF_ERROR(RequireInRange(c, reflection->GetRepeatedMessage(m, f, k), IndexKey(name, k)));
          }
        } else if (reflection->HasField(m, f)) {
          QSIM_RETURN_IF_ERROR(RequireInRange(c, reflection->GetMessage(m, f), name));
        }
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Status CheckEvents(const LineChecker& c, const proto::TraceLine& line) {
  for (int i = 0; i < line.expect_events_size(); ++i) {
    const proto::TraceEvent& e = line.expect_events(i);
    const std::string path = IndexKey("expect_events", i);
    if (!e.has_type()) return c.Error(path + ".type", "expected a string, missing");
    EventType type;
    if (!KnownEventType(e.type(), &type)) {
      return c.Error(path + ".type",
                     "expected ENQUEUED, ASSIGNED, PREEMPTED, REPRIORITIZED, COMPLETED or UNASSIGNED, got \"" +
                         e.type() + "\"");
    }
    const std::string owner = "a " + e.type() + " event";
    switch (type) {
      case EventType::kEnqueued:
        QSIM_RETURN_IF_ERROR(c.ExactFields(e, path, {"type", "t_us", "task", "worker", "account", "tags"}, owner));
        break;
      case EventType::kAssigned:
        QSIM_RETURN_IF_ERROR(c.ExactFields(e, path,
                                           {"type", "t_us", "task", "worker", "account", "priority", "preempting",
                                            "provision_required", "preempted_task", "preemption_cost"},
                                           owner));
        QSIM_RETURN_IF_ERROR(
            c.Size(e.preemption_cost(), path + ".preemption_cost", e.preempting() ? 5 : 0, e.preempting() ? 5 : 0));
        break;
      case EventType::kPreempted:
        QSIM_RETURN_IF_ERROR(c.ExactFields(e, path,
                                           {"type", "t_us", "task", "worker", "account", "priority",
                                            "preempting_task", "preempting_account", "preempting_priority"},
                                           owner));
        break;
      case EventType::kReprioritized:
        QSIM_RETURN_IF_ERROR(c.ExactFields(
            e, path, {"type", "t_us", "task", "worker", "account", "old_priority", "new_priority"}, owner));
        break;
      case EventType::kCompleted:
        QSIM_RETURN_IF_ERROR(c.ExactFields(
            e, path, {"type", "t_us", "task", "worker", "account", "reason", "other_task", "other_bot"}, owner));
        if (!KnownReason(e.reason())) {
          return c.Error(path + ".reason",
                         "expected BOT_IDLE, IDLE_TASK_ABSENT, RUNNING_TASK_ABSENT, INCONSISTENT_BOT_FOR_TASK or "
                         "INCONSISTENT_TASK_FOR_BOT, got \"" +
                             e.reason() + "\"");
        }
        break;
      case EventType::kUnassigned:
        QSIM_RETURN_IF_ERROR(c.ExactFields(e, path, {"type", "t_us", "task", "worker", "account"}, owner));
        break;
    }
  }
  return Status::Ok();
}

Status CheckExpectedItems(const LineChecker& c, const proto::TraceLine& line, Names names) {
  for (int i = 0; i < line.expect_size(); ++i) {
    QSIM_RETURN_IF_ERROR(c.ExactFields(line.expect(i), IndexKey("expect", i), names, "this op's expect items"));
  }
  return Status::Ok();
}

Status CheckState(const LineChecker& c, const proto::TraceState& s) {
  const std::string path = "expect_state";
  QSIM_RETURN_IF_ERROR(c.ExactFields(
      s, path, {"last_update_us", "balances", "queued", "running", "idle", "worker_queues", "task_errors"},
      "expect_state"));
  for (int i = 0; i < s.balances_size(); ++i) {
    std::string p = IndexKey(path + ".balances", i);
    QSIM_RETURN_IF_ERROR(c.ExactFields(s.balances(i), p, {"account", "balance"}, "a balance"));
    QSIM_RETURN_IF_ERROR(c.Size(s.balances(i).balance(), p + ".balance", 5, 5));
  }
  for (int i = 0; i < s.running_size(); ++i) {
    std::string p = IndexKey(path + ".running", i);
    QSIM_RETURN_IF_ERROR(c.ExactFields(s.running(i), p, {"worker", "request", "priority", "cost"}, "a run"));
    QSIM_RETURN_IF_ERROR(c.Size(s.running(i).cost(), p + ".cost", 5, 5));
  }
  for (int i = 0; i < s.worker_queues_size(); ++i) {
    QSIM_RETURN_IF_ERROR(c.ExactFields(s.worker_queues(i), IndexKey(path + ".worker_queues", i),
                                       {"worker", "assign", "abort", "enqueue_us"}, "a worker queue"));
  }
  for (int i = 0; i < s.task_errors_size(); ++i) {
    QSIM_RETURN_IF_ERROR(
        c.ExactFields(s.task_errors(i), IndexKey(path + ".task_errors", i), {"request", "error"}, "a task error"));
  }
  return Status::Ok();
}

// add_account's optional limits: what Scheduler::AddAccount accepts, checked
// here so that a bad value is an input error with a line, not a mismatch.
Status CheckAccountLimits(const LineChecker& c, const proto::TraceLine& line) {
  if (line.max_fanout() < 0) {
    return c.Error("max_fanout", "expected an integer >= 0 (0 = no limit), got " + std::to_string(line.max_fanout()));
  }
  // Sorted, so that the first bad entry reported does not depend on the map's order.
  const std::map<std::string, int32_t> limits(line.per_label_task_limits().begin(),
                                              line.per_label_task_limits().end());
  for (const auto& [prefix, limit] : limits) {
    if (prefix.empty()) return c.Error("per_label_task_limits", "expected non-empty label prefixes, got \"\"");
    if (limit < 0) {
      return c.Error("per_label_task_limits." + prefix, "expected an integer >= 0, got " + std::to_string(limit));
    }
  }
  return Status::Ok();
}

std::string DescribeJson(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      // The shorter form when it reads back to the same double (1e+39, not 9.9999999999999994e+38).
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.15g", v.number_value());
      if (std::strtod(buf, nullptr) != v.number_value()) std::snprintf(buf, sizeof buf, "%.17g", v.number_value());
      return buf;
    }
    case google::protobuf::Value::kStringValue: return "\"" + v.string_value() + "\"";
    case google::protobuf::Value::kBoolValue: return v.bool_value() ? "true" : "false";
    case google::protobuf::Value::kStructValue: return "an object";
    case google::protobuf::Value::kListValue: return "a list";
    default: return "null";
  }
}

// Reads the header's `policy` object over the defaults. Its keys are the
// proto names of scheduler/policy_schema.h (durations in integer
// microseconds, `_us`), so a switch added there is readable here with no
// change. Every switch is optional; a key that names none is an error.
Status ReadPolicy(const LineChecker& c, const google::protobuf::Struct& object, Policy* policy) {
  std::set<std::string> known;
  Status status = Status::Ok();
  ForEachPolicyField(*policy, [&](PolicyFieldName name, auto& value) {
    const std::string key(name.proto);
    known.insert(key);
    auto it = object.fields().find(key);
    if (!status.ok() || it == object.fields().end()) return;
    const std::string path = "policy." + key;
    const google::protobuf::Value& v = it->second;
    const bool number = v.kind_case() == google::protobuf::Value::kNumberValue;
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, bool>) {
      if (v.kind_case() != google::protobuf::Value::kBoolValue) {
        status = c.Error(path, "expected true or false, got " + DescribeJson(v));
        return;
      }
      value = v.bool_value();
    } else if constexpr (std::is_same_v<T, float>) {
      if (!number || !std::isfinite(static_cast<float>(v.number_value()))) {
        status = c.Error(path, "expected a finite number, got " + DescribeJson(v));
        return;
      }
      value = static_cast<float>(v.number_value());
    } else {
      // Duration (microseconds) or int64_t: an integer. JSON numbers reach
      // us as doubles, exact up to 2^53, which no sensible value exceeds.
      constexpr double kExact = 9007199254740992.0;  // 2^53
      const double d = v.number_value();
      const int64_t min = std::is_same_v<T, Duration> ? 1 : 0;
      if (!number || d != std::floor(d) || d < static_cast<double>(min) || d > kExact) {
        status = c.Error(path, "expected an integer >= " + std::to_string(min) +
                                   (std::is_same_v<T, Duration> ? " (microseconds)" : "") + ", got " +
                                   DescribeJson(v));
        return;
      }
      if constexpr (std::is_same_v<T, Duration>) {
        value = Micros(static_cast<int64_t>(d));
      } else {
        static_assert(std::is_same_v<T, int64_t>);
        value = static_cast<int64_t>(d);
      }
    }
  });
  QSIM_RETURN_IF_ERROR(status);
  // The object's own order is a hash map's: report the byte-wise first unknown key.
  std::set<std::string> keys;
  for (const auto& entry : object.fields()) keys.insert(entry.first);
  for (const std::string& key : keys) {
    if (known.count(key) == 0) {
      std::string names;
      for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
      return c.Error("policy." + key, "unknown field (the policy switches are " + names + ")");
    }
  }
  if (policy->demote_threshold > policy->promote_threshold) {
    return c.Error("policy.demote_threshold", "expected <= promote_threshold");
  }
  return Status::Ok();
}

Status CheckOp(const LineChecker& c, const proto::TraceLine& line, OpKind kind) {
  const std::string owner = "op " + line.op();
  switch (kind) {
    case OpKind::kConfig:
      QSIM_RETURN_IF_ERROR(
          c.ExactFields(line, "", {"op", "disable_preemption", "bot_expiration_us", "expect_events"}, owner));
      if (line.bot_expiration_us() < 0) {
        return c.Error("bot_expiration_us", "expected >= 0, got " + std::to_string(line.bot_expiration_us()));
      }
      break;
    case OpKind::kAddAccount:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "",
                                         {"op", "account", "charge_rate", "max_charge_seconds", "disable_free_tasks",
                                          "initial_balance", "expect_events"},
                                         owner, {"max_fanout", "per_label_task_limits"}));
      QSIM_RETURN_IF_ERROR(c.Size(line.charge_rate(), "charge_rate", 5, 5));
      QSIM_RETURN_IF_ERROR(c.Size(line.initial_balance(), "initial_balance", 0, 5));
      QSIM_RETURN_IF_ERROR(CheckAccountLimits(c, line));
      break;
    case OpKind::kDeleteAccount:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "", {"op", "account", "expect_events"}, owner));
      break;
    case OpKind::kNotifyWaiting:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "",
                                         {"op", "t_us", "request", "account", "base_labels", "provisionable_labels",
                                          "enqueue_us", "tags", "expect_events"},
                                         owner));
      break;
    case OpKind::kNotifyRunning:
    case OpKind::kNotifyAbsent:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "", {"op", "t_us", "request", "worker", "expect_events"}, owner));
      break;
    case OpKind::kTaskError:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "", {"op", "request", "error", "expect_events"}, owner));
      break;
    case OpKind::kAssignTasks:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "", {"op", "t_us", "workers", "expect", "expect_events"}, owner));
      for (int i = 0; i < line.workers_size(); ++i) {
        QSIM_RETURN_IF_ERROR(c.ExactFields(line.workers(i), IndexKey("workers", i), {"id", "labels"}, "a worker"));
      }
      QSIM_RETURN_IF_ERROR(CheckExpectedItems(c, line, {"worker", "request", "provision_required"}));
      break;
    case OpKind::kCancellations:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "", {"op", "expect"}, owner));
      QSIM_RETURN_IF_ERROR(CheckExpectedItems(c, line, {"worker", "request", "error"}));
      break;
    case OpKind::kCheck:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "", {"op", "expect_state"}, owner));
      QSIM_RETURN_IF_ERROR(CheckState(c, line.expect_state()));
      break;
    case OpKind::kRoundtrip:
      QSIM_RETURN_IF_ERROR(c.ExactFields(line, "", {"op"}, owner));
      break;
  }
  return CheckEvents(c, line);
}

// Parsing the lines one call each costs protobuf a type lookup per line, most
// of the time of a replay; so the whole file is parsed as one message, with
// the lines as the items of one list. When each line is exactly one JSON
// object (checked by LineScanner), the batch parse succeeds if and only if
// every line would parse alone, giving the same messages. Any failure falls
// back to one line at a time, which finds the first bad line and its error.
bool ParseAllAtOnce(std::string_view text, const std::vector<std::string_view>& lines,
                    const google::protobuf::util::JsonParseOptions& options, proto::TraceFile* out) {
  std::string batch;
  batch.reserve(text.size() + 16);
  batch += "{\"lines\":[";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) return false;
    if (i > 0) batch += ',';
    batch += lines[i];
  }
  batch += "]}";
  return google::protobuf::util::JsonStringToMessage(batch, out, options).ok() &&
         out->lines_size() == static_cast<int>(lines.size());
}

}  // namespace

std::string_view OpName(OpKind kind) {
  for (const auto& [name, k] : kOps) {
    if (k == kind) return name;
  }
  return "?";
}

namespace {

Status Located(std::string_view file, size_t line_number, const std::string& what) {
  return InvalidArgument(std::string(file) + ":" + std::to_string(line_number) + ": " + what);
}

// The trace's lines, each bounded in length and scanned for depth before
// protobuf reads any of them. The first line too long, empty or too deep ends
// the split; its error is kept in `bad_line`, to be returned once the lines
// before it have been checked, so that the first bad line is the one reported.
struct SplitLines {
  std::vector<std::string_view> lines;
  std::vector<LineScanner> scans;
  std::optional<Status> bad_line;
};

SplitLines SplitAndScan(std::string_view text, std::string_view file) {
  SplitLines out;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view raw = text.substr(pos, end - pos);
    const size_t line_number = out.lines.size() + 1;
    if (raw.size() > kMaxTraceLineBytes) {
      out.bad_line = Located(file, line_number, "line of " + std::to_string(raw.size()) + " bytes, longer than the " +
                                                    std::to_string(kMaxTraceLineBytes >> 10) +
                                                    " KiB a trace line may be");
      break;
    }
    if (raw.empty()) {
      out.bad_line = Located(file, line_number, "empty line (expected one JSON object per line)");
      break;
    }
    LineScanner scan(raw);
    if (scan.too_deep()) {
      out.bad_line = Located(file, line_number, "column " + std::to_string(scan.too_deep_column()) +
                                                    ": lists and objects nested more than " +
                                                    std::to_string(kMaxTraceNesting) + " deep");
      break;
    }
    out.lines.push_back(raw);
    out.scans.push_back(std::move(scan));
    pos = end + 1;
  }
  return out;
}

// One line as a message: taken from the batch parse when it had it, else
// parsed alone (which locates the error); then the scan's own findings.
Status ParseLine(std::string_view raw, std::string_view file, int line_number, LineScanner& scan,
                 proto::TraceFile* batch, bool batch_ok, const google::protobuf::util::JsonParseOptions& options,
                 proto::TraceLine* line) {
  if (batch_ok && scan.one_object()) {
    *line = std::move(*batch->mutable_lines(line_number - 1));
  } else {
    auto parsed = google::protobuf::util::JsonStringToMessage(google::protobuf::StringPiece(raw.data(), raw.size()),
                                                              line, options);
    if (!parsed.ok()) {
      // A key given twice inside a map or the policy object stops protobuf
      // itself; the scan names it with its full path.
      const std::string message(parsed.message());
      if (message.find("Repeated map key") != std::string::npos && !scan.problem().empty()) {
        return Located(file, line_number, scan.problem());
      }
      return JsonError(file, line_number, message);
    }
    if (!scan.one_object()) return JsonError(file, line_number, "expected one JSON object");
  }
  if (!scan.problem().empty()) return Located(file, line_number, scan.problem());
  return Status::Ok();
}

Status ReadHeader(const LineChecker& checker, const proto::TraceLine& line, Trace* trace) {
  QSIM_RETURN_IF_ERROR(checker.ExactFields(line, "",
                                           {"kind", "format", "name", "seed", "start_us", "reference",
                                            "description"},
                                           "the header", {"policy"}));
  if (line.kind() != "header") return checker.Error("kind", "expected \"header\", got \"" + line.kind() + "\"");
  if (line.format() != kFormat) {
    return checker.Error("format", "expected \"" + std::string(kFormat) + "\", got \"" + line.format() + "\"");
  }
  trace->name = line.name();
  trace->start_us = line.start_us();
  return ReadPolicy(checker, line.policy(), &trace->policy);
}

StatusOr<OpKind> ReadOpKind(const LineChecker& checker, const proto::TraceLine& line) {
  if (!line.has_op()) {
    return checker.Error("op", line.has_kind() ? "expected an op (only line 1 is the header), missing"
                                               : "expected a string, missing");
  }
  auto known = std::find_if(kOps.begin(), kOps.end(), [&](const auto& op) { return op.first == line.op(); });
  if (known == kOps.end()) {
    std::string names;
    for (const auto& op : kOps) names += (names.empty() ? "" : ", ") + std::string(op.first);
    return checker.Error("op", "expected one of " + names + "; got \"" + line.op() + "\"");
  }
  return known->second;
}

}  // namespace

StatusOr<Trace> ParseTrace(std::string_view text, std::string_view file) {
  if (text.size() > kMaxTraceBytes) {
    return InvalidArgument(std::string(file) + ": " + std::to_string(text.size()) + " bytes, more than the " +
                           std::to_string(kMaxTraceBytes >> 20) + " MiB a trace may hold");
  }
  SplitLines split = SplitAndScan(text, file);
  if (split.lines.empty() && !split.bad_line) {
    return InvalidArgument(std::string(file) + ":1: empty trace (expected a header line)");
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  proto::TraceFile batch;
  const bool batch_ok = !split.bad_line && ParseAllAtOnce(text, split.lines, options, &batch);

  Trace trace;
  for (size_t i = 0; i < split.lines.size(); ++i) {
    const int line_number = static_cast<int>(i) + 1;
    proto::TraceLine line;
    QSIM_RETURN_IF_ERROR(
        ParseLine(split.lines[i], file, line_number, split.scans[i], &batch, batch_ok, options, &line));
    LineChecker checker(file, line_number, split.scans[i].TakeLists());
    QSIM_RETURN_IF_ERROR(RequireInRange(checker, line, ""));
    if (line_number == 1) {
      QSIM_RETURN_IF_ERROR(ReadHeader(checker, line, &trace));
      continue;
    }
    StatusOr<OpKind> kind = ReadOpKind(checker, line);
    if (!kind.ok()) return kind.status();
    QSIM_RETURN_IF_ERROR(CheckOp(checker, line, *kind));
    trace.ops.push_back(TraceOp{line_number, *kind, std::move(line)});
  }
  if (split.bad_line) return *split.bad_line;
  return trace;
}

}  // namespace qsim::replay::internal
