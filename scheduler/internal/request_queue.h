// Queued requests (docs/scheduler.md §1) and the order a pass reads them in (docs/scheduler.md §5).
// Internal to scheduler/: included by its .cc files and its tests only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "scheduler/internal/id_index.h"
#include "scheduler/internal/label_table.h"
#include "scheduler/types.h"

namespace qsim::internal {

struct alignas(64) Request {
  // What every pass reads for every queued request comes first, on one cache
  // line (hence the alignment): with a backlog of thousands, those reads are
  // the pass.
  Time examined_time{};
  Time enqueue_time{};
  // The first 8 bytes of `id`, big-endian: orders ids byte-wise without a
  // string compare, unless two ids share them.
  uint64_t id_prefix = 0;
  // The pass numbers in which this request was put on a level's list, and
  // placed; pass-local bookkeeping.
  uint64_t listed_in_pass = 0;
  uint64_t placed_in_pass = 0;
  uint32_t account_slot = 0;  // the account's interned slot (see Impl::account_slots)
  // Interned label sets (Impl::signatures): requests with equal sets match
  // the same workers. `base_signature` covers the base labels, `signature`
  // base and provisionable ones.
  uint32_t base_signature = 0;
  uint32_t signature = 0;
  bool taken = false;  // see RequestQueue::Take

  std::string id;
  std::string account;
  LabelSet base_labels;
  LabelSet provisionable_labels;
  std::vector<LabelId> base_ids;  // sorted
  std::vector<LabelId> provisionable_ids;  // sorted
  Time confirmed_time{};
  std::vector<std::string> tags;
  IdIndexHook index_hook;  // in RequestQueue, while queued
};

// Spec §5 (R1): the order a pass reads requests in, (examined, enqueue,
// id) ascending, ids byte-wise.
bool ExaminationOrder(const Request* a, const Request* b);

// Queued requests: found by id, and kept in examination order. A pass used to
// sort the whole queue; with a standing backlog of thousands that sort was
// most of the pass, while the order barely changes between passes (see
// MarkExamined).
class RequestQueue {
 public:
  Request* Find(std::string_view id) const { return by_id_.Find(id); }
  // Queues `r`; it joins the examination order at the next all().
  void Add(std::unique_ptr<Request> r);
  std::unique_ptr<Request> Remove(Request* r);
  // Remove for a pass, which takes requests from a list in examination
  // order: `r` leaves the index (and size()) now, but the list only at the
  // next MarkExamined, in its walk, instead of each costing a shift of the
  // backlog. `r` must outlive that call.
  std::unique_ptr<Request> Take(Request* r);
  // Sets the examined time of the requests listed in pass `pass` (see
  // Request::listed_in_pass; the pass read them from all()) to `t`, drops
  // the taken ones, and restores the order.
  void MarkExamined(uint64_t pass, Time t);
  // In examination order, the requests added since the last call merged in.
  // Not between a Take and the next MarkExamined.
  const std::vector<Request*>& all();
  size_t size() const { return ordered_.size() + arrivals_.size() - taken_; }
  // By id: for outputs, whose order must not depend on history.
  std::vector<const Request*> SortedById() const;

 private:
  IdIndex<Request> by_id_;  // lookup only
  std::vector<Request*> ordered_;
  // Added since all() last ran, in no order: a burst of arrivals is sorted
  // and merged once, instead of each shifting the whole queue.
  std::vector<Request*> arrivals_;
  size_t taken_ = 0;  // still in ordered_, dropped by MarkExamined
};

}  // namespace qsim::internal
