// The request queue: queued requests by id, kept in examination order
// (docs/scheduler.md §5) between passes. See request_queue.h.
#include "scheduler/internal/request_queue.h"

#include <algorithm>
#include <iterator>

namespace qsim::internal {

bool ExaminationOrder(const Request* a, const Request* b) {
  if (a->examined_time != b->examined_time) return a->examined_time < b->examined_time;
  if (a->enqueue_time != b->enqueue_time) return a->enqueue_time < b->enqueue_time;
  if (a->id_prefix != b->id_prefix) return a->id_prefix < b->id_prefix;
  return a->id < b->id;
}

namespace {

// Merges the sorted neighbours [first, mid) and [mid, last) in examination
// order. Usually one side is a handful of requests (this pass's arrivals, or
// the few examined out of step) and the other the whole backlog: each of the
// few is then placed by binary search, which reads O(log n) backlog requests
// where a linear merge reads them all. The order is strict (ids are unique),
// so either way gives the same list.
void MergeSorted(std::vector<Request*>::iterator first, std::vector<Request*>::iterator mid,
                 std::vector<Request*>::iterator last) {
  constexpr std::ptrdiff_t kFew = 8;
  if (mid - first <= kFew) {
    // Right to left, each joins the sorted tail after it.
    for (auto i = mid; i != first;) {
      --i;
      std::rotate(i, i + 1, std::lower_bound(i + 1, last, *i, ExaminationOrder));
    }
  } else if (last - mid <= kFew) {
    // Left to right, each joins the sorted head before it.
    for (auto j = mid; j != last; ++j) {
      std::rotate(std::upper_bound(first, j, *j, ExaminationOrder), j, j + 1);
    }
  } else {
    std::inplace_merge(first, mid, last, ExaminationOrder);
  }
}

}  // namespace

void RequestQueue::Add(std::unique_ptr<Request> r) {
  arrivals_.push_back(r.get());
  by_id_.Insert(std::move(r));
}

const std::vector<Request*>& RequestQueue::all() {
  if (!arrivals_.empty()) {
    std::sort(arrivals_.begin(), arrivals_.end(), ExaminationOrder);
    const size_t settled = ordered_.size();
    ordered_.insert(ordered_.end(), arrivals_.begin(), arrivals_.end());
    MergeSorted(ordered_.begin(), ordered_.begin() + static_cast<std::ptrdiff_t>(settled), ordered_.end());
    arrivals_.clear();
  }
  return ordered_;
}

std::unique_ptr<Request> RequestQueue::Take(Request* r) {
  r->taken = true;
  ++taken_;
  return by_id_.Remove(*r);
}

std::unique_ptr<Request> RequestQueue::Remove(Request* r) {
  if (auto it = std::find(arrivals_.begin(), arrivals_.end(), r); it != arrivals_.end()) {
    arrivals_.erase(it);
  } else {
    ordered_.erase(std::lower_bound(ordered_.begin(), ordered_.end(), r, ExaminationOrder));
  }
  return by_id_.Remove(*r);
}

void RequestQueue::MarkExamined(uint64_t pass, Time t) {
  // Once marked, the list is a few ascending runs: the requests just
  // examined keep their (enqueue, id) order within each former examined-time
  // cohort. One walk marks them and finds where the runs start (each request
  // is compared with its already marked predecessor); merging adjacent runs
  // then costs about one pass over the list per doubling.
  // The same walk closes the gaps of the taken requests.
  std::vector<size_t> bounds{0};
  size_t kept = 0;
  for (Request* r : ordered_) {
    if (r->taken) {
      r->taken = false;
      continue;
    }
    if (r->listed_in_pass == pass) r->examined_time = t;
    if (kept > 0 && ExaminationOrder(r, ordered_[kept - 1])) bounds.push_back(kept);
    ordered_[kept++] = r;
  }
  ordered_.resize(kept);
  taken_ = 0;
  bounds.push_back(ordered_.size());
  while (bounds.size() > 2) {
    std::vector<size_t> merged{0};
    for (size_t k = 0; k + 2 < bounds.size(); k += 2) {
      MergeSorted(ordered_.begin() + static_cast<ptrdiff_t>(bounds[k]),
                  ordered_.begin() + static_cast<ptrdiff_t>(bounds[k + 1]),
                  ordered_.begin() + static_cast<ptrdiff_t>(bounds[k + 2]));
      merged.push_back(bounds[k + 2]);
    }
    if (bounds.size() % 2 == 0) merged.push_back(bounds.back());
    bounds = std::move(merged);
  }
}

std::vector<const Request*> RequestQueue::SortedById() const {
  std::vector<const Request*> out;
  out.reserve(size());
  std::copy_if(ordered_.begin(), ordered_.end(), std::back_inserter(out), [](const Request* r) { return !r->taken; });
  out.insert(out.end(), arrivals_.begin(), arrivals_.end());
  std::sort(out.begin(), out.end(), [](const Request* a, const Request* b) { return a->id < b->id; });
  return out;
}

}  // namespace qsim::internal
