#include "sim/internal/reconciler_host.h"

#include <algorithm>
#include <array>

#include "reconciler/restart.h"

namespace qsim::sim {

ReconcilerHost::ReconcilerHost(Scheduler scheduler, EventSink* sink, ErrorReporter* errors)
    : scheduler_(std::move(scheduler)), state_(reconciler::State::New()), sink_(sink), errors_(errors) {}

void ReconcilerHost::NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) {
  Status s = state_.NotifyTaskWaiting(scheduler_, sink_, r);
  if (!s.ok()) errors_->ReportLibraryError(r.time, "NotifyTaskWaiting(" + r.request + ")", s);
}

void ReconcilerHost::NotifyTasksWaiting(WaitingBatch& batch, size_t begin, size_t end) {
  // Up to kChunk names at a time go to the reconciler, which confirms the
  // queued ones back to back and stops at the first it cannot: that one is
  // sent in full, and the next chunk starts after it. Same calls, same order.
  constexpr size_t kChunk = 256;
  std::array<std::string_view, kChunk> views;
  const Time t = batch.time();
  for (size_t i = begin; i < end;) {
    const size_t n = std::min(kChunk, end - i);
    for (size_t k = 0; k < n; ++k) views[k] = batch.name(i + k);
    const size_t confirmed = state_.ConfirmWaiting(scheduler_, std::span<const std::string_view>(views.data(), n), t);
    i += confirmed;
    if (confirmed < n) NotifyTaskWaiting(batch.Request(i++));
  }
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
