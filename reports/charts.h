// Chart pieces shared by the run report and the comparison page.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "reports/svg.h"
#include "base/status.h"

namespace qsim::reports {

// What the report and comparison pages take from a run's tasks.csv, read in
// one streaming pass (the file of a week-long run holds a million rows).
struct TaskWaits {
  std::map<std::string, std::vector<double>> by_account;  // wait_s of the started tasks
  double last_time = 0;                                   // the largest enqueue_s or end_s
};
StatusOr<TaskWaits> ReadTaskWaits(const std::string& tasks_path);

// A step CDF of `values` (any order) in units of `divisor` seconds; long
// inputs are thinned to about 1000 steps at evenly spaced ranks. The 1-based
// ranks in `exact_ranks` are always kept, so the first point at or above
// fraction rank/n is exactly that rank's value (percentiles read off the
// chart are the true ones).
svg::Series CdfSeries(const std::string& name, std::vector<double> values, double divisor,
                      const std::vector<size_t>& exact_ranks = {});

// A wait-time CDF chart with one series per (name, waits in seconds); the
// time unit is chosen from the largest wait. The last series is dashed when
// `dash_last` (a pooled or candidate series drawn over the others).
svg::XyChart WaitCdfChart(const std::string& id, const std::string& title,
                          const std::vector<std::pair<std::string, std::vector<double>>>& series,
                          bool dash_last);

// A wait CDF per (name, waits in microseconds, ascending) on a logarithmic
// time axis in seconds, ticks labelled 1 s, 1 min, 1 h, ... Waits below the
// axis' floor (`*floor_s`, the power of ten at or below the smallest positive
// wait, within [1 ms, 1 s]) are drawn at the floor, whose tick reads "<=".
svg::XyChart WaitCdfLogChart(const std::string& id, const std::string& title,
                             const std::vector<std::pair<std::string, const std::vector<int64_t>*>>& series,
                             double* floor_s);

// A series of more than `max_points` points thinned to at most `max_points`
// buckets of equal x width: each bucket drawn at the mean of its x and y,
// with an envelope (band_low, band_high) from its smallest to its largest y,
// as a line. Shorter series are returned as they are. Returns whether it
// thinned.
bool Downsample(svg::Series& series, size_t max_points);

}  // namespace qsim::reports
