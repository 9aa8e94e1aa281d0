// The faults that wrap the dispatcher <-> reconciler Channel, each a
// decorator around another Channel in the manner of LevelDB's EnvWrapper: the
// scheduler never knows it is being tested. BuildFaultStack is the one place
// that decides which decorators a scenario gets, and in what order.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/engine.h"
#include "sim/internal/channel.h"
#include "sim/scenario.h"

namespace qsim::sim {

// Forwards everything to `inner`; faults override what they disturb.
class ChannelDecorator : public Channel {
 public:
  explicit ChannelDecorator(Channel* inner) : inner_(inner) {}
  void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) override { inner_->NotifyTaskWaiting(r); }
  void NotifyTasksWaiting(WaitingBatch& batch, size_t begin, size_t end) override {
    inner_->NotifyTasksWaiting(batch, begin, end);
  }
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
  // The same draws, delays and order as one NotifyTaskWaiting per item: the
  // items between two delayed ones go on to `inner` as one batch, before
  // the next delayed one is scheduled.
  void NotifyTasksWaiting(WaitingBatch& batch, size_t begin, size_t end) override;
  void NotifyTaskRunning(const reconciler::TaskRunningRequest& r) override;
  void NotifyTaskAbsent(const reconciler::TaskAbsentRequest& r) override;

 private:
  bool Delay(Duration* d);
  Engine* engine_;
  double p_;
  DurationDist delay_;
  RandomStream* rng_;
};

// The channel the dispatcher talks to: `real` wrapped in the decorators the
// scenario's faults switch on. Owns the decorators, not `real`.
struct FaultStack {
  std::vector<std::unique_ptr<Channel>> decorators;  // innermost first
  Channel* top = nullptr;                            // the outermost; `real` when no fault is on
};

// Wraps `real` in a fixed order (lost acks, lost assignments, delayed
// notifications), each decorator drawing from its own stream of `engine`
// (`faults/lost_acks`, ...). `real` and `engine` must outlive the stack.
FaultStack BuildFaultStack(Channel* real, const FaultsSpec& faults, Engine& engine);

}  // namespace qsim::sim
