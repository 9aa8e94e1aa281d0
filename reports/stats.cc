#include "reports/stats.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <numeric>

#include <boost/math/distributions/normal.hpp>

namespace qsim::reports::stats {
namespace {

// counts[s] = number of sign patterns whose positive doubled ranks sum to s.
// Doubled ranks are integers even with midranks, so the sums are exact.
std::vector<double> SignedRankCounts(const std::vector<int64_t>& doubled_ranks) {
  int64_t total = std::accumulate(doubled_ranks.begin(), doubled_ranks.end(), int64_t{0});
  std::vector<double> counts(static_cast<size_t>(total) + 1, 0.0);
  counts[0] = 1;
  int64_t reach = 0;
  for (int64_t r : doubled_ranks) {
    for (int64_t s = reach; s >= 0; --s) {
      if (counts[s] != 0) counts[s + r] += counts[s];
    }
    reach += r;
  }
  return counts;
}

// Midranks of |x|, doubled so that they stay integers.
std::vector<int64_t> DoubledMidranks(const std::vector<double>& magnitudes,
                                     std::vector<int>* tie_sizes) {
  size_t n = magnitudes.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return magnitudes[a] < magnitudes[b]; });
  std::vector<int64_t> ranks(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && magnitudes[order[j + 1]] == magnitudes[order[i]]) ++j;
    // Ranks i+1..j+1 share their mean; doubled: (i+1) + (j+1).
    int64_t doubled = static_cast<int64_t>(i + j + 2);
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = doubled;
    if (tie_sizes != nullptr && j > i) tie_sizes->push_back(static_cast<int>(j - i + 1));
    i = j + 1;
  }
  return ranks;
}

double NormalUpperTail(double z) {
  return boost::math::cdf(boost::math::complement(boost::math::normal(), z));
}

// The largest c with P(W+ <= c) <= tail under the no-ties null with n pairs,
// or -1 when even P(W+ <= 0) exceeds it.
int64_t LowerCriticalValue(int n, double tail) {
  if (n <= kExactWilcoxonLimit) {
    std::vector<int64_t> ranks(n);
    for (int i = 0; i < n; ++i) ranks[i] = i + 1;
    std::vector<double> counts = SignedRankCounts(ranks);
    double total = std::ldexp(1.0, n);
    double cumulative = 0;
    int64_t c = -1;
    for (size_t s = 0; s < counts.size(); ++s) {
      cumulative += counts[s];
      if (cumulative / total > tail) break;
      c = static_cast<int64_t>(s);
    }
    return c;
  }
  double mean = n * (n + 1) / 4.0;
  double sd = std::sqrt(n * (n + 1) * (2.0 * n + 1) / 24.0);
  double z = boost::math::quantile(boost::math::normal(), tail);
  return static_cast<int64_t>(std::floor(mean + z * sd - 0.5));
}

}  // namespace

double Median(std::vector<double> values) {
  assert(!values.empty());
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  if (n % 2 == 1) return values[n / 2];
  return values[n / 2 - 1] / 2 + values[n / 2] / 2;
}

WilcoxonResult WilcoxonSignedRank(const std::vector<double>& differences) {
  WilcoxonResult result;
  std::vector<double> magnitudes;
  std::vector<bool> positive;
  for (double d : differences) {
    if (d == 0) continue;
    magnitudes.push_back(std::fabs(d));
    positive.push_back(d > 0);
  }
  int n = static_cast<int>(magnitudes.size());
  result.n_nonzero = n;
  if (n == 0) return result;
  std::vector<int> tie_sizes;
  std::vector<int64_t> ranks = DoubledMidranks(magnitudes, &tie_sizes);
  int64_t doubled_w_plus = 0;
  for (int i = 0; i < n; ++i) {
    if (positive[i]) doubled_w_plus += ranks[i];
  }
  result.w_plus = doubled_w_plus / 2.0;
  if (n <= kExactWilcoxonLimit) {
    std::vector<double> counts = SignedRankCounts(ranks);
    double total = std::ldexp(1.0, n);
    double at_most = 0, at_least = 0;
    for (size_t s = 0; s < counts.size(); ++s) {
      if (static_cast<int64_t>(s) <= doubled_w_plus) at_most += counts[s];
      if (static_cast<int64_t>(s) >= doubled_w_plus) at_least += counts[s];
    }
    result.p_value = std::min(1.0, 2 * std::min(at_most, at_least) / total);
    result.exact = true;
    return result;
  }
  result.exact = false;
  double mean = n * (n + 1) / 4.0;
  double variance = n * (n + 1) * (2.0 * n + 1) / 24.0;
  for (int t : tie_sizes) variance -= (static_cast<double>(t) * t * t - t) / 48.0;
  if (variance <= 0) return result;
  double z = std::max(0.0, std::fabs(result.w_plus - mean) - 0.5) / std::sqrt(variance);
  result.p_value = std::min(1.0, 2 * NormalUpperTail(z));
  return result;
}

ShiftEstimate HodgesLehmann(const std::vector<double>& differences, double confidence) {
  assert(!differences.empty() && confidence > 0 && confidence < 1);
  size_t n = differences.size();
  std::vector<double> walsh;
  walsh.reserve(n * (n + 1) / 2);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i; j < n; ++j) walsh.push_back(differences[i] / 2 + differences[j] / 2);
  }
  std::sort(walsh.begin(), walsh.end());
  ShiftEstimate result;
  size_t m = walsh.size();
  result.estimate = m % 2 == 1 ? walsh[m / 2] : walsh[m / 2 - 1] / 2 + walsh[m / 2] / 2;
  int64_t c = LowerCriticalValue(static_cast<int>(n), (1 - confidence) / 2);
  if (c >= 0 && static_cast<size_t>(c) < m / 2) {
    result.low = walsh[static_cast<size_t>(c)];
    result.high = walsh[m - 1 - static_cast<size_t>(c)];
  }
  return result;
}

std::vector<double> HolmAdjust(const std::vector<double>& p_values) {
  size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(m);
  double running_max = 0;
  for (size_t i = 0; i < m; ++i) {
    double value = std::min(1.0, p_values[order[i]] * static_cast<double>(m - i));
    running_max = std::max(running_max, value);
    adjusted[order[i]] = running_max;
  }
  return adjusted;
}

double SmallestTwoSidedP(int n) {
  if (n <= 0) return 1;
  return std::min(1.0, std::ldexp(2.0, -n));
}

double KsTwoSampleDistance(std::vector<double> a, std::vector<double> b) {
  assert(!a.empty() && !b.empty());
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    // Step past every copy of the smaller value in both samples, then compare.
    double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  // Past the end of one sample the gap only shrinks towards 0.
  return d;
}

double KsDistanceToCdf(std::vector<double> sample, const std::function<double(double)>& cdf) {
  assert(!sample.empty());
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    double f = cdf(sample[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

double LognormalCdf(double x, double mu, double sigma) {
  if (!(x > 0)) return 0;
  return 0.5 * std::erfc(-(std::log(x) - mu) / (sigma * std::sqrt(2.0)));
}

}  // namespace qsim::reports::stats
