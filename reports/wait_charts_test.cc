// The report's wait and preemption charts agree with summary.csv and
// waits.csv for every shipped scenario: each stacked bar is waits.csv's row,
// the stacked areas add up to it, the event counts to summary.csv's; and
// qsim explain tells the same totals as tasks.csv.
#include "reports/wait_charts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "reports/explain.h"
#include "reports/report.h"
#include "reports/run_data.h"
#include "runfolder/csv.h"
#include "tests/testing/test_util.h"

namespace qsim::reports {
namespace {

namespace fs = std::filesystem;
using runfolder::kWaitReasons;

int64_t Micros(const std::string& s) { return std::llround(std::stod(s) * 1e6); }

// Runs `scenario` with every output into `dir` (no report).
void RunScenario(const std::string& scenario, const std::string& dir) {
  testing::CommandResult r = testing::RunCommandLine(std::string(QSIM_BINARY) + " run " + scenario +
                                                 " --quiet --no-report --outputs tasks,summary,timeseries,events"
                                                 " --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

void ExpectReconciled(const std::string& dir, const std::string& what) {
  StatusOr<WaitChartData> d = ReadWaitChartData(dir);
  ASSERT_TRUE(d.ok()) << d.status().message();
  StatusOr<RunSummary> summary = ReadRunSummary(dir);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  StatusOr<runfolder::CsvTable> waits = runfolder::ReadCsvFile(RunFile(dir, runfolder::kWaitsFile));
  ASSERT_TRUE(waits.ok()) << waits.status().message();
  // The bar: waits.csv, every account of summary.csv, each reason.
  EXPECT_EQ(d->accounts, summary->accounts) << what;
  ASSERT_EQ(waits->rows.size(), summary->accounts.size() * kWaitReasons.size()) << what;
  for (const std::vector<std::string>& row : waits->rows) {
    size_t k = static_cast<size_t>(std::find(kWaitReasons.begin(), kWaitReasons.end(), row[1]) - kWaitReasons.begin());
    ASSERT_LT(k, kWaitReasons.size()) << what;
    EXPECT_EQ(d->bar.at(row[0])[k], Micros(row[3])) << what << ": " << row[0] << " " << row[1];
  }
  // The areas: per account and reason, the buckets add up to the bar.
  for (const std::string& a : d->accounts) {
    ReasonMicros sum{};
    if (d->areas.count(a)) {
      for (const ReasonMicros& b : d->areas.at(a)) {
        for (size_t k = 0; k < sum.size(); ++k) sum[k] += b[k];
      }
    }
    EXPECT_EQ(sum, d->bar.at(a)) << what << ": areas of " << a;
  }
  // The event counts: summary.csv's same-pass reassignments and re-adds.
  ASSERT_TRUE(d->has_events) << what;
  for (const std::string& a : d->accounts) {
    auto count = [&a](const std::map<std::string, std::vector<int64_t>>& m) {
      auto it = m.find(a);
      return static_cast<double>(it == m.end() ? 0 : it->second.size());
    };
    EXPECT_EQ(count(d->same_pass), summary->Get(a, "same_pass_reassignments").value_or(-1)) << what << ": " << a;
    EXPECT_EQ(count(d->re_adds), summary->Get(a, "re_adds").value_or(-1)) << what << ": " << a;
    // Every preempted run was a PREEMPTED of a running task first.
    EXPECT_GE(count(d->preempted_running), summary->Get(a, "preemptions").value_or(-1)) << what << ": " << a;
    // Every measured task was enqueued once first (a lost notification may delay it).
    EXPECT_LE(count(d->first_enqueues), summary->Get(a, "tasks").value_or(-1)) << what << ": " << a;
  }
}

TEST(WaitCharts, EveryShippedScenarioReconciles) {
  testing::ScopedTempDir tmp("qsim-wait-charts");
  int runs = 0;
  for (const std::string folder : {"scenarios", "scenarios/smoke"}) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(testing::SourceDir() + "/" + folder)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::string dir = tmp.Path(folder.substr(folder.find('/') + 1) + "-" + f.stem().string());
      RunScenario(f.string(), dir);
      ExpectReconciled(dir, f.string());
      StatusOr<std::string> page = BuildRunReport(dir);
      ASSERT_TRUE(page.ok()) << page.status().message();
      for (const char* id : {"wait-reasons", "wait-over-time-0", "preemptions", "enqueues"}) {
        EXPECT_NE(page->find("id=\"" + std::string(id) + "\""), std::string::npos) << f << ": " << id;
      }
      ++runs;
    }
  }
  EXPECT_GE(runs, 10);
}

// The done-means check of docs/waits.md: on two-teams the worst ci wait is a
// same-pass chain, and explain says so.
TEST(Explain, WorstTwoTeamsCiTaskNamesTheSamePassChain) {
  testing::ScopedTempDir tmp("qsim-explain");
  std::string dir = tmp.Path("two-teams");
  RunScenario(testing::SourceDir() + "/scenarios/two-teams.yaml", dir);
  std::ostringstream worst;
  ASSERT_TRUE(ExplainWorst(dir, 1, "ci", worst).ok());
  std::string listing = worst.str();
  size_t at = listing.find("\n  t");
  ASSERT_NE(at, std::string::npos) << listing;
  std::string task = listing.substr(at + 3, 9);
  EXPECT_NE(listing.find("forgotten"), std::string::npos) << listing;
  std::ostringstream story;
  ASSERT_TRUE(ExplainTask(dir, task, story).ok());
  EXPECT_NE(story.str().find("preempted in the same pass by t"), std::string::npos) << story.str();
  EXPECT_NE(story.str().find("re-added by the dispatcher's re-notification"), std::string::npos) << story.str();
  EXPECT_NE(story.str().find("A same-pass preemption chain"), std::string::npos) << story.str();
  EXPECT_NE(story.str().find("preempt_once_per_worker"), std::string::npos) << story.str();
}

// The fleet of smoke/fleet_changes grows from 6 bots to 8 at 30m and to 14
// at 1h: explain counts the matching bots present when a task arrives.
TEST(Explain, MatchingBotsAreThosePresentAtTheTime) {
  testing::ScopedTempDir tmp("qsim-explain");
  std::string dir = tmp.Path("fleet");
  RunScenario(testing::SourceDir() + "/scenarios/smoke/fleet_changes.yaml", dir);
  std::ostringstream early, later;
  ASSERT_TRUE(ExplainTask(dir, "t00000005", early).ok());  // enqueued in the first 10 minutes
  EXPECT_NE(early.str().find("of its 6 matching bots"), std::string::npos) << early.str();
  ASSERT_TRUE(ExplainTask(dir, "t00000200", later).ok());  // enqueued between 1h and 2h
  EXPECT_NE(later.str().find("of its 14 matching bots"), std::string::npos) << later.str();
}

TEST(Explain, HumanSeconds) {
  EXPECT_EQ(HumanSeconds(12'340'000), "12.3 s");
  EXPECT_EQ(HumanSeconds(15 * 60'000'000LL), "15 min");
  EXPECT_EQ(HumanSeconds(3'617'000'000LL), "1 h 0 min");
}

TEST(WaitCharts, BucketWidths) {
  EXPECT_EQ(WaitBucketMicros(30 * 60'000'000LL), 60'000'000);
  EXPECT_EQ(WaitBucketMicros(11 * 3'600'000'000LL), 15 * 60'000'000LL);
  EXPECT_EQ(WaitBucketMicros(6 * 86'400'000'000LL), 180 * 60'000'000LL);
}

}  // namespace
}  // namespace qsim::reports
