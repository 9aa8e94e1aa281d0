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
// preemptions), events.csv when written the assignments and preemptions
// (ASSIGNED and PREEMPTED rows, as a TaskEvent log counts them; without it
// tasks.csv's times_preempted, and 1 + preemptions + unassignments of an
// assigned task), and the bots' presence (from the first to the last event
// naming each, as a TaskEvent log sees them; bots it never names are left
// out; without events.csv every bot for the whole run), scenario.resolved.yaml
// the bots' dimensions (their group's starting labels and provisionable
// labels), the accounts (from_config) and the policy's disable_preemption
// and bot_expiration. Errors name the folder or file:line: column.
StatusOr<ObservedLog> ObservedLogFromRunFolder(const std::string& run_dir);

}  // namespace qsim::production
