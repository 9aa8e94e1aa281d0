// The scheduler's state and notifications (spec §2-§4). The pass itself is in
// pass.cc, the persistent form in scheduler_proto.cc.
#include "scheduler/scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "scheduler/internal/events_util.h"
#include "scheduler/internal/pass.h"
#include "scheduler/internal/state.h"

namespace qsim {

using internal::CompletedEvent;
using internal::RequestEvent;
using internal::WorkerEvent;

namespace {

void Confirm(Time& confirmed, Time t) { confirmed = std::max(confirmed, t); }

bool Finite(float v) { return std::isfinite(v); }

}  // namespace

// ---------------------------------------------------------------- Impl helpers

Worker* Scheduler::Impl::FindWorker(std::string_view id) { return worker_by_id.Find(id); }

Worker* Scheduler::Impl::RunningWorkerOf(const std::string& request) const {
  auto it = running.find(request);
  return it == running.end() ? nullptr : it->second;
}

void Scheduler::Impl::GrowLabelIndexes() {
  workers_with_label.resize(labels.size(), 0);
  idle_with_label.resize(labels.size());
}

void Scheduler::Impl::IndexIdle(Worker& w) {
  idle.insert(&w);
  idle_in_class[w.label_class].insert(&w);
  for (auto l : LabelIdsOf(w)) idle_with_label[l].insert(&w);
  idle_confirmed_floor = std::min(idle_confirmed_floor, w.confirmed_time);
}

void Scheduler::Impl::UnindexIdle(Worker& w) {
  idle.erase(&w);
  idle_in_class[w.label_class].erase(&w);
  for (auto l : LabelIdsOf(w)) idle_with_label[l].erase(&w);
}

void Scheduler::Impl::CountRun(const Worker& w, int delta) {
  const uint32_t slot = w.run->request->account_slot;
  if (runs_at.size() <= slot) runs_at.resize(slot + 1, std::array<int32_t, kNumPriorities + 1>{});
  runs_at[slot][w.run->priority] += delta;
}

const std::array<int32_t, kNumPriorities + 1>& Scheduler::Impl::RunsOf(uint32_t account_slot) const {
  static const std::array<int32_t, kNumPriorities + 1> kNone{};
  return account_slot < runs_at.size() ? runs_at[account_slot] : kNone;
}

Balance Scheduler::Impl::CostOf(const Worker& w) const {
  Balance cost;
  for (int p = 0; p < kNumPriorities; ++p) cost[p] = run_cost[p][w.run.slot()];
  return cost;
}

void Scheduler::Impl::SetRunPriority(Worker& w, Priority p) {
  CountRun(w, -1);
  MoveRunToGroup(w.run.slot(), w.run->priority, p);
  w.run->priority = p;
  CountRun(w, +1);
}

void Scheduler::Impl::SwapRuns(uint32_t a, uint32_t b) {
  if (a == b) return;
  std::swap(runs[a], runs[b]);
  for (std::vector<float>& cost : run_cost) std::swap(cost[a], cost[b]);
  runs[a].worker->run = RunHandle(&runs, a);
  runs[b].worker->run = RunHandle(&runs, b);
}

// Moves the run at `slot` from priority group `from` to group `to` (group
// kFreeBucket + 1 is the end of the table) one boundary at a time: across
// each, it trades places with the neighbouring group's edge run.
void Scheduler::Impl::MoveRunToGroup(uint32_t slot, int from, int to) {
  for (int g = from; g < to; ++g) {  // become the last of g, then the first of g + 1
    const uint32_t last = run_begin[g + 1] - 1;
    SwapRuns(slot, last);
    slot = last;
    --run_begin[g + 1];
  }
  for (int g = from; g > to; --g) {  // become the first of g, then the last of g - 1
    const uint32_t first = run_begin[g];
    SwapRuns(slot, first);
    slot = first;
    ++run_begin[g];
  }
}

void Scheduler::Impl::InternWorkerLabels(Worker& w, LabelSet new_labels) {
  if (w.label_class != Worker::kNoClass) {
    for (auto id : LabelIdsOf(w)) --workers_with_label[id];
  }
  auto [cls, added] =
      worker_classes.try_emplace(labels.InternAll(new_labels), static_cast<uint32_t>(class_labels.size()));
  if (added) {
    class_labels.push_back(&cls->first);
    class_label_names.push_back(std::move(new_labels));
    idle_in_class.emplace_back();
  }
  w.label_class = cls->second;
  GrowLabelIndexes();
  for (auto id : LabelIdsOf(w)) ++workers_with_label[id];
}

void Scheduler::Impl::SetWorkerLabels(Worker& w, LabelSet new_labels) {
  // Only known workers come here, and every known idle worker is indexed.
  if (w.idle()) UnindexIdle(w);
  InternWorkerLabels(w, std::move(new_labels));
  if (w.idle()) IndexIdle(w);
}

void Scheduler::Impl::AssignRank(std::map<std::string_view, Worker*>::iterator it) {
  // Ranks are spaced so a new worker usually fits between its neighbours;
  // when it does not, all are renumbered, which keeps their order and so
  // every set ordered by rank.
  constexpr uint64_t kGap = uint64_t{1} << 32;
  const uint64_t lo = it == workers.begin() ? 0 : std::prev(it)->second->rank;
  const auto next = std::next(it);
  const uint64_t hi = next == workers.end() ? lo + 2 * kGap : next->second->rank;
  if (hi - lo >= 2) {
    it->second->rank = lo + (hi - lo) / 2;
    return;
  }
  uint64_t rank = 0;
  for (auto& [id, w] : workers) w->rank = rank += kGap;
  idle.RefreshRanks();
  for (WorkerSet& set : idle_with_label) set.RefreshRanks();
  for (WorkerSet& set : idle_in_class) set.RefreshRanks();
}

Worker& Scheduler::Impl::AddWorker(const std::string& id, LabelSet worker_labels, Time confirmed,
                                   Time modified) {
  std::unique_ptr<Worker> added;
  if (spare_workers.empty()) {
    added = std::make_unique<Worker>();
  } else {
    added = std::move(spare_workers.back());
    spare_workers.pop_back();
    *added = Worker();
  }
  added->id = id;
  Worker& w = worker_by_id.Insert(std::move(added));
  w.confirmed_time = confirmed;
  w.modified_time = modified;
  InternWorkerLabels(w, std::move(worker_labels));
  w.in_id_order = workers.emplace(w.id, &w).first;
  AssignRank(w.in_id_order);
  IndexIdle(w);
  return w;
}

void Scheduler::Impl::RemoveWorker(std::string_view id) {
  Worker* found = worker_by_id.Find(id);
  if (!found) return;
  Worker& w = *found;
  if (w.run) {
    running.erase(w.run->request->id);
    CountRun(w, -1);
    ReleaseRun(w);
  } else {
    UnindexIdle(w);
  }
  for (auto l : LabelIdsOf(w)) --workers_with_label[l];
  workers.erase(w.in_id_order);
  spare_workers.push_back(worker_by_id.Remove(w));  // last: `id` may be this worker's own
}

void Scheduler::Impl::RemoveExpiredWorkers() {
  const Time cutoff = last_update - policy.bot_expiration;
  if (idle_confirmed_floor >= cutoff) return;
  std::vector<std::string> expired;
  Time floor = Time::max();
  for (Worker* w : idle) {
    if (w->confirmed_time < cutoff) {
      expired.push_back(w->id);
    } else {
      floor = std::min(floor, w->confirmed_time);
    }
  }
  for (const auto& id : expired) RemoveWorker(id);
  idle_confirmed_floor = floor;
}

void Scheduler::Impl::StartRun(Worker& w, std::unique_ptr<Request> r, Priority p, const Balance& cost) {
  UnindexIdle(w);
  running[r->id] = &w;
  runs.push_back(Run{std::move(r), p, &w});
  for (int q = 0; q < kNumPriorities; ++q) run_cost[q].push_back(cost[q]);
  w.run = RunHandle(&runs, static_cast<uint32_t>(runs.size() - 1));
  MoveRunToGroup(w.run.slot(), kFreeBucket + 1, p);
  CountRun(w, +1);
}

void Scheduler::Impl::ReleaseRun(Worker& w) {
  MoveRunToGroup(w.run.slot(), w.run->priority, kFreeBucket + 1);  // now the last
  runs.pop_back();
  for (std::vector<float>& cost : run_cost) cost.pop_back();
  w.run = RunHandle();
}

std::unique_ptr<Request> Scheduler::Impl::EndRun(Worker& w) {
  CountRun(w, -1);
  std::unique_ptr<Request> r = std::move(w.run->request);
  running.erase(r->id);
  ReleaseRun(w);
  IndexIdle(w);
  return r;
}

std::unique_ptr<Request> Scheduler::Impl::MakeRequest(const RequestSpec& spec, Time confirmed) {
  auto r = std::make_unique<Request>();
  r->id = spec.id;
  r->account = spec.account;
  r->base_labels = MakeLabelSet(spec.base_labels);
  r->provisionable_labels = MakeLabelSet(spec.provisionable_labels);
  r->base_ids = labels.InternAll(r->base_labels);
  r->provisionable_ids = labels.InternAll(r->provisionable_labels);
  GrowLabelIndexes();
  r->enqueue_time = spec.enqueue_time;
  r->confirmed_time = confirmed;
  r->examined_time = Time{};
  r->tags = spec.tags;
  for (size_t i = 0; i < 8; ++i) {
    const unsigned char c = i < r->id.size() ? static_cast<unsigned char>(r->id[i]) : 0;
    r->id_prefix = (r->id_prefix << 8) | c;
  }
  r->account_slot = AccountSlot(r->account);
  r->base_signature = Signature(r->base_ids);
  std::vector<internal::LabelId> all = r->base_ids;
  all.push_back(std::numeric_limits<internal::LabelId>::max());  // separates the two lists
  all.insert(all.end(), r->provisionable_ids.begin(), r->provisionable_ids.end());
  r->signature = Signature(std::move(all));
  return r;
}

uint32_t Scheduler::Impl::Signature(std::vector<internal::LabelId> ids) {
  return signatures.try_emplace(std::move(ids), static_cast<uint32_t>(signatures.size())).first->second;
}

uint32_t Scheduler::Impl::AccountSlot(const std::string& account) {
  auto [it, inserted] =
      account_slot_by_name.try_emplace(account, static_cast<uint32_t>(account_slots.size()));
  if (inserted) {
    account_slots.push_back(account);
    account_index_stale = true;
  }
  return it->second;
}

void Scheduler::Impl::RefreshAccountIndex() {
  if (!account_index_stale) return;
  account_index_stale = false;
  slot_accounts.assign(account_slots.size(), SlotAccount{});
  for (size_t slot = 0; slot < account_slots.size(); ++slot) {
    if (auto config = accounts.find(account_slots[slot]); config != accounts.end()) {
      slot_accounts[slot].config = &config->second;
    }
    if (auto balance = balances.find(account_slots[slot]); balance != balances.end()) {
      slot_accounts[slot].balance = &balance->second;
    }
  }
  slot_of_account.clear();
  for (const auto& [account, config] : accounts) {
    auto slot = account_slot_by_name.find(account);
    slot_of_account.push_back(slot == account_slot_by_name.end() ? kNoSlot : slot->second);
  }
}

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

// ---------------------------------------------------------------- lifecycle

Scheduler::Scheduler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scheduler::Scheduler(Scheduler&&) noexcept = default;
Scheduler& Scheduler::operator=(Scheduler&&) noexcept = default;
Scheduler::~Scheduler() = default;

Scheduler Scheduler::New(Time start, Policy policy) {
  auto impl = std::make_unique<Impl>();
  impl->last_update = start;
  impl->policy = policy;
  return Scheduler(std::move(impl));
}

const Policy& Scheduler::policy() const { return impl_->policy; }
void Scheduler::SetPolicy(const Policy& policy) { impl_->policy = policy; }

Status Scheduler::AddAccount(const std::string& account, const AccountConfig& config,
                             std::span<const float> initial_balance) {
  if (account.empty()) return InvalidArgument("AddAccount: account id must not be empty");
  if (initial_balance.size() > static_cast<size_t>(kNumPriorities)) {
    return InvalidArgument("AddAccount(" + account + "): initial balance has " +
                           std::to_string(initial_balance.size()) + " values, at most 5 allowed");
  }
  for (int p = 0; p < kNumPriorities; ++p) {
    if (!Finite(config.charge_rate[p]) || config.charge_rate[p] < 0) {
      return InvalidArgument("AddAccount(" + account + "): charge_rate[" + std::to_string(p) +
                             "] must be a finite number >= 0");
    }
  }
  if (!Finite(config.max_charge_seconds) || config.max_charge_seconds < 0) {
    return InvalidArgument("AddAccount(" + account + "): max_charge_seconds must be a finite number >= 0");
  }
  if (config.max_fanout < 0) {
    return InvalidArgument("AddAccount(" + account + "): max_fanout must be >= 0");
  }
  for (const auto& [prefix, limit] : config.per_label_task_limits) {
    if (prefix.empty() || limit < 0) {
      return InvalidArgument("AddAccount(" + account +
                             "): per_label_task_limits needs non-empty prefixes and limits >= 0");
    }
  }
  for (float v : initial_balance) {
    if (!Finite(v)) return InvalidArgument("AddAccount(" + account + "): initial balance must be finite");
  }
  impl_->accounts[account] = config;
  Balance b{};
  std::copy(initial_balance.begin(), initial_balance.end(), b.begin());
  impl_->balances[account] = b;
  impl_->account_index_stale = true;
  return Status::Ok();
}

Status Scheduler::DeleteAccount(const std::string& account) {
  if (account.empty()) return InvalidArgument("DeleteAccount: account id must not be empty");
  impl_->accounts.erase(account);
  impl_->balances.erase(account);
  impl_->account_index_stale = true;
  return Status::Ok();
}

std::optional<AccountConfig> Scheduler::GetAccountConfig(const std::string& account) const {
  auto it = impl_->accounts.find(account);
  if (it == impl_->accounts.end()) return std::nullopt;
  return it->second;
}

// ---------------------------------------------------------------- time (spec §2)

void Scheduler::UpdateTime(Time t) {
  Impl& s = *impl_;
  if (t < s.last_update) return;
  const int64_t us = ToMicros(t - s.last_update);
  const int64_t whole_seconds = us / 1000000;
  const int64_t nanos = (us % 1000000) * 1000;
  const float elapsed =
      static_cast<float>(static_cast<double>(whole_seconds) + static_cast<double>(nanos) / 1e9);

  for (Priority p = 0; p < kNumPriorities; ++p) {
    float* cost = s.run_cost[p].data();
    for (uint32_t i = s.run_begin[p]; i < s.run_begin[p + 1]; ++i) cost[i] += elapsed;
  }

  // AddAccount, DeleteAccount and the snapshot reader key `balances` exactly
  // as `accounts`: §2 step 3 has nothing to drop, and the two maps are
  // walked in step.
  s.RefreshAccountIndex();
  auto next_balance = s.balances.begin();
  auto next_slot = s.slot_of_account.begin();
  for (auto& [account, config] : s.accounts) {
    Balance& balance = (next_balance++)->second;
    const uint32_t slot = *next_slot++;
    static const std::array<int32_t, kNumPriorities + 1> kNone{};
    const auto& counts = slot == Impl::kNoSlot ? kNone : s.RunsOf(slot);
    for (int p = 0; p < kNumPriorities; ++p) {
      float v = balance[p] - elapsed * static_cast<float>(counts[p]);
      const float cap = config.charge_rate[p] * config.max_charge_seconds;
      if (v < cap) {
        v += elapsed * config.charge_rate[p];
        v = std::min(v, cap);
      }
      balance[p] = v;
    }
  }
  s.last_update = t;
  s.RemoveExpiredWorkers();
}

Time Scheduler::last_update() const { return impl_->last_update; }

// ---------------------------------------------------------------- notifications (spec §4)

Status Scheduler::AddRequest(const RequestSpec& spec, Time t, EventSink* events) {
  Impl& s = *impl_;
  if (spec.id.empty()) return InvalidArgument("AddRequest: request id must not be empty");
  if (Request* queued = s.queued.Find(spec.id)) {
    Confirm(queued->confirmed_time, t);
    return Status::Ok();
  }
  if (Worker* w = s.RunningWorkerOf(spec.id)) {
    if (t < w->run->request->confirmed_time || t < w->confirmed_time) return Status::Ok();
    s.RemoveWorker(w->id);
  }
  auto r = s.MakeRequest(spec, t);
  if (events) {
    TaskEvent e = RequestEvent(s, EventType::kEnqueued, t, *r);
    e.tags = r->tags;
    events->OnEvent(e);
  }
  s.queued.Add(std::move(r));
  return Status::Ok();
}

Status Scheduler::MarkIdle(const std::string& worker, const std::vector<std::string>& labels, Time t,
                           EventSink* events) {
  Impl& s = *impl_;
  if (worker.empty()) return InvalidArgument("MarkIdle: worker id must not be empty");
  Worker* w = s.FindWorker(worker);
  if (!w) {
    s.AddWorker(worker, MakeLabelSet(labels), t, s.last_update);
    return Status::Ok();
  }
  if (t < w->latest_confirmed()) return Status::Ok();
  // A bot reports the same labels poll after poll, usually in one order:
  // compare before building a sorted set.
  if (const LabelSet& current = s.LabelsOf(*w); labels != current) {
    LabelSet label_set = MakeLabelSet(labels);
    if (current != label_set) {
      s.SetWorkerLabels(*w, std::move(label_set));
      w->modified_time = s.last_update;
    }
  }
  Confirm(w->confirmed_time, t);
  if (w->run) {
    w->modified_time = s.last_update;
    if (events) {
      events->OnEvent(CompletedEvent(s, t, *w->run->request, w, CompletedReason::kBotIdle));
    }
    s.EndRun(*w);
  }
  return Status::Ok();
}

namespace {

// Spec §4, the inconsistent-worker rule: `worker` was reported running
// `cause`, which contradicts what the scheduler believes of it.
void InconsistentWorker(Scheduler::Impl& s, const std::string& worker, Time t,
                        const std::string& cause, EventSink* events) {
  Worker* w = s.FindWorker(worker);
  if (!w || t < w->latest_confirmed()) return;
  if (w->run && events) {
    TaskEvent e = CompletedEvent(s, t, *w->run->request, w, CompletedReason::kInconsistentTaskForBot);
    e.other_task = cause;
    events->OnEvent(e);
  }
  s.RemoveWorker(worker);
}

}  // namespace

Status Scheduler::NotifyTaskRunning(const std::string& request, const std::string& worker, Time t,
                                    EventSink* events) {
  Impl& s = *impl_;
  if (request.empty() || worker.empty()) {
    return InvalidArgument("NotifyTaskRunning: request and worker ids must not be empty (request \"" +
                           request + "\", worker \"" + worker + "\")");
  }
  Request* queued = s.queued.Find(request);
  Worker* runner = s.RunningWorkerOf(request);
  if (!queued && !runner) {
    InconsistentWorker(s, worker, t, request, events);
    return Status::Ok();
  }
  const Request& r = runner ? *runner->run->request : *queued;
  if (t < r.confirmed_time) return Status::Ok();
  if (runner && std::string_view(runner->id) == worker) {
    Confirm(runner->run->request->confirmed_time, t);
    Confirm(runner->confirmed_time, t);
    return Status::Ok();
  }
  if (runner) {
    if (events) {
      TaskEvent e = CompletedEvent(s, t, r, runner, CompletedReason::kInconsistentBotForTask);
      e.other_bot = worker;
      events->OnEvent(e);
    }
    s.RemoveWorker(runner->id);
  }
  InconsistentWorker(s, worker, t, request, events);
  return Status::Ok();
}

Status Scheduler::NotifyTaskAbsent(const std::string& request, Time t, EventSink* events) {
  Impl& s = *impl_;
  if (request.empty()) return InvalidArgument("NotifyTaskAbsent: request id must not be empty");
  if (Worker* w = s.RunningWorkerOf(request)) {
    if (t >= w->confirmed_time && t >= w->run->request->confirmed_time) {
      if (events) {
        events->OnEvent(CompletedEvent(s, t, *w->run->request, w, CompletedReason::kRunningTaskAbsent));
      }
      s.RemoveWorker(w->id);
    }
    return Status::Ok();
  }
  Request* queued = s.queued.Find(request);
  if (queued && t >= queued->confirmed_time) {
    if (events) {
      events->OnEvent(CompletedEvent(s, t, *queued, nullptr, CompletedReason::kIdleTaskAbsent));
    }
    s.queued.Remove(queued);
  }
  return Status::Ok();
}

Status Scheduler::Unassign(const std::string& request, const std::string& worker, Time t,
                           EventSink* events) {
  Impl& s = *impl_;
  Worker* w = s.RunningWorkerOf(request);
  if (!w || std::string_view(w->id) != worker) {
    return FailedPrecondition("Unassign: request \"" + request + "\" is not running on worker \"" +
                              worker + "\"");
  }
  if (events) events->OnEvent(WorkerEvent(s, EventType::kUnassigned, t, *w->run->request, *w));
  std::unique_ptr<Request> r = s.EndRun(*w);
  s.RemoveWorker(worker);
  if (t - r->enqueue_time > s.policy.max_queue_age) return Status::Ok();
  s.queued.Add(std::move(r));
  return Status::Ok();
}

// ---------------------------------------------------------------- pass

std::vector<SchedulerAssignment> Scheduler::RunOnce(EventSink* events) {
  return internal::RunPass(*impl_, events);
}

// ---------------------------------------------------------------- reads

bool Scheduler::IsAssigned(const std::string& request, const std::string& worker) const {
  Worker* w = impl_->RunningWorkerOf(request);
  return w && std::string_view(w->id) == worker;
}

namespace {

RequestView ViewOf(const Request& r) {
  return RequestView{r.id,           r.account,        r.base_labels,   r.provisionable_labels,
                     r.enqueue_time, r.confirmed_time, r.examined_time, r.tags};
}

WorkerView ViewOf(const Scheduler::Impl& s, const Worker& w) {
  WorkerView v{w.id, s.LabelsOf(w), w.confirmed_time, w.modified_time, std::nullopt};
  if (w.run) v.run = RunView{w.run->request->id, w.run->priority, s.CostOf(w)};
  return v;
}

}  // namespace

std::optional<RequestView> Scheduler::GetRequest(const std::string& request) const {
  if (Request* r = impl_->queued.Find(request)) return ViewOf(*r);
  if (Worker* w = impl_->RunningWorkerOf(request)) return ViewOf(*w->run->request);
  return std::nullopt;
}

std::optional<WorkerView> Scheduler::GetWorker(const std::string& worker) const {
  if (Worker* w = impl_->FindWorker(worker)) return ViewOf(*impl_, *w);
  return std::nullopt;
}

std::vector<WorkerView> Scheduler::Workers() const {
  std::vector<WorkerView> out;
  out.reserve(impl_->workers.size());
  for (const auto& [id, w] : impl_->workers) out.push_back(ViewOf(*impl_, *w));
  return out;
}

std::vector<std::string> Scheduler::QueuedRequests() const {
  std::vector<std::string> out;
  out.reserve(impl_->queued.size());
  for (const Request* r : impl_->queued.SortedById()) out.push_back(r->id);
  return out;
}

size_t Scheduler::NumQueued() const { return impl_->queued.size(); }
size_t Scheduler::NumWorkers() const { return impl_->workers.size(); }
size_t Scheduler::NumRunning() const { return impl_->running.size(); }

std::map<std::string, Balance> Scheduler::Balances() const { return impl_->balances; }

std::optional<Balance> Scheduler::GetBalance(const std::string& account) const {
  auto it = impl_->balances.find(account);
  if (it == impl_->balances.end()) return std::nullopt;
  return it->second;
}

}  // namespace qsim
