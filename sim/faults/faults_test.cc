// The fault decorators alone, over a recording channel (a unit-level fake:
// these tests are about the decorators, not the scheduler).
#include "sim/faults/faults.h"

#include <gtest/gtest.h>

namespace qsim::sim {
namespace {

class RecordingChannel final : public Channel {
 public:
  void NotifyTaskWaiting(const reconciler::TaskWaitingRequest& r) override { waiting.push_back(r); }
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
  std::vector<reconciler::TaskRunningRequest> running;
  std::vector<reconciler::TaskAbsentRequest> absent;
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
