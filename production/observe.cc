// From checked TaskEvent rows to an ObservedLog: the pool chosen, duplicates
// dropped, rows ordered by time, then each task's and bot's story followed
// row by row. Every row changed or left out is counted in a warning.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <unordered_set>

#include "production/import.h"

namespace qsim::production {
namespace {

int64_t Micros(const google::protobuf::Timestamp& t) { return t.seconds() * 1000000 + t.nanos() / 1000; }

std::vector<std::string> Sorted(const google::protobuf::RepeatedPtrField<std::string>& labels) {
  std::vector<std::string> v(labels.begin(), labels.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// What was noticed while following the rows, for the warnings.
struct Counts {
  int64_t duplicates = 0, out_of_order = 0, second_enqueue = 0, before_enqueue = 0, no_enqueue = 0;
  int64_t after_completion = 0, dimension_changes = 0;
};

// Follows the rows of one pool, in time order.
class Follower {
 public:
  explicit Follower(Counts* counts) : counts_(counts) {}
  void Row(const TaskEvent& e);
  ObservedLog Finish();

 private:
  ObservedTask& TaskOf(const TaskEvent& e, int64_t t);
  void Bot(const TaskEvent& e, int64_t t);

  Counts* counts_;
  std::map<std::string, ObservedTask> tasks_;
  std::map<std::string, ObservedBot> bots_;
  std::map<int64_t, int64_t> bot_row_gap_minutes_;
  std::set<std::string> accounts_;
  int64_t start_ = 0, end_ = 0, rows_ = 0;
};

ObservedTask& Follower::TaskOf(const TaskEvent& e, int64_t t) {
  auto [it, added] = tasks_.try_emplace(e.task_id());
  ObservedTask& task = it->second;
  if (added) {
    task.id = e.task_id();
    task.account = e.account_id();
    task.enqueue_us = t;
    task.base_labels = Sorted(e.base_labels());
    task.provisionable_labels = Sorted(e.provisionable_labels());
    task.enqueue_seen = false;
  }
  return task;
}

void Follower::Bot(const TaskEvent& e, int64_t t) {
  if (e.bot_id().empty()) return;
  auto [it, added] = bots_.try_emplace(e.bot_id());
  ObservedBot& bot = it->second;
  if (added) {
    bot.id = e.bot_id();
    bot.first_seen_us = t;
    bot.busy_before_first_row = e.event_type() != TaskEvent::QSCHEDULER_ASSIGNED;
  } else if (t > bot.last_seen_us) {
    constexpr int64_t kMinute = 60LL * 1000000;
    ++bot_row_gap_minutes_[(t - bot.last_seen_us + kMinute - 1) / kMinute];
  }
  bot.last_seen_us = t;
  if (e.bot_dimensions().empty()) return;
  std::vector<std::string> dims = Sorted(e.bot_dimensions());
  const std::vector<std::string>& now = bot.changes.empty() ? bot.dimensions : bot.changes.back().dimensions;
  if (bot.dimensions.empty() && bot.changes.empty()) {
    bot.dimensions = std::move(dims);
  } else if (dims != now) {
    bot.changes.push_back({t, std::move(dims)});
    ++counts_->dimension_changes;
  }
}

void Follower::Row(const TaskEvent& e) {
  const int64_t t = Micros(e.time());
  start_ = rows_ == 0 ? t : std::min(start_, t);
  end_ = std::max(end_, t);
  ++rows_;
  if (!e.account_id().empty()) accounts_.insert(e.account_id());
  Bot(e, t);
  const bool known = tasks_.count(e.task_id()) > 0;
  ObservedTask& task = TaskOf(e, t);
  if (task.completed_us) {
    ++counts_->after_completion;
    return;
  }
  switch (e.event_type()) {
    case TaskEvent::SWARMING_ENQUEUED:
      if (task.enqueue_seen) {  // back in the queue: an assignment it had is gone
        ++counts_->second_enqueue;
        task.last_assigned_us.reset();
        break;
      }
      if (known) ++counts_->before_enqueue;
      task.enqueue_seen = true;
      task.account = e.account_id();
      task.base_labels = Sorted(e.base_labels());
      task.provisionable_labels = Sorted(e.provisionable_labels());
      task.tags.assign(e.enqueued_details().tags().begin(), e.enqueued_details().tags().end());
      break;
    case TaskEvent::QSCHEDULER_ASSIGNED:
      ++task.assignments;
      if (!task.first_assigned_us) task.first_assigned_us = t;
      task.last_assigned_us = t;
      task.last_bot = e.bot_id();
      break;
    case TaskEvent::QSCHEDULER_PREEMPTED:
      ++task.preemptions;
      task.last_assigned_us.reset();
      break;
    case TaskEvent::QSCHEDULER_UNASSIGNED:
      task.last_assigned_us.reset();
      break;
    case TaskEvent::SWARMING_COMPLETED:
      task.completed_us = t;
      if (task.last_assigned_us) task.run_us = t - *task.last_assigned_us;
      break;
    default:  // QSCHEDULER_REPRIORITIZED changes nothing a scenario holds
      break;
  }
}

ObservedLog Follower::Finish() {
  ObservedLog log;
  log.start_us = start_;
  log.end_us = end_;
  log.events = rows_;
  for (auto& [id, task] : tasks_) {
    if (!task.enqueue_seen) ++counts_->no_enqueue;
    log.tasks.push_back(std::move(task));
  }
  std::stable_sort(log.tasks.begin(), log.tasks.end(), [](const ObservedTask& a, const ObservedTask& b) {
    return a.enqueue_us < b.enqueue_us;  // ties stay by id (the map's order)
  });
  for (auto& [id, bot] : bots_) log.bots.push_back(std::move(bot));
  log.bot_row_gap_minutes = std::move(bot_row_gap_minutes_);
  for (const std::string& id : accounts_) {
    log.accounts.emplace_back();
    log.accounts.back().id = id;
  }
  return log;
}

void Warn(Warnings* warnings, int64_t n, const std::string& text) {
  if (n > 0 && warnings != nullptr) warnings->push_back(std::to_string(n) + " " + text);
}

// The pool to keep: the one asked for, or the only one in the log.
StatusOr<std::string> ChoosePool(const std::vector<TaskEvent>& events, const std::string& source,
                                 const ReadOptions& options) {
  std::set<std::string> pools;
  for (const TaskEvent& e : events) pools.insert(e.scheduler_id());
  if (!options.scheduler_id.empty()) {
    if (pools.count(options.scheduler_id) == 0) {
      return InvalidArgument(source + ": no row has scheduler_id \"" + options.scheduler_id + "\"");
    }
    return options.scheduler_id;
  }
  if (pools.size() > 1) {
    std::string names;
    for (const std::string& p : pools) names += (names.empty() ? "\"" : ", \"") + p + "\"";
    return InvalidArgument(source + ": the log holds " + std::to_string(pools.size()) + " pools (scheduler_id " +
                           names + "); choose one with --scheduler-id");
  }
  return pools.empty() ? std::string() : *pools.begin();
}

}  // namespace

StatusOr<ObservedLog> BuildObservedLog(const std::vector<TaskEvent>& events, const std::vector<std::string>& where,
                                       const ReadOptions& options, Warnings* warnings) {
  const std::string source = where.empty() ? std::string("log") : where.front().substr(0, where.front().rfind(':'));
  StatusOr<std::string> pool = ChoosePool(events, source, options);
  if (!pool.ok()) return pool.status();
  Counts counts;
  std::vector<size_t> order;
  std::unordered_set<std::string> seen;  // only looked up, never iterated
  int64_t latest = INT64_MIN, other_pools = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].scheduler_id() != *pool) {
      ++other_pools;
      continue;
    }
    std::string bytes;
    events[i].SerializeToString(&bytes);  // equal rows give equal bytes (no maps in TaskEvent)
    if (!seen.insert(std::move(bytes)).second) {
      ++counts.duplicates;
      continue;
    }
    const int64_t t = Micros(events[i].time());
    if (t < latest) ++counts.out_of_order;
    latest = std::max(latest, t);
    order.push_back(i);
  }
  if (order.empty()) return InvalidArgument(source + ": the log has no rows to import");
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return Micros(events[a].time()) < Micros(events[b].time()); });
  Follower follower(&counts);
  for (size_t i : order) follower.Row(events[i]);
  ObservedLog log = follower.Finish();
  log.scheduler_id = *pool;
  Warn(warnings, other_pools, "rows of other pools (scheduler_id) left out");
  Warn(warnings, counts.duplicates, "rows identical to an earlier row dropped (duplicates)");
  Warn(warnings, counts.out_of_order, "rows earlier than a row before them in the file; all rows ordered by time");
  Warn(warnings, counts.second_enqueue,
       "repeated SWARMING_ENQUEUED rows (a task back in the queue; its first one is its arrival)");
  Warn(warnings, counts.before_enqueue, "tasks with rows before their SWARMING_ENQUEUED; enqueued at their first row");
  Warn(warnings, counts.no_enqueue, "tasks without a SWARMING_ENQUEUED row; enqueued at their first row");
  Warn(warnings, counts.after_completion, "rows after their task's SWARMING_COMPLETED left out");
  Warn(warnings, counts.dimension_changes,
       "changes of a bot's dimensions seen (of provisionable keys: left to the replay's provisioning; "
       "others: label_changes)");
  return log;
}

}  // namespace qsim::production
