// The reconciler: the seed API a pulling dispatcher calls (spec §6). It sits
// on top of a Scheduler, keeps each worker's pending assignment until the bot
// acknowledges it (or WorkerQueueTimeout passes), and the task errors to
// report as cancellations.
//
// Typical use, per batch of bot polls:
//   auto assignments = state.AssignTasks(scheduler, now, &sink, idle_workers);
// and, as the dispatcher learns things, NotifyTaskWaiting / NotifyTaskRunning /
// NotifyTaskAbsent / AddTaskError, and Cancellations() to find what to abort.
#pragma once

#include <iterator>
#include <map>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "scheduler/scheduler.h"

namespace qsim::reconciler {

// The default time a pending assignment waits for its acknowledgement; the
// policy switch worker_queue_timeout overrides it.
inline constexpr Duration WorkerQueueTimeout = Minutes(10);

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

// Pending assignments by worker id. Ordered, because timeouts, aborts and
// snapshots visit them by worker id; with a set of the ids beside, because
// every poll looks its worker up and almost none has one, and a miss in the
// set costs a hash where a miss in the map cost a dozen string compares.
class WorkerQueueTable {
 public:
  using Map = std::map<std::string, WorkerQueue>;
  const Map& map() const { return map_; }
  Map::iterator begin() { return map_.begin(); }
  Map::iterator end() { return map_.end(); }
  Map::iterator find(const std::string& worker) {
    return ids_.contains(worker) ? map_.find(worker) : map_.end();
  }
  // Adds or replaces; true if it added.
  bool Set(const std::string& worker, WorkerQueue q) {
    auto [it, added] = map_.insert_or_assign(worker, std::move(q));
    if (added) ids_.insert(worker);
    return added;
  }
  Map::iterator Erase(Map::iterator it) {
    ids_.erase(it->first);
    return map_.erase(it);
  }
  template <typename Pred>
  void EraseIf(Pred pred) {
    for (auto it = map_.begin(); it != map_.end();) it = pred(*it) ? Erase(it) : std::next(it);
  }

 private:
  Map map_;
  std::unordered_set<std::string> ids_;  // the keys of map_
};

}  // namespace qsim::reconciler

namespace qsim::proto {
class ReconcilerState;
}

namespace qsim::reconciler {

class State {
 public:
  static State New();
  static StatusOr<State> NewFromProto(const proto::ReconcilerState& state);
  proto::ReconcilerState ToProto() const;

  // Times out stale pending assignments, updates the scheduler's time, marks
  // the given workers idle (unless they hold a valid pending assignment), runs
  // one pass, and returns one assignment per given worker that now has one,
  // in the order of `workers`. Errors (nothing changed): an empty or repeated
  // worker id.
  StatusOr<std::vector<Assignment>> AssignTasks(Scheduler& scheduler, Time t, EventSink* events,
                                                std::span<const IdleWorker> workers);

  Status NotifyTaskWaiting(Scheduler& scheduler, EventSink* events, const TaskWaitingRequest& r);
  Status NotifyTaskRunning(Scheduler& scheduler, EventSink* events, const TaskRunningRequest& r);
  Status NotifyTaskAbsent(Scheduler& scheduler, EventSink* events, const TaskAbsentRequest& r);

  // Remembers an error for `request` until it is reported absent.
  Status AddTaskError(const std::string& request, const std::string& message);

  // Aborts (by worker id), then task errors (by request id).
  std::vector<Cancellation> Cancellations() const;

  const std::map<std::string, WorkerQueue>& worker_queues() const { return worker_queues_.map(); }
  const std::map<std::string, std::string>& task_errors() const { return task_errors_; }

 private:
  WorkerQueueTable worker_queues_;
  std::map<std::string, std::string> task_errors_;    // request id -> message
};

}  // namespace qsim::reconciler
