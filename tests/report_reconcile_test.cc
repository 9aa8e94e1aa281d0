// The run report's figures against summary.csv, for every shipped scenario:
// the wait table and the wait CDFs' p50/p90/p99 equal summary's percentiles,
// the slowdown table counts summary's completed tasks, the fairness shares
// add up, and the page shows those numbers. The bench scenarios are cut to
// their first hour (with a 15-minute warm-up) so the suite stays quick; the
// rest run as shipped.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reports/fairness.h"
#include "reports/report.h"
#include "reports/report_sections.h"
#include "reports/run_data.h"
#include "reports/run_figures.h"
#include "reports/time_scale.h"
#include "runfolder/csv.h"
#include "runfolder/measured.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> ShippedScenarios() {
  std::vector<std::string> out;
  for (const char* dir : {"scenarios", "scenarios/smoke", "scenarios/bench"}) {
    for (const auto& entry : fs::directory_iterator(testing::SourceDir() + "/" + dir)) {
      if (entry.path().extension() == ".yaml") out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// summary.csv's field as microseconds (it writes durations with six decimals).
int64_t SummaryMicros(const std::string& run_dir, const std::string& account, const std::string& metric) {
  StatusOr<runfolder::CsvTable> t = runfolder::ReadCsvFile(run_dir + "/summary.csv");
  EXPECT_TRUE(t.ok());
  int a = t->Column("account"), m = t->Column(metric);
  for (const auto& row : t->rows) {
    if (row[a] != account) continue;
    if (row[m].empty()) return 0;
    std::optional<int64_t> us = runfolder::ParseMicros(row[m]);
    EXPECT_TRUE(us.has_value()) << metric << " " << row[m];
    return us.value_or(-1);
  }
  ADD_FAILURE() << "no row " << account;
  return -1;
}

// The x of the first CDF point at or above `fraction`.
double CdfAt(const reports::svg::Series& s, double fraction) {
  for (size_t k = 0; k < s.y.size(); ++k) {
    if (s.y[k] >= fraction) return s.x[k];
  }
  return -1;
}

void CheckWaits(const std::string& dir, const reports::TaskFigures& figures) {
  StatusOr<reports::RunSummary> summary = reports::ReadRunSummary(dir);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  for (const reports::WaitRow& row : reports::WaitRowsOf(figures)) {
    SCOPED_TRACE("account " + row.account);
    EXPECT_EQ(static_cast<double>(row.tasks), summary->Get(row.account, "tasks").value_or(-1));
    EXPECT_EQ(row.waits.p50_us, SummaryMicros(dir, row.account, "wait_p50_s"));
    EXPECT_EQ(row.waits.p90_us, SummaryMicros(dir, row.account, "wait_p90_s"));
    EXPECT_EQ(row.waits.p99_us, SummaryMicros(dir, row.account, "wait_p99_s"));
    EXPECT_EQ(row.waits.max_us, SummaryMicros(dir, row.account, "wait_max_s"));
  }
  double floor_s = 0;
  reports::svg::XyChart cdf = reports::WaitCdfChartOf(figures, &floor_s);
  std::vector<std::pair<std::string, const reports::AccountFigures*>> lines;
  for (const auto& [account, f] : figures.by_account) lines.emplace_back(account, &f);
  if (figures.by_account.size() > 1) lines.emplace_back("*", &figures.fleet);
  ASSERT_EQ(cdf.series.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].second->waits_us.empty()) continue;
    for (auto [fraction, metric] : {std::pair{0.5, "wait_p50_s"}, {0.9, "wait_p90_s"}, {0.99, "wait_p99_s"}}) {
      double expected = std::max(floor_s, static_cast<double>(SummaryMicros(dir, lines[i].first, metric)) / 1e6);
      EXPECT_NEAR(CdfAt(cdf.series[i], fraction), expected, 1e-9 * std::max(1.0, expected))
          << lines[i].first << " " << metric;
    }
  }
}

void CheckSlowdownsAndFairness(const std::string& dir, const reports::TaskFigures& figures) {
  StatusOr<reports::RunSummary> summary = reports::ReadRunSummary(dir);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  for (const reports::SlowdownRow& row : reports::SlowdownRowsOf(figures)) {
    EXPECT_EQ(static_cast<double>(row.completed), summary->Get(row.account, "completed").value_or(-1)) << row.account;
    EXPECT_EQ(row.slowdown.count + row.zero_run, row.completed) << row.account;
    if (row.slowdown.count > 0) {
      EXPECT_GE(row.slowdown.p50, 1.0) << row.account;
    }
  }
  StatusOr<reports::Timeseries> ts = reports::LoadTimeseries(dir + "/timeseries.csv");
  ASSERT_TRUE(ts.ok()) << ts.status().message();
  std::map<std::string, double> charge;
  for (const std::string& a : summary->accounts) {
    if (a != "*") charge[a] = summary->Get(a, "charge_share").value_or(0);
  }
  reports::Fairness fairness = reports::ComputeFairness(*ts, charge);
  for (size_t k = 0; k < fairness.times.size(); ++k) {
    double actual = 0, entitled = 0;
    for (const auto& [account, f] : fairness.accounts) {
      actual += f.actual[k];
      entitled += f.entitled[k];
    }
    EXPECT_TRUE(actual == 0 || std::fabs(actual - 1) < 1e-9) << "t=" << fairness.times[k];
    EXPECT_TRUE(entitled == 0 || std::fabs(entitled - 1) < 1e-9) << "t=" << fairness.times[k];
  }
}

TEST(ReportReconcile, EveryShippedScenarioAgreesWithSummary) {
  std::vector<std::string> scenarios = ShippedScenarios();
  ASSERT_GE(scenarios.size(), 10u);
  testing::ScopedTempDir temp("qsim-report-reconcile");
  for (const std::string& path : scenarios) {
    SCOPED_TRACE(path);
    StatusOr<sim::Scenario> scenario = sim::LoadScenarioFile(path);
    ASSERT_TRUE(scenario.ok()) << scenario.status().message();
    if (path.find("/bench/") != std::string::npos) {
      scenario->duration = std::min(scenario->duration, Hours(1));
      scenario->warmup = std::min(scenario->warmup, Minutes(15));
      for (sim::WorkloadSpec& w : scenario->workloads) {  // what falls after the cut would be refused
        std::erase_if(w.arrivals.bursts, [&](const sim::Burst& b) { return b.at >= scenario->duration; });
        std::erase_if(w.arrivals.times, [&](Duration t) { return t >= scenario->duration; });
      }
    }
    const std::string dir = temp.path() + "/" + fs::path(path).stem().string();
    sim::RunOptions options;
    options.out_dir = dir;
    options.outputs = sim::Outputs{true, false};
    StatusOr<sim::RunResult> result = sim::RunScenario(*scenario, scenario->seed, options);
    ASSERT_TRUE(result.ok()) << result.status().message();
    StatusOr<reports::TaskFigures> figures = reports::ReadTaskFigures(dir);
    ASSERT_TRUE(figures.ok()) << figures.status().message();
    ASSERT_TRUE(figures->warmup_us.has_value());
    CheckWaits(dir, *figures);
    CheckSlowdownsAndFairness(dir, *figures);
    // The page shows the fleet's p99 as the table says it.
    StatusOr<std::string> page = reports::BuildRunReport(dir);
    ASSERT_TRUE(page.ok()) << page.status().message();
    std::string p99 = reports::HumanDuration(static_cast<double>(SummaryMicros(dir, "*", "wait_p99_s")) / 1e6);
    EXPECT_NE(page->find("<td class=\"num\">" + p99 + "</td>"), std::string::npos) << p99;
    fs::remove_all(dir);
  }
}

TEST(ReportFigures, WaterFillGivesByWeightUpToDemand) {
  // 100 bots, weights 3:1; the first asks only for 30: the second gets the rest.
  std::vector<double> a = reports::WaterFill(100, {0.75, 0.25}, {30, 500});
  EXPECT_NEAR(a[0], 30, 1e-9);
  EXPECT_NEAR(a[1], 70, 1e-9);
  // Both ask for more than their share: 75 / 25.
  a = reports::WaterFill(100, {0.75, 0.25}, {500, 500});
  EXPECT_NEAR(a[0], 75, 1e-9);
  EXPECT_NEAR(a[1], 25, 1e-9);
  // A weightless account gets what the weighted ones leave.
  a = reports::WaterFill(100, {1, 0}, {40, 500});
  EXPECT_NEAR(a[0], 40, 1e-9);
  EXPECT_NEAR(a[1], 60, 1e-9);
  // Nobody asks: nothing given.
  a = reports::WaterFill(100, {1, 1}, {0, 0});
  EXPECT_EQ(a[0] + a[1], 0);
}

TEST(ReportFigures, HumanDurations) {
  EXPECT_EQ(reports::HumanDuration(0), "0 s");
  EXPECT_EQ(reports::HumanDuration(7.059891), "7.06 s");
  EXPECT_EQ(reports::HumanDuration(90), "90 s");
  EXPECT_EQ(reports::HumanDuration(150), "2.5 min");
  EXPECT_EQ(reports::HumanDuration(3755.7), "62.6 min");
  EXPECT_EQ(reports::HumanDuration(9000), "2.5 h");
  EXPECT_EQ(reports::HumanDuration(3 * 86400), "3 d");
  EXPECT_EQ(reports::HumanDuration(7200, "bot-"), "2 bot-h");
}

}  // namespace
}  // namespace qsim
