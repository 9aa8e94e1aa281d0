// A run folder read as an observed log, so that `qsim fit` can fit a scenario
// to a simulated run and `qsim calibrate` can measure simulated runs with the
// same code that measures a production log.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "production/observed.h"

namespace qsim::production {

// Where a run's t = 0 lands on the log's clock: Monday 1970-01-05 00:00 UTC,
// the week position a scenario's weekly profile assumes by default
// (week_offset 0), so a run read back as a log keeps its hours and weekdays.
inline constexpr int64_t kRunEpochUs = int64_t{4} * 86400 * 1000000;

// Reads a complete run folder (run.json checked as `qsim report` does):
// tasks.csv gives the tasks (enqueue, labels, account, first assignment,
// completion, the completed run's length from start_s to end_s,
// preemptions), scenario.resolved.yaml the bots (every bot of every group,
// present for the whole run, with the group's starting labels) and the
// accounts (from_config). Errors name the folder or file:line: column.
StatusOr<ObservedLog> ObservedLogFromRunFolder(const std::string& run_dir);

}  // namespace qsim::production
