#include "sim/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace qsim::sim {
namespace {

TEST(Engine, RunsEventsByTimeThenInsertionOrder) {
  Engine e(1, TimeFromMicros(0));
  std::vector<int> order;
  e.Schedule(TimeFromMicros(20), [&] { order.push_back(3); });
  e.Schedule(TimeFromMicros(10), [&] { order.push_back(1); });
  e.Schedule(TimeFromMicros(10), [&] { order.push_back(2); });
  e.Schedule(TimeFromMicros(20), [&] { order.push_back(4); });
  while (e.Step()) {
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(e.now(), TimeFromMicros(20));
  EXPECT_EQ(e.events_run(), 4u);
}

TEST(Engine, HandlersMayScheduleAtTheCurrentTimeAfterPeers) {
  Engine e(1, TimeFromMicros(0));
  std::vector<int> order;
  e.Schedule(TimeFromMicros(5), [&] {
    order.push_back(1);
    e.After(Duration::zero(), [&] { order.push_back(3); });
  });
  e.Schedule(TimeFromMicros(5), [&] { order.push_back(2); });
  while (e.Step()) {
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Engine, CancelledEventsDoNotRunAndStaleHandlesAreHarmless) {
  Engine e(1, TimeFromMicros(0));
  int ran = 0;
  EventHandle a = e.Schedule(TimeFromMicros(1), [&] { ran += 1; });
  EventHandle b = e.Schedule(TimeFromMicros(2), [&] { ran += 10; });
  EventHandle a_copy = a;
  EXPECT_TRUE(e.Cancel(&a));
  EXPECT_FALSE(a.valid());
  // The slot is reused by a new event; the stale copy must not cancel it.
  EventHandle c = e.Schedule(TimeFromMicros(3), [&] { ran += 100; });
  EXPECT_EQ(c.slot, a_copy.slot);
  EXPECT_FALSE(e.Cancel(&a_copy));
  while (e.Step()) {
  }
  EXPECT_EQ(ran, 110);
  EXPECT_FALSE(e.Cancel(&b));  // already ran
}

TEST(Engine, RunUntilStopsAtTheEndAndSetsTheClock) {
  Engine e(1, TimeFromMicros(0));
  int ran = 0;
  e.Schedule(TimeFromMicros(10), [&] { ++ran; });
  e.Schedule(TimeFromMicros(11), [&] { ++ran; });
  e.RunUntil(TimeFromMicros(10));
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(e.now(), TimeFromMicros(10));
  EXPECT_EQ(e.pending(), 1u);
}

// The same schedule run with and without FIFOs for its fixed delays must
// give the same order: a FIFO only changes where an event waits.
std::vector<int> RunMixedSchedule(bool use_fifos) {
  Engine e(1, TimeFromMicros(0));
  if (use_fifos) {
    e.UseFifoFor(Duration(10));
    e.UseFifoFor(Duration(0));
  }
  std::vector<int> order;
  EventHandle cancelled;
  e.Schedule(TimeFromMicros(10), [&] { order.push_back(1); });
  e.After(Duration(10), [&] {
    order.push_back(2);
    e.After(Duration(0), [&] { order.push_back(5); });
    e.After(Duration(10), [&] { order.push_back(7); });
    e.Schedule(TimeFromMicros(20), [&] { order.push_back(8); });
  });
  cancelled = e.After(Duration(10), [&] { order.push_back(-1); });
  e.Schedule(TimeFromMicros(10), [&] { order.push_back(3); });
  e.After(Duration(10), [&] { order.push_back(4); });
  e.After(Duration(15), [&] { order.push_back(6); });
  e.Cancel(&cancelled);
  EXPECT_EQ(e.pending(), 6u);  // the cancelled entry still waits, to be skipped
  while (e.Step()) {
  }
  EXPECT_EQ(e.now(), TimeFromMicros(20));
  return order;
}

// A FIFO event is cancelled in place; its handle, once cancelled or run,
// cancels nothing, even after the FIFO has wrapped around and grown.
TEST(Engine, FifoEventsCancelByHandleAndStaleHandlesAreHarmless) {
  Engine e(1, TimeFromMicros(0));
  e.UseFifoFor(Duration(10));
  std::vector<int> ran;
  EventHandle a = e.After(Duration(10), [&] { ran.push_back(1); });
  EventHandle b = e.After(Duration(10), [&] { ran.push_back(2); });
  EventHandle a_copy = a;
  EXPECT_NE(a.fifo, 0u);
  EXPECT_TRUE(e.Cancel(&a));
  EXPECT_FALSE(e.Cancel(&a_copy));
  while (e.Step()) {
  }
  EXPECT_EQ(ran, (std::vector<int>{2}));
  EXPECT_EQ(e.events_run(), 1u);
  EventHandle b_stale = b;
  EXPECT_FALSE(e.Cancel(&b));  // already ran
  // Many more events than the ring first holds, each step adding two: the
  // stale handles still cancel nothing, the live one still cancels.
  int count = 0;
  for (int i = 0; i < 1000; ++i) e.After(Duration(10), [&] { ++count; });
  EventHandle live = e.After(Duration(10), [&] { count += 1000000; });
  EXPECT_FALSE(e.Cancel(&b_stale));
  EXPECT_TRUE(e.Cancel(&live));
  while (e.Step()) {
  }
  EXPECT_EQ(count, 1000);
}

TEST(Engine, FifosForFixedDelaysKeepTheOrderOfTimeThenInsertion) {
  EXPECT_EQ(RunMixedSchedule(false), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(RunMixedSchedule(true), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(EngineDeathTest, SchedulingInThePastIsAnInternalError) {
  Engine e(1, TimeFromMicros(100));
  EXPECT_DEATH(e.Schedule(TimeFromMicros(99), [] {}), "before now");
}

TEST(RandomStream, SameSeedAndNameGiveTheSameSequence) {
  Engine a(42, TimeFromMicros(0)), b(42, TimeFromMicros(0));
  // Creation order must not matter: b creates another stream first.
  b.Stream("faults/lost_acks").Uniform01();
  RandomStream& x = a.Stream("arrivals/workload=build");
  RandomStream& y = b.Stream("arrivals/workload=build");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(x.Uniform01(), y.Uniform01());
}

TEST(RandomStream, DifferentNamesOrSeedsGiveDifferentSequences) {
  EXPECT_NE(StreamSeed(1, "arrivals/workload=a"), StreamSeed(1, "arrivals/workload=b"));
  EXPECT_NE(StreamSeed(1, "arrivals/workload=a"), StreamSeed(2, "arrivals/workload=a"));
  RandomStream a(1, "x"), b(1, "y");
  int same = 0;
  for (int i = 0; i < 100; ++i) same += a.Uniform01() == b.Uniform01();
  EXPECT_LT(same, 3);
}

TEST(RandomStream, ExponentialHasTheRequestedMean) {
  RandomStream r(7, "test");
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += r.Exponential(3.0);
  EXPECT_NEAR(sum / n, 3.0, 0.03);
}

TEST(RandomStream, LognormalMedianIsExpMu) {
  RandomStream r(7, "test");
  std::vector<double> v;
  for (int i = 0; i < 20001; ++i) v.push_back(r.Lognormal(std::log(60.0), 1.0));
  std::nth_element(v.begin(), v.begin() + 10000, v.end());
  EXPECT_NEAR(v[10000], 60.0, 3.0);
}


// A FIFO's warm function sees events before they run, in the FIFO's order,
// never a cancelled one, and changes nothing about what runs when.
struct WarmLog {
  std::vector<uint32_t> warmed, ran;
  void Ran(uint32_t arg) { ran.push_back(arg); }
};
WarmLog* warm_log = nullptr;
void LogWarm(const Call& call) { warm_log->warmed.push_back(call.arg); }

TEST(Engine, FifoWarmSeesLaterEventsInOrderAndChangesNothing) {
  auto run = [](bool warm) {
    WarmLog log;
    warm_log = &log;
    Engine e(1, TimeFromMicros(0));
    e.UseFifoFor(Duration(10), warm ? &LogWarm : nullptr);
    std::vector<EventHandle> handles;
    for (uint32_t i = 0; i < 40; ++i) handles.push_back(e.After(Duration(10), MemberCall<&WarmLog::Ran>(&log, i)));
    e.Cancel(&handles[30]);
    while (e.Step()) {
    }
    warm_log = nullptr;
    return log;
  };
  WarmLog plain = run(false), warmed = run(true);
  std::vector<uint32_t> expected;
  for (uint32_t i = 0; i < 40; ++i) {
    if (i != 30) expected.push_back(i);
  }
  EXPECT_EQ(plain.ran, expected);
  EXPECT_EQ(warmed.ran, expected);
  EXPECT_TRUE(plain.warmed.empty());
  // Every warmed event ran later, in order, and most were warmed.
  ASSERT_GE(warmed.warmed.size(), 30u);
  EXPECT_TRUE(std::is_sorted(warmed.warmed.begin(), warmed.warmed.end()));
  EXPECT_EQ(std::count(warmed.warmed.begin(), warmed.warmed.end(), 30u), 0);
  EXPECT_GT(warmed.warmed.front(), 0u);
}

}  // namespace
}  // namespace qsim::sim
