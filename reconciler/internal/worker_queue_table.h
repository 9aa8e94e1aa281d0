// The reconciler's table of pending assignments, shaped for the poll path.
// Internal to reconciler/: State holds one; nothing outside reconciler/ (and
// its tests) names it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "base/time.h"
#include "reconciler/internal/id_index.h"

namespace qsim::reconciler::internal {

// Pending assignments by worker id. Ordered, because timeouts, aborts and
// snapshots visit them by worker id. Every poll looks its worker up and
// almost none has an entry, so an index by the keys' hashes (id_index.h)
// sits beside the map: a caller that has hashed the id already learns of a
// miss from one or two array reads, and finds a hit with one string
// comparison, without hashing the id again or descending the tree. Two more summaries let the scans that run on every
// poll batch and every finished task skip a table with nothing for them.
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
  WorkerQueueTable(const WorkerQueueTable& other)
      : map_(other.map_), earliest_enqueue_(other.earliest_enqueue_), with_abort_(other.with_abort_) {
    for (auto it = map_.begin(); it != map_.end(); ++it) index_.Insert(Hash(it->first), it);
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
    Count(it->second, -1);
    Count(q, +1);
    earliest_enqueue_ = std::min(earliest_enqueue_, q.enqueue_time);
    it->second = std::move(q);
  }

  // Adds; false (and no change) if `worker` already has an entry.
  bool Add(const std::string& worker, Queue q) {
    auto [it, added] = map_.try_emplace(worker, std::move(q));
    if (added) Inserted(it);
    return added;
  }

  const_iterator Erase(const_iterator it) {
    index_.Erase(Hash(it->first), map_.erase(it, it));  // the same entry, not const
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
  // Brings the summaries up to date with the new entry `it`.
  void Inserted(typename Map::iterator it) {
    index_.Insert(Hash(it->first), it);
    Count(it->second, +1);
    earliest_enqueue_ = std::min(earliest_enqueue_, it->second.enqueue_time);
  }
  void Count(const Queue& q, int delta) { with_abort_ += q.task_to_abort.empty() ? 0 : delta; }

  Map map_;
  // Indexes every entry of map_, no more and no fewer.
  IdIndex<typename Map::iterator> index_;
  // No entry's enqueue time is earlier (a bound, made exact by EraseExpired).
  Time earliest_enqueue_ = Time::max();
  size_t with_abort_ = 0;  // entries with a task to abort
};

}  // namespace qsim::reconciler::internal
