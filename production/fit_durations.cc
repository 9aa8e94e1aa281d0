// FitDurations: a lognormal by maximum likelihood when it fits the runs,
// else the runs' empirical distribution (fit.h).
#include <algorithm>
#include <cmath>

#include "production/fit.h"
#include "reports/stats.h"

namespace qsim::production {
namespace {

// The loader's limit on a lognormal's sigma (sim/scenario_validate.cc).
constexpr double kMaxSigma = 10;

// Whole seconds from 100 s, whole milliseconds from 1 s, microseconds
// below: at most 0.5% off, inside the sampling error of a median of fewer
// than ~50,000 runs, and readable in the file ("539s", not "538578ms").
Duration RoundedDuration(double seconds) {
  int64_t us = std::max<int64_t>(1, std::llround(seconds * 1e6));
  int64_t unit = us >= 100000000 ? 1000000 : us >= 1000000 ? 1000 : 1;
  return Micros(std::llround(static_cast<double>(us) / static_cast<double>(unit)) * unit);
}

}  // namespace

DurationFit FitDurations(std::vector<Duration> runs, const FitOptions& options) {
  std::sort(runs.begin(), runs.end());
  DurationFit fit;
  fit.runs = static_cast<int64_t>(runs.size());
  std::vector<double> seconds;
  double sum = 0;
  for (Duration r : runs) {
    seconds.push_back(static_cast<double>(ToMicros(r)) / 1e6);
    sum += std::log(seconds.back());
  }
  const double n = static_cast<double>(runs.size());
  fit.mu = sum / n;
  double squares = 0;
  for (double s : seconds) squares += (std::log(s) - fit.mu) * (std::log(s) - fit.mu);
  fit.sigma = std::sqrt(squares / n);
  if (runs.front() == runs.back()) {  // one value: a constant, which fits exactly
    fit.dist.kind = sim::DurationDist::Kind::kConstant;
    fit.dist.value = runs.front();
    return fit;
  }
  const double mu = fit.mu, sigma = fit.sigma;
  fit.ks = reports::stats::KsDistanceToCdf(seconds,
                                           [&](double x) { return reports::stats::LognormalCdf(x, mu, sigma); });
  bool good = fit.ks <= std::max(0.05, 1.63 / std::sqrt(n));
  bool allowed = fit.sigma > 0 && fit.sigma <= kMaxSigma;
  fit.lognormal = allowed && (options.durations == FitOptions::Durations::kLognormal ||
                              (options.durations == FitOptions::Durations::kAuto && good));
  if (fit.lognormal) {
    fit.dist.kind = sim::DurationDist::Kind::kLognormal;
    fit.dist.median = RoundedDuration(std::exp(fit.mu));
    fit.dist.sigma = std::round(fit.sigma * 1e4) / 1e4;
    return fit;
  }
  fit.dist.kind = sim::DurationDist::Kind::kEmpirical;
  size_t k = static_cast<size_t>(std::min<int64_t>(fit.runs, std::max<int64_t>(1, options.empirical_points)));
  for (size_t i = 0; i < k; ++i) {
    // The run at quantile (i + 1/2) / k: every run when k = n.
    size_t at = static_cast<size_t>((static_cast<double>(i) + 0.5) * n / static_cast<double>(k));
    fit.dist.values.push_back(
        RoundedDuration(static_cast<double>(ToMicros(runs[std::min(at, runs.size() - 1)])) / 1e6));
  }
  return fit;
}

}  // namespace qsim::production
