#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

namespace qsim {
namespace {

constexpr Time kStart = TimeFromMicros(1700000000000000);

TEST(Scheduler, IdleWorkerGetsMatchingRequest) {
  Scheduler s = Scheduler::New(kStart);
  ASSERT_TRUE(s.AddRequest({"r1", "", {"pool:a"}, {}, kStart, {}}, kStart, nullptr).ok());
  ASSERT_TRUE(s.MarkIdle("w1", {"pool:a"}, kStart, nullptr).ok());
  auto out = s.RunOnce(nullptr);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].worker, "w1");
  EXPECT_EQ(out[0].request, "r1");
  EXPECT_EQ(out[0].priority, kFreeBucket);
  EXPECT_TRUE(s.IsAssigned("r1", "w1"));
}

}  // namespace
}  // namespace qsim
