// The dispatcher <-> reconciler channel: the one way the simulated dispatcher
// speaks to the scheduler. The real end is ReconcilerHost
// (internal/reconciler_host.h); the fault decorators of sim/faults/ wrap it.
// Internal to sim/.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "reconciler/reconciler.h"

namespace qsim::sim {

// The dispatcher's periodic re-notification of every task it holds pending,
// offered as one batch: most of those tasks are queued in the scheduler
// already, and the real end confirms them by name alone, back to back,
// building a full request only for the others. Item i means exactly
// NotifyTaskWaiting(Request(i)), and items are handled in order.
class WaitingBatch {
 public:
  virtual ~WaitingBatch() = default;
  virtual size_t size() const = 0;
  virtual Time time() const = 0;  // every item's request time
  // Item i's request id, valid as long as the batch.
  virtual std::string_view name(size_t i) const = 0;
  // Item i in full, valid until the next call on the batch.
  virtual const reconciler::TaskWaitingRequest& Request(size_t i) = 0;
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) = 0;
  // Items [begin, end) of `batch`, as that many NotifyTaskWaiting calls.
  virtual void NotifyTasksWaiting(WaitingBatch& batch, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) NotifyTaskWaiting(batch.Request(i));
  }
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
