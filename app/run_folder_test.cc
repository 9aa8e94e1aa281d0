// The column lists of runfolder/columns.h are the headers the simulator
// actually writes: a run with every output on, each file read back through
// the runfolder reader.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "sim/scenario.h"
#include "sim/sim.h"

namespace qsim {
namespace {

template <size_t N>
std::vector<std::string> Names(const std::array<std::string_view, N>& columns) {
  return std::vector<std::string>(columns.begin(), columns.end());
}

TEST(RunFolder, WrittenHeadersAreTheColumnLists) {
  StatusOr<sim::Scenario> scenario =
      sim::LoadScenarioFile(std::string(QSIM_SOURCE_DIR) + "/scenarios/smoke/preemption.yaml");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  const std::string dir = ::testing::TempDir() + "qsim-run-folder-test";
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
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qsim
