// compare's statistics and verdicts on hand-made summaries (no simulator);
// compare_sim_test.cc runs the real thing.
#include "reports/compare.h"

#include <gtest/gtest.h>

namespace qsim::reports {
namespace {

// Per-seed summaries with every metric set; wait metrics scaled by `wait_scale`.
std::vector<RunSummary> Summaries(int seeds, double wait_scale, double lost = 0) {
  std::vector<RunSummary> out;
  for (int i = 0; i < seeds; ++i) {
    RunSummary s;
    s.metrics = SummaryMetrics();
    s.accounts = {"build", "*"};
    for (const std::string& account : s.accounts) {
      for (const std::string& m : s.metrics) s.values[account][m] = 10.0 + i * 1.5;
      for (const char* m : {"wait_p50_s", "wait_p90_s", "wait_p99_s", "wait_mean_s"}) {
        s.values[account][m] = (100.0 + 7.0 * i) * wait_scale;
      }
      s.values[account]["lost"] = lost;
      s.values[account]["invariant_violations"] = 0;
    }
    out.push_back(s);
  }
  return out;
}

const CompareRow& Row(const CompareResult& r, const std::string& account, const std::string& metric) {
  for (const CompareRow& row : r.rows) {
    if (row.account == account && row.metric == metric) return row;
  }
  static CompareRow missing;
  ADD_FAILURE() << "no row " << account << " " << metric;
  return missing;
}

TEST(CompareSummaries, SelfComparisonHasZeroDeltasAndNoRegression) {
  auto base = Summaries(10, 1);
  CompareResult r = CompareSummaries(base, base, DefaultGates(), 0.05);
  EXPECT_FALSE(r.regression);
  EXPECT_TRUE(r.warnings.empty());
  ASSERT_EQ(r.rows.size(), 2 * (StatisticalMetrics().size() + ExactMetrics().size()));
  for (const CompareRow& row : r.rows) {
    ASSERT_TRUE(row.delta.has_value()) << row.metric;
    EXPECT_EQ(*row.delta, 0) << row.metric;
    EXPECT_FALSE(row.significant) << row.metric;
    if (!row.exact) {
      EXPECT_EQ(*row.p_value, 1);
    }
    EXPECT_NE(row.verdict, "REGRESSION");
  }
  EXPECT_EQ(Row(r, "*", "wait_p99_s").verdict, "ok");
  EXPECT_EQ(Row(r, "*", "wait_p99_s").gate, "+10%");
  EXPECT_EQ(Row(r, "build", "wait_p99_s").verdict, "");
}

TEST(CompareSummaries, DoubledWaitsAreAGatedRegression) {
  auto base = Summaries(10, 1);
  auto cand = Summaries(10, 2);
  CompareResult r = CompareSummaries(base, cand, DefaultGates(), 0.05);
  EXPECT_TRUE(r.regression);
  const CompareRow& p99 = Row(r, "*", "wait_p99_s");
  EXPECT_EQ(p99.verdict, "REGRESSION");
  // All 10 differences positive: exact p = 2/1024; 4 gated wait tests: Holm 4x.
  EXPECT_DOUBLE_EQ(*p99.p_value, 2.0 / 1024);
  EXPECT_DOUBLE_EQ(*p99.p_holm, 4 * 2.0 / 1024);
  // Differences are 100 + 7i: HL shift = 131.5, median of baseline 131.5.
  EXPECT_DOUBLE_EQ(*p99.delta, 131.5);
  EXPECT_DOUBLE_EQ(*p99.baseline_median, 131.5);
  EXPECT_DOUBLE_EQ(*p99.candidate_median, 263);
  ASSERT_TRUE(p99.ci_low && p99.ci_high);
  EXPECT_LE(*p99.ci_low, 131.5);
  EXPECT_GE(*p99.ci_high, 131.5);
  // Ungated metrics are still tested, in their own family.
  const CompareRow& build = Row(r, "build", "wait_p99_s");
  EXPECT_TRUE(build.significant);
  EXPECT_EQ(build.verdict, "");
}

TEST(CompareSummaries, SmallIncreaseWithinToleranceIsNotARegression) {
  auto base = Summaries(10, 1);
  auto cand = Summaries(10, 1.05);
  CompareResult r = CompareSummaries(base, cand, DefaultGates(), 0.05);
  EXPECT_TRUE(Row(r, "*", "wait_p99_s").significant);
  EXPECT_EQ(Row(r, "*", "wait_p99_s").verdict, "ok");
  EXPECT_FALSE(r.regression);
}

TEST(CompareSummaries, ExactCountsAreComparedExactly) {
  auto base = Summaries(3, 1);
  auto cand = Summaries(3, 1, /*lost=*/1);
  CompareResult r = CompareSummaries(base, cand, DefaultGates(), 0.05);
  const CompareRow& lost = Row(r, "*", "lost");
  EXPECT_TRUE(lost.exact);
  EXPECT_EQ(*lost.delta, 3);  // total over the 3 seeds
  EXPECT_FALSE(lost.p_value.has_value());
  EXPECT_EQ(lost.verdict, "REGRESSION");
  EXPECT_TRUE(r.regression);
}

TEST(CompareSummaries, WarnsWhenTooFewSeedsToDetectAnything) {
  auto base = Summaries(4, 1);
  auto cand = Summaries(4, 3);
  CompareResult r = CompareSummaries(base, cand, DefaultGates(), 0.05);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("smallest achievable two-sided p is 0.125"), std::string::npos) << r.warnings[0];
  EXPECT_FALSE(Row(r, "*", "wait_p99_s").significant);
  EXPECT_EQ(Row(r, "*", "wait_p99_s").verdict, "ok");
  // 6 pairs are enough for one test, not for Holm over four gated tests.
  CompareResult six = CompareSummaries(Summaries(6, 1), Summaries(6, 3), DefaultGates(), 0.05);
  ASSERT_FALSE(six.warnings.empty());
  EXPECT_NE(six.warnings[0].find("Holm needs p <= 0.0125"), std::string::npos) << six.warnings[0];
}

TEST(CompareSummaries, DecreaseGate) {
  Gate g;
  g.metric = "throughput_per_hour";
  g.max_decrease = Tolerance{1, false};
  auto base = Summaries(8, 1);
  auto cand = Summaries(8, 1);
  for (auto& s : cand) s.values["*"]["throughput_per_hour"] = *s.values["*"]["throughput_per_hour"] - 5;
  CompareResult r = CompareSummaries(base, cand, {g}, 0.05);
  EXPECT_EQ(Row(r, "*", "throughput_per_hour").verdict, "REGRESSION");
  EXPECT_DOUBLE_EQ(*Row(r, "*", "throughput_per_hour").delta, -5);
}

TEST(CompareSummaries, OutputsAreStable) {
  auto base = Summaries(10, 1);
  auto cand = Summaries(10, 2);
  CompareResult r = CompareSummaries(base, cand, DefaultGates(), 0.05);
  std::string text = CompareText(r);
  EXPECT_NE(text.find("verdict: 4 regression(s)"), std::string::npos) << text;
  std::string json = CompareJson(r);
  EXPECT_NE(json.find("\"regression\": true"), std::string::npos);
  EXPECT_NE(json.find("\"metric\": \"wait_p99_s\""), std::string::npos);
  EXPECT_EQ(CompareCsvHeader().size(), CompareCsvFields(r.rows[0]).size());
  EXPECT_EQ(CompareText(CompareSummaries(base, cand, DefaultGates(), 0.05)), text);
}

}  // namespace
}  // namespace qsim::reports
