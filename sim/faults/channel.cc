#include "sim/faults/channel.h"

#include "reconciler/restart.h"

#include "proto/state.pb.h"
#include "sim/internal/sample.h"

namespace qsim::sim {

ReconcilerHost::ReconcilerHost(Scheduler scheduler, EventSink* sink, ErrorReporter* errors)
    : scheduler_(std::move(scheduler)), state_(reconciler::State::New()), sink_(sink), errors_(errors) {}

void ReconcilerHost::NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) {
  Status s = state_.NotifyTaskWaiting(scheduler_, sink_, r);
  if (!s.ok()) errors_->ReportLibraryError(r.time, "NotifyTaskWaiting(" + r.request + ")", s);
}

void ReconcilerHost::NotifyTaskRunning(const reconciler::TaskRunningRequest& r) {
  Status s = state_.NotifyTaskRunning(scheduler_, sink_, r);
  if (!s.ok()) errors_->ReportLibraryError(r.time, "NotifyTaskRunning(" + r.request + ", " + r.worker + ")", s);
}

void ReconcilerHost::NotifyTaskAbsent(const reconciler::TaskAbsentRequest& r) {
  Status s = state_.NotifyTaskAbsent(scheduler_, sink_, r);
  if (!s.ok()) errors_->ReportLibraryError(r.time, "NotifyTaskAbsent(" + r.request + ")", s);
}

void ReconcilerHost::AddTaskError(const std::string& request, const std::string& message) {
  Status s = state_.AddTaskError(request, message);
  if (!s.ok()) errors_->ReportLibraryError(scheduler_.last_update(), "AddTaskError(" + request + ")", s);
}

std::vector<reconciler::Assignment> ReconcilerHost::AssignTasks(Time t,
                                                                std::span<const reconciler::IdleWorker> workers) {
  StatusOr<std::vector<reconciler::Assignment>> r = state_.AssignTasks(scheduler_, t, sink_, workers);
  if (!r.ok()) {
    errors_->ReportLibraryError(t, "AssignTasks", r.status());
    return {};
  }
  return std::move(r).value();
}

std::vector<reconciler::Cancellation> ReconcilerHost::Cancellations() { return state_.Cancellations(); }

Status ReconcilerHost::Restart() { return reconciler::RestartThroughBytes(scheduler_, state_); }

void LostAcks::NotifyTaskRunning(const reconciler::TaskRunningRequest& r) {
  if (rng_->Bernoulli(p_)) {
    ++dropped_;
    return;
  }
  inner_->NotifyTaskRunning(r);
}

std::vector<reconciler::Assignment> LostAssignments::AssignTasks(Time t,
                                                                 std::span<const reconciler::IdleWorker> workers) {
  std::vector<reconciler::Assignment> all = inner_->AssignTasks(t, workers);
  std::vector<reconciler::Assignment> kept;
  kept.reserve(all.size());
  for (reconciler::Assignment& a : all) {
    if (rng_->Bernoulli(p_)) {
      ++dropped_;
      continue;
    }
    kept.push_back(std::move(a));
  }
  return kept;
}

bool DelayedNotifications::Delay(Duration* d) {
  if (!rng_->Bernoulli(p_)) return false;
  *d = Sample(delay_, *rng_);
  return true;
}

void DelayedNotifications::NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) {
  Duration d{};
  if (!Delay(&d)) return inner_->NotifyTaskWaiting(r);
  engine_->After(d, [this, r] { inner_->NotifyTaskWaiting(r); });
}

void DelayedNotifications::NotifyTaskRunning(const reconciler::TaskRunningRequest& r) {
  Duration d{};
  if (!Delay(&d)) return inner_->NotifyTaskRunning(r);
  engine_->After(d, [this, r] { inner_->NotifyTaskRunning(r); });
}

void DelayedNotifications::NotifyTaskAbsent(const reconciler::TaskAbsentRequest& r) {
  Duration d{};
  if (!Delay(&d)) return inner_->NotifyTaskAbsent(r);
  engine_->After(d, [this, r] { inner_->NotifyTaskAbsent(r); });
}

}  // namespace qsim::sim
