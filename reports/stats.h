// Statistics for paired comparisons: pure functions, no I/O, no randomness.
//
// compare runs a baseline and a candidate on the same seeds, so each metric
// yields paired differences d_i = candidate_i - baseline_i. We describe the
// shift with the Hodges-Lehmann estimate (median of Walsh averages) and its
// distribution-free interval, test it with the Wilcoxon signed-rank test, and
// control the family-wise error across metrics with Holm-Bonferroni.
#pragma once

#include <functional>
#include <optional>
#include <vector>

namespace qsim::reports::stats {

// The median of `values` (mean of the middle two for an even count).
// REQUIRES: !values.empty().
double Median(std::vector<double> values);

// Up to this many non-zero differences (not pairs) the signed-rank p-value
// is exact.
inline constexpr int kExactWilcoxonLimit = 50;

struct WilcoxonResult {
  int n_nonzero = 0;     // pairs left after dropping zero differences
  double w_plus = 0;     // sum of the (mid)ranks of the positive differences,
                         //   ranks of |d| among the non-zero ones (a multiple of 1/2)
  double p_value = 1;    // two-sided
  bool exact = true;     // n_nonzero <= kExactWilcoxonLimit (0 included);
                         //   false: normal approximation
};

// The Wilcoxon signed-rank test of "the differences are symmetric about 0".
// Zero differences are dropped (Wilcoxon's convention); tied |d| get midranks.
// For n_nonzero <= kExactWilcoxonLimit the p-value is exact: the permutation
// distribution of W+ over all 2^n sign patterns of the observed (mid)ranks,
// so ties are handled exactly too. Beyond it: the normal approximation with
// the tie-corrected variance n(n+1)(2n+1)/24 - sum(t^3 - t)/48 and a
// continuity correction of 1/2. No pairs left: p = 1.
//
// Precisely, with w = W+ and n = n_nonzero: exact p = min(1, 2 min(P(W+ <= w),
// P(W+ >= w))), both tails over the 2^n equally likely sign patterns of the
// observed midranks; normal p = 2 (1 - Phi(max(0, |w - n(n+1)/4| - 1/2) / sd)),
// sd the square root of the tie-corrected variance above.
// Against SciPy 1.10 (tests/stats_oracle): W+ is scipy.stats.wilcoxon's
// one-sided statistic with zero_method='wilcox' (two-sided it reports
// min(W+, W-)); without ties among the non-zero |d| the exact p is
// method='exact' on the non-zero differences; the normal p is
// method='approx', correction=True. With ties SciPy's exact method is not
// comparable: it truncates W+ and uses the no-ties distribution.
WilcoxonResult WilcoxonSignedRank(const std::vector<double>& differences);

struct ShiftEstimate {
  double estimate = 0;           // Hodges-Lehmann: median of Walsh averages
  std::optional<double> low;     // the interval, when n allows one at the
  std::optional<double> high;    //   requested confidence
};

// The Hodges-Lehmann one-sample estimate of the shift of `differences` and
// the Walsh-average interval (Hollander & Wolfe): with the M = n(n+1)/2 sorted
// Walsh averages A_(1..M) and c the largest integer with P(W+ <= c) <=
// (1 - confidence)/2 under the no-ties null, the interval is
// [A_(c+1), A_(M-c)]. No such c (n too small): no interval.
// Exact null distribution for n <= kExactWilcoxonLimit, normal beyond.
//
// Unlike the test, zero differences are kept: n is differences.size() (also
// for the exact/normal choice), and zeros enter the Walsh averages. Ties do not change c (the no-ties null), so
// with ties or zeros the interval can disagree with WilcoxonSignedRank's p at
// the margin. Beyond the exact limit c is the largest integer with
// Phi((c + 1/2 - n(n+1)/4) / sqrt(n(n+1)(2n+1)/24)) <= tail, i.e. the normal
// approximation with the same continuity correction. tail is the double
// (1 - confidence) / 2 and "<=" is exact, which matters only when tail is
// dyadic (confidence 0.5, 0.75, ...). An even M averages the middle two.
// REQUIRES: !differences.empty(), 0 < confidence < 1.
ShiftEstimate HodgesLehmann(const std::vector<double>& differences, double confidence = 0.95);

// Holm-Bonferroni adjusted p-values, in the order given: sort ascending,
// p_(i) * (m - i + 1) made monotone non-decreasing, capped at 1. A hypothesis
// is rejected at level alpha when its adjusted p-value is <= alpha. Equal
// p-values get equal adjusted values, whatever their order.
std::vector<double> HolmAdjust(const std::vector<double>& p_values);

// The smallest two-sided exact signed-rank p-value n pairs can give: 2 / 2^n
// (all differences of one sign), capped at 1. When it exceeds alpha (or
// alpha / m under Holm with m tests) no result can be significant. Zeros
// raise it (fewer non-zero pairs); ties do not (one sign is still the single
// most extreme pattern).
double SmallestTwoSidedP(int n);

// The two-sample Kolmogorov-Smirnov distance: the largest gap between the
// empirical CDFs of `a` and `b`, sup_x |F_a(x) - F_b(x)|, in [0, 1]. Ties
// (within or across samples) are handled by comparing the CDFs after every
// copy of a value, so equal samples give 0. Against SciPy 1.10
// (tests/stats_oracle): scipy.stats.ks_2samp(a, b).statistic.
// REQUIRES: both non-empty, no NaN.
double KsTwoSampleDistance(std::vector<double> a, std::vector<double> b);

// The one-sample Kolmogorov-Smirnov distance of `sample` to the continuous
// CDF `cdf`: max over the sorted x_(i) of max(i/n - cdf(x_(i)),
// cdf(x_(i)) - (i-1)/n). Against SciPy 1.10: scipy.stats.kstest(sample,
// cdf).statistic. REQUIRES: !sample.empty(), no NaN.
double KsDistanceToCdf(std::vector<double> sample, const std::function<double(double)>& cdf);

// The CDF of the lognormal distribution with parameters mu and sigma of the
// underlying normal at x (0 for x <= 0). REQUIRES: sigma > 0.
double LognormalCdf(double x, double mu, double sigma);

}  // namespace qsim::reports::stats
