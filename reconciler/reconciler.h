// The reconciler: the seed API a pulling dispatcher calls (docs/scheduler.md §6). It sits
// on top of a Scheduler, keeps each worker's pending assignment until the bot
// acknowledges it (or the worker queue timeout passes), and the task errors
// to report as cancellations.
//
// Typical use, per batch of bot polls:
//   auto assignments = state.AssignTasks(scheduler, now, &sink, idle_workers);
// and, as the dispatcher learns things, NotifyTaskWaiting / NotifyTaskRunning /
// NotifyTaskAbsent / AddTaskError, and Cancellations() to find what to abort.
// ToProto / NewFromProto give the lossless persistent form; restart.h
// round-trips both states through bytes.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "reconciler/internal/worker_queue_table.h"
#include "scheduler/scheduler.h"

namespace qsim::proto {
class ReconcilerState;
}

namespace qsim::reconciler {

// --- value types ---

// One poll: a bot asking for work, with the labels it reports now.
struct IdleWorker {
  std::string id;
  std::vector<std::string> labels;
};

struct Assignment {
  std::string worker;
  std::string request;
  bool provision_required = false;  // against the labels given to AssignTasks
  bool operator==(const Assignment&) const = default;
};

// Either an abort (worker set, error empty) or a task error (worker empty).
struct Cancellation {
  std::string worker;
  std::string request;
  std::string error;
  bool operator==(const Cancellation&) const = default;
};

struct TaskWaitingRequest {
  std::string account;
  std::vector<std::string> base_labels;
  std::vector<std::string> provisionable_labels;
  Time enqueue_time{};
  std::string request;
  std::vector<std::string> tags;
  Time time{};
};

struct TaskRunningRequest {
  std::string request;
  std::string worker;
  Time time{};
};

struct TaskAbsentRequest {
  std::string request;
  std::string worker;  // what the dispatcher knew; not used by the scheduler
  Time time{};
};

// A worker's pending assignment.
struct WorkerQueue {
  std::string task_to_assign;
  std::string task_to_abort;  // "" when nothing is to be aborted
  Time enqueue_time{};
  bool operator==(const WorkerQueue&) const = default;
};

// The default time a pending assignment waits for its acknowledgement; the
// policy switch worker_queue_timeout overrides it.
inline constexpr Duration WorkerQueueTimeout = Minutes(10);

// --- the seed API ---

class State {
 public:
  static State New();
  // Restores a state written by ToProto. Fails with kDataLoss on an entry
  // with an empty id, or a repeated worker or request.
  static StatusOr<State> NewFromProto(const proto::ReconcilerState& state);
  // Both tables, sorted by key.
  proto::ReconcilerState ToProto() const;

  // Times out stale pending assignments, updates the scheduler's time, marks
  // the given workers idle (unless they hold a valid pending assignment), runs
  // one pass, and returns one assignment per given worker that now has one,
  // in the order of `workers`. Each entry of `workers` is one poll: a worker
  // given twice is handled twice, in turn (when it is marked idle, the pass
  // sees its last entry's labels), and each entry gets its answer, judged
  // against that entry's labels (docs/historic-switches.md). Error (nothing
  // changed): an empty worker id.
  StatusOr<std::vector<Assignment>> AssignTasks(Scheduler& scheduler, Time t, EventSink* events,
                                                std::span<const IdleWorker> workers);

  Status NotifyTaskWaiting(Scheduler& scheduler, EventSink* events, const TaskWaitingRequest& r);
  // NotifyTaskWaiting's common case, by name alone, for a run of requests
  // all notified at `t`: confirms requests[0], requests[1], ... exactly as
  // NotifyTaskWaiting would, while each is queued in the scheduler (and
  // not empty), and returns how many it confirmed. The caller then sends the
  // first unconfirmed one in full with NotifyTaskWaiting and goes on after
  // it. A dispatcher re-notifying thousands of pending tasks thus builds no
  // request for most of them, and their lookups run back to back.
  size_t ConfirmWaiting(Scheduler& scheduler, std::span<const std::string_view> requests, Time t);
  Status NotifyTaskRunning(Scheduler& scheduler, EventSink* events, const TaskRunningRequest& r);
  Status NotifyTaskAbsent(Scheduler& scheduler, EventSink* events, const TaskAbsentRequest& r);

  // Remembers an error for `request` until it is reported absent.
  Status AddTaskError(const std::string& request, const std::string& message);

  // Aborts (by worker id), then task errors (by request id).
  std::vector<Cancellation> Cancellations() const;

  const std::map<std::string, WorkerQueue>& worker_queues() const { return worker_queues_.map(); }
  const std::map<std::string, std::string>& task_errors() const { return task_errors_; }

 private:
  using QueueTable = internal::WorkerQueueTable<WorkerQueue>;
  QueueTable worker_queues_;
  std::map<std::string, std::string> task_errors_;  // request id -> message
  // What NotifyTaskWaiting hands the scheduler, reused: a dispatcher
  // re-notifies every pending task again and again, and assigning into the
  // same strings and vectors allocates nothing once they have grown. Holds
  // no state between calls.
  RequestSpec waiting_spec_;
  // AssignTasks' QueueTable::Hash of each polled worker id, reused likewise:
  // holds no state between calls.
  std::vector<uint64_t> poll_hashes_;
};

}  // namespace qsim::reconciler
