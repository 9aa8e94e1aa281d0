// The real end of the Channel: the scheduler and the reconciler state, with
// the run's event sink. Internal to sim/.
#pragma once

#include "reconciler/reconciler.h"
#include "sim/internal/channel.h"

namespace qsim::sim {

// Owns the Scheduler and reconciler::State and calls their seed API; a call
// the library refuses goes to `errors` (neither pointer is owned; both must
// outlive the host).
class ReconcilerHost final : public Channel {
 public:
  ReconcilerHost(Scheduler scheduler, EventSink* sink, ErrorReporter* errors);

  void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) override;
  void NotifyTasksWaiting(WaitingBatch& batch, size_t begin, size_t end) override;
  void NotifyTaskRunning(const reconciler::TaskRunningRequest& r) override;
  void NotifyTaskAbsent(const reconciler::TaskAbsentRequest& r) override;
  void AddTaskError(const std::string& request, const std::string& message) override;
  std::vector<reconciler::Assignment> AssignTasks(Time t, std::span<const reconciler::IdleWorker> workers) override;
  std::vector<reconciler::Cancellation> Cancellations() override;

  // A scheduler restart: both states go through their protobuf form and are
  // read back. Continuing must be indistinguishable from not restarting.
  Status Restart();

  const Scheduler& scheduler() const { return scheduler_; }
  const reconciler::State& state() const { return state_; }

 private:
  Scheduler scheduler_;
  reconciler::State state_;
  EventSink* sink_;
  ErrorReporter* errors_;
};

}  // namespace qsim::sim
