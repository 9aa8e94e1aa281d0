// A pass's view of one priority level (docs/scheduler.md §5): its ordered
// request list and what the pass keeps alongside it. Internal to scheduler/.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "scheduler/internal/request_queue.h"

namespace qsim::internal {

// A level's ordered request list and its label index.
//
// The list is `own` (requests listed one by one: the queue head's members;
// with fanout, all of them) followed by `*part`, the queue's cohort part of
// this level, read in place (step 2b of docs/scheduler-internals.md): with
// a backlog the part is nearly all of the list, and copying it every pass
// cost more than the pass's walks over it. Position `pos` is own's below
// own_size(), the part's beyond. The part does not change during a pass
// (the queue changes its parts only in Remove, Partition and MarkExamined,
// none of which runs inside one).
struct Level {
  // Position by position: each request, its signature, base signature and
  // account slot (copies of the request's, which never change while it is
  // queued); the pass's walks over a whole level read these contiguous
  // arrays instead of one request, a likely cache miss, per position.
  CohortPart own;
  const CohortPart* part = nullptr;
  // placed[pos] != 0 exactly when request(pos) was placed in this pass
  // (request(pos)->placed_in_pass is this pass); kept by the pass (MarkPlaced).
  std::vector<char> placed;
  // The requests placed from the list in this pass, in the order they were.
  std::vector<const Request*> placed_requests;
  // The label index over the list's first `indexed` positions: bucket[l]
  // holds, in ascending order, exactly the positions below `indexed` whose
  // request is keyed by label l (one of its base labels); bucket[num_labels]
  // those with no base labels. A match list reads only the positions of its
  // worker's stale prefix, and with a standing backlog that prefix is a few
  // hundred positions of tens of thousands: the index grows to the longest
  // prefix asked for in the pass (IndexLevel), not to the whole list.
  // Each entry carries a second base label of its request (`check`; the key
  // itself if it has one base label, the no-label id if none), tested
  // before the request is read: a worker holds a label of a rare one with a
  // small chance, so most entries are passed without a cache miss.
  struct IndexEntry {
    uint32_t position;
    uint32_t check;
  };
  std::vector<std::vector<IndexEntry>> bucket;
  size_t indexed = 0;
  // When `pairs_known`: every (account slot, signature) pair of the list's
  // requests appears in `pairs` (maybe more than once), and no other; the
  // `count`s of a pair's entries add up to how many of the list's requests
  // have it. Lets the preemption scan stop once it holds a request of every
  // base label set it could find, and MatchIdle know the level's label sets
  // and their sizes without reading the list (step 3b of
  // docs/scheduler-internals.md). Set by Prioritise without fanout (from the
  // head's members and the cohort part's pairs); fanout's moves clear it.
  struct Pair {
    uint32_t account_slot = 0;
    uint32_t signature = 0;
    uint32_t base_signature = 0;
    uint32_t count = 0;
  };
  std::vector<Pair> pairs;
  bool pairs_known = false;

  // The request pointers of both stretches, for a hot loop: its bounds
  // read once, not at every position.
  struct RequestView {
    Request* const* own;
    size_t own_size;
    Request* const* part;
    Request* operator[](size_t pos) const { return pos < own_size ? own[pos] : part[pos - own_size]; }
    // When one stretch holds the whole list: its pointers, indexed by
    // position with no test; else nullptr.
    Request* const* whole = nullptr;
  };
  RequestView requests() const {
    RequestView v{own.requests(), own.size(), part ? part->requests() : nullptr};
    if (!part || part->size() == 0) v.whole = v.own;
    if (v.own_size == 0 && part) v.whole = v.part;
    return v;
  }
  size_t own_size() const { return own.size(); }
  size_t size() const { return own.size() + (part ? part->size() : 0); }
  bool empty() const { return size() == 0; }
  // The walks over a whole level read the keys of `own` and `*part`
  // stretch by stretch; a single request is found by position here.
  Request* request(size_t pos) const {
    return pos < own.size() ? own.request(pos) : part->request(pos - own.size());
  }
  // The first position whose request `before` is false for, given that
  // `before` is true on a prefix of the list (as for a bound in
  // examination order: the list is in it).
  template <typename Before>
  size_t PartitionPoint(Before before) const {
    Request* const* head = own.requests();
    const size_t head_size = own.size();
    if (head_size > 0 && !before(head[head_size - 1])) {
      return static_cast<size_t>(std::partition_point(head, head + head_size, before) - head);
    }
    if (!part) return head_size;
    Request* const* rest = part->requests();
    return head_size + static_cast<size_t>(std::partition_point(rest, rest + part->size(), before) - rest);
  }

  // Empty, keeping every vector's capacity: a pass's levels live in
  // Scheduler::Impl between passes so that a backlog's lists do not cost
  // fresh allocations (and page faults) every pass.
  void Clear() {
    own.Clear();
    part = nullptr;
    placed.clear();
    placed_requests.clear();
    pairs.clear();
    pairs_known = false;
    ClearIndex();
  }
  void ClearIndex() {
    for (std::vector<IndexEntry>& b : bucket) b.clear();
    indexed = 0;
  }

  // `key` is KeyOf(*r): a caller that has it spares reading the request.
  // Not after AttachPart.
  void Append(Request* r, const PassKey& key) {
    own.Push(r, key);
    placed.push_back(0);
  }
  // Ends the list with a whole cohort part, read in place: with a backlog
  // this is most of a level, and neither it nor a request is copied.
  void AttachPart(const CohortPart& p) {
    part = &p;
    placed.resize(size(), 0);
  }
  // `own` becomes `all`, wholesale (fanout's moves; no part then), and the
  // rest is rebuilt.
  void Reindex(const std::vector<Request*>& all, uint64_t pass) {
    own.Clear();
    placed.clear();
    placed_requests.clear();
    for (Request* r : all) {
      Append(r, KeyOf(*r));
      placed.back() = r->placed_in_pass == pass ? 1 : 0;
      if (placed.back()) placed_requests.push_back(r);
    }
    pairs.clear();
    pairs_known = false;
    ClearIndex();
  }
};

}  // namespace qsim::internal
