// The public API of the scheduler: accounts, time, notifications (spec
// §2-§4) and reads. The pass itself is in internal/pass.cc, index upkeep in
// internal/indexes.cc, the request queue in internal/request_queue.cc and the
// persistent form in scheduler_proto.cc.
#include "scheduler/scheduler.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "scheduler/config_check.h"
#include "scheduler/internal/events_util.h"
#include "scheduler/internal/pass.h"
#include "scheduler/internal/state.h"

namespace qsim {

using internal::CompletedEvent;
using internal::Request;
using internal::RequestEvent;
using internal::Worker;
using internal::WorkerEvent;

namespace {

void Confirm(Time& confirmed, Time t) { confirmed = std::max(confirmed, t); }

}  // namespace

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
  // The snapshot reader applies the same rules (scheduler/config_check.h).
  if (std::optional<ConfigProblem> bad = FindAccountConfigProblem(config, initial_balance)) {
    return InvalidArgument("AddAccount(" + account + "): " + bad->Describe());
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

// ---------------------------------------------------------------- time (docs/scheduler.md §2)

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

// ---------------------------------------------------------------- notifications (docs/scheduler.md §4)

bool Scheduler::ConfirmIfQueued(std::string_view request, Time t) {
  Request* queued = impl_->queued.Find(request);
  if (queued == nullptr) return false;
  Confirm(queued->confirmed_time, t);
  return true;
}

size_t Scheduler::ConfirmQueuedRun(std::span<const std::string_view> requests, Time t) {
  // Each id is hashed once, kAhead ids before its lookup; its bucket is
  // asked for then, and the bucket's first request kAhead / 2 ids later, so
  // that about kAhead lookups' misses are in flight at once.
  const internal::IdIndex<Request>& index = impl_->queued.index();
  constexpr size_t kAhead = 32;
  std::array<uint64_t, kAhead> hashes;
  const size_t n = requests.size();
  const auto ask = [&](size_t j) {
    if (j < n) {
      hashes[j % kAhead] = index.HashOf(requests[j]);
      index.PrefetchBucket(hashes[j % kAhead]);
    }
    if (j >= kAhead / 2 && j - kAhead / 2 < n) index.PrefetchFirst(hashes[(j - kAhead / 2) % kAhead]);
  };
  for (size_t j = 0; j < kAhead; ++j) ask(j);
  size_t i = 0;
  for (; i < n; ++i) {
    Request* queued = index.FindHashed(requests[i], hashes[i % kAhead]);
    if (queued == nullptr) break;
    Confirm(queued->confirmed_time, t);
    ask(i + kAhead);
  }
  return i;
}

Status Scheduler::AddRequest(const RequestSpec& spec, Time t, EventSink* events) {
  Impl& s = *impl_;
  if (spec.id.empty()) return InvalidArgument("AddRequest: request id must not be empty");
  if (ConfirmIfQueued(spec.id, t)) return Status::Ok();
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

void Scheduler::PrefetchWorkerBucket(uint64_t worker_hash) const {
  impl_->worker_by_id.PrefetchBucket(worker_hash);
}

void Scheduler::PrefetchWorker(uint64_t worker_hash) const { impl_->worker_by_id.PrefetchFirst(worker_hash); }

Status Scheduler::MarkIdle(const std::string& worker, const std::vector<std::string>& labels, Time t,
                           EventSink* events) {
  return MarkIdle(worker, HashId(worker), labels, t, events);
}

Status Scheduler::MarkIdle(const std::string& worker, uint64_t worker_hash, const std::vector<std::string>& labels,
                           Time t, EventSink* events) {
  Impl& s = *impl_;
  if (worker.empty()) return InvalidArgument("MarkIdle: worker id must not be empty");
  Worker* w = s.worker_by_id.FindHashed(worker, worker_hash);
  if (!w) {
    // A wrong hash would miss a known worker and add it twice; checked here,
    // on the rare road (a worker never seen), not on every poll.
    if (worker_hash != HashId(worker)) {
      return InvalidArgument("MarkIdle: worker_hash is not HashId(\"" + worker + "\")");
    }
    s.AddWorker(worker, MakeLabelSet(labels), t, s.last_update);
    return Status::Ok();
  }
  if (w->departed()) {
    s.ReviveWorker(*w, labels, t, s.last_update);
    return Status::Ok();
  }
  if (t < w->latest_confirmed()) return Status::Ok();
  // A bot reports the same labels poll after poll, usually in one order:
  // compare before building a sorted set.
  if (const LabelSet& current = s.LabelsOf(*w); !SameIds(labels, current)) {
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
    s.RecycleRequest(s.EndRun(*w));
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
    s.RecycleRequest(s.queued.Remove(queued));
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
  if (t - r->enqueue_time > s.policy.max_queue_age) {
    s.RecycleRequest(std::move(r));
    return Status::Ok();
  }
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

RequestView ViewOf(const Scheduler::Impl& s, const Request& r) {
  return RequestView{r.id,           r.account,        s.BaseLabels(r),   s.ProvisionableLabels(r),
                     r.enqueue_time, r.confirmed_time, r.examined_time(), r.tags};
}

WorkerView ViewOf(const Scheduler::Impl& s, const Worker& w) {
  WorkerView v{internal::IdString(w.id), s.LabelsOf(w), w.confirmed_time, w.modified_time, std::nullopt};
  if (w.run) v.run = RunView{w.run->request->id, w.run->priority, s.CostOf(w)};
  return v;
}

}  // namespace

std::optional<RequestView> Scheduler::GetRequest(const std::string& request) const {
  if (Request* r = impl_->queued.Find(request)) return ViewOf(*impl_, *r);
  if (Worker* w = impl_->RunningWorkerOf(request)) return ViewOf(*impl_, *w->run->request);
  return std::nullopt;
}

std::optional<WorkerView> Scheduler::GetWorker(const std::string& worker) const {
  if (Worker* w = impl_->FindWorker(worker)) return ViewOf(*impl_, *w);
  return std::nullopt;
}

std::vector<WorkerView> Scheduler::Workers() const {
  std::vector<WorkerView> out;
  out.reserve(impl_->NumLiveWorkers());
  for (const auto& [id, w] : impl_->workers) {
    if (!w->departed()) out.push_back(ViewOf(*impl_, *w));
  }
  return out;
}

std::vector<std::string> Scheduler::QueuedRequests() const {
  std::vector<std::string> out;
  out.reserve(impl_->queued.size());
  for (const Request* r : impl_->queued.SortedById()) out.push_back(r->id);
  return out;
}

size_t Scheduler::NumQueued() const { return impl_->queued.size(); }
size_t Scheduler::NumWorkers() const { return impl_->NumLiveWorkers(); }
size_t Scheduler::NumRunning() const { return impl_->running.size(); }

std::map<std::string, Balance> Scheduler::Balances() const { return impl_->balances; }

void Scheduler::BestPriorities(std::vector<Priority>* out) const {
  out->clear();
  for (const auto& [account, balance] : impl_->balances) out->push_back(BestPriority(balance));
}

std::optional<Balance> Scheduler::GetBalance(const std::string& account) const {
  auto it = impl_->balances.find(account);
  if (it == impl_->balances.end()) return std::nullopt;
  return it->second;
}

}  // namespace qsim
