// An ObservedLog (and optionally a state snapshot) as a scenario that
// replays it: the fleet from the bots seen, the accounts, and every task's
// arrival, labels, account and run duration in a task log the scenario's
// replay workload reads (`duration_from: assignment`, scenarios/README.md).
// `qsim import` writes it; docs/production-data.md says what is replayed
// exactly and what is approximated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "production/import.h"
#include "production/observed.h"

namespace qsim::production {

inline constexpr const char* kImportedScenarioFile = "scenario.yaml";
inline constexpr const char* kImportedTaskLogFile = "tasklog.csv";

struct ReplayOptions {
  std::string name;  // the scenario's name; "" = the pool's id made a valid name (or "imported")
  std::string source;  // the log's path, for the scenario's comment
  // Simulated time 0: the snapshot's time when there is one, else the first
  // row's time rounded down to the whole UTC hour (so the hour of day stays).
  std::optional<int64_t> start_us;
  // The fleet over time (docs/production-data.md, "The fleet"): each bot
  // present from its first row to its last, from the start or to the end
  // when that row is within the presence slack of it; `bots_whole_run`
  // keeps every bot for the whole run instead.
  bool bots_whole_run = false;
  // The presence slack; empty = from the log (the 99th percentile of the gaps
  // between a bot's rows, at least 10 minutes).
  std::optional<int64_t> presence_slack_us;
};

// What was written, for the command's summary.
struct ReplaySummary {
  int64_t start_us = 0;
  int64_t duration_us = 0;
  int64_t tasks = 0;         // rows of the task log
  int64_t exact_tasks = 0;   // with arrival and run exactly as logged
  int64_t bots = 0;
  int64_t bot_groups = 0;
  int64_t accounts = 0;
  int64_t running_at_start = 0;  // the snapshot's running tasks started at 0 on their bots (running_on)
  int64_t presence_slack_us = 0;  // the slack used; 0 with bots_whole_run
};

// Writes DIR/scenario.yaml and DIR/tasklog.csv (DIR is created) and loads
// the scenario back as a check. Approximations are appended to `warnings`
// with counts.
StatusOr<ReplaySummary> WriteReplayScenario(const ObservedLog& log, const StateSnapshot* snapshot,
                                            const ReplayOptions& options, const std::string& dir,
                                            Warnings* warnings);

}  // namespace qsim::production
