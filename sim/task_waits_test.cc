#include "sim/task_waits.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace qsim::sim {
namespace {

TEST(TaskWaits, RoundTripsEveryValueInAnyOrderOfIds) {
  TaskWaits waits;
  const TaskWaits::Split a{0, 1, 127, 128, 16383, 16384, 0, 604800000000, 0};
  const TaskWaits::Split b{std::numeric_limits<int64_t>::max(), 0, 0, 0, 0, 0, 0, 0, 7};
  const TaskWaits::Split c{-1, std::numeric_limits<int64_t>::min(), -300, 0, 0, 0, 0, 0, 0};
  waits.Set(5, a);
  waits.Set(2, b);
  waits.Set(3, c);
  EXPECT_EQ(waits.Get(5), a);
  EXPECT_EQ(waits.Get(2), b);
  EXPECT_EQ(waits.Get(3), c);
}

TEST(TaskWaits, AnIdNeverSetReadsZeros) {
  TaskWaits waits;
  EXPECT_EQ(waits.Get(0), TaskWaits::Split{});
  waits.Set(4, TaskWaits::Split{1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(waits.Get(1), TaskWaits::Split{});
  EXPECT_EQ(waits.Get(100), TaskWaits::Split{});
  waits.Set(1, TaskWaits::Split{});
  EXPECT_EQ(waits.Get(1), TaskWaits::Split{});
  EXPECT_EQ(waits.Get(4), (TaskWaits::Split{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(TaskWaitsDeathTest, StoringATaskTwiceIsABug) {
  TaskWaits waits;
  waits.Set(0, TaskWaits::Split{});
  EXPECT_DEATH(waits.Set(0, TaskWaits::Split{}), "stored twice");
}

}  // namespace
}  // namespace qsim::sim
