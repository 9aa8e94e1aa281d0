#include "sim/faults/faults.h"

#include "sim/internal/sample.h"

namespace qsim::sim {

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

void DelayedNotifications::NotifyTasksWaiting(WaitingBatch& batch, size_t begin, size_t end) {
  size_t run = begin;  // the first item not yet passed on
  for (size_t i = begin; i < end; ++i) {
    Duration d{};
    if (!Delay(&d)) continue;
    if (run < i) inner_->NotifyTasksWaiting(batch, run, i);
    run = i + 1;
    engine_->After(d, [this, r = batch.Request(i)] { inner_->NotifyTaskWaiting(r); });
  }
  if (run < end) inner_->NotifyTasksWaiting(batch, run, end);
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

FaultStack BuildFaultStack(Channel* real, const FaultsSpec& f, Engine& engine) {
  FaultStack stack;
  stack.top = real;
  auto wrap = [&stack](std::unique_ptr<Channel> decorator) {
    stack.top = decorator.get();
    stack.decorators.push_back(std::move(decorator));
  };
  if (f.lost_ack_probability > 0) {
    wrap(std::make_unique<LostAcks>(stack.top, f.lost_ack_probability, &engine.Stream("faults/lost_acks")));
  }
  if (f.lost_assignment_probability > 0) {
    wrap(std::make_unique<LostAssignments>(stack.top, f.lost_assignment_probability,
                                           &engine.Stream("faults/lost_assignments")));
  }
  if (f.delay_probability > 0) {
    wrap(std::make_unique<DelayedNotifications>(stack.top, &engine, f.delay_probability, f.delay,
                                                &engine.Stream("faults/delayed_notifications")));
  }
  return stack;
}

}  // namespace qsim::sim
