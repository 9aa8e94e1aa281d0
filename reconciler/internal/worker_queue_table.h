// The reconciler's table of pending assignments, shaped for the poll path.
// Internal to reconciler/: State holds one; nothing outside reconciler/ (and
// its tests) names it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/time.h"
#include "reconciler/internal/id_index.h"

namespace qsim::reconciler::internal {

// Pending assignments by worker id. Ordered, because timeouts, aborts and
// snapshots visit them by worker id. Every poll looks its worker up and
// almost none has an entry, so an index by the keys' hashes (id_index.h)
// sits beside the map: a caller that has hashed the id already learns of a
// miss from one or two array reads, and finds a hit with one string
// comparison, without hashing the id again or descending the tree. Two more
// summaries serve the calls that run on every poll batch and every finished
// task: the earliest enqueue time lets the timeout scan skip a table with
// nothing due, and the entries with a task to abort, by that task, let a
// finished task's aborts be found without walking the table (under
// preemption the table holds thousands of pending assignments).
//
// `Queue` is reconciler::WorkerQueue (a template only so that this header
// need not come after it): a value with `Time enqueue_time` and
// `std::string task_to_abort` ("" when nothing is to be aborted).
template <typename Queue>
class WorkerQueueTable {
 public:
  using Map = std::map<std::string, Queue>;
  using const_iterator = typename Map::const_iterator;
  static uint64_t Hash(std::string_view worker) { return HashId(worker); }

  WorkerQueueTable() = default;
  // The index holds iterators into map_: a copy indexes its own map. A move
  // keeps them valid (std::map moves its nodes).
  WorkerQueueTable(const WorkerQueueTable& other) : map_(other.map_), earliest_enqueue_(other.earliest_enqueue_) {
    for (auto it = map_.begin(); it != map_.end(); ++it) {
      index_.Insert(Hash(it->first), it);
      NoteAbort(it);
    }
  }
  WorkerQueueTable& operator=(const WorkerQueueTable& other) {
    if (this != &other) *this = WorkerQueueTable(other);
    return *this;
  }
  WorkerQueueTable(WorkerQueueTable&&) noexcept = default;
  WorkerQueueTable& operator=(WorkerQueueTable&&) noexcept = default;

  const Map& map() const { return map_; }
  const_iterator end() const { return map_.end(); }
  // `hash` is Hash(worker).
  const_iterator find(const std::string& worker, uint64_t hash) const {
    const auto* found = index_.Find(worker, hash);
    return found != nullptr ? const_iterator(*found) : map_.end();
  }
  const_iterator find(const std::string& worker) const { return find(worker, Hash(worker)); }

  // Adds or replaces.
  void Set(const std::string& worker, Queue q) {
    const auto* found = index_.Find(worker, Hash(worker));
    if (found == nullptr) {
      Inserted(map_.try_emplace(worker, std::move(q)).first);
      return;
    }
    auto it = *found;
    ForgetAbort(it);
    earliest_enqueue_ = std::min(earliest_enqueue_, q.enqueue_time);
    it->second = std::move(q);
    NoteAbort(it);
  }

  // Adds; false (and no change) if `worker` already has an entry.
  bool Add(const std::string& worker, Queue q) {
    auto [it, added] = map_.try_emplace(worker, std::move(q));
    if (added) Inserted(it);
    return added;
  }

  const_iterator Erase(const_iterator it) {
    const auto entry = map_.erase(it, it);  // the same entry, not const
    index_.Erase(Hash(it->first), entry);
    ForgetAbort(entry);
    return map_.erase(it);
  }

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

  // Erases every entry that aborts `request` and was made before `t`.
  void EraseAbortsOf(const std::string& request, Time t) {
    auto [first, last] = aborts_.equal_range(request);
    std::vector<const_iterator> doomed;
    for (auto a = first; a != last; ++a) {
      if (a->second->second.enqueue_time < t) doomed.push_back(a->second);
    }
    for (const_iterator it : doomed) Erase(it);
  }
  // How many entries have a task to abort (for tests).
  size_t with_abort() const { return aborts_.size(); }

 private:
  // Brings the summaries up to date with the new entry `it`.
  void Inserted(typename Map::iterator it) {
    index_.Insert(Hash(it->first), it);
    NoteAbort(it);
    earliest_enqueue_ = std::min(earliest_enqueue_, it->second.enqueue_time);
  }
  // `it`'s abort joins aborts_ (after its value is set) or leaves it
  // (before its value changes or it is erased): the key views the entry's
  // own string.
  void NoteAbort(typename Map::iterator it) {
    if (!it->second.task_to_abort.empty()) aborts_.emplace(it->second.task_to_abort, it);
  }
  void ForgetAbort(typename Map::iterator it) {
    if (it->second.task_to_abort.empty()) return;
    auto [first, last] = aborts_.equal_range(it->second.task_to_abort);
    for (auto a = first; a != last; ++a) {
      if (a->second == it) {
        aborts_.erase(a);
        return;
      }
    }
  }

  Map map_;
  // Indexes every entry of map_, no more and no fewer.
  IdIndex<typename Map::iterator> index_;
  // No entry's enqueue time is earlier (a bound, made exact by EraseExpired).
  Time earliest_enqueue_ = Time::max();
  // Exactly the entries with a task to abort, keyed by a view of that task
  // (the entry's own string, which lives as long as the entry's value).
  std::multimap<std::string_view, typename Map::iterator, std::less<>> aborts_;
};

}  // namespace qsim::reconciler::internal
