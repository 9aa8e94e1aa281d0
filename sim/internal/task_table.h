// Every task of one run, by id, and the dispatcher's queue of pending tasks.
// Internal to sim/.
//
// A task is pending (in the queue, counted for its account), running (on one
// bot) or done (with an outcome); the transitions below are the only ways
// between those states, and Audit checks the table against them at the end.
// Tasks are named t00000000, t00000001, ... by id.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/time.h"
#include "runfolder/measured.h"
#include "scheduler/types.h"
#include "sim/internal/epoch.h"
#include "sim/internal/id_set.h"
#include "sim/sim.h"

namespace qsim::sim {

enum class TaskState : uint8_t { kPending, kRunning, kDone };

struct Task {
  Time enqueue{}, first_assigned = kNever, start = kNever, end = kNever, claim = kNever;
  Duration duration{};
  Duration wasted{};  // bot time of runs that were preempted
  int32_t bot = -1;
  uint32_t account = 0;
  uint32_t workload = 0;
  uint32_t base_labels = 0, prov_labels = 0;  // TaskTable::labels() indices
  int32_t times_preempted = 0, times_unassigned = 0;
  int16_t deaths = 0;
  int8_t assigned_priority = -1, start_priority = -1;
  bool provision_needed = false;
  bool measured = false;  // enqueued after the warm-up
  TaskState state = TaskState::kPending;
  Outcome outcome = Outcome::kUnfinished;
};

// Writes "t%08u" into *out without printf: names are formatted for every
// notification, and nine characters fit the string's inline buffer.
void FormatTaskName(uint32_t id, std::string* out);
inline constexpr size_t kMaxTaskName = 11;  // "t" and up to 10 digits
// The same into `out`, returning the length.
size_t FormatTaskName(uint32_t id, char (&out)[kMaxTaskName]);
std::string TaskName(uint32_t id);

class TaskTable {
 public:
  TaskTable(size_t accounts, Time window_start) : pending_by_account_(accounts, 0), window_start_(window_start) {}

  // Label sets are stored once and named by index.
  uint32_t InternLabels(const LabelSet& labels);
  const LabelSet& labels(uint32_t index) const { return label_sets_[index]; }

  // A new pending task enqueued at `now`; returns its id.
  uint32_t Add(Time now, uint32_t workload, uint32_t account, uint32_t base, uint32_t prov, Duration duration);
  // pending -> running on `bot`, claimed at `now`.
  void Claim(uint32_t id, int32_t bot, Time now);
  // running -> pending (preempted and re-queued, or its bot died).
  void Requeue(uint32_t id);
  // pending or running -> done.
  void End(uint32_t id, Outcome outcome, Time end);

  Task& operator[](uint32_t id) { return tasks_[id]; }
  const Task& operator[](uint32_t id) const { return tasks_[id]; }
  size_t size() const { return tasks_.size(); }
  // Calls fn(id) for each pending task by increasing id. `fn` must not
  // change the queue.
  template <typename Fn>
  void ForEachPending(Fn&& fn) {
    pending_.ForEach(fn);
  }
  int64_t pending_of(uint32_t account) const { return pending_by_account_[account]; }

  // The id of a task named by TaskName; -1 if the name is not one of ours.
  int64_t Parse(const std::string& name) const;

  // Reports (message, account) for each task whose state disagrees with the
  // queue or with `bot_task` (the task a bot holds, -1 for none), and a queue
  // holding tasks that are not pending. Messages start with `at`.
  void Audit(const std::string& at, const std::function<int32_t(int32_t bot)>& bot_task,
             const std::function<void(const std::string&, int32_t account)>& violation) const;

 private:
  std::vector<Task> tasks_;
  IdSet pending_;
  std::vector<int64_t> pending_by_account_;
  Time window_start_;
  std::vector<LabelSet> label_sets_;
  std::map<LabelSet, uint32_t> label_index_;
};

// ---------------------------------------------------------------- inline: the per-task hot path

inline size_t FormatTaskName(uint32_t id, char (&out)[kMaxTaskName]) {
  // Below 10^8 (all but the largest runs sim/limits.h allows) the name is
  // exactly eight digits, written two at a time from a table: the
  // dispatcher's re-notification of a deep queue names every pending task
  // each minute.
  if (id < 100'000'000) {
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    out[0] = 't';
    for (int at = 7; at > 0; at -= 2) {
      const uint32_t pair = id % 100;
      id /= 100;
      out[at] = kPairs[2 * pair];
      out[at + 1] = kPairs[2 * pair + 1];
    }
    return 9;
  }
  char digits[10];
  char* end = std::to_chars(digits, digits + sizeof digits, id).ptr;
  size_t n = static_cast<size_t>(end - digits);
  size_t zeros = n < 8 ? 8 - n : 0;
  out[0] = 't';
  std::fill_n(out + 1, zeros, '0');
  std::copy_n(digits, n, out + 1 + zeros);
  return 1 + zeros + n;
}

inline void FormatTaskName(uint32_t id, std::string* out) {
  char name[kMaxTaskName];
  out->assign(name, FormatTaskName(id, name));
}

inline std::string TaskName(uint32_t id) {
  std::string name;
  FormatTaskName(id, &name);
  return name;
}

inline int64_t TaskTable::Parse(const std::string& name) const {
  if (name.size() < 2 || name[0] != 't') return -1;
  uint32_t id = 0;
  auto r = std::from_chars(name.data() + 1, name.data() + name.size(), id);
  if (r.ec != std::errc() || r.ptr != name.data() + name.size() || id >= tasks_.size()) return -1;
  return id;
}

inline uint32_t TaskTable::Add(Time now, uint32_t workload, uint32_t account, uint32_t base, uint32_t prov,
                               Duration duration) {
  uint32_t id = static_cast<uint32_t>(tasks_.size());
  Task t;
  t.enqueue = now;
  t.duration = duration;
  t.account = account;
  t.workload = workload;
  t.base_labels = base;
  t.prov_labels = prov;
  // summary.csv's rule, shared with the readers of tasks.csv.
  t.measured = runfolder::InMeasuredWindow(ToMicros(Since(t.enqueue)), ToMicros(Since(window_start_)));
  tasks_.push_back(t);
  pending_.Insert(id);
  ++pending_by_account_[account];
  return id;
}

inline void TaskTable::Claim(uint32_t id, int32_t bot, Time now) {
  Task& t = tasks_[id];
  pending_.Erase(id);
  --pending_by_account_[t.account];
  t.state = TaskState::kRunning;
  t.bot = bot;
  t.claim = now;
  t.start_priority = t.assigned_priority;
}

inline void TaskTable::Requeue(uint32_t id) {
  Task& t = tasks_[id];
  t.state = TaskState::kPending;
  t.bot = -1;
  pending_.Insert(id);
  ++pending_by_account_[t.account];
}

inline void TaskTable::End(uint32_t id, Outcome outcome, Time end) {
  Task& t = tasks_[id];
  if (t.state == TaskState::kPending) {
    pending_.Erase(id);
    --pending_by_account_[t.account];
  }
  t.state = TaskState::kDone;
  t.outcome = outcome;
  t.end = end;
  t.bot = -1;
}

}  // namespace qsim::sim
