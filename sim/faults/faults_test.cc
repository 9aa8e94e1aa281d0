// The fault decorators alone, over a recording channel (a unit-level fake:
// these tests are about the decorators, not the scheduler).
#include "sim/faults/faults.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>

namespace qsim::sim {
namespace {

class RecordingChannel final : public Channel {
 public:
  explicit RecordingChannel(const Engine* engine = nullptr) : engine_(engine) {}
  void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) override {
    waiting.push_back(r);
    if (engine_) waiting_at.push_back(engine_->now());
  }
  void NotifyTaskRunning(const reconciler::TaskRunningRequest& r) override { running.push_back(r); }
  void NotifyTaskAbsent(const reconciler::TaskAbsentRequest& r) override { absent.push_back(r); }
  void AddTaskError(const std::string&, const std::string&) override {}
  std::vector<reconciler::Assignment> AssignTasks(Time, std::span<const reconciler::IdleWorker> workers) override {
    std::vector<reconciler::Assignment> out;
    for (const auto& w : workers) out.push_back({w.id, "task-for-" + w.id, false});
    return out;
  }
  std::vector<reconciler::Cancellation> Cancellations() override { return {}; }

  std::vector<reconciler::TaskWaitingRequest> waiting;
  std::vector<Time> waiting_at;  // when each arrived, given an engine
  std::vector<reconciler::TaskRunningRequest> running;
  std::vector<reconciler::TaskAbsentRequest> absent;

 private:
  const Engine* engine_;
};

// Requests "t0", "t1", ... at `t`; Request(i) rebuilds into one slot, as
// the World's batch does.
class NumberedBatch final : public WaitingBatch {
 public:
  NumberedBatch(size_t n, Time t) : t_(t) {
    for (size_t i = 0; i < n; ++i) names_.push_back("t" + std::to_string(i));
  }
  size_t size() const override { return names_.size(); }
  Time time() const override { return t_; }
  std::string_view name(size_t i) const override { return names_[i]; }
  const reconciler::TaskWaitingRequest& Request(size_t i) override {
    r_.request = "t" + std::to_string(i);
    r_.account = i % 2 ? "odd" : "even";
    r_.enqueue_time = TimeFromMicros(static_cast<int64_t>(i));
    r_.time = t_;
    return r_;
  }

 private:
  Time t_;
  std::vector<std::string> names_;
  reconciler::TaskWaitingRequest r_;
};

TEST(LostAcks, DropsAboutTheGivenShareOfRunningNotificationsOnly) {
  RecordingChannel inner;
  RandomStream rng(1, "faults/lost_acks");
  LostAcks faulty(&inner, 0.25, &rng);
  for (int i = 0; i < 4000; ++i) {
    faulty.NotifyTaskRunning({"t" + std::to_string(i), "b", TimeFromMicros(i)});
    faulty.NotifyTaskAbsent({"t" + std::to_string(i), "b", TimeFromMicros(i)});
  }
  EXPECT_EQ(inner.absent.size(), 4000u);
  EXPECT_EQ(static_cast<int64_t>(inner.running.size()) + faulty.dropped(), 4000);
  EXPECT_NEAR(static_cast<double>(faulty.dropped()) / 4000, 0.25, 0.03);
}

TEST(LostAssignments, DropsAssignmentsButKeepsTheRestInOrder) {
  RecordingChannel inner;
  RandomStream rng(2, "faults/lost_assignments");
  LostAssignments faulty(&inner, 0.5, &rng);
  std::vector<reconciler::IdleWorker> workers;
  for (int i = 0; i < 200; ++i) workers.push_back({"w" + std::to_string(1000 + i), {}});
  std::vector<reconciler::Assignment> got = faulty.AssignTasks(TimeFromMicros(0), workers);
  EXPECT_EQ(static_cast<int64_t>(got.size()) + faulty.dropped(), 200);
  EXPECT_GT(faulty.dropped(), 60);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end(),
                             [](const auto& a, const auto& b) { return a.worker < b.worker; }));
}

TEST(DelayedNotifications, DeliversLateWithTheOriginalTimestampAndCanReorder) {
  RecordingChannel inner;
  Engine engine(3, TimeFromMicros(0));
  DurationDist delay;
  delay.kind = DurationDist::Kind::kConstant;
  delay.value = Seconds(10);
  RandomStream rng(3, "faults/delayed_notifications");
  DelayedNotifications faulty(&inner, &engine, 1.0, delay, &rng);
  faulty.NotifyTaskAbsent({"old", "b", TimeFromMicros(0)});
  EXPECT_TRUE(inner.absent.empty());  // not yet
  engine.Schedule(TimeFromMicros(ToMicros(Seconds(5))), [&] {
    DelayedNotifications direct(&inner, &engine, 0.0, delay, &rng);
    direct.NotifyTaskAbsent({"new", "b", engine.now()});
  });
  while (engine.Step()) {
  }
  ASSERT_EQ(inner.absent.size(), 2u);
  EXPECT_EQ(inner.absent[0].request, "new");  // overtaken
  EXPECT_EQ(inner.absent[1].request, "old");
  EXPECT_EQ(inner.absent[1].time, TimeFromMicros(0));  // its own, older time
  EXPECT_EQ(engine.now(), TimeFromMicros(ToMicros(Seconds(10))));
}

// A batch through the whole stack is indistinguishable from one
// NotifyTaskWaiting per item: the same requests reach the real end in the
// same order at the same times, the delay stream is drawn the same, and the
// items between delayed ones arrive as batches.
TEST(DelayedNotifications, ABatchIsTheSameAsOneCallPerItem) {
  FaultsSpec f;
  f.lost_ack_probability = 0.5;
  f.lost_assignment_probability = 0.5;
  f.delay_probability = 0.3;
  f.delay.kind = DurationDist::Kind::kExponential;
  f.delay.mean = Seconds(20);
  auto run = [&f](bool batched) {
    Engine engine(9, TimeFromMicros(0));
    auto real = std::make_unique<RecordingChannel>(&engine);
    FaultStack stack = BuildFaultStack(real.get(), f, engine);
    engine.Schedule(TimeFromMicros(ToMicros(Seconds(1))), [&] {
      NumberedBatch batch(500, engine.now());
      if (batched) {
        stack.top->NotifyTasksWaiting(batch, 0, batch.size());
      } else {
        for (size_t i = 0; i < batch.size(); ++i) stack.top->NotifyTaskWaiting(batch.Request(i));
      }
    });
    while (engine.Step()) {
    }
    double next_draw = engine.Stream("faults/delayed_notifications").Uniform01();
    return std::make_tuple(std::move(real), next_draw);
  };
  auto [one_by_one, draw_a] = run(false);
  auto [batched, draw_b] = run(true);
  ASSERT_EQ(batched->waiting.size(), 500u);
  ASSERT_EQ(one_by_one->waiting.size(), 500u);
  size_t late = 0;
  for (size_t i = 0; i < 500; ++i) {
    EXPECT_EQ(batched->waiting[i].request, one_by_one->waiting[i].request) << i;
    EXPECT_EQ(batched->waiting[i].account, one_by_one->waiting[i].account) << i;
    EXPECT_EQ(batched->waiting[i].enqueue_time, one_by_one->waiting[i].enqueue_time) << i;
    EXPECT_EQ(batched->waiting[i].time, TimeFromMicros(ToMicros(Seconds(1)))) << i;
    EXPECT_EQ(batched->waiting_at[i], one_by_one->waiting_at[i]) << i;
    if (batched->waiting_at[i] > TimeFromMicros(ToMicros(Seconds(1)))) ++late;
  }
  EXPECT_GT(late, 100u);  // about 30% were delayed (and so reordered)
  EXPECT_LT(late, 200u);
  EXPECT_EQ(draw_a, draw_b);
}

TEST(BuildFaultStack, NoFaultLeavesTheRealChannelAlone) {
  RecordingChannel real;
  Engine engine(4, TimeFromMicros(0));
  FaultStack stack = BuildFaultStack(&real, FaultsSpec{}, engine);
  EXPECT_EQ(stack.top, &real);
  EXPECT_TRUE(stack.decorators.empty());
}

TEST(BuildFaultStack, WrapsInTheFixedOrderWithTheOutermostOnTop) {
  RecordingChannel real;
  Engine engine(4, TimeFromMicros(0));
  FaultsSpec f;
  f.lost_ack_probability = 1;
  f.lost_assignment_probability = 0.5;
  f.delay_probability = 0.5;
  FaultStack stack = BuildFaultStack(&real, f, engine);
  ASSERT_EQ(stack.decorators.size(), 3u);
  EXPECT_NE(dynamic_cast<LostAcks*>(stack.decorators[0].get()), nullptr);
  EXPECT_NE(dynamic_cast<LostAssignments*>(stack.decorators[1].get()), nullptr);
  EXPECT_NE(dynamic_cast<DelayedNotifications*>(stack.decorators[2].get()), nullptr);
  EXPECT_EQ(stack.top, stack.decorators[2].get());
  // Every ack goes through all three and is dropped by the innermost.
  stack.top->NotifyTaskRunning({"t", "b", TimeFromMicros(0)});
  while (engine.Step()) {
  }
  EXPECT_TRUE(real.running.empty());
}

}  // namespace
}  // namespace qsim::sim
