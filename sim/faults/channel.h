// The dispatcher <-> reconciler channel, and the faults that wrap it.
//
// The dispatcher speaks to the scheduler only through a Channel. The real one
// (ReconcilerHost) owns the Scheduler and reconciler::State and calls their
// seed API; each fault is a decorator around another Channel, in the manner
// of LevelDB's EnvWrapper: the scheduler never knows it is being tested.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "reconciler/reconciler.h"
#include "sim/engine.h"
#include "sim/scenario.h"

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

// The real channel: the scheduler and the reconciler state, with the run's
// event sink.
class ReconcilerHost final : public Channel {
 public:
  ReconcilerHost(Scheduler scheduler, EventSink* sink, ErrorReporter* errors);

  void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) override;
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

// Forwards everything to `inner`; faults override what they disturb.
class ChannelDecorator : public Channel {
 public:
  explicit ChannelDecorator(Channel* inner) : inner_(inner) {}
  void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) override { inner_->NotifyTaskWaiting(r); }
  void NotifyTaskRunning(const reconciler::TaskRunningRequest& r) override { inner_->NotifyTaskRunning(r); }
  void NotifyTaskAbsent(const reconciler::TaskAbsentRequest& r) override { inner_->NotifyTaskAbsent(r); }
  void AddTaskError(const std::string& request, const std::string& message) override {
    inner_->AddTaskError(request, message);
  }
  std::vector<reconciler::Assignment> AssignTasks(Time t, std::span<const reconciler::IdleWorker> workers) override {
    return inner_->AssignTasks(t, workers);
  }
  std::vector<reconciler::Cancellation> Cancellations() override { return inner_->Cancellations(); }

 protected:
  Channel* inner_;
};

// Drops each NotifyTaskRunning (the bot's acknowledgement) with probability
// p: the reconciler's worker-queue timeout must heal it.
class LostAcks final : public ChannelDecorator {
 public:
  LostAcks(Channel* inner, double p, RandomStream* rng) : ChannelDecorator(inner), p_(p), rng_(rng) {}
  void NotifyTaskRunning(const reconciler::TaskRunningRequest& r) override;
  int64_t dropped() const { return dropped_; }

 private:
  double p_;
  RandomStream* rng_;
  int64_t dropped_ = 0;
};

// Drops each assignment on its way to the bot with probability p: the bot
// hears nothing and polls again (and is told the same pending assignment).
class LostAssignments final : public ChannelDecorator {
 public:
  LostAssignments(Channel* inner, double p, RandomStream* rng) : ChannelDecorator(inner), p_(p), rng_(rng) {}
  std::vector<reconciler::Assignment> AssignTasks(Time t, std::span<const reconciler::IdleWorker> workers) override;
  int64_t dropped() const { return dropped_; }

 private:
  double p_;
  RandomStream* rng_;
  int64_t dropped_ = 0;
};

// Delays each notification (waiting, running, absent) with probability p by
// a drawn delay; it then arrives with its original, older timestamp, and
// later notifications may overtake it (reordering).
class DelayedNotifications final : public ChannelDecorator {
 public:
  DelayedNotifications(Channel* inner, Engine* engine, double p, const DurationDist& delay, RandomStream* rng)
      : ChannelDecorator(inner), engine_(engine), p_(p), delay_(delay), rng_(rng) {}
  void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) override;
  void NotifyTaskRunning(const reconciler::TaskRunningRequest& r) override;
  void NotifyTaskAbsent(const reconciler::TaskAbsentRequest& r) override;

 private:
  bool Delay(Duration* d);
  Engine* engine_;
  double p_;
  DurationDist delay_;
  RandomStream* rng_;
};

}  // namespace qsim::sim
