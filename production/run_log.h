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

// Reads a complete run folder (run.json checked as `qsim report` does) as
// the TaskEvent log of the run would read:
// - tasks.csv: the tasks (enqueue, labels, account, first assignment);
// - scenario.resolved.yaml: the bots' dimensions (their group's starting
//   labels and provisionable labels), the accounts (from_config) and the
//   policy's disable_preemption and bot_expiration;
// - events.csv, when the run wrote it: assignments and preemptions (ASSIGNED
//   and PREEMPTED rows), completions (COMPLETED rows) with the completed run
//   from the last ASSIGNED row to it, and each bot's presence from the first
//   to the last row naming it (bots never named are left out). A task the
//   scheduler saw preempted and never completed has no run here, though the
//   dispatcher may have run it to the end: its TaskEvent log says the same.
// - without events.csv: tasks.csv's times_preempted, end_s - start_s of a
//   completed task, 1 + preemptions + unassignments of an assigned task, and
//   every bot present from its group's joins_at to its leaves_at (the whole
//   run by default).
// Errors name the folder or file:line: column.
StatusOr<ObservedLog> ObservedLogFromRunFolder(const std::string& run_dir);

}  // namespace qsim::production
