#include "production/internal/log_rows.h"

#include <cctype>

#include "production/internal/json_message.h"

namespace qsim::production::internal {
namespace {

using Type = TaskEvent::EventType;

Status Bad(const std::string& field, const std::string& message) {
  return InvalidArgument("field \"" + field + "\": " + message);
}

// What a scenario and the run folder can carry (scenarios/README.md, Names
// and Labels): checked here so the error points at the row, not at the
// scenario import writes.
std::string LabelProblem(const std::string& label) {
  if (label.empty()) return "is empty";
  for (char c : label) {
    if (c == ';' || c == ',') return std::string("holds '") + c + "', which separates labels in a scenario's task log";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "holds a control character";
  }
  return "";
}

std::string AccountProblem(const std::string& id) {
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return "\"" + id + "\" may hold only letters, digits, '.', '_' and '-' (a scenario's account ids)";
    }
  }
  if (!id.empty() && id[0] == '.') return "\"" + id + "\" must not start with '.'";
  if (id.find("..") != std::string::npos) return "\"" + id + "\" must not contain \"..\"";
  if (id.size() > 100) return "is longer than 100 characters (a scenario's names)";
  return "";
}

Status CheckLabels(const std::string& field, const google::protobuf::RepeatedPtrField<std::string>& labels) {
  for (int i = 0; i < labels.size(); ++i) {
    if (std::string p = LabelProblem(labels[i]); !p.empty()) {
      return Bad(field + "[" + std::to_string(i) + "]", "label \"" + labels[i] + "\" " + p);
    }
  }
  return Status::Ok();
}

Status CheckPriority(const std::string& field, int32_t p) {
  if (p < 0 || p > 5) return Bad(field, "priority " + std::to_string(p) + " is outside 0..5");
  return Status::Ok();
}

// The details field a row of `type` may carry.
TaskEvent::DetailsCase DetailsFor(int type) {
  switch (type) {
    case TaskEvent::SWARMING_ENQUEUED: return TaskEvent::kEnqueuedDetails;
    case TaskEvent::SWARMING_COMPLETED: return TaskEvent::kCompletedDetails;
    case TaskEvent::QSCHEDULER_ASSIGNED: return TaskEvent::kAssignedDetails;
    case TaskEvent::QSCHEDULER_PREEMPTED: return TaskEvent::kPreemptedDetails;
    case TaskEvent::QSCHEDULER_REPRIORITIZED: return TaskEvent::kReprioritizedDetails;
    case TaskEvent::QSCHEDULER_UNASSIGNED: return TaskEvent::kUnassignedDetails;
    default: return TaskEvent::DETAILS_NOT_SET;
  }
}

Status CheckDetails(const TaskEvent& e) {
  if (e.details_case() != TaskEvent::DETAILS_NOT_SET && e.details_case() != DetailsFor(e.event_type())) {
    const auto* field = TaskEvent::descriptor()->FindFieldByNumber(e.details_case());
    return Bad(field->name(), "does not belong on a " + TaskEvent::EventType_Name(e.event_type()) + " row");
  }
  if (e.has_assigned_details()) {
    if (Status s = CheckPriority("assigned_details.priority", e.assigned_details().priority()); !s.ok()) return s;
  }
  if (e.has_preempted_details()) {
    const auto& d = e.preempted_details();
    if (Status s = CheckPriority("preempted_details.priority", d.priority()); !s.ok()) return s;
    if (Status s = CheckPriority("preempted_details.preempting_priority", d.preempting_priority()); !s.ok()) return s;
  }
  if (e.has_reprioritized_details()) {
    const auto& d = e.reprioritized_details();
    if (Status s = CheckPriority("reprioritized_details.old_priority", d.old_priority()); !s.ok()) return s;
    if (Status s = CheckPriority("reprioritized_details.new_priority", d.new_priority()); !s.ok()) return s;
  }
  if (e.has_enqueued_details()) return CheckLabels("enqueued_details.tags", e.enqueued_details().tags());
  return Status::Ok();
}

// The time must be within years 1..9999 (what RFC 3339 can write).
Status CheckTime(const TaskEvent& e) {
  if (!e.has_time()) return Bad("time", "missing (every row needs one)");
  const int64_t s = e.time().seconds();
  if (s < -62135596800 || s > 253402300799 || e.time().nanos() < 0 || e.time().nanos() > 999999999) {
    return Bad("time", "outside years 1 to 9999");
  }
  if (e.time().nanos() % 1000 != 0) return Bad("time", "is finer than a microsecond");
  return Status::Ok();
}

}  // namespace

Status CheckRow(const TaskEvent& e) {
  if (e.event_type() == TaskEvent::EVENT_TYPE_UNSPECIFIED) return Bad("event_type", "missing (every row needs one)");
  if (e.task_id().empty()) return Bad("task_id", "missing (every row needs one)");
  if (Status s = CheckTime(e); !s.ok()) return s;
  const bool needs_bot =
      e.event_type() == TaskEvent::QSCHEDULER_ASSIGNED || e.event_type() == TaskEvent::QSCHEDULER_PREEMPTED;
  if (needs_bot && e.bot_id().empty()) {
    return Bad("bot_id", "missing (a " + TaskEvent::EventType_Name(e.event_type()) + " row names its bot)");
  }
  if (std::string p = AccountProblem(e.account_id()); !p.empty()) return Bad("account_id", p);
  if (Status s = CheckLabels("base_labels", e.base_labels()); !s.ok()) return s;
  if (Status s = CheckLabels("provisionable_labels", e.provisionable_labels()); !s.ok()) return s;
  if (Status s = CheckLabels("bot_dimensions", e.bot_dimensions()); !s.ok()) return s;
  return CheckDetails(e);
}

Status AddJsonLine(std::string_view line, const std::string& where, LogRows* rows) {
  if (line.size() > kMaxLogLineBytes) {
    return InvalidArgument(where + ": the line is longer than " + std::to_string(kMaxLogLineBytes) +
                           " bytes (docs/limits.md)");
  }
  TaskEvent event;
  std::vector<UnknownEnum> unknown;
  if (Status s = JsonToMessage(line, &event, &unknown); !s.ok()) return s.WithContext(where);
  for (const UnknownEnum& u : unknown) {
    if (u.field == "event_type") {
      ++rows->unknown_event_types[u.value];
      return Status::Ok();
    }
    if (u.field == "completed_details.reason") {
      ++rows->unknown_reasons[u.value];
    } else {
      return InvalidArgument(where + ": field \"" + u.field + "\": unknown value \"" + u.value + "\"");
    }
  }
  if (Status s = CheckRow(event); !s.ok()) return s.WithContext(where);
  rows->events.push_back(std::move(event));
  rows->where.push_back(where);
  return Status::Ok();
}

Status AddBinaryEventList(const std::string& bytes, const std::string& file, LogRows* rows) {
  EventList list;
  if (!list.ParseFromString(bytes)) {
    return InvalidArgument(file + ": not a binary EventList (protobuf cannot parse it; a JSON log is one object "
                                  "per line starting with '{')");
  }
  for (int i = 0; i < list.events_size(); ++i) {
    TaskEvent& event = *list.mutable_events(i);
    const std::string where = file + ": event " + std::to_string(i + 1);
    if (!TaskEvent::EventType_IsValid(event.event_type())) {
      ++rows->unknown_event_types[std::to_string(event.event_type())];
      continue;
    }
    if (event.has_completed_details() &&
        !TaskEvent::CompletedDetails::Reason_IsValid(event.completed_details().reason())) {
      ++rows->unknown_reasons[std::to_string(event.completed_details().reason())];
      event.mutable_completed_details()->set_reason(TaskEvent::CompletedDetails::REASON_UNSPECIFIED);
    }
    if (Status s = CheckRow(event); !s.ok()) return s.WithContext(where);
    rows->events.push_back(std::move(event));
    rows->where.push_back(where);
  }
  return Status::Ok();
}

}  // namespace qsim::production::internal
