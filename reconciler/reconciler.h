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

#include <algorithm>
#include <functional>
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
// snapshots visit them by worker id. Every poll looks its worker up and
// almost none has an entry, so the keys' hashes are kept beside, in a hash
// set of their own: a caller that has hashed the id already learns of a miss
// without hashing it again or comparing a string. Two more summaries let the
// scans that run on every poll batch and every finished task skip a table
// with nothing for them.
class WorkerQueueTable {
 public:
  using Map = std::map<std::string, WorkerQueue>;
  using const_iterator = Map::const_iterator;
  static size_t Hash(const std::string& worker) { return std::hash<std::string>{}(worker); }

  const Map& map() const { return map_; }
  const_iterator end() const { return map_.end(); }
  // `hash` is Hash(worker).
  const_iterator find(const std::string& worker, size_t hash) const {
    return hashes_.find(hash) != hashes_.end() ? map_.find(worker) : map_.end();
  }
  const_iterator find(const std::string& worker) const { return find(worker, Hash(worker)); }
  // Adds or replaces.
  void Set(const std::string& worker, WorkerQueue q);
  // Adds; false (and no change) if `worker` already has an entry.
  bool Add(const std::string& worker, WorkerQueue q);
  const_iterator Erase(const_iterator it);

  // Calls expired(worker, queue) and erases, in ascending worker id, every
  // entry whose assignment has waited `timeout` or longer at `t`.
  template <typename Fn>
  void EraseExpired(Time t, Duration timeout, Fn expired) {
    if (map_.empty() || t - earliest_enqueue_ < timeout) return;
    earliest_enqueue_ = Time::max();
    for (auto it = map_.cbegin(); it != map_.cend();) {
      if (t - it->second.enqueue_time >= timeout) {
        expired(it->first, it->second);
        it = Erase(it);
      } else {
        earliest_enqueue_ = std::min(earliest_enqueue_, it->second.enqueue_time);
        ++it;
      }
    }
  }
  // Erases, in ascending worker id, every entry that aborts `request` and was
  // made before `t`.
  void EraseAbortsOf(const std::string& request, Time t);

 private:
  void Count(const WorkerQueue& q, int delta) { with_abort_ += q.task_to_abort.empty() ? 0 : delta; }

  Map map_;
  // Hash() of every key, repeats kept. Lookup only: its order never escapes.
  std::unordered_multiset<size_t> hashes_;
  // No entry's enqueue time is earlier (a bound, made exact by EraseExpired).
  Time earliest_enqueue_ = Time::max();
  size_t with_abort_ = 0;  // entries with a task to abort
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
  // What NotifyTaskWaiting hands the scheduler, reused: a dispatcher
  // re-notifies every pending task again and again, and assigning into the
  // same strings and vectors allocates nothing once they have grown. Holds
  // no state between calls.
  RequestSpec waiting_spec_;
};

}  // namespace qsim::reconciler
