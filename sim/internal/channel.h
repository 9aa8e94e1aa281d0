// The dispatcher <-> reconciler channel: the one way the simulated dispatcher
// speaks to the scheduler. The real end is ReconcilerHost
// (internal/reconciler_host.h); the fault decorators of sim/faults/ wrap it.
// Internal to sim/.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "reconciler/reconciler.h"

namespace qsim::sim {

class Channel {
 public:
  virtual ~Channel() = default;
  virtual void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) = 0;
  virtual void NotifyTaskRunning(const reconciler::TaskRunningRequest& r) = 0;
  virtual void NotifyTaskAbsent(const reconciler::TaskAbsentRequest& r) = 0;
  virtual void AddTaskError(const std::string& request, const std::string& message) = 0;
  virtual std::vector<reconciler::Assignment> AssignTasks(Time t, std::span<const reconciler::IdleWorker> workers) = 0;
  virtual std::vector<reconciler::Cancellation> Cancellations() = 0;
};

// Receives errors the library returned (API misuse by the simulator: a bug,
// counted as an invariant violation by the run).
class ErrorReporter {
 public:
  virtual ~ErrorReporter() = default;
  virtual void ReportLibraryError(Time t, const std::string& what, const Status& status) = 0;
};

}  // namespace qsim::sim
