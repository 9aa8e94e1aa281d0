// Replays the conformance traces kept in this repository against the
// scheduler and reconciler: one test per trace, so a failure names the trace,
// the line, the op and the first differing field.
// The traces are tests/conformance/traces/*.jsonl.gz (README there).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "replay/replay.h"

namespace qsim::replay {
namespace {

bool IsTrace(const std::string& name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".jsonl") || ends_with(".jsonl.gz");
}

// The trace files of `dir`, sorted (directory order is the file system's).
std::vector<std::string> TraceFiles(const char* dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (IsTrace(entry.path().filename().string())) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// "hand-preemption.jsonl.gz" -> "hand_preemption".
std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).filename().string();
  for (std::string_view suffix : {".gz", ".jsonl"}) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      name.resize(name.size() - suffix.size());
    }
  }
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

TEST(ConformanceTraces, TraceSetPresent_AllTracesFound) {
  std::vector<std::string> files = TraceFiles(QSIM_TRACE_DIR);
  // 3 hand-written traces and 150 generated sessions.
  EXPECT_EQ(files.size(), 153u) << "in " << QSIM_TRACE_DIR;
  for (const char* hand : {"hand-ack-timeout.jsonl.gz", "hand-preemption.jsonl.gz",
                           "hand-reconciler-example.jsonl.gz"}) {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(QSIM_TRACE_DIR) / hand)) << hand;
  }
}

class ConformanceTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTrace, Replay_MatchesReference) {
  TraceOutcome outcome = ReplayTraceFile(GetParam());
  EXPECT_EQ(outcome.result, TraceOutcome::Result::kPass) << outcome.Summary();
}

// The reference reproduces every line with a state round trip before every
// op, so persistence must be behaviour-neutral here too. Every op costs about
// 50 s of CPU for the set (restoring a long queue is not free); every 7th op,
// a prime, lands on every kind of op at changing points of each session for a
// seventh of that.
TEST_P(ConformanceTrace, RoundTripEverySeventhOp_MatchesReference) {
  TraceOutcome outcome = ReplayTraceFile(GetParam(), ReplayOptions{.roundtrip_every_n_ops = 7});
  EXPECT_EQ(outcome.result, TraceOutcome::Result::kPass) << outcome.Summary();
}

INSTANTIATE_TEST_SUITE_P(Traces, ConformanceTrace, ::testing::ValuesIn(TraceFiles(QSIM_TRACE_DIR)), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTrace);

}  // namespace
}  // namespace qsim::replay
