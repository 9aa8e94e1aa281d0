#include "reports/stats.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace qsim::reports::stats {
namespace {

// An independent reference: enumerate all 2^n sign patterns of the ranks of
// |d| (plain ranks: the inputs below have no ties) and count patterns at
// least as extreme as the observed W+.
double BruteForceTwoSidedP(const std::vector<double>& d) {
  std::vector<double> nz;
  for (double v : d) {
    if (v != 0) nz.push_back(v);
  }
  int n = static_cast<int>(nz.size());
  std::vector<int> rank(n);
  for (int i = 0; i < n; ++i) {
    rank[i] = 1;
    for (int j = 0; j < n; ++j) {
      if (std::fabs(nz[j]) < std::fabs(nz[i])) ++rank[i];
    }
  }
  int observed = 0;
  for (int i = 0; i < n; ++i) {
    if (nz[i] > 0) observed += rank[i];
  }
  int64_t le = 0, ge = 0;
  for (int64_t mask = 0; mask < (int64_t{1} << n); ++mask) {
    int w = 0;
    for (int i = 0; i < n; ++i) {
      if (mask & (int64_t{1} << i)) w += rank[i];
    }
    if (w <= observed) ++le;
    if (w >= observed) ++ge;
  }
  return std::min(1.0, 2.0 * static_cast<double>(std::min(le, ge)) / std::ldexp(1.0, n));
}

TEST(Median, OddAndEvenCounts) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({7}), 7);
}

TEST(Wilcoxon, AllPositiveFivePairsGivesTwoOverThirtyTwo) {
  // W+ = 15 = the maximum; only 1 of 32 patterns reaches it: p = 2/32.
  WilcoxonResult r = WilcoxonSignedRank({1, 2, 3, 4, 5});
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.n_nonzero, 5);
  EXPECT_EQ(r.w_plus, 15);
  EXPECT_DOUBLE_EQ(r.p_value, 0.0625);
}

TEST(Wilcoxon, OneSmallNegativeOfFive) {
  // W+ = 2+3+4+5 = 14; subsets of {1..5} summing to >= 14: {1..5}, {2..5}:
  // 2 of 32, so p = 2 * 2/32 = 0.125.
  WilcoxonResult r = WilcoxonSignedRank({-1, 2, 3, 4, 5});
  EXPECT_EQ(r.w_plus, 14);
  EXPECT_DOUBLE_EQ(r.p_value, 0.125);
}

TEST(Wilcoxon, TenPairsCriticalValue) {
  // n = 10: P(W+ <= 8) = 25/1024 (subsets of {1..10} with sum <= 8 number
  // 1+1+1+2+2+3+4+5+6 = 25), the textbook critical value for alpha = 0.05.
  // Ranks 1..3 and 5 negative: W- = 1+2+3+5 = 11 > 8, so not significant.
  std::vector<double> d = {-0.1, -0.2, -0.3, 0.4, -0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  WilcoxonResult r = WilcoxonSignedRank(d);
  EXPECT_EQ(r.w_plus, 44);
  EXPECT_DOUBLE_EQ(r.p_value, BruteForceTwoSidedP(d));
  // Subsets of {1..10} with sum <= 11: 25 (sum <= 8) + 8 (sum 9: 9, 81, 72, 63,
  // 54, 621, 531, 432) + 10 (sum 10) + 11 (sum 11: the 12 distinct partitions
  // of 11 less "11" itself) = 54, so p = 2 * 54/1024.
  EXPECT_DOUBLE_EQ(r.p_value, 2.0 * 54 / 1024.0);
}

TEST(Wilcoxon, MatchesEnumerationForSmallSamples) {
  // Deterministic pseudo-random samples without ties, n = 5..10.
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>((state >> 33) % 2001) - 1000.0 + 0.25;
  };
  for (int n = 5; n <= 10; ++n) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> d;
      for (int i = 0; i < n; ++i) d.push_back(next() + i * 1e-3);
      EXPECT_DOUBLE_EQ(WilcoxonSignedRank(d).p_value, BruteForceTwoSidedP(d)) << "n=" << n;
    }
  }
}

TEST(Wilcoxon, ZerosAreDroppedAndTiesGetMidranks) {
  // Zeros dropped: {2, 2, -2, 3}; |d| ranks: the three 2s share rank 2, 3 is 4.
  // W+ = 2 + 2 + 4 = 8 of a total 10. Patterns (16) by W+: positives drawn from
  // {2,2,2,4}: W+ >= 8 needs 4 plus two 2s (3 ways) or all (1): 4 of 16;
  // W+ <= 8 is all but {4,2,2,2}=10: 15 of 16. p = 2 * 4/16 = 0.5.
  WilcoxonResult r = WilcoxonSignedRank({0, 2, 2, -2, 3, 0});
  EXPECT_EQ(r.n_nonzero, 4);
  EXPECT_EQ(r.w_plus, 8);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.p_value, 0.5);
}

TEST(Wilcoxon, AllZeroDifferencesAreNotSignificant) {
  WilcoxonResult r = WilcoxonSignedRank({0, 0, 0, 0});
  EXPECT_EQ(r.n_nonzero, 0);
  EXPECT_EQ(r.p_value, 1);
}

TEST(Wilcoxon, NormalApproximationBeyondExactLimit) {
  // n = 60, differences 1..60 with the 10 smallest negative:
  // W- = 55, W+ = 1830 - 55 = 1775, mean 915, var 60*61*121/24 = 18452.5,
  // z = (860 - 0.5) / 135.84 = 6.327: p = 2 * (1 - Phi(6.327)) ~ 2.5e-10.
  std::vector<double> d;
  for (int i = 1; i <= 60; ++i) d.push_back(i <= 10 ? -i : i);
  WilcoxonResult r = WilcoxonSignedRank(d);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.w_plus, 1775);
  double z = (860 - 0.5) / std::sqrt(18452.5);
  EXPECT_NEAR(r.p_value, std::erfc(z / std::sqrt(2.0)), 1e-15);
  EXPECT_LT(r.p_value, 1e-9);
}

TEST(Wilcoxon, NormalApproximationCorrectsVarianceForTies) {
  // 60 differences: 30 of +1 and 30 of -1 and... all |d| tied: one tie group
  // of t = 60, variance 18452.5 - (60^3 - 60)/48 = 18452.5 - 4498.75 = 13953.75;
  // W+ = 30 * 30.5 = 915 = the mean: p = 1.
  std::vector<double> d;
  for (int i = 0; i < 60; ++i) d.push_back(i % 2 == 0 ? 1 : -1);
  WilcoxonResult r = WilcoxonSignedRank(d);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.p_value, 1);
  // 40 positive and 20 negative: W+ = 40 * 30.5 = 1220, z = (305 - 0.5)/sqrt(13953.75).
  d.clear();
  for (int i = 0; i < 60; ++i) d.push_back(i < 40 ? 1 : -1);
  r = WilcoxonSignedRank(d);
  EXPECT_EQ(r.w_plus, 1220);
  EXPECT_NEAR(r.p_value, std::erfc((305 - 0.5) / std::sqrt(13953.75) / std::sqrt(2.0)), 1e-12);
}

TEST(HodgesLehmann, MedianOfWalshAverages) {
  // Walsh averages of {1, 2, 3}: 1, 1.5, 2, 2, 2.5, 3: median 2.
  EXPECT_EQ(HodgesLehmann({1, 2, 3}).estimate, 2);
  // {1, 2, 10}: 1, 1.5, 2, 5.5, 6, 10: median (2 + 5.5)/2 = 3.75.
  EXPECT_EQ(HodgesLehmann({1, 2, 10}).estimate, 3.75);
  EXPECT_EQ(HodgesLehmann({0, 0, 0, 0, 0, 0}).estimate, 0);
}

TEST(HodgesLehmann, IntervalUsesCriticalValueForTenPairs) {
  // n = 10: c = 8 (P(W+ <= 8) = 25/1024 <= 0.025 < P(W+ <= 9) = 33/1024),
  // so the 95% interval is [A_(9), A_(55-8)] of the 55 sorted Walsh averages.
  // For d = 1..10 the Walsh averages are (i+j)/2, i <= j: the 9th smallest is
  // 3 (1,1.5,2,2,2.5,2.5,3,3,3) and by symmetry the 9th largest is 8.
  std::vector<double> d = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  ShiftEstimate e = HodgesLehmann(d, 0.95);
  EXPECT_EQ(e.estimate, 5.5);
  ASSERT_TRUE(e.low.has_value());
  EXPECT_EQ(*e.low, 3);
  EXPECT_EQ(*e.high, 8);
}

TEST(HodgesLehmann, NoIntervalWhenTooFewPairs) {
  // n = 5: P(W+ <= 0) = 1/32 = 0.031 > 0.025: no 95% interval exists.
  ShiftEstimate e = HodgesLehmann({1, 2, 3, 4, 5}, 0.95);
  EXPECT_FALSE(e.low.has_value());
  // n = 6: P(W+ <= 0) = 1/64 <= 0.025 < P(W+ <= 1) = 2/64: c = 0, the
  // interval is [min, max] of the Walsh averages.
  e = HodgesLehmann({1, 2, 3, 4, 5, 6}, 0.95);
  ASSERT_TRUE(e.low.has_value());
  EXPECT_EQ(*e.low, 1);
  EXPECT_EQ(*e.high, 6);
}

TEST(HodgesLehmann, KeepsZeroDifferences) {
  // Unlike the test, zeros stay: n = 6, so c = 0 at 95% and an interval
  // exists (with zeros dropped n = 1 would allow none). Walsh averages of
  // {0,0,0,0,0,6}: 15 zeros, five 3s, one 6: median (11th of 21) 0.
  ShiftEstimate e = HodgesLehmann({0, 0, 0, 6, 0, 0}, 0.95);
  EXPECT_EQ(e.estimate, 0);
  ASSERT_TRUE(e.low.has_value());
  EXPECT_EQ(*e.low, 0);
  EXPECT_EQ(*e.high, 6);
}

TEST(HodgesLehmann, TailProbabilityEqualToLevelStillGivesInterval) {
  // confidence 0.5: tail (1 - 0.5)/2 = 0.25 exactly, and n = 2 has
  // P(W+ <= 0) = 1/4: "<=" holds, c = 0, the interval spans all three Walsh
  // averages -2, -1, 0.
  ShiftEstimate e = HodgesLehmann({0, -2}, 0.5);
  ASSERT_TRUE(e.low.has_value());
  EXPECT_EQ(*e.low, -2);
  EXPECT_EQ(*e.high, 0);
}

TEST(Holm, TiedPValuesGetEqualAdjustedValues) {
  // Sorted 0.01, 0.01, 0.2: 0.03, then max(0.03, 0.02) = 0.03, then 0.2.
  std::vector<double> adjusted = HolmAdjust({0.2, 0.01, 0.01});
  EXPECT_DOUBLE_EQ(adjusted[0], 0.2);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.03);
  EXPECT_DOUBLE_EQ(adjusted[2], 0.03);
}

TEST(Holm, AdjustsInSortedOrderAndStaysMonotone) {
  // Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> 0.06.
  std::vector<double> adjusted = HolmAdjust({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.03);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.06);
  EXPECT_DOUBLE_EQ(adjusted[2], 0.06);
  EXPECT_DOUBLE_EQ(adjusted[3], 0.02);
}

TEST(Holm, CapsAtOne) {
  std::vector<double> adjusted = HolmAdjust({0.5, 0.9});
  EXPECT_EQ(adjusted[0], 1);
  EXPECT_EQ(adjusted[1], 1);
  EXPECT_TRUE(HolmAdjust({}).empty());
}

TEST(SmallestTwoSidedP, IsTwoOverTwoToTheN) {
  EXPECT_DOUBLE_EQ(SmallestTwoSidedP(5), 0.0625);
  EXPECT_DOUBLE_EQ(SmallestTwoSidedP(10), 2.0 / 1024);
  EXPECT_EQ(SmallestTwoSidedP(0), 1);
  EXPECT_EQ(SmallestTwoSidedP(1), 1);
}

}  // namespace
}  // namespace qsim::reports::stats
