// The reconciler (docs/scheduler.md §6). The reference keeps its queues in Go maps and so
// visits them in random order; here both maps are ordered by id, which gives
// the canonical orders the traces record (timeouts by worker id, R7).
#include "reconciler/reconciler.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>
#include <utility>

#include "proto/state.pb.h"

namespace qsim::reconciler {
namespace {

bool ContainsAll(const std::vector<std::string>& have, const LabelSet& wanted) {
  if (wanted.empty()) return true;  // the common case: nothing to provision
  // `have` is what the caller passed (any order, maybe repeated). A bot
  // reports a handful of labels, so a scan beats building a set; a long list
  // gets the set, which keeps the test linear in the request's labels.
  if (have.size() <= 16) {
    return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& l) {
      return std::find(have.begin(), have.end(), l) != have.end();
    });
  }
  std::set<std::string_view> labels(have.begin(), have.end());
  return std::all_of(wanted.begin(), wanted.end(),
                     [&](const std::string& l) { return labels.count(l) > 0; });
}

// Kept out of line and cold so that RequireId, called for every poll and
// notification, inlines to a test of the length.
[[gnu::cold, gnu::noinline]] Status EmptyIdError(const char* what) {
  return InvalidArgument(std::string(what) + " id must not be empty");
}

Status RequireId(const std::string& id, const char* what) {
  if (id.empty()) [[unlikely]] return EmptyIdError(what);
  return Status::Ok();
}

}  // namespace

State State::New() { return State(); }

StatusOr<State> State::NewFromProto(const proto::ReconcilerState& p) {
  State state;
  for (int i = 0; i < p.worker_queues_size(); ++i) {
    const proto::WorkerQueue& q = p.worker_queues(i);
    const std::string where = "worker_queues[" + std::to_string(i) + "]";
    if (q.worker().empty()) return DataLoss(where + ": empty worker id");
    if (q.task_to_assign().empty()) {
      return DataLoss(where + " (worker " + q.worker() + "): empty task_to_assign");
    }
    WorkerQueue queue{q.task_to_assign(), q.task_to_abort(), TimeFromMicros(q.enqueue_us())};
    if (!state.worker_queues_.Add(q.worker(), std::move(queue))) {
      return DataLoss(where + ": duplicate worker " + q.worker());
    }
  }
  for (int i = 0; i < p.task_errors_size(); ++i) {
    const proto::TaskError& e = p.task_errors(i);
    const std::string where = "task_errors[" + std::to_string(i) + "]";
    if (e.request().empty()) return DataLoss(where + ": empty request id");
    if (e.message().empty()) return DataLoss(where + " (request " + e.request() + "): empty message");
    if (!state.task_errors_.emplace(e.request(), e.message()).second) {
      return DataLoss(where + ": duplicate request " + e.request());
    }
  }
  return state;
}

proto::ReconcilerState State::ToProto() const {
  // Both maps are ordered, so the repeated fields come out sorted by key.
  proto::ReconcilerState p;
  for (const auto& [worker, q] : worker_queues_.map()) {
    proto::WorkerQueue* out = p.add_worker_queues();
    out->set_worker(worker);
    out->set_task_to_assign(q.task_to_assign);
    out->set_task_to_abort(q.task_to_abort);
    out->set_enqueue_us(ToMicros(q.enqueue_time));
  }
  for (const auto& [request, message] : task_errors_) {
    proto::TaskError* out = p.add_task_errors();
    out->set_request(request);
    out->set_message(message);
  }
  return p;
}

StatusOr<std::vector<Assignment>> State::AssignTasks(Scheduler& scheduler, Time t, EventSink* events,
                                                     std::span<const IdleWorker> workers) {
  // Validate everything before touching any state. A worker may be given
  // more than once: each entry is one poll (see the header).
  auto unnamed = std::find_if(workers.begin(), workers.end(), [](const IdleWorker& w) { return w.id.empty(); });
  if (unnamed != workers.end()) return RequireId(unnamed->id, "AssignTasks: worker");
  std::vector<uint64_t>& hashes = poll_hashes_;
  hashes.resize(workers.size());
  // In a large fleet each poll's id and labels are a read from memory: ask
  // for them ahead (speed only). Ids longer than the string's inline buffer
  // live apart from the entry.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < workers.size(); ++i) {
    if (i + kAhead < workers.size()) __builtin_prefetch(workers[i + kAhead].id.data());
    hashes[i] = QueueTable::Hash(workers[i].id);
  }

  // 1. Time out assignments never acknowledged, in ascending worker id.
  worker_queues_.EraseExpired(t, scheduler.policy().worker_queue_timeout,
                              [&](const std::string& worker, const WorkerQueue& q) {
                                // The worker may have been removed or reassigned
                                // since; the reference only logs this error, and
                                // so the timeout still drops the queue.
                                scheduler.Unassign(q.task_to_assign, worker, t, events).IgnoreError();
                              });

  // 2.
  scheduler.UpdateTime(t);

  // 3. A worker holding a valid pending assignment is just told it again; any
  // other polling worker is idle, whatever the scheduler believed. A repeated
  // worker is handled again here, after its first entry.
  // Likewise the scheduler's worker lookups and the reported labels.
  for (size_t i = 0; i < std::min(kAhead, workers.size()); ++i) scheduler.PrefetchWorkerBucket(hashes[i]);
  for (size_t i = 0; i < std::min(kAhead / 2, workers.size()); ++i) scheduler.PrefetchWorker(hashes[i]);
  for (size_t i = 0; i < workers.size(); ++i) {
    if (i + kAhead < workers.size()) scheduler.PrefetchWorkerBucket(hashes[i + kAhead]);
    if (i + kAhead / 2 < workers.size()) {
      scheduler.PrefetchWorker(hashes[i + kAhead / 2]);
      // Every line of the labels' array: a few labels span two or three.
      const std::vector<std::string>& labels = workers[i + kAhead / 2].labels;
      const char* first = reinterpret_cast<const char*>(labels.data());
      const char* last = reinterpret_cast<const char*>(labels.data() + labels.size());
      for (const char* p = first; p < last; p += 64) __builtin_prefetch(p);
    }
    const IdleWorker& w = workers[i];
    auto it = worker_queues_.find(w.id, hashes[i]);
    if (it != worker_queues_.end() && scheduler.IsAssigned(it->second.task_to_assign, w.id)) continue;
    // The ids were checked above, the only error MarkIdle reports.
    scheduler.MarkIdle(w.id, hashes[i], w.labels, t, events).IgnoreError();
    if (it != worker_queues_.end()) worker_queues_.Erase(it);
  }

  // 4. Later assignments to one worker (the preemption quirk) replace earlier ones.
  for (SchedulerAssignment& a : scheduler.RunOnce(events)) {
    worker_queues_.Set(a.worker, WorkerQueue{std::move(a.request), std::move(a.task_to_abort), a.time});
  }

  // 5.
  std::vector<Assignment> result;
  if (worker_queues_.map().empty()) return result;
  for (size_t i = 0; i < workers.size(); ++i) {
    const IdleWorker& w = workers[i];
    auto it = worker_queues_.find(w.id, hashes[i]);
    if (it == worker_queues_.end()) continue;
    // Judged against the labels the bot just reported, which may be newer than
    // what the scheduler used. A request the scheduler no longer knows has no
    // provisionable labels (as in the reference, which reads a zero value).
    std::optional<RequestView> request = scheduler.GetRequest(it->second.task_to_assign);
    bool provision_required = request && !ContainsAll(w.labels, request->provisionable_labels);
    result.push_back(Assignment{w.id, it->second.task_to_assign, provision_required});
  }
  return result;
}

Status State::NotifyTaskWaiting(Scheduler& scheduler, EventSink* events, const TaskWaitingRequest& r) {
  QSIM_RETURN_IF_ERROR(RequireId(r.request, "NotifyTaskWaiting: request"));
  // A re-notification of a queued request only confirms it: no spec to build.
  if (scheduler.ConfirmIfQueued(r.request, r.time)) return Status::Ok();
  RequestSpec& spec = waiting_spec_;
  spec.id = r.request;
  spec.account = r.account;
  spec.base_labels = r.base_labels;
  spec.provisionable_labels = r.provisionable_labels;
  spec.enqueue_time = r.enqueue_time;
  spec.tags = r.tags;
  return scheduler.AddRequest(spec, r.time, events);
}

size_t State::ConfirmWaiting(Scheduler& scheduler, std::span<const std::string_view> requests, Time t) {
  // An empty id stops the run: NotifyTaskWaiting refuses it.
  auto empty = std::find_if(requests.begin(), requests.end(), [](std::string_view r) { return r.empty(); });
  return scheduler.ConfirmQueuedRun(requests.first(static_cast<size_t>(empty - requests.begin())), t);
}

Status State::NotifyTaskRunning(Scheduler& scheduler, EventSink* events, const TaskRunningRequest& r) {
  QSIM_RETURN_IF_ERROR(RequireId(r.request, "NotifyTaskRunning: request"));
  QSIM_RETURN_IF_ERROR(RequireId(r.worker, "NotifyTaskRunning: worker"));
  QSIM_RETURN_IF_ERROR(scheduler.NotifyTaskRunning(r.request, r.worker, r.time, events));
  // Whatever the bot runs now supersedes its pending assignment, unless this
  // news is older than the assignment.
  auto it = worker_queues_.find(r.worker);
  if (it != worker_queues_.end() && r.time >= it->second.enqueue_time) worker_queues_.Erase(it);
  return Status::Ok();
}

Status State::NotifyTaskAbsent(Scheduler& scheduler, EventSink* events, const TaskAbsentRequest& r) {
  // r.worker may be empty: the dispatcher need not know where the task was.
  QSIM_RETURN_IF_ERROR(RequireId(r.request, "NotifyTaskAbsent: request"));
  QSIM_RETURN_IF_ERROR(scheduler.NotifyTaskAbsent(r.request, r.time, events));
  // The task to abort is gone, so the abort is done; the reference drops the
  // queue even if the bot has not yet picked up the new task (a quirk).
  worker_queues_.EraseAbortsOf(r.request, r.time);
  task_errors_.erase(r.request);
  return Status::Ok();
}

Status State::AddTaskError(const std::string& request, const std::string& message) {
  QSIM_RETURN_IF_ERROR(RequireId(request, "AddTaskError: request"));
  // An empty message would make the cancellation look like neither an abort
  // nor an error.
  if (message.empty()) return InvalidArgument("AddTaskError: request " + request + ": empty message");
  task_errors_[request] = message;
  return Status::Ok();
}

std::vector<Cancellation> State::Cancellations() const {
  std::vector<Cancellation> result;
  for (const auto& [worker, q] : worker_queues_.map()) {
    if (!q.task_to_abort.empty()) result.push_back(Cancellation{worker, q.task_to_abort, ""});
  }
  for (const auto& [request, message] : task_errors_) {
    result.push_back(Cancellation{"", request, message});
  }
  return result;
}

}  // namespace qsim::reconciler
