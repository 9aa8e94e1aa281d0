// A pass's view of one priority level (docs/scheduler.md §5): its ordered
// request list and what the pass keeps alongside it. Internal to scheduler/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "scheduler/internal/request_queue.h"

namespace qsim::internal {

// A level's ordered request list and its label index.
struct Level {
  std::vector<Request*> requests;
  // Parallel to `requests`, position by position: copies of each request's
  // signature, base signature and account slot, and whether it was placed
  // in this pass (placed[pos] != 0 exactly when requests[pos]->placed_in_pass
  // is this pass). The pass's walks over a whole level (grouping by label
  // set, the preemption scan's first requests, skipping placed members) read
  // these contiguous arrays instead of one request, a likely cache miss,
  // per position. Filled by Append; `placed` kept by the pass (MarkPlaced).
  std::vector<uint32_t> signature, base_signature, account_slot;
  std::vector<char> placed;
  // The label index over the list's first `indexed` positions: bucket[l]
  // holds, in ascending order, exactly the positions below `indexed` whose
  // request is keyed by label l (one of its base labels); bucket[num_labels]
  // those with no base labels. A match list reads only the positions of its
  // worker's stale prefix, and with a standing backlog that prefix is a few
  // hundred positions of tens of thousands: the index grows to the longest
  // prefix asked for in the pass (IndexLevel), not to the whole list.
  std::vector<std::vector<uint32_t>> bucket;
  size_t indexed = 0;
  // When `pairs_known`: every (account slot, base signature) pair of the
  // list's requests appears in `pairs` (maybe more than once), and no other.
  // Lets the preemption scan stop once it holds a request of every base
  // label set it could find. Set by Prioritise without fanout (from the
  // head's members and the cohort part's counts); fanout's moves clear it.
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  bool pairs_known = false;

  // Empty, keeping every vector's capacity: a pass's levels live in
  // Scheduler::Impl between passes so that a backlog's lists do not cost
  // fresh allocations (and page faults) every pass.
  void Clear() {
    requests.clear();
    signature.clear();
    base_signature.clear();
    account_slot.clear();
    placed.clear();
    pairs.clear();
    pairs_known = false;
    ClearIndex();
  }
  void ClearIndex() {
    for (std::vector<uint32_t>& b : bucket) b.clear();
    indexed = 0;
  }

  // `key` is KeyOf(*r): a caller that has it spares reading the request.
  void Append(Request* r, const PassKey& key) {
    requests.push_back(r);
    signature.push_back(key.signature);
    base_signature.push_back(key.base_signature);
    account_slot.push_back(key.account_slot);
    placed.push_back(0);
  }
  // Appends a whole cohort part, its keys copied in bulk: with a backlog
  // this is most of a level, and no request is read.
  void AppendPart(const CohortPart& part) {
    requests.insert(requests.end(), part.requests.begin(), part.requests.end());
    signature.insert(signature.end(), part.signature.begin(), part.signature.end());
    base_signature.insert(base_signature.end(), part.base_signature.begin(), part.base_signature.end());
    account_slot.insert(account_slot.end(), part.account_slot.begin(), part.account_slot.end());
    placed.resize(placed.size() + part.size(), 0);
  }
  // After `requests` changed wholesale (fanout's moves): rebuilds the rest.
  void Reindex(uint64_t pass) {
    std::vector<Request*> all;
    all.swap(requests);
    signature.clear();
    base_signature.clear();
    account_slot.clear();
    placed.clear();
    for (Request* r : all) {
      Append(r, KeyOf(*r));
      placed.back() = r->placed_in_pass == pass ? 1 : 0;
    }
    pairs.clear();
    pairs_known = false;
    ClearIndex();
  }
};

}  // namespace qsim::internal
