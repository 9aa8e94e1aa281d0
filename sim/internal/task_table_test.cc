#include "sim/internal/task_table.h"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace qsim::sim {
namespace {

std::string Printed(uint32_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "t%08u", id);
  return buf;
}

// The eight-digit fast path and the general one both give "t%08u", on each
// side of every power of ten and of the switch between them.
TEST(TaskName, MatchesPrintfEverywhere) {
  std::vector<uint32_t> ids = {0, 1, 9, 10, 11, 99, 100, 101, 4294967295u};
  for (uint32_t p = 10; p <= 1'000'000'000; p *= 10) {
    ids.push_back(p - 1);
    ids.push_back(p);
    ids.push_back(p + 1);
  }
  for (uint32_t id = 0; id < 200'000; id += 7) ids.push_back(id);
  for (uint32_t id = 99'990'000; id < 100'010'000; ++id) ids.push_back(id);
  for (uint32_t id : ids) {
    ASSERT_EQ(TaskName(id), Printed(id)) << id;
    char out[kMaxTaskName];
    const size_t n = FormatTaskName(id, out);
    ASSERT_EQ(std::string(out, n), Printed(id)) << id;
  }
}

TEST(TaskName, ParsesBackWhatItFormats) {
  TaskTable table(1, Time{});
  for (int i = 0; i < 12; ++i) table.Add(Time{}, 0, 0, 0, 0, Duration{});
  for (uint32_t id = 0; id < 12; ++id) EXPECT_EQ(table.Parse(TaskName(id)), id);
  EXPECT_EQ(table.Parse(TaskName(12)), -1);  // not one of ours
  EXPECT_EQ(table.Parse("x00000001"), -1);
}

}  // namespace
}  // namespace qsim::sim
