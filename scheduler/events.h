// Scheduler events (docs/scheduler.md §8) and the sink that receives them. The scheduler
// emits events synchronously, in the order the spec defines; a null sink
// means "nobody listens" and costs nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/types.h"

namespace qsim {

enum class EventType { kEnqueued, kAssigned, kPreempted, kReprioritized, kCompleted, kUnassigned };

enum class CompletedReason {
  kNone,
  kBotIdle,
  kIdleTaskAbsent,
  kRunningTaskAbsent,
  kInconsistentBotForTask,
  kInconsistentTaskForBot,
};

std::string_view EventTypeName(EventType type);          // "ENQUEUED", ...
std::string_view CompletedReasonName(CompletedReason r);  // "BOT_IDLE", ...

// One event. Fields that a type does not use keep their defaults.
struct TaskEvent {
  EventType type = EventType::kEnqueued;
  Time time{};
  std::string task;     // request id
  std::string account;  // the request's account id ("" if none)
  std::optional<Balance> account_balance;  // set if the account has a balance
  LabelSet task_base_labels;
  LabelSet task_provisionable_labels;
  std::string worker;  // "" when the event has no worker
  LabelSet worker_labels;
  Balance cost{};      // the run's cost, for events about a running worker

  // ENQUEUED
  std::vector<std::string> tags;
  // ASSIGNED
  Priority priority = 0;  // also PREEMPTED: the victim's priority
  bool preempting = false;
  bool provision_required = false;
  std::string preempted_task;
  Balance preemption_cost{};
  // PREEMPTED
  std::string preempting_task;
  std::string preempting_account;
  Priority preempting_priority = 0;
  // REPRIORITIZED: the true new priority (the reference writes p + 1 on promotions).
  Priority old_priority = 0;
  Priority new_priority = 0;
  // COMPLETED
  CompletedReason reason = CompletedReason::kNone;
  std::string other_task;
  std::string other_bot;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnEvent(const TaskEvent& event) = 0;
};

// Keeps every event, in order. Handy for tests and the trace replayer.
class RecordingEventSink final : public EventSink {
 public:
  void OnEvent(const TaskEvent& event) override { events.push_back(event); }
  std::vector<TaskEvent> events;
};

}  // namespace qsim
