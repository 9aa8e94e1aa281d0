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
// inputs are thinned to about 1000 steps at evenly spaced ranks.
svg::Series CdfSeries(const std::string& name, std::vector<double> values, double divisor);

// A wait-time CDF chart with one series per (name, waits in seconds); the
// time unit is chosen from the largest wait. The last series is dashed when
// `dash_last` (a pooled or candidate series drawn over the others).
svg::XyChart WaitCdfChart(const std::string& id, const std::string& title,
                          const std::vector<std::pair<std::string, std::vector<double>>>& series,
                          bool dash_last);

}  // namespace qsim::reports
