// Replays the conformance traces kept in this repository against the
// scheduler and reconciler: one test per trace, so a failure names the trace,
// the line, the op and the first differing field.
//
// Two sets (tests/conformance/README.md):
// - traces/: sessions recorded from the original implementation (gzip);
// - spec-derived/: expectations taken from the spec, not from the original
//   implementation, for the historic switches and API edges. Their tests
//   start with "SpecDerived", so `ctest -R '^SpecDerived'` runs them alone
//   and `ctest -E '^SpecDerived'` leaves them out.
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

// --- Recorded from the original implementation ---------------------------

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
  if (outcome.result != TraceOutcome::Result::kPass) ADD_FAILURE() << outcome.Summary();
}

// The reference reproduces every line with a state round trip before every
// op, so persistence must be behaviour-neutral here too. Every op costs about
// 50 s of CPU for the set (restoring a long queue is not free); every 7th op,
// a prime, lands on every kind of op at changing points of each session for a
// seventh of that.
TEST_P(ConformanceTrace, RoundTripEverySeventhOp_MatchesReference) {
  TraceOutcome outcome = ReplayTraceFile(GetParam(), ReplayOptions{.roundtrip_every_n_ops = 7});
  if (outcome.result != TraceOutcome::Result::kPass) ADD_FAILURE() << outcome.Summary();
}

INSTANTIATE_TEST_SUITE_P(Traces, ConformanceTrace, ::testing::ValuesIn(TraceFiles(QSIM_TRACE_DIR)), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTrace);

// --- Derived from the spec ------------------------------------------------

TEST(SpecDerivedTraces, TraceSetPresent_AllTracesFound) {
  std::vector<std::string> files = TraceFiles(QSIM_SPEC_DERIVED_DIR);
  EXPECT_EQ(files.size(), 4u) << "in " << QSIM_SPEC_DERIVED_DIR;
}

class SpecDerivedTrace : public ::testing::TestWithParam<std::string> {};

// A failure prints the first differing line, op and field, as the recorded set does.
TEST_P(SpecDerivedTrace, Replay_MatchesSpec) {
  TraceOutcome outcome = ReplayTraceFile(GetParam());
  if (outcome.result != TraceOutcome::Result::kPass) ADD_FAILURE() << outcome.Summary();
}

// The policy switches and account limits these traces set must survive the
// persistent form as well.
TEST_P(SpecDerivedTrace, RoundTripBeforeEveryOp_MatchesSpec) {
  TraceOutcome outcome = ReplayTraceFile(GetParam(), ReplayOptions{.roundtrip_every_n_ops = 1});
  if (outcome.result != TraceOutcome::Result::kPass) ADD_FAILURE() << outcome.Summary();
}

INSTANTIATE_TEST_SUITE_P(SpecDerived, SpecDerivedTrace, ::testing::ValuesIn(TraceFiles(QSIM_SPEC_DERIVED_DIR)),
                         TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SpecDerivedTrace);

}  // namespace
}  // namespace qsim::replay
