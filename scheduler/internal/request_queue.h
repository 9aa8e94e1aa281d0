// Queued requests (docs/scheduler.md §1) and the order a pass reads them in (docs/scheduler.md §5).
// Internal to scheduler/: included by its .cc files and its tests only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <utility>
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
  //
  // The examined time (docs/scheduler.md §1) is read through `examined_`:
  // it points at `own_examined_`, or, while the request is in its queue's
  // cohort (see RequestQueue), at the cohort's one shared time, so that a
  // pass marks the whole cohort examined with one write.
  Time examined_time() const { return *examined_; }
  void SetExamined(Time t) {
    own_examined_ = t;
    examined_ = &own_examined_;
  }
  const Time* examined_ = &own_examined_;
  // Beside its pointer: outside the cohort the examined time is read here,
  // and the queue's merges read it for every request they compare.
  Time own_examined_{};
  Time enqueue_time{};
  // The first 8 bytes of `id`, big-endian: orders ids byte-wise without a
  // string compare, unless two ids share them.
  uint64_t id_prefix = 0;
  // The pass number in which this request was put on a level's list
  // (placed_in_pass, below, when it was placed); pass-local bookkeeping.
  uint64_t listed_in_pass = 0;
  uint32_t account_slot = 0;  // the account's interned slot (see Impl::account_slots)
  // Interned label sets (Impl::Signature): requests with equal sets match
  // the same workers. `base_signature` covers the base labels, `signature`
  // base and provisionable ones.
  uint32_t base_signature = 0;
  uint32_t signature = 0;
  // The (account_slot, signature) pair's dense id, given by the queue it
  // joins (RequestQueue::Add); see RequestQueue::part_pairs().
  uint32_t pair_id = 0;
  bool taken = false;  // see RequestQueue::Take
  bool parked = false;  // see RequestQueue::Partition

  // What the dispatcher's re-notification of a queued request reads and
  // writes (the index link, the id it compares, the confirmed time),
  // together on the second cache line: each pending task is re-notified
  // every minute, and with a backlog of tens of thousands those lookups
  // cost one miss each instead of three. Layout only; nothing observable.
  alignas(64) IdIndexHook index_hook;  // in RequestQueue, while queued
  std::string id;
  Time confirmed_time{};
  // The pass number in which this request was placed: read only for the
  // few a pass matches, so off the first line, which holds the examined time.
  uint64_t placed_in_pass = 0;

  std::string account;
  // The labels themselves are not kept here: `signature` names them
  // (Scheduler::Impl::SignatureIds, BaseLabels, ProvisionableLabels), so a
  // queued request costs no allocation per label.
  std::vector<std::string> tags;

  Request() = default;
  // `examined_` may point into the object itself.
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
};

// The fields of a queued request that a pass's walk over the whole queue
// reads, copied beside the cohort's list (RequestQueue::tail_keys()) so that
// the walk reads contiguous memory instead of one request per position.
// They never change while a request is queued.
struct PassKey {
  uint32_t account_slot = 0;
  uint32_t signature = 0;
  uint32_t base_signature = 0;
  // Also what a whole split counts by. (It pads the key to 16 bytes, which
  // RebuildCohort copies faster than 12: measured, 0.98 of the instructions
  // on overload-1.5x.)
  uint32_t pair_id = 0;
};
inline PassKey KeyOf(const Request& r) {
  return PassKey{r.account_slot, r.signature, r.base_signature, r.pair_id};
}

// What a pair id stands for (see RequestQueue::part_pairs): an account slot
// and a signature, with the base signature the signature implies (a
// signature keeps the base and provisionable labels apart, so it determines
// the base signature).
struct PairKey {
  uint32_t account_slot = 0;
  uint32_t signature = 0;
  uint32_t base_signature = 0;
};

// A subsequence of the cohort (see RequestQueue::Part): its requests in the
// cohort's order, each one's key fields beside it, position by position
// (signature()[i] == request(i)->signature, and so on), laid out as a pass's
// Level reads them, in place.
//
// The members are the last size() slots of four parallel arrays; the slots
// before them are free. So a member near the front leaves by moving the
// ones before it up a slot, one near the back by moving the ones after it
// down, and a member joins by moving the ones on its nearer side that has
// room (RemoveAt, InsertAt): a pass's few changes to a backlog of tens of
// thousands (placements near the front, recent arrivals near the back) cost
// their distance to the nearer end, not a copy of the part.
class CohortPart {
 public:
  size_t size() const { return requests_.size() - start_; }
  bool empty() const { return size() == 0; }
  // The members' arrays, member i at index i.
  Request* const* requests() const { return requests_.data() + start_; }
  const uint32_t* signature() const { return signature_.data() + start_; }
  const uint32_t* base_signature() const { return base_signature_.data() + start_; }
  const uint32_t* account_slot() const { return account_slot_.data() + start_; }
  Request* request(size_t i) const { return requests_[start_ + i]; }
  // The members' requests as a new vector (for tests and checks).
  std::vector<Request*> RequestList() const { return {requests(), requests() + size()}; }
  // Equal members with equal keys.
  bool operator==(const CohortPart& other) const;

  void Clear();
  void Push(Request* r, const PassKey& key);
  // To `n` members, every one unspecified until Set: the storage is reused
  // as it is, so only growth is written (a part rebuilt at about its size
  // costs no fill before the Sets).
  void Reshape(size_t n);
  void Set(size_t i, Request* r, const PassKey& key);
  // Appends members [from, to) of `other`.
  void Copy(const CohortPart& other, size_t from, size_t to);
  // Member i leaves, the members on its nearer side moving a slot.
  void RemoveAt(size_t i);
  // The members at `at` (ascending, distinct) leave: those in the front
  // half by moving the members before them up, the others by moving the
  // members after them down, each member moving at most once (several
  // RemoveAt calls would move those between two leavers once per leaver).
  void RemoveAll(std::span<const size_t> at);
  // `r` joins before member i (at the end when i == size()).
  void InsertAt(size_t i, Request* r, const PassKey& key);
  void Swap(CohortPart& other);

 private:
  template <typename F>
  void ForEachArray(F f) {
    f(requests_);
    f(signature_);
    f(base_signature_);
    f(account_slot_);
  }
  std::vector<Request*> requests_;
  std::vector<uint32_t> signature_, base_signature_, account_slot_;
  size_t start_ = 0;  // slots [0, start_) are free
};

// Spec §5 (R1): the order a pass reads requests in, (examined, enqueue,
// id) ascending, ids byte-wise.
bool ExaminationOrder(const Request* a, const Request* b);

// Spec §5 within one examined time: (enqueue, id) ascending.
bool CohortOrder(const Request* a, const Request* b);

// Queued requests: found by id, and kept in examination order between
// passes, as head() followed by tail().
//
// After a pass at time T, every request it listed and did not place has
// examined = T, and T is the latest examined time of all: those requests
// are the *cohort*, tail(), ordered by (enqueue, id), all reading one shared
// time. head() holds the rest (arrivals since, requests put back by
// Unassign, requests a pass left out), in examination order, each examined
// strictly before the cohort's time. So head() then tail() is the
// examination order, and marking a pass needs no write per cohort member:
// it changes the shared time, and moves only the few that join or leave
// (MarkExamined). With a standing backlog of thousands, the cohort is the
// backlog and head() a handful.
class RequestQueue {
 public:
  RequestQueue() : cohort_time_(std::make_unique<Time>()) {}

  Request* Find(std::string_view id) const { return by_id_.Find(id); }
  // The id index itself, for lookups that prefetch (IdIndex::PrefetchBucket).
  const IdIndex<Request>& index() const { return by_id_; }
  // Queues `r`; it joins the examination order at the next Settle().
  void Add(std::unique_ptr<Request> r);
  std::unique_ptr<Request> Remove(Request* r);
  // Remove for a pass, which takes requests from a list in examination
  // order: `r` leaves the index (and size()) now, but the list only at the
  // next MarkExamined. `r` must outlive that call.
  std::unique_ptr<Request> Take(Request* r);
  // Ends pass `pass` at time `t`: the requests listed in it and not taken
  // get examined = `t`; the taken ones leave the order. The pass read them
  // from head() and tail(); `unlisted` must hold exactly the requests of
  // those it did not list, the members of tail() among them in tail()'s
  // order (as a pass that reads the cohort in order meets them). The listed
  // ones of head() carry listed_in_pass == `pass`; those of tail() need not
  // (every member of tail() not in `unlisted` is listed), so a pass writes
  // nothing to the cohort. Unlisted requests of the left-out part's slots
  // are parked (see Partition).
  void MarkExamined(uint64_t pass, Time t, const std::vector<Request*>& unlisted);
  // Merges the requests added since the last call into the order.
  // Not between a Take and the next MarkExamined.
  void Settle();
  // After Settle() and Partition(): the examination order is head() then
  // tail(), less the parked requests (see Partition).
  const std::vector<Request*>& head() const { return head_; }
  // The cohort, with its deferred changes applied first (see tail_).
  const std::vector<Request*>& tail() const {
    Flush();
    return tail_;
  }
  // tail_keys()[i] == KeyOf(*tail()[i]), for every i.
  const std::vector<PassKey>& tail_keys() const {
    Flush();
    return tail_keys_;
  }
  // The cohort split into parts by account slot (step 2 of
  // docs/scheduler-internals.md; a pass's parts are its levels): after
  // Partition(part_of_slot), part(k) holds exactly the members of tail()
  // whose part_of_slot[account_slot] is k, in tail()'s order, and every
  // change to tail() until the next Partition keeps it so (by the same
  // table). Partition redoes the split only when the table changed for a
  // slot or the cohort was formed anew; otherwise it costs O(slots).
  //
  // `left_out_part`, if not kNoPart, is the part whose requests the coming
  // pass will not list (accounts in the free bucket with free tasks
  // disabled): MarkExamined parks the unlisted requests of its slots out of
  // head(), where every pass would walk them again (with a backlog of such
  // accounts, most of the queue), and Partition puts a parked request back
  // into head(), in examination order, once its slot's part is another.
  // Parked requests keep their examined times and stay queued (size(),
  // Find, Remove, SortedById, all()).
  static constexpr size_t kNoPart = SIZE_MAX;
  void Partition(const std::vector<uint8_t>& part_of_slot, size_t num_parts, size_t left_out_part = kNoPart);
  const CohortPart& part(size_t k) const { return parts_[k]; }
  // The (account slot, signature) pairs of part(k)'s members, each once, as
  // pair ids (pair_key() gives the pair, pair_count() how many of part(k)'s
  // members have it), in no particular order. Kept with the parts at O(1)
  // per change: a count per pair id says how many cohort members have it,
  // and a pair lives in its slot's part.
  const std::vector<uint32_t>& part_pairs(size_t k) const { return present_[k]; }
  const PairKey& pair_key(uint32_t pair_id) const { return pair_keys_[pair_id]; }
  uint32_t pair_count(uint32_t pair_id) const { return pair_count_[pair_id]; }
  // A pass uses a level's pairs only up to this many (requests drawing their
  // own label sets would make them cost more than they save).
  static constexpr size_t kMaxPairs = 1024;
  // Settle(), then the whole order in one vector (for tests).
  std::vector<Request*> all();
  size_t size() const { return head_.size() + cohort_size() + arrivals_.size() + parked_count_ - taken_; }
  // By id: for outputs, whose order must not depend on history.
  std::vector<const Request*> SortedById() const;

 private:
  bool InCohort(const Request* r) const { return r->examined_ == cohort_time_.get(); }
  // How many requests the cohort holds (tail() once flushed).
  size_t cohort_size() const { return tail_.size() - tail_dead_ + cohort_joined_.size(); }
  // The deferred changes (see tail_): `r` leaves the cohort, or joins it.
  void LeaveCohort(Request* r);
  void JoinCohort(const std::vector<Request*>& joining);
  // Whether `joining` (in CohortOrder, non-empty) goes after every member,
  // with nothing deferred to join (then JoinCohort appends it in place).
  bool JoinsAtEnd(const std::vector<Request*>& joining) const;
  // Where each member of cohort_joined_ goes among tail_'s slots: before
  // slot at[j] (tail_.size() for the end), ascending; into `at`.
  void JoinedPlaces(std::vector<size_t>& at) const;
  // The first live slot of tail_ from `from` on whose request is not before
  // `r` in CohortOrder (tail_.size() if none).
  size_t FirstLiveNotBefore(const Request* r, size_t from) const;
  // Applies the deferred changes to tail_ and tail_keys_: O(n), so only when
  // a reader asks for them or the changes outgrow kFlushAfter.
  void Flush() const;
  // How many deferred changes the cohort holds at most: a few dozen plus a
  // fraction of it, so a flush's copy is paid once per that many changes.
  size_t FlushLimit() const { return kFlushAfter + tail_.size() / 32; }
  void FlushIfLarge() {
    if (tail_dead_ + cohort_joined_.size() > FlushLimit()) Flush();
  }
  static constexpr size_t kFlushAfter = 64;
  void Dissolve();
  // Partition's split of the cohort.
  void PartitionCohort(const std::vector<uint8_t>& part_of_slot, size_t num_parts);
  // Whether an unlisted `r` is parked (its slot's part is the left-out one).
  bool Parks(const Request* r) const {
    return left_out_part_ != kNoPart && r->account_slot < part_of_slot_.size() &&
           part_of_slot_[r->account_slot] == left_out_part_;
  }
  // Parks `r`; its slot's new arrivals are merged by MergeParked.
  void Park(Request* r);
  void MergeParked();
  // Puts back into head_ the parked requests of slots whose part is not the
  // left-out one.
  void Unpark();
  // Whether the cohort can take pass `pass`'s listed requests at `t`: `t`
  // is later than every member's time, and every request left out of it
  // stays before `t`.
  bool CohortCanTake(uint64_t pass, Time t) const;
  // The cohort's members `leaving` leave it and `joining` join it (both in
  // CohortOrder), deferred or in one copy, and the parts follow.
  void ChangeCohort(const std::vector<Request*>& leaving, const std::vector<Request*>& joining);
  void MarkExaminedInFull(uint64_t pass, Time t);
  void FormCohort(Time t);
  void RebuildCohort(const std::vector<Request*>& leaving, const std::vector<Request*>& joining) const;
  void RebuildParts(const std::vector<Request*>& leaving, const std::vector<Request*>& joining);
  // Up to this many changes to a part in one call are made in place.
  static constexpr size_t kInPlaceChanges = 32;
  // Where `r` is, or would be, among `part`'s members (CohortOrder).
  static size_t FindInPart(const CohortPart& part, const Request* r);
  void InvalidateParts() {
    parts_valid_ = false;
    for (CohortPart& p : parts_) p.Clear();
    ClearPairs();
  }
  void ClearPairs();
  // Counts one cohort member with pair `pair_id` in (+1) or out (-1), in the
  // part of `account_slot` by the current table.
  void CountPair(uint32_t pair_id, uint32_t account_slot, int delta);
  void SplitAll();
  void SplitChanged(const std::vector<uint8_t>& old_table);
  void VerifyParts() const;
  IdIndex<Request> by_id_;  // lookup only
  // Examination order, examined before *cohort_time_ (while tail_ is not
  // empty); own examined times.
  std::vector<Request*> head_;
  // The cohort, with its changes deferred: it is the non-null members of
  // tail_ (in CohortOrder, tail_dead_ of them null, none before
  // tail_live_from_) merged with cohort_joined_ (in CohortOrder, none in
  // tail_), every one reading *cohort_time_. A pass changes a few members of
  // a cohort of thousands (placements leave near the front, the recent
  // arrivals it listed join near the end); copying the whole cohort for that
  // at every pass was most of MarkExamined's cost. So a leaving member's
  // slot is nulled (found by binary search over the live slots, all
  // requests still queued or taken in this pass) and a joining one waits in
  // cohort_joined_, and Flush() applies them in one copy when they pass a
  // fraction of the cohort, or when tail() is read. The parts, which a pass
  // reads in place, are kept exact at every change.
  mutable std::vector<Request*> tail_;
  // Parallel to tail_: tail_keys_[i] == KeyOf(*tail_[i]) for every non-null
  // tail_[i]. Every change to tail_'s length makes the same change here.
  mutable std::vector<PassKey> tail_keys_;
  mutable std::vector<Request*> cohort_joined_;
  mutable size_t tail_dead_ = 0, tail_live_from_ = 0;
  // Heap-held so that the requests' pointers to it survive a move of the queue.
  std::unique_ptr<Time> cohort_time_;
  // Added since Settle() last ran, in no order: a burst of arrivals is
  // sorted and merged once.
  std::vector<Request*> arrivals_;
  // Taken from the cohort in this pass; removed from tail_ by MarkExamined.
  std::vector<Request*> taken_from_cohort_;
  size_t taken_ = 0;  // still in head_ or tail_, dropped by MarkExamined
  // MarkExamined's working lists, kept for their capacity.
  std::vector<Request*> keep_, joining_, leaving_;
  mutable std::vector<Request*> scratch_;
  mutable std::vector<PassKey> scratch_keys_;
  // The cohort by part (see Partition). While parts_valid_, parts_[k] holds
  // exactly the cohort's members (tail_'s live slots and cohort_joined_)
  // with part_of_slot_[account_slot] == k, in CohortOrder; every change to
  // the cohort makes the same change here at once (a pass reads the parts
  // in place), deferred or not.
  // Invalid (and empty) after the cohort was dissolved or formed anew, until
  // the next Partition.
  std::vector<CohortPart> parts_;
  // Pair ids (see Request::pair_id): pair_keys_[id] is the pair. Ids are
  // never reused, so a request keeps its id for life. PairId finds or gives
  // one through pair_table_, an open-addressing table (linear probing,
  // power-of-two size, at most half full) of (pair, id + 1) with 0 for
  // empty: a node-based map cost an allocation per pair, and where requests
  // draw their own label sets nearly every request brings a new pair.
  uint32_t PairId(const Request& r);
  std::vector<std::pair<uint64_t, uint32_t>> pair_table_;
  std::vector<PairKey> pair_keys_;
  // While parts_valid_: pair_count_[id] is how many members of tail_ have
  // pair `id`; present_[k] holds exactly the ids with a non-zero count whose
  // slot is in part k, and pair_at_[id] is the id's index in it (kAbsent if
  // its count is 0).
  static constexpr uint32_t kAbsent = UINT32_MAX;
  std::vector<uint32_t> pair_count_, pair_at_;
  std::vector<std::vector<uint32_t>> present_;
  std::vector<uint8_t> part_of_slot_;
  std::vector<uint8_t> part_scratch_table_;  // Partition's copy of the old table
  std::vector<size_t> joined_places_;        // SplitChanged's JoinedPlaces
  std::vector<uint8_t> split_target_;        // SplitChanged's part per slot
  std::vector<size_t> leaving_positions_;    // RebuildParts' scratch
  bool parts_valid_ = false;
  std::vector<std::vector<Request*>> part_leaving_, part_joining_;
  // One scratch per part: a shared one would pass buffers from part to
  // part, and every part's would grow to the largest part's size.
  std::vector<CohortPart> part_scratch_;
  // Parked requests (see Partition) by account slot, each list in
  // examination order, parked_count_ of them in all; parked_slots_ lists
  // the slots with a non-empty list, each once; parked_from_[i] is how long
  // parked_[parked_slots_[i]] was before the current MarkExamined parked
  // more (its settled prefix, MergeParked).
  std::vector<std::vector<Request*>> parked_;
  std::vector<uint32_t> parked_slots_;
  std::vector<size_t> parked_from_;
  size_t parked_count_ = 0;
  size_t left_out_part_ = kNoPart;
};

}  // namespace qsim::internal
