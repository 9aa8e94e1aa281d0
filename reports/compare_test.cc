// compare's statistics, verdicts, sequential looks and outputs on hand-made
// summaries (no simulator); commands_test.cc runs the real thing.
#include "reports/compare.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "tests/testing/test_util.h"

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

Gate MakeGate(const std::string& metric, const std::string& account, double increase, bool relative = false) {
  Gate g;
  g.metric = metric;
  g.account = account;
  g.max_increase = Tolerance{increase, relative};
  return g;
}

TEST(CompareSummaries, SelfComparisonHasZeroDeltasAndNoRegression) {
  auto base = Summaries(10, 1);
  CompareResult r = CompareSummaries(base, base, DefaultGates(), 0.05);
  EXPECT_FALSE(r.regression);
  EXPECT_FALSE(r.inconclusive);
  EXPECT_EQ(r.ExitStatus(), 0);
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
  EXPECT_EQ(r.ExitStatus(), 1);
  const CompareRow& p99 = Row(r, "*", "wait_p99_s");
  EXPECT_EQ(p99.verdict, "REGRESSION");
  // All 10 differences positive: exact p = 2/1024; 4 gated wait tests: Holm 4x.
  EXPECT_DOUBLE_EQ(*p99.p_value, 2.0 / 1024);
  EXPECT_DOUBLE_EQ(*p99.p_holm, 4 * 2.0 / 1024);
  // Differences are 100 + 7i: HL shift = 131.5, median of baseline 131.5.
  EXPECT_DOUBLE_EQ(*p99.delta, 131.5);
  EXPECT_DOUBLE_EQ(*p99.delta_pct, 100);
  EXPECT_DOUBLE_EQ(*p99.baseline_median, 131.5);
  EXPECT_DOUBLE_EQ(*p99.candidate_median, 263);
  EXPECT_DOUBLE_EQ(*p99.baseline.min, 100);
  EXPECT_DOUBLE_EQ(*p99.baseline.max, 163);
  EXPECT_EQ(p99.direction, "worse");
  ASSERT_TRUE(p99.ci_low && p99.ci_high);
  EXPECT_LE(*p99.ci_low, 131.5);
  EXPECT_GE(*p99.ci_high, 131.5);
  // Ungated rows: exploratory, no Holm, significant by their own interval.
  const CompareRow& build = Row(r, "build", "wait_p99_s");
  EXPECT_TRUE(build.significant);
  EXPECT_FALSE(build.p_holm.has_value());
  EXPECT_EQ(build.verdict, "");
}

TEST(CompareSummaries, SmallIncreaseWithinToleranceIsNotARegression) {
  auto base = Summaries(10, 1);
  auto cand = Summaries(10, 1.05);
  CompareResult r = CompareSummaries(base, cand, DefaultGates(), 0.05);
  EXPECT_TRUE(Row(r, "*", "wait_p99_s").significant);
  EXPECT_EQ(Row(r, "*", "wait_p99_s").verdict, "ok");  // the whole interval is within +10%
  EXPECT_FALSE(r.regression);
  EXPECT_EQ(r.ExitStatus(), 0);
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

TEST(CompareSummaries, ThreeSeedsCannotDecideAGateAndSayHowManyWould) {
  auto base = Summaries(3, 1);
  auto cand = Summaries(3, 1.02);
  CompareResult r = CompareSummaries(base, cand, DefaultGates(), 0.05);
  const CompareRow& p99 = Row(r, "*", "wait_p99_s");
  EXPECT_EQ(p99.verdict, "INCONCLUSIVE");
  EXPECT_FALSE(p99.ci_low.has_value());  // no 95% interval exists at n = 3
  EXPECT_FALSE(p99.significant);
  ASSERT_TRUE(p99.seeds_needed.has_value());
  EXPECT_GE(*p99.seeds_needed, 6);
  EXPECT_TRUE(r.inconclusive);
  EXPECT_FALSE(r.regression);
  EXPECT_EQ(r.ExitStatus(), kExitInconclusive);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("undecided at n = 3"), std::string::npos) << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("pairs would decide it"), std::string::npos) << r.warnings[0];
  EXPECT_NE(CompareText(r).find("verdict: INCONCLUSIVE"), std::string::npos);
}

TEST(CompareSummaries, AnIntervalReachingPastTheToleranceIsInconclusive) {
  // Noisy differences around +8%, tolerance +10%: the interval straddles it.
  auto base = Summaries(8, 1);
  auto cand = Summaries(8, 1);
  for (int i = 0; i < 8; ++i) {
    double b = *base[i].values["*"]["wait_p99_s"];
    cand[i].values["*"]["wait_p99_s"] = b * (1.08 + (i % 2 ? 0.06 : -0.06) * (1 + i % 3));
  }
  CompareResult r = CompareSummaries(base, cand, {MakeGate("wait_p99_s", "*", 0.1, true)}, 0.05);
  const CompareRow& p99 = Row(r, "*", "wait_p99_s");
  EXPECT_EQ(p99.verdict, "INCONCLUSIVE");
  ASSERT_TRUE(p99.gate_high.has_value());
  EXPECT_GT(*p99.gate_high, 0.1 * *p99.baseline_median);
  EXPECT_EQ(r.ExitStatus(), kExitInconclusive);
}

TEST(CompareSummaries, ManyAccountsDoNotHideALargeUngatedChange) {
  // The two-teams case: 20 accounts, one of them's p99 drops 99% on all 8
  // seeds. Its row is exploratory: significant by its interval alone.
  std::vector<RunSummary> base, cand;
  for (int i = 0; i < 8; ++i) {
    RunSummary b, c;
    b.metrics = c.metrics = SummaryMetrics();
    for (int a = 0; a < 20; ++a) {
      std::string account = "team" + std::to_string(a);
      b.accounts.push_back(account);
      b.values[account]["wait_p99_s"] = 4000 + 50 * i + a;
      c.values[account]["wait_p99_s"] = a == 3 ? 35 + i : 4000 + 50 * i + a + (i % 2 ? 1 : -1);
    }
    c.accounts = b.accounts;
    base.push_back(b);
    cand.push_back(c);
  }
  CompareResult r = CompareSummaries(base, cand, {}, 0.05);
  const CompareRow& row = Row(r, "team3", "wait_p99_s");
  EXPECT_TRUE(row.significant);
  EXPECT_EQ(row.direction, "better");
  EXPECT_NEAR(*row.delta_pct, -99, 0.5);
  EXPECT_LT(*row.ci_high_pct, 0);
  EXPECT_DOUBLE_EQ(*row.p_value, 2.0 / 256);
  EXPECT_FALSE(Row(r, "team4", "wait_p99_s").significant);
  EXPECT_EQ(r.ExitStatus(), 0);  // no gates, nothing to decide
}

TEST(CompareSummaries, NotSignificantExactlyWhenTheIntervalIncludesZero) {
  auto base = Summaries(12, 1);
  boost::random::mt19937 rng(17);
  boost::random::normal_distribution<double> noise(0, 10);
  for (int trial = 0; trial < 50; ++trial) {
    auto cand = base;
    for (auto& s : cand) s.values["*"]["wait_p50_s"] = *s.values["*"]["wait_p50_s"] + noise(rng) + trial * 0.2;
    CompareResult r = CompareSummaries(base, cand, {}, 0.05);
    const CompareRow& row = Row(r, "*", "wait_p50_s");
    ASSERT_TRUE(row.ci_low && row.ci_high);
    EXPECT_EQ(row.significant, *row.ci_low > 0 || *row.ci_high < 0) << "trial " << trial;
  }
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
  EXPECT_EQ(Row(r, "*", "throughput_per_hour").direction, "worse");
  EXPECT_DOUBLE_EQ(*Row(r, "*", "throughput_per_hour").delta, -5);
}

TEST(CompareSummaries, FiltersKeepGatedRows) {
  auto base = Summaries(10, 1);
  RowFilter filter{{"build"}, {"throughput_per_hour"}};
  CompareResult r = CompareSummaries(base, base, DefaultGates(), 0.05, 0.05, filter);
  for (const CompareRow& row : r.rows) {
    bool wanted = row.account == "build" && row.metric == "throughput_per_hour";
    EXPECT_TRUE(wanted || !row.gate.empty()) << row.account << " " << row.metric;
  }
  EXPECT_EQ(r.rows.size(), 1 + DefaultGates().size());
  EXPECT_TRUE(CheckRowFilter(filter, base).ok());
  Status bad_account = CheckRowFilter({{"nobody"}, {}}, base);
  EXPECT_EQ(bad_account.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_account.message().find("\"nobody\""), std::string::npos);
  EXPECT_NE(bad_account.message().find("build, *"), std::string::npos) << bad_account.message();
  Status bad_metric = CheckRowFilter({{}, {"wait_p42_s"}}, base);
  EXPECT_EQ(bad_metric.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_metric.message().find("\"wait_p42_s\""), std::string::npos);
}

TEST(HumanValue, ScalesUnitsForPeople) {
  EXPECT_EQ(HumanValue("wait_p99_s", 4036), "67.3 min");
  EXPECT_EQ(HumanValue("wait_p99_s", 35), "35 s");
  EXPECT_EQ(HumanValue("wait_p99_s", 36000), "10 h");
  EXPECT_EQ(HumanValue("utilisation", 0.853), "85.3%");
  EXPECT_EQ(HumanValue("throughput_per_hour", 1234.6), "1235/h");
  EXPECT_EQ(HumanValue("preemptions", 12), "12");
  EXPECT_EQ(InfoFor("throughput_per_hour").better, Better::kHigher);
  EXPECT_EQ(InfoFor("wait_p50_s").better, Better::kLower);
}

TEST(CompareOutputs, FormatsParseBackAtFullPrecision) {
  auto base = Summaries(10, 1);
  auto cand = Summaries(10, 2);
  cand[3].values["*"]["wait_p99_s"] = 0.1 + 0.2;  // needs 17 digits to round-trip
  CompareResult r = CompareSummaries(base, cand, DefaultGates(), 0.05);
  r.seed_list = SeedList(101, 10);
  r.baseline_name = "main";
  r.candidate_name = "pr-42";
  std::string text = CompareText(r);
  EXPECT_NE(text.find("verdict: REGRESSION: 4 gate(s) regressed"), std::string::npos) << text;
  EXPECT_NE(text.find("main median [min, max]"), std::string::npos) << text;
  EXPECT_NE(text.find("exploratory"), std::string::npos);
  EXPECT_EQ(CompareText(CompareSummaries(base, cand, DefaultGates(), 0.05)),
            CompareText(CompareSummaries(base, cand, DefaultGates(), 0.05)));

  nlohmann::json json = nlohmann::json::parse(CompareJson(r));
  EXPECT_EQ(json["verdict"], "regression");
  EXPECT_EQ(json["exit_status"], 1);
  EXPECT_EQ(json["candidate_name"], "pr-42");
  EXPECT_EQ(json["seed_list"][0], 101);
  bool found = false;
  for (const auto& row : json["rows"]) {
    if (row["account"] == "*" && row["metric"] == "wait_p99_s") {
      found = true;
      EXPECT_EQ(row["candidate"]["values"][3].get<double>(), 0.1 + 0.2);
      EXPECT_EQ(row["seeds"][3], 104);
      EXPECT_EQ(row["p"].get<double>(), *Row(r, "*", "wait_p99_s").p_value);
      EXPECT_EQ(row["better"], "lower");
    }
  }
  EXPECT_TRUE(found);

  StatusOr<runfolder::CsvTable> csv = runfolder::ParseCsv(CompareCsv(r), "compare.csv");
  ASSERT_TRUE(csv.ok()) << csv.status().message();
  EXPECT_EQ(csv->header, CompareFullCsvHeader());
  EXPECT_EQ(csv->rows.size(), r.rows.size());
  EXPECT_EQ(CompareCsvHeader().size(), CompareCsvFields(r.rows[0]).size());

  std::string md = CompareMarkdown(r);
  EXPECT_NE(md.find("| account | metric | main median [min, max] |"), std::string::npos) << md;
  EXPECT_NE(md.find("|---|"), std::string::npos);
  EXPECT_NE(md.find("**verdict: REGRESSION"), std::string::npos);
  EXPECT_EQ(ParseCompareFormat("md").value(), CompareFormat::kMarkdown);
  EXPECT_FALSE(ParseCompareFormat("yaml").ok());
}

// --- sequential looks ---

TEST(PlanLooks, SpendsAlphaInProportionToPairs) {
  std::vector<Look> looks = PlanLooks(10, 40, 0.05);
  ASSERT_EQ(looks.size(), 4u);
  double total = 0;
  for (const Look& l : looks) total += l.alpha;
  EXPECT_NEAR(total, 0.05, 1e-15);
  EXPECT_EQ(looks.back().pairs, 40);
  EXPECT_DOUBLE_EQ(looks[0].alpha, 0.0125);
  std::vector<Look> odd = PlanLooks(10, 25, 0.05);
  ASSERT_EQ(odd.size(), 3u);
  EXPECT_EQ(odd[2].pairs, 25);
  EXPECT_DOUBLE_EQ(odd[2].alpha, 0.05 * 5 / 25);
}

// Synthetic pairs: per seed a shared level, plus independent noise on each
// side, plus `shift` on the candidate's gated metrics.
class SyntheticPairs {
 public:
  SyntheticPairs(uint32_t seed, double shift) : rng_(seed), shift_(shift) {}
  PairSource Source() {
    return [this](int, int count) {
      std::pair<std::vector<RunSummary>, std::vector<RunSummary>> out;
      for (int i = 0; i < count; ++i) {
        RunSummary b, c;
        b.metrics = c.metrics = {"wait_p50_s", "wait_p99_s"};
        b.accounts = c.accounts = {"*"};
        for (const char* m : {"wait_p50_s", "wait_p99_s"}) {
          double level = 100 + level_(rng_);
          b.values["*"][m] = level + noise_(rng_);
          c.values["*"][m] = level + noise_(rng_) + shift_;
        }
        out.first.push_back(std::move(b));
        out.second.push_back(std::move(c));
      }
      return StatusOr<std::pair<std::vector<RunSummary>, std::vector<RunSummary>>>(std::move(out));
    };
  }

 private:
  boost::random::mt19937 rng_;
  boost::random::normal_distribution<double> level_{0, 20};
  boost::random::normal_distribution<double> noise_{0, 5};
  double shift_;
};

// 2,000 null comparisons through CompareSequentially (rounds of 10 up to 40
// pairs, two gates allowing no increase at all): the rate of false
// regressions, and of any gate significant either way, stays within alpha.
// Judging every look at the full alpha instead inflates it, which shows the
// test can fail.
TEST(CompareSequentially, KeepsTheFalseAlarmRateAtAlphaUnderTheNull) {
  const uint32_t kSeed = 20261130;
  const int kTrials = 2000;
  const double alpha = 0.05;
  std::vector<Gate> gates = {MakeGate("wait_p50_s", "*", 0), MakeGate("wait_p99_s", "*", 0)};
  int false_regressions = 0, any_significant = 0, naive_any = 0;
  for (int t = 0; t < kTrials; ++t) {
    SyntheticPairs pairs(kSeed + t, 0);
    bool significant = false;
    StatusOr<CompareResult> r = CompareSequentially(
        pairs.Source(), gates, alpha, 10, 40, RowFilter{}, [&](const CompareResult& look) {
          for (const CompareRow& row : look.rows) {
            if (row.p_holm && *row.p_holm <= look.decision_alpha) significant = true;
          }
        });
    ASSERT_TRUE(r.ok());
    false_regressions += r->regression;
    any_significant += significant;

    // The same data judged naively: full alpha at every look.
    SyntheticPairs again(kSeed + t, 0);
    PairSource source = again.Source();
    auto all = source(0, 40);
    bool naive = false;
    for (int n : {10, 20, 30, 40}) {
      std::vector<RunSummary> b(all->first.begin(), all->first.begin() + n);
      std::vector<RunSummary> c(all->second.begin(), all->second.begin() + n);
      CompareResult look = CompareSummaries(b, c, gates, alpha);
      for (const CompareRow& row : look.rows) naive = naive || (row.p_holm && *row.p_holm <= alpha);
    }
    naive_any += naive;
  }
  const double se = std::sqrt(alpha * (1 - alpha) / kTrials);
  const double false_rate = static_cast<double>(false_regressions) / kTrials;
  const double any_rate = static_cast<double>(any_significant) / kTrials;
  const double naive_rate = static_cast<double>(naive_any) / kTrials;
  std::cout << "seed " << kSeed << ": false regressions " << false_rate << ", any gate significant " << any_rate
            << ", naive (full alpha every look) " << naive_rate << ", alpha " << alpha << " (se " << se << ")\n";
  EXPECT_LE(false_rate, alpha + 3 * se);
  EXPECT_LE(any_rate, alpha + 3 * se);
  EXPECT_GT(naive_rate, any_rate);
}

// The other error: a true change exactly at the tolerance passed as ok.
// Passing needs the whole interval within the tolerance at every look's
// share of alpha, so it happens at most alpha / 2 of the time.
TEST(CompareSequentially, RarelyPassesAChangeAtTheTolerance) {
  const uint32_t kSeed = 77001;
  const int kTrials = 1000;
  const double alpha = 0.05;
  int passed = 0;
  for (int t = 0; t < kTrials; ++t) {
    SyntheticPairs pairs(kSeed + t, 10);
    StatusOr<CompareResult> r =
        CompareSequentially(pairs.Source(), {MakeGate("wait_p99_s", "*", 10)}, alpha, 10, 40, RowFilter{});
    ASSERT_TRUE(r.ok());
    passed += r->ExitStatus() == 0;
  }
  const double rate = static_cast<double>(passed) / kTrials;
  std::cout << "seed " << kSeed << ": a change at the tolerance passed " << rate << " of the time\n";
  EXPECT_LE(rate, alpha / 2 + 3 * std::sqrt(alpha / 2 * (1 - alpha / 2) / kTrials));
}

TEST(CompareSequentially, StopsAsSoonAsEveryGateIsDecided) {
  // A clear regression: found at the first look.
  std::vector<Gate> gates = {MakeGate("wait_p99_s", "*", 0.1, true)};
  SyntheticPairs bad(5, 40);
  StatusOr<CompareResult> r = CompareSequentially(bad.Source(), gates, 0.05, 10, 40, RowFilter{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->regression);
  EXPECT_EQ(r->seeds, 10);
  ASSERT_EQ(r->looks.size(), 1u);
  // No change, tolerance 10% of ~100: decided ok within the plan.
  SyntheticPairs same(6, 0);
  r = CompareSequentially(same.Source(), gates, 0.05, 10, 40, RowFilter{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ExitStatus(), 0) << CompareText(*r);
  EXPECT_LE(r->seeds, 40);
  // A change right at the tolerance cannot be decided: the plan runs out.
  SyntheticPairs edge(7, 10);
  r = CompareSequentially(edge.Source(), {MakeGate("wait_p99_s", "*", 10)}, 0.05, 10, 30, RowFilter{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->seeds, 30);
  EXPECT_EQ(r->ExitStatus(), kExitInconclusive);
}

// --- saved runs: the command end to end without a simulator ---

class SavedCompare : public ::testing::Test {
 protected:
  // Writes side/seed-S/{summary.csv,scenario.resolved.yaml} for each seed.
  void WriteSide(const std::string& side, const std::vector<uint64_t>& seeds, double wait_scale,
                 const std::string& scenario_name = "fleet") {
    auto summaries = Summaries(static_cast<int>(seeds.size()), wait_scale);
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::string run = dir_ + "/" + side + "/seed-" + std::to_string(seeds[i]);
      std::vector<std::string> header = {"account"};
      for (const std::string& m : SummaryMetrics()) header.push_back(m);
      std::string csv = runfolder::CsvLine(header);
      for (const std::string& a : summaries[i].accounts) {
        std::vector<std::string> fields = {a};
        for (const std::string& m : SummaryMetrics()) {
          auto v = summaries[i].Get(a, m);
          fields.push_back(v ? runfolder::FormatNumber(*v) : "");
        }
        csv += runfolder::CsvLine(fields);
      }
      ASSERT_TRUE(runfolder::MakeDirectories(run).ok());
      ASSERT_TRUE(runfolder::WriteTextFile(run + "/summary.csv", csv).ok());
      ASSERT_TRUE(runfolder::WriteTextFile(run + "/scenario.resolved.yaml",
                                           "name: " + scenario_name + "\nseed: " + std::to_string(seeds[i]) +
                                               "\nduration: 1h\n")
                      .ok());
    }
  }
  int Compare(const std::string& base, const std::string& cand, std::string* out_text = nullptr,
              std::string* err_text = nullptr, bool allow_mismatch = false) {
    CompareOptions o;
    o.saved_baseline = dir_ + "/" + base;
    o.saved_candidate = dir_ + "/" + cand;
    o.out_dir = dir_ + "/out";
    o.allow_mismatch = allow_mismatch;
    std::ostringstream out, err;
    int status = RunCompareCommand(o, out, err);
    if (out_text) *out_text = out.str();
    if (err_text) *err_text = err.str();
    return status;
  }
  testing::ScopedTempDir temp_{"qsim-compare"};
  std::string dir_ = temp_.path();
};

TEST_F(SavedCompare, ComparesSavedRunsPairedBySeed) {
  WriteSide("a", SeedList(1, 10), 1);
  WriteSide("b", SeedList(1, 10), 2);
  WriteSide("c", SeedList(1, 10), 1, "other-fleet");
  std::string out, err;
  EXPECT_EQ(Compare("a", "a", &out, &err), 0) << err << out;
  EXPECT_EQ(Compare("a", "b", &out, &err), 1) << err << out;
  EXPECT_NE(out.find("10 seed pairs (1..10)"), std::string::npos) << out;
  // Different scenarios on the two sides are what compare is for.
  EXPECT_EQ(Compare("a", "c", &out, &err), 0) << err << out;
  StatusOr<SavedSide> side = ReadSavedSide(dir_ + "/b");
  ASSERT_TRUE(side.ok());
  EXPECT_EQ(side->seeds, SeedList(1, 10));
}

TEST_F(SavedCompare, ThreeSavedSeedsAreInconclusive) {
  WriteSide("a", SeedList(1, 3), 1);
  WriteSide("b", SeedList(1, 3), 1.01);
  std::string out, err;
  EXPECT_EQ(Compare("a", "b", &out, &err), kExitInconclusive) << err << out;
  EXPECT_NE(out.find("INCONCLUSIVE"), std::string::npos) << out;
}

TEST_F(SavedCompare, RefusesMismatchedSeedsOrScenarios) {
  WriteSide("a", SeedList(1, 10), 1);
  WriteSide("b", SeedList(2, 10), 1);
  std::string out, err;
  EXPECT_EQ(Compare("a", "b", &out, &err), 2);
  EXPECT_NE(err.find("different seeds"), std::string::npos) << err;
  EXPECT_NE(err.find("--allow-mismatch"), std::string::npos) << err;
  EXPECT_EQ(Compare("a", "b", &out, &err, /*allow_mismatch=*/true), 0) << err << out;
  EXPECT_NE(out.find("9 seed pairs (2..10)"), std::string::npos) << out;

  WriteSide("mixed", SeedList(1, 5), 1, "fleet");
  WriteSide("mixed", SeedList(6, 5), 1, "another");
  EXPECT_EQ(Compare("a", "mixed", &out, &err), 2);
  EXPECT_NE(err.find("ran another scenario"), std::string::npos) << err;
  EXPECT_EQ(Compare("a", "mixed", &out, &err, true), 0) << err << out;

  EXPECT_EQ(Compare("a", "missing", &out, &err), 2);
  EXPECT_NE(err.find("missing: no such folder"), std::string::npos) << err;
}

TEST_F(SavedCompare, BadFlagsAreUsageErrors) {
  WriteSide("a", SeedList(1, 10), 1);
  CompareOptions o;
  o.saved_baseline = o.saved_candidate = dir_ + "/a";
  o.out_dir = dir_ + "/out";
  std::ostringstream out, err;
  CompareOptions bad = o;
  bad.alpha = 2;
  EXPECT_EQ(RunCompareCommand(bad, out, err), 2);
  bad = o;
  bad.seeds = 0;
  EXPECT_EQ(RunCompareCommand(bad, out, err), 2);
  bad = o;
  bad.names = "onlyone";
  EXPECT_EQ(RunCompareCommand(bad, out, err), 2);
  bad.names = "a,b,c";
  EXPECT_EQ(RunCompareCommand(bad, out, err), 2);
  bad = o;
  bad.filter.accounts = {"nobody"};
  EXPECT_EQ(RunCompareCommand(bad, out, err), 2);
  bad = o;
  bad.filter.metrics = {"speed"};
  EXPECT_EQ(RunCompareCommand(bad, out, err), 2);
  EXPECT_NE(err.str().find("--alpha must be in (0, 1), got 2"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("--name: expected BASE,CAND"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("no run has an account \"nobody\""), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("unknown metric \"speed\""), std::string::npos) << err.str();
}

}  // namespace
}  // namespace qsim::reports
