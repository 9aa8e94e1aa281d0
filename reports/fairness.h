// Fairness over time from timeseries.csv: each account's actual share of the
// busy bots against the share its charge rates entitle it to, and how long
// an account stays short of that share (time to fair share). Definitions in
// docs/report.md ("Fairness over time").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reports/run_data.h"

namespace qsim::reports {

// An account counts as short of its fair share at a sample when it has
// queued tasks and its actual share is below its entitled share by more
// than this (a fraction: 5 percentage points).
inline constexpr double kFairShareTolerance = 0.05;

struct AccountFairness {
  std::vector<double> actual;    // running / all running, per sample (0 when nothing runs)
  std::vector<double> entitled;  // per sample, see EntitledShares
  // Episodes short of the fair share: the length of each that ended, in
  // seconds from its first short sample to the first sample not short.
  std::vector<double> episodes_s;
  int open_at_end = 0;           // an episode still running at the last sample
  double short_s = 0;            // total time short (ended and open episodes)
};

struct Fairness {
  std::vector<double> times;  // sample times (s)
  std::map<std::string, AccountFairness> accounts;
};

// The weighted max-min (water-filling) division of `capacity` bots among
// accounts with weights `weights` (charge-rate shares) and demands `demand`
// (queued + running tasks): each gets capacity in proportion to its weight,
// never more than its demand, what is left over going to the others in turn;
// accounts of weight 0 share equally what the weighted ones leave. Returns
// each account's allocation (same order).
std::vector<double> WaterFill(double capacity, const std::vector<double>& weights,
                              const std::vector<double>& demand);

// Fairness over the samples of `ts`; `charge_share` is summary.csv's
// charge_share per account (the account's charge rates over all accounts').
// The entitled share at a sample is the account's water-filled allocation of
// the alive bots over the sum of all allocations.
Fairness ComputeFairness(const Timeseries& ts, const std::map<std::string, double>& charge_share);

}  // namespace qsim::reports
