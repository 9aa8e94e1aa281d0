#include "reports/report.h"

#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "reports/charts.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "tests/testing/test_util.h"

namespace qsim::reports {
namespace {

// A small run folder written by hand in the contract's format.
class RunReportFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    Write("tasks.csv",
          "task,account,base_labels,provisionable_labels,enqueue_s,first_assigned_s,start_s,end_s,outcome,"
          "wait_s,times_preempted,times_unassigned,provision_needed,start_priority,wait_not_polled_s,"
          "wait_capacity_s,wait_quota_s,wait_throttled_s,wait_no_bot_s,wait_forgotten_s,wait_dispatch_s,"
          "wait_provision_s,lost_runs_s\n"
          "1,build,os:linux;pool:a,,0.000000,1.000000,2.000000,60.000000,completed,2.000000,0,0,0,1,1.000000,0.000000,0.000000,0.000000,0.000000,0.000000,1.000000,0.000000,0.000000\n"
          "2,build,os:linux,,5.000000,30.000000,31.000000,90.000000,completed,26.000000,1,0,0,1,0.000000,20.000000,0.000000,0.000000,0.000000,6.000000,0.000000,0.000000,0.000000\n"
          "3,test,\"os:linux,odd\",,10.000000,,,,unfinished,,0,0,0,,0.000000,0.000000,80.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000\n"
          "4,test,os:linux,,12.000000,13.000000,13.000000,70.000000,completed,1.000000,0,0,1,5,1.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000\n");
    Write("summary.csv",
          "account,tasks,completed,preempted,failed,cancelled,lost,unfinished,wait_mean_s,wait_p50_s,"
          "wait_p90_s,wait_p99_s,wait_max_s,throughput_per_hour,preemptions,wasted_bot_seconds,"
          "busy_bot_seconds,busy_share,charge_share,utilisation,timeouts,invariant_violations,"
          "same_pass_reassignments,forgotten,re_adds\n"
          "build,2,2,0,0,0,0,0,14,14,23.6,25.76,26,80,1,29,117,0.67,0.5,0.3,0,0,0,1,1\n"
          "test,2,1,0,0,0,0,1,1,1,1,1,1,40,0,0,57,0.33,0.5,0.15,0,0,0,0,0\n"
          "*,4,3,0,0,0,0,1,9.66667,2,21.2,25.52,26,120,1,29,174,1,1,0.45,0,0,0,1,1\n");
    // waits.csv: the tasks' wait columns summed per account and reason.
    std::string waits = "account,reason,tasks,total_s,share\n";
    const char* reasons[] = {"not_polled", "capacity", "quota", "throttled", "no_bot",
                             "forgotten", "dispatch", "provision", "lost_runs"};
    const int build[] = {1, 20, 0, 0, 0, 6, 1, 0, 0}, test[] = {1, 0, 80, 0, 0, 0, 0, 0, 0};
    for (int a = 0; a < 3; ++a) {
      for (int k = 0; k < 9; ++k) {
        int v = a == 0 ? build[k] : a == 1 ? test[k] : build[k] + test[k];
        waits += std::string(a == 0 ? "build" : a == 1 ? "test" : "*") + "," + reasons[k] + "," +
                 (v > 0 ? "1" : "0") + "," + std::to_string(v) + ".000000,0\n";
      }
    }
    Write("waits.csv", waits);
  }

  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(runfolder::WriteTextFile(dir_ + "/" + name, text).ok());
  }
  void WriteTimeseriesAndEvents() {
    std::string ts = "time_s,series,account,priority,value\n";
    for (int t = 0; t <= 90; t += 30) {
      std::string time = std::to_string(t) + ".000000";
      ts += time + ",queued,build,1," + std::to_string(t / 30) + "\n";
      ts += time + ",queued,build,5,1\n";
      ts += time + ",running,test,5,1\n";
      ts += time + ",balance,build,0," + std::to_string(100 - t) + "\n";
      ts += time + ",balance,build,1,-5.5\n";
      ts += time + ",bots_idle,,,1\n";
      ts += time + ",bots_busy,,,3\n";
      ts += time + ",bots_dead,,,0\n";
    }
    Write("timeseries.csv", ts);
    Write("events.csv",
          "time_s,type,task,bot,account,priority,detail,cause\n"
          "1.000000,ASSIGNED,1,bot-1,build,1,,\n"
          "29.000000,PREEMPTED,2,bot-2,build,1,by 4,running\n"
          "60.000000,COMPLETED,1,bot-1,build,1,BOT_IDLE,\n");
  }

  testing::ScopedTempDir temp_{"qsim-report"};
  std::string dir_ = temp_.path();
};

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST_F(RunReportFolder, FullReportHasEveryChartAndNoExternalReferences) {
  WriteTimeseriesAndEvents();
  StatusOr<std::string> page = BuildRunReport(dir_);
  ASSERT_TRUE(page.ok()) << page.status().message();
  for (const char* id : {"wait-cdf", "wait-reasons", "preemptions", "fairness-0", "queued", "running", "bots",
                         "bot-counts", "balance-0"}) {
    EXPECT_NE(page->find("id=\"" + std::string(id) + "\" data-chart"), std::string::npos) << id;
  }
  // In page order; a fairness chart per account that was short of its share.
  EXPECT_NE(page->find("[\"wait-cdf\",\"wait-reasons\",\"wait-over-time-0\",\"wait-over-time-1\","
                       "\"wait-over-time-2\",\"preemptions\",\"enqueues\",\"fairness-0\","),
            std::string::npos);
  EXPECT_NE(page->find("\"queued\",\"running\",\"bots\",\"bot-counts\",\"balance-0\"]"), std::string::npos);
  // Self-contained: no links, no external scripts or fonts.
  EXPECT_EQ(page->find("http://"), page->find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(page->find("https://"), std::string::npos);
  EXPECT_EQ(page->find("src="), std::string::npos);
  EXPECT_EQ(page->find("@import"), std::string::npos);
  // Axes carry units; legends name the accounts and priorities.
  EXPECT_NE(page->find(">simulated time (s)<"), std::string::npos);
  EXPECT_NE(page->find(">wait (log scale)<"), std::string::npos);
  EXPECT_NE(page->find(">balance (bot-seconds)<"), std::string::npos);
  EXPECT_NE(page->find(">share of busy bots (%)<"), std::string::npos);
  EXPECT_NE(page->find(">P0</text>"), std::string::npos);
  EXPECT_NE(page->find(">build (2)</text>"), std::string::npos);
  EXPECT_NE(page->find(">build: running (1)</text>"), std::string::npos);
  // The summary table (on its side) has a column per account; the wait,
  // slowdown, fairness, wait-reason and preemption tables a row each.
  EXPECT_EQ(Count(*page, "<th>build</th>"), 1);
  EXPECT_EQ(Count(*page, "<th>* (all accounts)</th>"), 1);
  EXPECT_EQ(Count(*page, "<td>build</td>"), 5);
  EXPECT_EQ(page->find("not written"), std::string::npos);
}

TEST_F(RunReportFolder, ReportSaysWhenOptionalFilesAreMissing) {
  StatusOr<std::string> page = BuildRunReport(dir_);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_NE(page->find("timeseries.csv was not written"), std::string::npos);
  EXPECT_NE(page->find("events.csv was not written"), std::string::npos);
  EXPECT_NE(page->find("id=\"wait-cdf\""), std::string::npos);
  EXPECT_EQ(page->find("id=\"queued\""), std::string::npos);
}

TEST_F(RunReportFolder, ReportIsDeterministic) {
  WriteTimeseriesAndEvents();
  StatusOr<std::string> a = BuildRunReport(dir_);
  StatusOr<std::string> b = BuildRunReport(dir_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST_F(RunReportFolder, CommandWritesReportHtml) {
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand(dir_, out, err), 0) << err.str();
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/report.html"));
}

TEST_F(RunReportFolder, BadNumberIsAnErrorNamingFileAndLine) {
  Write("tasks.csv",
        "task,account,base_labels,provisionable_labels,enqueue_s,first_assigned_s,start_s,end_s,outcome,"
        "wait_s,times_preempted,times_unassigned,provision_needed,start_priority\n"
        "1,build,,,0.000000,,,,completed,soon,0,0,0,1\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand(dir_, out, err), 2);
  EXPECT_NE(err.str().find("tasks.csv:2: column wait_s"), std::string::npos) << err.str();
}

TEST_F(RunReportFolder, TaskWaitsAreReadByAccountWithTheLastTime) {
  StatusOr<TaskWaits> waits = ReadTaskWaits(dir_ + "/tasks.csv");
  ASSERT_TRUE(waits.ok()) << waits.status().message();
  EXPECT_EQ(waits->by_account.at("build"), (std::vector<double>{2, 26}));
  EXPECT_EQ(waits->by_account.at("test"), (std::vector<double>{1}));
  EXPECT_EQ(waits->last_time, 90);
}

TEST_F(RunReportFolder, BadTaskTimeIsAnErrorNotSkipped) {
  Write("tasks.csv",
        "task,account,base_labels,provisionable_labels,enqueue_s,first_assigned_s,start_s,end_s,outcome,"
        "wait_s,times_preempted,times_unassigned,provision_needed,start_priority\n"
        "1,build,,,0.000000,,,,unfinished,,0,0,0,\n"
        "2,build,,,0.000000,,,later,completed,1.0,0,0,0,1\n");
  StatusOr<TaskWaits> waits = ReadTaskWaits(dir_ + "/tasks.csv");
  ASSERT_FALSE(waits.ok());
  EXPECT_EQ(waits.status().message(), dir_ + "/tasks.csv:3: column end_s: \"later\" is not a number");
}

TEST(RunReport, MissingFolderIsAnError) {
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand("/nonexistent/qsim-run", out, err), 2);
  EXPECT_NE(err.str().find("summary.csv"), std::string::npos);
}

}  // namespace
}  // namespace qsim::reports
