// The request queue: queued requests by id, kept in examination order
// (docs/scheduler.md §5) between passes. See request_queue.h.
#include "scheduler/internal/request_queue.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <iterator>

#include "base/check.h"

namespace qsim::internal {

bool CohortOrder(const Request* a, const Request* b) {
  if (a->enqueue_time != b->enqueue_time) return a->enqueue_time < b->enqueue_time;
  if (a->id_prefix != b->id_prefix) return a->id_prefix < b->id_prefix;
  return a->id < b->id;
}

bool ExaminationOrder(const Request* a, const Request* b) {
  const Time ea = a->examined_time(), eb = b->examined_time();
  if (ea != eb) return ea < eb;
  return CohortOrder(a, b);
}

namespace {

// Merges the sorted neighbours [first, mid) and [mid, last) by `less`
// (examination order, or CohortOrder within the cohort). Usually one side
// is a handful of requests (this pass's arrivals, or the few examined out
// of step) and the other the whole backlog: each of the few is then placed
// by binary search, which reads O(log n) backlog requests where a linear
// merge reads them all. The order is strict (ids are unique),
// so either way gives the same list.
template <typename Less>
void MergeSorted(std::vector<Request*>::iterator first, std::vector<Request*>::iterator mid,
                 std::vector<Request*>::iterator last, Less less) {
  constexpr std::ptrdiff_t kFew = 8;
  if (mid - first <= kFew) {
    // Right to left, each joins the sorted tail after it.
    for (auto i = mid; i != first;) {
      --i;
      std::rotate(i, i + 1, std::lower_bound(i + 1, last, *i, less));
    }
  } else if (last - mid <= kFew) {
    // Left to right, each joins the sorted head before it.
    for (auto j = mid; j != last; ++j) {
      std::rotate(std::upper_bound(first, j, *j, less), j, j + 1);
    }
  } else if (!less(*mid, *(mid - 1))) {
    // Already in order.
  } else if (less(*(last - 1), *first)) {
    std::rotate(first, mid, last);  // the right side all first: no comparison per member
  } else if (const std::ptrdiff_t few = std::min(mid - first, last - mid), many = std::max(mid - first, last - mid);
             few * static_cast<std::ptrdiff_t>(std::bit_width(static_cast<uint64_t>(many))) < many) {
    // One side much shorter: each of its members is placed by binary search
    // in the other, and the other's members are moved, not compared (a
    // request compared is a request read from memory).
    if (last - mid <= mid - first) {
      const std::vector<Request*> right(mid, last);
      auto out = last, left_end = mid;
      for (auto j = right.rbegin(); j != right.rend(); ++j) {
        const auto at = std::upper_bound(first, left_end, *j, less);
        out = std::move_backward(at, left_end, out);
        *--out = *j;
        left_end = at;
      }
    } else {
      const std::vector<Request*> left(first, mid);
      auto out = first, right_begin = mid;
      for (Request* r : left) {
        const auto at = std::lower_bound(right_begin, last, r, less);
        out = std::move(right_begin, at, out);
        *out++ = r;
        right_begin = at;
      }
    }
  } else {
    std::inplace_merge(first, mid, last, less);
  }
}

// Sorts [first, last) by merging its ascending runs, pairwise, until one is
// left. The lists it is given (the head after a general-road pass, the head
// members joining the cohort) are a few sorted runs: the members examined
// at one time are in cohort order. So it sorts in a few comparisons per
// request where a sort from scratch makes log2(n) of them, each reading two
// requests.
template <typename Less>
void SortByRuns(std::vector<Request*>::iterator first, std::vector<Request*>::iterator last, Less less) {
  std::vector<std::ptrdiff_t> bounds{0};
  for (auto it = first; it != last; ++it) {
    if (it != first && less(*it, *(it - 1))) bounds.push_back(it - first);
  }
  bounds.push_back(last - first);
  while (bounds.size() > 2) {
    std::vector<std::ptrdiff_t> merged{0};
    for (size_t k = 0; k + 2 < bounds.size(); k += 2) {
      MergeSorted(first + bounds[k], first + bounds[k + 1], first + bounds[k + 2], less);
      merged.push_back(bounds[k + 2]);
    }
    if (bounds.size() % 2 == 0) merged.push_back(bounds.back());
    bounds = std::move(merged);
  }
}

}  // namespace

bool CohortPart::operator==(const CohortPart& other) const {
  const size_t n = size();
  return n == other.size() && std::equal(requests(), requests() + n, other.requests()) &&
         std::equal(signature(), signature() + n, other.signature()) &&
         std::equal(base_signature(), base_signature() + n, other.base_signature()) &&
         std::equal(account_slot(), account_slot() + n, other.account_slot());
}

void CohortPart::Clear() {
  ForEachArray([](auto& v) { v.clear(); });
  start_ = 0;
}

void CohortPart::Push(Request* r, const PassKey& key) {
  requests_.push_back(r);
  signature_.push_back(key.signature);
  base_signature_.push_back(key.base_signature);
  account_slot_.push_back(key.account_slot);
}

void CohortPart::Reshape(size_t n) {
  start_ = 0;
  ForEachArray([&](auto& v) { v.resize(n); });
}

void CohortPart::Set(size_t i, Request* r, const PassKey& key) {
  const size_t at = start_ + i;
  requests_[at] = r;
  signature_[at] = key.signature;
  base_signature_[at] = key.base_signature;
  account_slot_[at] = key.account_slot;
}

void CohortPart::Copy(const CohortPart& other, size_t from, size_t to) {
  const auto f = static_cast<std::ptrdiff_t>(other.start_ + from), t = static_cast<std::ptrdiff_t>(other.start_ + to);
  requests_.insert(requests_.end(), other.requests_.begin() + f, other.requests_.begin() + t);
  signature_.insert(signature_.end(), other.signature_.begin() + f, other.signature_.begin() + t);
  base_signature_.insert(base_signature_.end(), other.base_signature_.begin() + f,
                         other.base_signature_.begin() + t);
  account_slot_.insert(account_slot_.end(), other.account_slot_.begin() + f, other.account_slot_.begin() + t);
}

void CohortPart::RemoveAt(size_t i) {
  const auto at = static_cast<std::ptrdiff_t>(start_ + i), first = static_cast<std::ptrdiff_t>(start_);
  if (i < size() / 2) {
    ForEachArray([&](auto& v) { std::move_backward(v.begin() + first, v.begin() + at, v.begin() + at + 1); });
    ++start_;
    // The free slots stay fewer than the members (and a few): memory at most
    // about twice the part's, and each move down paid for by as many leaves.
    if (start_ > 64 && start_ > size()) {
      ForEachArray([&](auto& v) { v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(start_)); });
      start_ = 0;
    }
  } else {
    ForEachArray([&](auto& v) { v.erase(v.begin() + at); });
  }
}

void CohortPart::RemoveAll(std::span<const size_t> at) {
  if (at.empty()) return;
  const size_t n = size();
  QSIM_CHECK(at.back() < n && std::adjacent_find(at.begin(), at.end(), std::greater_equal<>()) == at.end(),
             "positions to remove must ascend below %zu", n);
  // at[0, front) leave by the front, at[front, k) by the back.
  const size_t front = static_cast<size_t>(std::lower_bound(at.begin(), at.end(), n / 2) - at.begin());
  const size_t k = at.size();
  ForEachArray([&](auto& v) {
    const auto base = v.begin() + static_cast<std::ptrdiff_t>(start_);
    // Front: the run before at[i] moves up by the leavers from at[i] to
    // at[front - 1]; from the last run down, so no move overwrites a member
    // still to move.
    for (size_t i = front; i-- > 0;) {
      const size_t from = i == 0 ? 0 : at[i - 1] + 1;
      std::move_backward(base + static_cast<std::ptrdiff_t>(from), base + static_cast<std::ptrdiff_t>(at[i]),
                         base + static_cast<std::ptrdiff_t>(at[i] + (front - 1 - i) + 1));
    }
    // Back: the run after at[j] moves down by the leavers from at[front]
    // to at[j]; from the first run up.
    for (size_t j = front; j < k; ++j) {
      const size_t to = j + 1 < k ? at[j + 1] : n;
      std::move(base + static_cast<std::ptrdiff_t>(at[j] + 1), base + static_cast<std::ptrdiff_t>(to),
                base + static_cast<std::ptrdiff_t>(at[j] - (j - front)));
    }
    v.resize(v.size() - (k - front));
  });
  start_ += front;
  if (start_ > 64 && start_ > size()) {
    ForEachArray([&](auto& v) { v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(start_)); });
    start_ = 0;
  }
}

void CohortPart::InsertAt(size_t i, Request* r, const PassKey& key) {
  if (start_ > 0 && i < size() / 2) {
    const auto first = static_cast<std::ptrdiff_t>(start_), at = static_cast<std::ptrdiff_t>(start_ + i);
    ForEachArray([&](auto& v) { std::move(v.begin() + first, v.begin() + at, v.begin() + first - 1); });
    --start_;
    Set(i, r, key);
    return;
  }
  const auto at = static_cast<std::ptrdiff_t>(start_ + i);
  requests_.insert(requests_.begin() + at, r);
  signature_.insert(signature_.begin() + at, key.signature);
  base_signature_.insert(base_signature_.begin() + at, key.base_signature);
  account_slot_.insert(account_slot_.begin() + at, key.account_slot);
}

void CohortPart::Swap(CohortPart& other) {
  requests_.swap(other.requests_);
  signature_.swap(other.signature_);
  base_signature_.swap(other.base_signature_);
  account_slot_.swap(other.account_slot_);
  std::swap(start_, other.start_);
}

void RequestQueue::Add(std::unique_ptr<Request> r) {
  r->pair_id = PairId(*r);
  arrivals_.push_back(r.get());
  by_id_.Insert(std::move(r));
}

uint32_t RequestQueue::PairId(const Request& r) {
  if (2 * (pair_keys_.size() + 1) > pair_table_.size()) {
    std::vector<std::pair<uint64_t, uint32_t>> old(std::max<size_t>(64, 2 * pair_table_.size()));
    old.swap(pair_table_);
    for (const auto& entry : old) {
      if (entry.second == 0) continue;
      size_t at = std::hash<uint64_t>{}(entry.first) * 0x9E3779B97F4A7C15ULL >> 20;
      while (pair_table_[at & (pair_table_.size() - 1)].second != 0) ++at;
      pair_table_[at & (pair_table_.size() - 1)] = entry;
    }
  }
  const uint64_t pair = uint64_t{r.account_slot} << 32 | r.signature;
  const size_t mask = pair_table_.size() - 1;
  for (size_t at = std::hash<uint64_t>{}(pair) * 0x9E3779B97F4A7C15ULL >> 20;; ++at) {
    std::pair<uint64_t, uint32_t>& entry = pair_table_[at & mask];
    if (entry.second != 0 && entry.first == pair) return entry.second - 1;
    if (entry.second != 0) continue;
    const auto id = static_cast<uint32_t>(pair_keys_.size());
    entry = {pair, id + 1};
    pair_keys_.push_back(PairKey{r.account_slot, r.signature, r.base_signature});
    pair_count_.push_back(0);
    pair_at_.push_back(kAbsent);
    return id;
  }
}

// Every cohort member joins head_ with its examined time written out: for
// the rare orders the cohort cannot hold (an arrival examined no earlier
// than the cohort, two passes at one time).
void RequestQueue::Dissolve() {
  Flush();
  for (Request* r : tail_) r->SetExamined(*cohort_time_);
  head_.insert(head_.end(), tail_.begin(), tail_.end());  // all after head_'s
  tail_.clear();
  tail_keys_.clear();
  InvalidateParts();
}

void RequestQueue::Settle() {
  if (arrivals_.empty()) return;
  std::sort(arrivals_.begin(), arrivals_.end(), ExaminationOrder);
  if (cohort_size() > 0 && arrivals_.back()->examined_time() >= *cohort_time_) Dissolve();
  const size_t settled = head_.size();
  head_.insert(head_.end(), arrivals_.begin(), arrivals_.end());
  MergeSorted(head_.begin(), head_.begin() + static_cast<std::ptrdiff_t>(settled), head_.end(), ExaminationOrder);
  arrivals_.clear();
}

std::vector<Request*> RequestQueue::all() {
  Settle();
  std::vector<Request*> out = head_;
  for (uint32_t slot : parked_slots_) {
    const auto settled = static_cast<std::ptrdiff_t>(out.size());
    out.insert(out.end(), parked_[slot].begin(), parked_[slot].end());
    MergeSorted(out.begin(), out.begin() + settled, out.end(), ExaminationOrder);
  }
  out.insert(out.end(), tail().begin(), tail().end());
  return out;
}

void RequestQueue::Park(Request* r) {
  if (parked_.size() <= r->account_slot) parked_.resize(r->account_slot + 1);
  std::vector<Request*>& list = parked_[r->account_slot];
  if (list.empty()) {
    parked_slots_.push_back(r->account_slot);
    parked_from_.push_back(0);
  }
  list.push_back(r);
  r->parked = true;
  ++parked_count_;
}

void RequestQueue::MergeParked() {
  for (size_t i = 0; i < parked_slots_.size(); ++i) {
    std::vector<Request*>& list = parked_[parked_slots_[i]];
    if (list.size() > parked_from_[i]) {
      MergeSorted(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(parked_from_[i]), list.end(),
                  ExaminationOrder);
    }
    parked_from_[i] = list.size();
  }
}

void RequestQueue::Unpark() {
  size_t kept = 0;
  for (size_t i = 0; i < parked_slots_.size(); ++i) {
    const uint32_t slot = parked_slots_[i];
    std::vector<Request*>& list = parked_[slot];
    if (Parks(list.front())) {
      parked_slots_[kept] = slot;
      parked_from_[kept++] = list.size();
      continue;
    }
    for (Request* r : list) r->parked = false;
    parked_count_ -= list.size();
    const auto settled = static_cast<std::ptrdiff_t>(head_.size());
    head_.insert(head_.end(), list.begin(), list.end());
    MergeSorted(head_.begin(), head_.begin() + settled, head_.end(), ExaminationOrder);
    list.clear();
  }
  parked_slots_.resize(kept);
  parked_from_.resize(kept);
#ifdef QSIM_VERIFY_PARTS
  size_t parked = 0;
  for (uint32_t slot : parked_slots_) {
    const std::vector<Request*>& list = parked_[slot];
    QSIM_CHECK(!list.empty() && std::is_sorted(list.begin(), list.end(), ExaminationOrder),
               "slot %u's parked list is empty or out of order", slot);
    for (const Request* r : list) {
      QSIM_CHECK(r->parked && r->account_slot == slot && Parks(r), "request %s is parked wrongly", r->id.c_str());
    }
    parked += list.size();
  }
  QSIM_CHECK(parked == parked_count_, "%zu requests parked, %zu counted", parked, parked_count_);
#endif
}

std::unique_ptr<Request> RequestQueue::Take(Request* r) {
  QSIM_CHECK(!r->parked, "request %s is taken while parked (its account's part is left out)", r->id.c_str());
  r->taken = true;
  ++taken_;
  if (InCohort(r)) {
    taken_from_cohort_.push_back(r);
    r->SetExamined(*cohort_time_);  // the pass may still read it: same value
  }
  return by_id_.Remove(*r);
}

std::unique_ptr<Request> RequestQueue::Remove(Request* r) {
  if (r->parked) {
    std::vector<Request*>& list = parked_[r->account_slot];
    const auto at = std::lower_bound(list.begin(), list.end(), r, ExaminationOrder);
    QSIM_CHECK(at != list.end() && *at == r, "parked request %s is not in its slot's list", r->id.c_str());
    list.erase(at);
    r->parked = false;
    --parked_count_;
    const size_t i = static_cast<size_t>(
        std::find(parked_slots_.begin(), parked_slots_.end(), r->account_slot) - parked_slots_.begin());
    if (list.empty()) {
      parked_slots_.erase(parked_slots_.begin() + static_cast<std::ptrdiff_t>(i));
      parked_from_.erase(parked_from_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      parked_from_[i] = list.size();  // Remove runs between passes: all settled
    }
  } else if (auto it = std::find(arrivals_.begin(), arrivals_.end(), r); it != arrivals_.end()) {
    arrivals_.erase(it);
  } else if (InCohort(r)) {
    LeaveCohort(r);
    FlushIfLarge();
    r->SetExamined(*cohort_time_);
    if (parts_valid_) {
      CohortPart& part = parts_[part_of_slot_[r->account_slot]];
      const size_t at = FindInPart(part, r);
      QSIM_CHECK(at < part.size() && part.request(at) == r, "request %s is not in its cohort part", r->id.c_str());
      part.RemoveAt(at);
      CountPair(r->pair_id, r->account_slot, -1);
    }
  } else {
    head_.erase(std::lower_bound(head_.begin(), head_.end(), r, ExaminationOrder));
  }
  return by_id_.Remove(*r);
}

// The general form, for what the cohort cannot hold: every examined time
// written out, the listed ones set to `t`, then the order restored. Once
// marked, the list is a few ascending runs (the requests just examined keep
// their (enqueue, id) order within each former examined-time cohort): one
// walk marks them and finds where the runs start, and merging adjacent runs
// costs about one pass over the list per doubling.
void RequestQueue::MarkExaminedInFull(uint64_t pass, Time t) {
  Dissolve();
  size_t kept = 0;
  for (Request* r : head_) {
    if (r->taken) {
      r->taken = false;
      continue;
    }
    if (r->listed_in_pass == pass) r->SetExamined(t);
    head_[kept++] = r;
  }
  head_.resize(kept);
  SortByRuns(head_.begin(), head_.end(), ExaminationOrder);
  FormCohort(t);
}

// Makes the requests examined at `t` the cohort, if they end the order.
void RequestQueue::FormCohort(Time t) {
  auto first = std::partition_point(head_.begin(), head_.end(),
                                    [t](const Request* r) { return r->examined_time() < t; });
  if (first == head_.end() || head_.back()->examined_time() != t) return;
  *cohort_time_ = t;
  InvalidateParts();  // a new cohort: the next Partition splits it
  QSIM_CHECK(cohort_size() == 0, "a cohort is formed over %zu members", cohort_size());
  tail_dead_ = tail_live_from_ = 0;
  for (auto it = first; it != head_.end(); ++it) (*it)->examined_ = cohort_time_.get();
  tail_.assign(first, head_.end());
  tail_keys_.clear();
  for (const Request* r : tail_) tail_keys_.push_back(KeyOf(*r));
  head_.erase(first, head_.end());
}

bool RequestQueue::CohortCanTake(uint64_t pass, Time t) const {
  bool fits = cohort_size() == 0 || t > *cohort_time_;
  for (size_t i = 0; fits && i < head_.size(); ++i) {
    const Request* r = head_[i];
    fits = r->taken || r->listed_in_pass == pass || r->examined_time() < t;
  }
  return fits;
}

void RequestQueue::ChangeCohort(const std::vector<Request*>& leaving, const std::vector<Request*>& joining) {
  if (leaving.empty() && joining.empty()) return;
  // Joiners after every member (new arrivals, enqueued last) are appended
  // in place by JoinCohort, so they are no deferred change.
  const size_t deferred_joins = JoinsAtEnd(joining) ? 0 : joining.size();
  if (tail_dead_ + cohort_joined_.size() + leaving.size() + deferred_joins > FlushLimit()) {
    // Too many to defer (a pass that placed or listed much): one copy.
    Flush();
    RebuildCohort(leaving, joining);
  } else {
    for (Request* r : leaving) LeaveCohort(r);
    JoinCohort(joining);
  }
  if (parts_valid_) RebuildParts(leaving, joining);
}

void RequestQueue::MarkExamined(uint64_t pass, Time t, const std::vector<Request*>& unlisted) {
  // Decided before anything changes: the cohort road, or the general one.
  if (!CohortCanTake(pass, t)) {
    taken_from_cohort_.clear();  // still flagged: MarkExaminedInFull drops them
    taken_ = 0;
    // The general road reads every request's listed_in_pass: write the
    // cohort's out (all listed but the unlisted ones).
    for (Request* r : tail()) r->listed_in_pass = pass;
    for (Request* r : unlisted) r->listed_in_pass = 0;
    MarkExaminedInFull(pass, t);
    return;
  }
  taken_ = 0;
  // The cohort's members leave it if taken or left out; the listed ones of
  // head_ join it; head_ keeps the rest, now with the left-out members.
  // Scratch kept across passes: a pass allocates nothing here.
  std::vector<Request*>& leaving = leaving_;
  std::vector<Request*>& keep = keep_;
  std::vector<Request*>& joining = joining_;
  leaving.assign(taken_from_cohort_.begin(), taken_from_cohort_.end());
  const auto placed_from_cohort = static_cast<std::ptrdiff_t>(leaving.size());
  taken_from_cohort_.clear();
  keep.clear();
  joining.clear();
  for (Request* r : leaving) r->taken = false;
  for (Request* r : head_) {
    if (r->taken) {
      r->taken = false;
    } else if (r->listed_in_pass == pass) {
      joining.push_back(r);
    } else if (Parks(r)) {
      Park(r);
    } else {
      keep.push_back(r);
    }
  }
  for (Request* r : unlisted) {
    if (!InCohort(r)) continue;
    leaving.push_back(r);
    r->SetExamined(*cohort_time_);
    if (Parks(r)) {
      Park(r);
    } else {
      keep.push_back(r);
    }
  }
  // Each slot's new parked requests came in examination order (head_'s,
  // then the cohort's, all later): one merge per slot.
  MergeParked();
  // `keep` is in examination order as it stands: its head part is a
  // subsequence of head_, and the cohort's left-out members follow in
  // cohort order (the contract on `unlisted`), examined now at the old
  // cohort time, later than every head member's. Likewise the left-out
  // members end `leaving` in cohort order; only the few placed ones before
  // them need sorting.
#ifdef QSIM_VERIFY_PARTS
  QSIM_CHECK(std::is_sorted(keep.begin(), keep.end(), ExaminationOrder), "the head is out of order");
#endif
  head_.swap(keep);
  SortByRuns(joining.begin(), joining.end(), CohortOrder);
  std::sort(leaving.begin(), leaving.begin() + placed_from_cohort, CohortOrder);
  MergeSorted(leaving.begin(), leaving.begin() + placed_from_cohort, leaving.end(), CohortOrder);
  ChangeCohort(leaving, joining);
  for (Request* r : joining) r->examined_ = cohort_time_.get();
  *cohort_time_ = t;
}

namespace {

// The first position in [first, last) whose request is not before `r` in
// CohortOrder, found by galloping from `first`: a run of k sorted requests
// placed into the cohort reads O(k log(n / k)) of its members.
template <typename It>
It GallopTo(It first, It last, const Request* r) {
  std::ptrdiff_t step = 1;
  auto lo = first;
  while (last - lo > step && CohortOrder(*(lo + step - 1), r)) {
    lo += step;
    step *= 2;
  }
  return std::lower_bound(lo, lo + std::min(step, last - lo), r, CohortOrder);
}

}  // namespace

// tail_ without `leaving`, with `joining` merged in (both in CohortOrder);
// each found by galloping search, so only their neighbours are read, and the
// rest of the cohort is copied as pointers.
void RequestQueue::RebuildCohort(const std::vector<Request*>& leaving, const std::vector<Request*>& joining) const {
  scratch_.clear();
  scratch_.reserve(tail_.size() + joining.size());
  scratch_keys_.clear();
  scratch_keys_.reserve(tail_.size() + joining.size());
  // Copies tail_[from, to) and its keys.
  auto copy = [&](std::vector<Request*>::iterator from, std::vector<Request*>::iterator to) {
    scratch_.insert(scratch_.end(), from, to);
    scratch_keys_.insert(scratch_keys_.end(), tail_keys_.begin() + (from - tail_.begin()),
                         tail_keys_.begin() + (to - tail_.begin()));
  };
  auto from = tail_.begin();
  size_t j = 0, l = 0;
  // Where the next leaving and joining requests are; valid while >= from.
  auto leave_at = l < leaving.size() ? GallopTo(from, tail_.end(), leaving[l]) : tail_.end();
  auto join_at = j < joining.size() ? GallopTo(from, tail_.end(), joining[j]) : tail_.end();
  while (j < joining.size() || l < leaving.size()) {
    if (j < joining.size() && join_at <= leave_at) {
      copy(from, join_at);
      scratch_.push_back(joining[j]);
      scratch_keys_.push_back(KeyOf(*joining[j++]));
      from = join_at;
      join_at = j < joining.size() ? GallopTo(from, tail_.end(), joining[j]) : tail_.end();
    } else {
      QSIM_CHECK(leave_at != tail_.end() && *leave_at == leaving[l], "request %s leaves a cohort it is not in",
                 leaving[l]->id.c_str());
      copy(from, leave_at);
      from = leave_at + 1;
      ++l;
      leave_at = l < leaving.size() ? GallopTo(from, tail_.end(), leaving[l]) : tail_.end();
      if (join_at < from) join_at = from;  // it was the leaving one's place: the same now
    }
  }
  copy(from, tail_.end());
  tail_.swap(scratch_);
  tail_keys_.swap(scratch_keys_);
}

// The first live slot of tail_ at or after `from` whose request is not
// before `r` in CohortOrder (tail_.size() if none): a binary search whose
// probes step over null slots.
size_t RequestQueue::FirstLiveNotBefore(const Request* r, size_t from) const {
  size_t lo = from, hi = tail_.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    size_t k = mid;
    while (k < hi && tail_[k] == nullptr) ++k;
    if (k < hi && CohortOrder(tail_[k], r)) {
      lo = k + 1;
    } else {
      hi = mid;
    }
  }
  while (lo < tail_.size() && tail_[lo] == nullptr) ++lo;
  return lo;
}

void RequestQueue::JoinedPlaces(std::vector<size_t>& at) const {
  at.clear();
  size_t from = tail_live_from_;
  for (const Request* r : cohort_joined_) {
    from = FirstLiveNotBefore(r, from);
    at.push_back(from);
  }
}

void RequestQueue::LeaveCohort(Request* r) {
  const auto joined = std::lower_bound(cohort_joined_.begin(), cohort_joined_.end(), r, CohortOrder);
  if (joined != cohort_joined_.end() && *joined == r) {
    cohort_joined_.erase(joined);
    return;
  }
  const size_t lo = FirstLiveNotBefore(r, tail_live_from_);
  QSIM_CHECK(lo < tail_.size() && tail_[lo] == r, "request %s leaves a cohort it is not in", r->id.c_str());
  tail_[lo] = nullptr;
  ++tail_dead_;
  while (tail_live_from_ < tail_.size() && tail_[tail_live_from_] == nullptr) ++tail_live_from_;
}

bool RequestQueue::JoinsAtEnd(const std::vector<Request*>& joining) const {
  if (joining.empty() || !cohort_joined_.empty()) return false;
  for (size_t i = tail_.size(); i > tail_live_from_; --i) {
    if (tail_[i - 1] != nullptr) return CohortOrder(tail_[i - 1], joining.front());
  }
  return true;
}

// `joining` is in CohortOrder, and none of it is in the cohort.
void RequestQueue::JoinCohort(const std::vector<Request*>& joining) {
  if (JoinsAtEnd(joining)) {
    for (Request* r : joining) {
      tail_.push_back(r);
      tail_keys_.push_back(KeyOf(*r));
    }
    return;
  }
  const auto settled = static_cast<std::ptrdiff_t>(cohort_joined_.size());
  cohort_joined_.insert(cohort_joined_.end(), joining.begin(), joining.end());
  MergeSorted(cohort_joined_.begin(), cohort_joined_.begin() + settled, cohort_joined_.end(), CohortOrder);
}

void RequestQueue::Flush() const {
  if (tail_dead_ > 0) {
    // Live runs moved down over the null slots.
    size_t kept = 0;
    for (size_t i = tail_live_from_; i < tail_.size();) {
      if (tail_[i] == nullptr) {
        ++i;
        continue;
      }
      const size_t end = static_cast<size_t>(
          std::find(tail_.begin() + static_cast<std::ptrdiff_t>(i), tail_.end(), nullptr) - tail_.begin());
      std::copy(tail_.begin() + static_cast<std::ptrdiff_t>(i), tail_.begin() + static_cast<std::ptrdiff_t>(end),
                tail_.begin() + static_cast<std::ptrdiff_t>(kept));
      std::copy(tail_keys_.begin() + static_cast<std::ptrdiff_t>(i),
                tail_keys_.begin() + static_cast<std::ptrdiff_t>(end),
                tail_keys_.begin() + static_cast<std::ptrdiff_t>(kept));
      kept += end - i;
      i = end;
    }
    tail_.resize(kept);
    tail_keys_.resize(kept);
  }
  tail_dead_ = tail_live_from_ = 0;
  if (cohort_joined_.empty()) return;
  RebuildCohort({}, cohort_joined_);
  cohort_joined_.clear();
}

void RequestQueue::Partition(const std::vector<uint8_t>& part_of_slot, size_t num_parts, size_t left_out_part) {
  PartitionCohort(part_of_slot, num_parts);
  left_out_part_ = left_out_part;
  Unpark();
}

void RequestQueue::PartitionCohort(const std::vector<uint8_t>& part_of_slot, size_t num_parts) {
  // Every cohort member's slot is below part_of_slot_.size() (slots only
  // grow, and a member joined while the table held its slot): the split
  // stands on the slots whose part is unchanged.
  const bool valid = parts_valid_ && parts_.size() == num_parts && part_of_slot.size() >= part_of_slot_.size();
  const bool same = valid && std::equal(part_of_slot_.begin(), part_of_slot_.end(), part_of_slot.begin());
#ifdef QSIM_VERIFY_PARTS
  if (valid) VerifyParts();
#endif
  if (same) {
    part_of_slot_ = part_of_slot;
    return;
  }
  if (valid) {
    std::vector<uint8_t>& old_table = part_scratch_table_;
    old_table.assign(part_of_slot_.begin(), part_of_slot_.end());
    part_of_slot_ = part_of_slot;
    SplitChanged(old_table);
#ifdef QSIM_VERIFY_PARTS
    VerifyParts();
#endif
    return;
  }
  part_of_slot_ = part_of_slot;
  ClearPairs();
  parts_.resize(num_parts);
  present_.resize(num_parts);
  SplitAll();
}

// The split from nothing: every part and every count anew.
void RequestQueue::SplitAll() {
  Flush();
  for (CohortPart& p : parts_) p.Clear();
  ClearPairs();
  for (size_t i = 0; i < tail_.size(); ++i) {
    const PassKey& key = tail_keys_[i];
    QSIM_CHECK(part_of_slot_[key.account_slot] < parts_.size(), "account slot %u has no part", key.account_slot);
    parts_[part_of_slot_[key.account_slot]].Push(tail_[i], key);
    CountPair(key.pair_id, key.account_slot, +1);
  }
  parts_valid_ = true;
}

// The split after some slots changed part (an account's level moved): only
// the parts those slots leave or join change, so only they are rebuilt, from
// one walk over the cohort's keys; the others keep their members, the same
// by the old table and the new. The counts per pair do not depend on the
// table; the changed parts' pair lists are re-filed by the new one.
void RequestQueue::SplitChanged(const std::vector<uint8_t>& old_table) {
  std::vector<char> affected(parts_.size(), 0);
  for (size_t slot = 0; slot < old_table.size(); ++slot) {
    if (old_table[slot] == part_of_slot_[slot]) continue;
    affected[old_table[slot]] = 1;
    affected[part_of_slot_[slot]] = 1;
  }
  std::vector<uint32_t> moved;
  for (size_t k = 0; k < parts_.size(); ++k) {
    if (!affected[k]) continue;
    for (uint32_t id : present_[k]) pair_at_[id] = kAbsent;
    moved.insert(moved.end(), present_[k].begin(), present_[k].end());
    present_[k].clear();
  }
  for (uint32_t id : moved) {
    std::vector<uint32_t>& into = present_[part_of_slot_[pair_keys_[id].account_slot]];
    pair_at_[id] = static_cast<uint32_t>(into.size());
    into.push_back(id);
  }
  // Sized first, from the pair counts (a part's size is the sum of its
  // pairs'), then filled by plain stores in one walk over the cohort as its
  // deferred changes leave it (tail_'s live slots, the joined members merged
  // in at their places), without applying them: the changed parts are often
  // most of the cohort, and an account's level moves often.
  std::vector<size_t> fill(parts_.size(), 0);
  for (size_t k = 0; k < parts_.size(); ++k) {
    if (!affected[k]) continue;
    size_t size = 0;
    for (uint32_t id : present_[k]) size += pair_count_[id];
    parts_[k].Reshape(size);
  }
  // Per slot, the part its members go to if that part is rebuilt, else
  // kKept: one table read per member in the walk.
  constexpr uint8_t kKept = UINT8_MAX;
  std::vector<uint8_t>& target = split_target_;
  target.resize(part_of_slot_.size());
  for (size_t slot = 0; slot < part_of_slot_.size(); ++slot) {
    target[slot] = affected[part_of_slot_[slot]] ? part_of_slot_[slot] : kKept;
  }
  const auto file = [&](Request* r, const PassKey& key) {
    if (const uint8_t k = target[key.account_slot]; k != kKept) parts_[k].Set(fill[k]++, r, key);
  };
  // tail_'s live slots in [from, to).
  const auto file_slots = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (tail_[i] != nullptr) file(tail_[i], tail_keys_[i]);
    }
  };
  JoinedPlaces(joined_places_);
  size_t from = tail_live_from_;
  for (size_t j = 0; j < cohort_joined_.size(); ++j) {
    file_slots(from, joined_places_[j]);
    from = joined_places_[j];
    file(cohort_joined_[j], KeyOf(*cohort_joined_[j]));
  }
  file_slots(from, tail_.size());
#ifdef QSIM_VERIFY_PARTS
  for (size_t k = 0; k < parts_.size(); ++k) {
    QSIM_CHECK(!affected[k] || fill[k] == parts_[k].size(), "part %zu was filled with %zu of %zu", k, fill[k],
               parts_[k].size());
  }
#endif
}

// Checks the parts and the pair lists against a split from scratch.
// Reads the cohort as its deferred changes leave it, without applying them.
void RequestQueue::VerifyParts() const {
  std::vector<CohortPart> want(parts_.size());
  std::vector<uint32_t> count(pair_keys_.size(), 0);
  std::vector<Request*> cohort;
  for (size_t i = 0; i < tail_.size(); ++i) {
    if (tail_[i] == nullptr) continue;
    QSIM_CHECK(i >= tail_live_from_, "a live cohort slot %zu is before %zu", i, tail_live_from_);
    const PassKey want_key = KeyOf(*tail_[i]), &key = tail_keys_[i];
    QSIM_CHECK(key.account_slot == want_key.account_slot && key.signature == want_key.signature &&
                   key.base_signature == want_key.base_signature && key.pair_id == want_key.pair_id,
               "cohort key %zu differs", i);
    cohort.push_back(tail_[i]);
  }
  QSIM_CHECK(cohort.size() + tail_dead_ == tail_.size(), "the cohort counts %zu dead slots", tail_dead_);
  const size_t settled = cohort.size();
  cohort.insert(cohort.end(), cohort_joined_.begin(), cohort_joined_.end());
  QSIM_CHECK(std::is_sorted(cohort.begin(), cohort.begin() + static_cast<std::ptrdiff_t>(settled), CohortOrder) &&
                 std::is_sorted(cohort.begin() + static_cast<std::ptrdiff_t>(settled), cohort.end(), CohortOrder),
             "the cohort is out of order");
  std::inplace_merge(cohort.begin(), cohort.begin() + static_cast<std::ptrdiff_t>(settled), cohort.end(), CohortOrder);
  for (Request* r : cohort) {
    want[part_of_slot_[r->account_slot]].Push(r, KeyOf(*r));
    ++count[r->pair_id];
  }
  for (size_t k = 0; k < parts_.size(); ++k) {
    const CohortPart& a = want[k];
    const CohortPart& b = parts_[k];
    QSIM_CHECK(a == b, "part %zu differs", k);
    for (size_t j = 0; j < present_[k].size(); ++j) {
      const uint32_t id = present_[k][j];
      QSIM_CHECK(pair_at_[id] == j && count[id] > 0 && part_of_slot_[pair_keys_[id].account_slot] == k,
                 "pair %u is misfiled in part %zu", id, k);
    }
  }
  size_t listed = 0;
  for (const auto& p : present_) listed += p.size();
  size_t nonzero = 0;
  for (uint32_t id = 0; id < count.size(); ++id) {
    QSIM_CHECK(count[id] == pair_count_[id], "pair %u's count differs", id);
    nonzero += count[id] > 0;
  }
  QSIM_CHECK(listed == nonzero, "the pair lists hold %zu pairs, the cohort %zu", listed, nonzero);
}

void RequestQueue::ClearPairs() {
  for (std::vector<uint32_t>& ids : present_) {
    for (uint32_t id : ids) {
      pair_count_[id] = 0;
      pair_at_[id] = kAbsent;
    }
    ids.clear();
  }
}

void RequestQueue::CountPair(uint32_t pair_id, uint32_t account_slot, int delta) {
  std::vector<uint32_t>& ids = present_[part_of_slot_[account_slot]];
  uint32_t& count = pair_count_[pair_id];
  if (delta > 0) {
    if (count++ == 0) {
      pair_at_[pair_id] = static_cast<uint32_t>(ids.size());
      ids.push_back(pair_id);
    }
    return;
  }
  QSIM_CHECK(count > 0 && pair_at_[pair_id] != kAbsent, "pair %u is not counted", pair_id);
  if (--count > 0) return;
  const uint32_t at = pair_at_[pair_id];
  pair_at_[ids.back()] = at;
  ids[at] = ids.back();
  ids.pop_back();
  pair_at_[pair_id] = kAbsent;
}

// RebuildCohort's change, part by part: `leaving` and `joining` (both in
// CohortOrder) split by part, each part rebuilt only if it changes, each
// change found by galloping search from the last.
void RequestQueue::RebuildParts(const std::vector<Request*>& leaving, const std::vector<Request*>& joining) {
  part_leaving_.resize(parts_.size());
  part_joining_.resize(parts_.size());
  part_scratch_.resize(parts_.size());
  for (auto& v : part_leaving_) v.clear();
  for (auto& v : part_joining_) v.clear();
  auto part_of = [&](const Request* r) -> size_t {
    QSIM_CHECK(r->account_slot < part_of_slot_.size(), "request %s has an account slot without a part",
               r->id.c_str());
    return part_of_slot_[r->account_slot];
  };
  for (Request* r : leaving) {
    part_leaving_[part_of(r)].push_back(r);
    CountPair(r->pair_id, r->account_slot, -1);
  }
  for (Request* r : joining) {
    part_joining_[part_of(r)].push_back(r);
    CountPair(r->pair_id, r->account_slot, +1);
  }
  for (size_t k = 0; k < parts_.size(); ++k) {
    const std::vector<Request*>& out = part_leaving_[k];
    const std::vector<Request*>& in = part_joining_[k];
    if (out.empty() && in.empty()) continue;
    CohortPart& part = parts_[k];
    // A few changes are made in place: the leavers together, moving the
    // members between them and the part's nearer end once, then each
    // arrival moving those on its nearer side (placements leave near the
    // front, recent arrivals join near the back); many, by one merged copy.
    // Arrivals after every member are appended, however many.
    const bool append = !in.empty() && (part.empty() || CohortOrder(part.request(part.size() - 1), in.front()));
    if (out.size() + (append ? 0 : in.size()) <= kInPlaceChanges) {
      // `out` is in cohort order, so its positions ascend.
      std::vector<size_t>& at = leaving_positions_;
      at.clear();
      for (Request* r : out) {
        at.push_back(FindInPart(part, r));
        QSIM_CHECK(at.back() < part.size() && part.request(at.back()) == r,
                   "request %s leaves a cohort part it is not in", r->id.c_str());
      }
      part.RemoveAll(at);
      for (Request* r : in) {
        if (append) {
          part.Push(r, KeyOf(*r));
        } else {
          part.InsertAt(FindInPart(part, r), r, KeyOf(*r));
        }
      }
      continue;
    }
    CohortPart& next = part_scratch_[k];
    next.Clear();
    size_t from = 0, j = 0, l = 0;
    auto find = [&](const Request* r) {
      return static_cast<size_t>(GallopTo(part.requests() + from, part.requests() + part.size(), r) - part.requests());
    };
    while (j < in.size() || l < out.size()) {
      if (j < in.size() && (l == out.size() || CohortOrder(in[j], out[l]))) {
        const size_t at = find(in[j]);
        next.Copy(part, from, at);
        next.Push(in[j], KeyOf(*in[j]));
        from = at;
        ++j;
      } else {
        const size_t at = find(out[l]);
        QSIM_CHECK(at < part.size() && part.request(at) == out[l], "request %s leaves a cohort part it is not in",
                   out[l]->id.c_str());
        next.Copy(part, from, at);
        from = at + 1;
        ++l;
      }
    }
    next.Copy(part, from, part.size());
    part.Swap(next);
  }
}

size_t RequestQueue::FindInPart(const CohortPart& part, const Request* r) {
  return static_cast<size_t>(std::lower_bound(part.requests(), part.requests() + part.size(), r, CohortOrder) -
                             part.requests());
}

std::vector<const Request*> RequestQueue::SortedById() const {
  std::vector<const Request*> out;
  out.reserve(size());
  auto untaken = [](const Request* r) { return !r->taken; };
  std::copy_if(head_.begin(), head_.end(), std::back_inserter(out), untaken);
  auto queued = [](const Request* r) { return r != nullptr && !r->taken; };
  std::copy_if(tail_.begin(), tail_.end(), std::back_inserter(out), queued);
  std::copy_if(cohort_joined_.begin(), cohort_joined_.end(), std::back_inserter(out), untaken);
  out.insert(out.end(), arrivals_.begin(), arrivals_.end());
  for (uint32_t slot : parked_slots_) out.insert(out.end(), parked_[slot].begin(), parked_[slot].end());
  std::sort(out.begin(), out.end(), [](const Request* a, const Request* b) { return a->id < b->id; });
  return out;
}

}  // namespace qsim::internal
