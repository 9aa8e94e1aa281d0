// FitArrivals: the weekly profile (hour-of-day and weekday factors) and the
// bursts of one account's arrivals (fit.h says what is fitted and why).
#include <algorithm>
#include <cmath>

#include "production/fit.h"

namespace qsim::production {
namespace {

constexpr int64_t kHourUs = 3600000000LL;
constexpr int kIterations = 50;  // IPF converges in a few; this many is plenty
constexpr int kBurstRounds = 3;

// Hour cells on the week clock: cell k covers hour first_hour + k after the
// Monday 00:00 the week offset counts from.
struct HourCells {
  int64_t first_hour = 0;
  std::vector<double> count;     // arrivals, less burst excess
  std::vector<double> exposure;  // hours of the cell the log covers, in [0, 1]
  int Hour(size_t k) const { return static_cast<int>((first_hour + static_cast<int64_t>(k)) % 24); }
  int Day(size_t k) const { return static_cast<int>((first_hour + static_cast<int64_t>(k)) / 24 % 7); }
};

HourCells MakeCells(const std::vector<Duration>& arrivals, Duration span, Duration week_offset) {
  HourCells c;
  int64_t begin = ToMicros(week_offset), end = begin + ToMicros(span);
  c.first_hour = begin / kHourUs;
  int64_t last_hour = (end - 1) / kHourUs;
  size_t n = static_cast<size_t>(last_hour - c.first_hour + 1);
  c.count.assign(n, 0);
  c.exposure.assign(n, 0);
  for (size_t k = 0; k < n; ++k) {
    int64_t lo = (c.first_hour + static_cast<int64_t>(k)) * kHourUs;
    int64_t covered = std::min(end, lo + kHourUs) - std::max(begin, lo);
    c.exposure[k] = static_cast<double>(covered) / static_cast<double>(kHourUs);
  }
  for (Duration t : arrivals) c.count[static_cast<size_t>((ToMicros(t) + begin) / kHourUs - c.first_hour)] += 1;
  return c;
}

struct Profile {
  double rate = 0;
  std::vector<double> hour = std::vector<double>(24, 1.0);
  std::vector<double> day = std::vector<double>(7, 1.0);
  double At(int h, int d) const { return rate * hour[h] * day[d]; }
};

// Scales `factors` so that the ones with exposure average 1, moving the scale
// into *rate; factors without exposure stay 1.
void Normalise(std::vector<double>& factors, const std::vector<double>& exposure, double* rate) {
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < factors.size(); ++i) {
    if (exposure[i] > 0) sum += factors[i], ++n;
  }
  if (n == 0 || sum <= 0) return;
  double mean = sum / n;
  for (size_t i = 0; i < factors.size(); ++i) {
    if (exposure[i] > 0) factors[i] /= mean;
  }
  *rate *= mean;
}

// The Poisson log-linear model count_k ~ rate * hour[h(k)] * day[d(k)] *
// exposure_k by iterative proportional fitting: each step matches one
// margin (the counts by hour of day, then by weekday) exactly.
Profile FitProfile(const HourCells& c) {
  Profile p;
  double total = 0, exposure = 0;
  std::vector<double> hour_exposure(24, 0), day_exposure(7, 0);
  for (size_t k = 0; k < c.count.size(); ++k) {
    total += c.count[k], exposure += c.exposure[k];
    hour_exposure[c.Hour(k)] += c.exposure[k];
    day_exposure[c.Day(k)] += c.exposure[k];
  }
  p.rate = exposure > 0 ? total / exposure : 0;
  if (total <= 0) return p;
  for (int it = 0; it < kIterations; ++it) {
    for (int margin = 0; margin < 2; ++margin) {
      std::vector<double>& factors = margin == 0 ? p.hour : p.day;
      std::vector<double> observed(factors.size(), 0), expected(factors.size(), 0);
      for (size_t k = 0; k < c.count.size(); ++k) {
        size_t i = static_cast<size_t>(margin == 0 ? c.Hour(k) : c.Day(k));
        observed[i] += c.count[k];
        expected[i] += p.At(c.Hour(k), c.Day(k)) * c.exposure[k];
      }
      for (size_t i = 0; i < factors.size(); ++i) {
        if (expected[i] > 0) factors[i] *= observed[i] / expected[i];
      }
    }
  }
  Normalise(p.hour, hour_exposure, &p.rate);
  Normalise(p.day, day_exposure, &p.rate);
  return p;
}

// One burst bin on the week clock.
struct Bin {
  double count = 0, expected = 0;
  Duration first{}, last{};  // arrivals in it, from the scenario start
};

std::vector<Bin> MakeBins(const std::vector<Duration>& arrivals, Duration span, Duration week_offset,
                          const Profile& p, Duration bin_width) {
  int64_t begin = ToMicros(week_offset), end = begin + ToMicros(span), width = ToMicros(bin_width);
  int64_t first = begin / width, last = (end - 1) / width;
  std::vector<Bin> bins(static_cast<size_t>(last - first + 1));
  for (size_t b = 0; b < bins.size(); ++b) {
    int64_t lo = (first + static_cast<int64_t>(b)) * width;
    int64_t covered = std::min(end, lo + width) - std::max(begin, lo);
    int64_t hour = std::max(begin, lo) / kHourUs;
    bins[b].expected = p.At(static_cast<int>(hour % 24), static_cast<int>(hour / 24 % 7)) *
                       static_cast<double>(covered) / static_cast<double>(kHourUs);
  }
  for (Duration t : arrivals) {
    Bin& bin = bins[static_cast<size_t>((ToMicros(t) + begin) / width - first)];
    if (bin.count == 0) bin.first = t;
    bin.last = t;
    bin.count += 1;
  }
  return bins;
}

bool Hot(const Bin& b) {
  return b.count > b.expected + 5 * std::sqrt(b.expected) + 3 && b.count >= 2 * b.expected;
}

// Runs of hot bins with at least min_burst tasks above expectation; the
// excess of each is taken out of its hour cells in *cells when given.
std::vector<sim::Burst> FindBursts(const std::vector<Bin>& bins, const FitOptions& options, HourCells* cells,
                                   Duration week_offset) {
  std::vector<sim::Burst> bursts;
  for (size_t b = 0; b < bins.size();) {
    if (!Hot(bins[b])) {
      ++b;
      continue;
    }
    size_t e = b;
    double excess = 0;
    while (e < bins.size() && Hot(bins[e])) excess += bins[e].count - bins[e].expected, ++e;
    int64_t count = std::llround(excess);
    if (count >= options.min_burst) {
      bursts.push_back({bins[b].first, count, bins[e - 1].last - bins[b].first});
      for (size_t i = b; i < e && cells != nullptr; ++i) {
        int64_t u = ToMicros(bins[i].first + week_offset);
        double& c = cells->count[static_cast<size_t>(u / kHourUs - cells->first_hour)];
        c = std::max(0.0, c - (bins[i].count - bins[i].expected));
      }
    }
    b = e;
  }
  return bursts;
}

// Rounds to 4 significant digits: the file stays readable and the rounding
// is far inside the sampling error of any fitted factor.
double Round4(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  double scale = std::pow(10.0, 3 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

}  // namespace

ArrivalFit FitArrivals(const std::vector<Duration>& arrivals, Duration span, Duration week_offset,
                       const FitOptions& options) {
  Profile p = FitProfile(MakeCells(arrivals, span, week_offset));
  // Bursts against the model, then the model again without their excess:
  // the first model counts the bursts in their hours, so it expects too
  // much there and leaves part of each burst behind; a few rounds settle.
  for (int round = 0; round < kBurstRounds; ++round) {
    HourCells cells = MakeCells(arrivals, span, week_offset);
    FindBursts(MakeBins(arrivals, span, week_offset, p, options.burst_bin), options, &cells, week_offset);
    p = FitProfile(cells);
  }
  ArrivalFit fit;
  fit.bursts = FindBursts(MakeBins(arrivals, span, week_offset, p, options.burst_bin), options, nullptr,
                          week_offset);
  fit.tasks = static_cast<int64_t>(arrivals.size());
  for (const sim::Burst& b : fit.bursts) fit.burst_tasks += b.count;
  fit.rate_per_hour = Round4(p.rate);
  for (double h : p.hour) fit.hour_factors.push_back(Round4(h));
  for (double d : p.day) fit.weekday_factors.push_back(Round4(d));
  return fit;
}

}  // namespace qsim::production
