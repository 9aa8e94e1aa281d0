// The column lists of runfolder/columns.h are the headers the simulator
// actually writes: a run with every output on, each file read back through
// the runfolder reader.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "runfolder/manifest.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim {
namespace {

template <size_t N>
std::vector<std::string> Names(const std::array<std::string_view, N>& columns) {
  return std::vector<std::string>(columns.begin(), columns.end());
}

TEST(RunFolder, WrittenHeadersAreTheColumnLists) {
  StatusOr<sim::Scenario> scenario =
      sim::LoadScenarioFile(testing::SourceDir() + "/scenarios/smoke/preemption.yaml");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  testing::ScopedTempDir temp("qsim-run-folder-test");
  const std::string dir = temp.path();
  std::filesystem::remove_all(dir);
  sim::RunOptions options;
  options.out_dir = dir;
  options.outputs = sim::Outputs{true, true};
  StatusOr<sim::RunResult> result = sim::RunScenario(*scenario, scenario->seed, options);
  ASSERT_TRUE(result.ok()) << result.status().message();

  struct File {
    std::string_view name;
    std::vector<std::string> columns;
  };
  for (const File& f : {File{runfolder::kTasksFile, Names(runfolder::kTasksColumns)},
                        File{runfolder::kSummaryFile, Names(runfolder::kSummaryColumns)},
                        File{runfolder::kTimeseriesFile, Names(runfolder::kTimeseriesColumns)},
                        File{runfolder::kEventsFile, Names(runfolder::kEventsColumns)}}) {
    StatusOr<runfolder::CsvReader> reader = runfolder::CsvReader::Open(dir + "/" + std::string(f.name));
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    EXPECT_EQ(reader->header(), f.columns) << f.name;
    // Every row parses and is as wide as the header.
    int rows = 0;
    for (;;) {
      StatusOr<bool> more = reader->Next();
      ASSERT_TRUE(more.ok()) << more.status().message();
      if (!*more) break;
      ++rows;
    }
    EXPECT_GT(rows, 0) << f.name;
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/" + std::string(runfolder::kResolvedScenarioFile)));
  EXPECT_TRUE(runfolder::RequireCompleteRunFolder(dir).ok());
  std::filesystem::remove_all(dir);
}

// The stop request is polled off the per-event path: a run asked to stop
// returns an error, writes no data file, and its run.json stays incomplete.
TEST(RunFolder, StopRequestLeavesTheFolderIncompleteAndWritesNoData) {
  // 175k events: the stop is polled twice before the end.
  StatusOr<sim::Scenario> scenario = sim::LoadScenarioFile(testing::SourceDir() + "/scenarios/diurnal-day.yaml");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  testing::ScopedTempDir temp("qsim-run-folder-stop-test");
  const std::string dir = temp.path();
  std::filesystem::remove_all(dir);
  sim::RunOptions options;
  options.out_dir = dir;
  int polls = 0;
  options.stop_requested = [&polls] { return ++polls >= 2; };
  StatusOr<sim::RunResult> result = sim::RunScenario(*scenario, scenario->seed, options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("stopped on request at simulated time"), std::string::npos)
      << result.status().message();
  EXPECT_EQ(polls, 2);
  StatusOr<std::optional<runfolder::RunManifest>> manifest = runfolder::ReadManifest(dir);
  ASSERT_TRUE(manifest.ok() && manifest->has_value());
  EXPECT_EQ((*manifest)->status, runfolder::RunStatus::kIncomplete);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "run.json" || name == "scenario.resolved.yaml") << name;
  }
  EXPECT_FALSE(runfolder::RequireCompleteRunFolder(dir).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qsim
