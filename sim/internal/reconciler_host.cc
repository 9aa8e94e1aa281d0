#include "sim/internal/reconciler_host.h"

#include "reconciler/restart.h"

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

}  // namespace qsim::sim
