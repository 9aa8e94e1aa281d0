// The reconciler's table of pending assignments, shaped for the poll path.
// Internal to reconciler/: State holds one; nothing outside reconciler/ (and
// its tests) names it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <unordered_set>
#include <utility>

#include "base/time.h"

namespace qsim::reconciler::internal {

// Pending assignments by worker id. Ordered, because timeouts, aborts and
// snapshots visit them by worker id. Every poll looks its worker up and
// almost none has an entry, so the keys' hashes are kept beside, in a hash
// set of their own: a caller that has hashed the id already learns of a miss
// without hashing it again or comparing a string. Two more summaries let the
// scans that run on every poll batch and every finished task skip a table
// with nothing for them.
//
// `Queue` is reconciler::WorkerQueue (a template only so that this header
// need not come after it): a value with `Time enqueue_time` and
// `std::string task_to_abort` ("" when nothing is to be aborted).
template <typename Queue>
class WorkerQueueTable {
 public:
  using Map = std::map<std::string, Queue>;
  using const_iterator = typename Map::const_iterator;
  static size_t Hash(const std::string& worker) { return std::hash<std::string>{}(worker); }

  const Map& map() const { return map_; }
  const_iterator end() const { return map_.end(); }
  // `hash` is Hash(worker).
  const_iterator find(const std::string& worker, size_t hash) const {
    return hashes_.find(hash) != hashes_.end() ? map_.find(worker) : map_.end();
  }
  const_iterator find(const std::string& worker) const { return find(worker, Hash(worker)); }

  // Adds or replaces.
  void Set(const std::string& worker, Queue q) {
    auto it = map_.find(worker);
    if (it == map_.end()) {
      Add(worker, std::move(q));
      return;
    }
    Count(it->second, -1);
    Count(q, +1);
    earliest_enqueue_ = std::min(earliest_enqueue_, q.enqueue_time);
    it->second = std::move(q);
  }

  // Adds; false (and no change) if `worker` already has an entry.
  bool Add(const std::string& worker, Queue q) {
    auto [it, added] = map_.try_emplace(worker, std::move(q));
    if (!added) return false;
    hashes_.insert(Hash(worker));
    Count(it->second, +1);
    earliest_enqueue_ = std::min(earliest_enqueue_, it->second.enqueue_time);
    return true;
  }

  const_iterator Erase(const_iterator it) {
    hashes_.erase(hashes_.find(Hash(it->first)));
    Count(it->second, -1);
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

  // Erases, in ascending worker id, every entry that aborts `request` and was
  // made before `t`.
  void EraseAbortsOf(const std::string& request, Time t) {
    if (with_abort_ == 0) return;
    for (auto it = map_.cbegin(); it != map_.cend();) {
      it = it->second.task_to_abort == request && it->second.enqueue_time < t ? Erase(it) : std::next(it);
    }
  }

 private:
  void Count(const Queue& q, int delta) { with_abort_ += q.task_to_abort.empty() ? 0 : delta; }

  Map map_;
  // Hash() of every key, repeats kept. Lookup only: its order never escapes.
  std::unordered_multiset<size_t> hashes_;
  // No entry's enqueue time is earlier (a bound, made exact by EraseExpired).
  Time earliest_enqueue_ = Time::max();
  size_t with_abort_ = 0;  // entries with a task to abort
};

}  // namespace qsim::reconciler::internal
