// Replays every conformance trace (../shared/conformance/traces) against the
// scheduler and reconciler: one test per trace, so a failure names the trace,
// the line, the op and the first differing field.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "replay/replay.h"

namespace qsim::replay {
namespace {

std::vector<std::string> TraceFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(QSIM_TRACE_DIR, ec)) {
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path().string());
  }
  // Directory order is the file system's: sort for stable test names.
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ConformanceTraces, TraceSetPresent_AllTracesFound) {
  std::vector<std::string> files = TraceFiles();
  // FORMAT.md: 3 hand-written traces and 150 generated sessions.
  EXPECT_GE(files.size(), 153u) << "in " << QSIM_TRACE_DIR;
  for (const char* hand : {"hand-ack-timeout.jsonl", "hand-preemption.jsonl", "hand-reconciler-example.jsonl"}) {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(QSIM_TRACE_DIR) / hand)) << hand;
  }
}

class ConformanceTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTrace, Replay_MatchesReference) {
  TraceOutcome outcome = ReplayTraceFile(GetParam());
  EXPECT_EQ(outcome.result, TraceOutcome::Result::kPass) << outcome.Summary();
}

// FORMAT.md: the reference reproduces every line with a state round trip
// before every op, so persistence must be behaviour-neutral here too. Every
// op costs about 50 s of CPU for the set (restoring a long queue is not
// free); every 7th op, a prime, lands on every kind of op at changing points
// of each session for a seventh of that.
TEST_P(ConformanceTrace, RoundTripEverySeventhOp_MatchesReference) {
  TraceOutcome outcome = ReplayTraceFile(GetParam(), ReplayOptions{.roundtrip_every_n_ops = 7});
  EXPECT_EQ(outcome.result, TraceOutcome::Result::kPass) << outcome.Summary();
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Traces, ConformanceTrace, ::testing::ValuesIn(TraceFiles()), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTrace);

}  // namespace
}  // namespace qsim::replay
