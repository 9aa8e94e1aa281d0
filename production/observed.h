// What a production TaskEvent log says happened, reduced to what a scenario
// needs: the tasks (when they arrived, what they asked for, how long they
// ran), the bots (their dimensions and when they were seen) and the
// accounts. `qsim import` builds it from a log; `qsim fit` and `qsim
// calibrate` read it. Times are microseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qsim::production {

struct ObservedTask {
  std::string id;
  std::string account;  // empty: the task named no account
  int64_t enqueue_us = 0;
  std::vector<std::string> base_labels;
  std::vector<std::string> provisionable_labels;
  std::optional<int64_t> first_assigned_us;  // first QSCHEDULER_ASSIGNED
  std::optional<int64_t> completed_us;       // SWARMING_COMPLETED
  // Length of the run that completed (its last assignment to completion);
  // empty when the task never completed within the log.
  std::optional<int64_t> run_us;
  int preemptions = 0;  // QSCHEDULER_PREEMPTED events naming it as the victim
  // Added for import (issue 15, items 1 and 2).
  std::vector<std::string> tags;              // from SWARMING_ENQUEUED
  int assignments = 0;                        // QSCHEDULER_ASSIGNED events naming it
  std::optional<int64_t> last_assigned_us;    // the start of its last run
  std::string last_bot;                       // the bot of its last run ("" if never assigned)
  bool enqueue_seen = true;  // false: no SWARMING_ENQUEUED; enqueue_us is its first row
};

struct ObservedBot {
  std::string id;
  std::vector<std::string> dimensions;
  int64_t first_seen_us = 0;
  int64_t last_seen_us = 0;
  // Added for import: the dimensions a bot reported later, when they
  // differ from the ones before (`dimensions` holds the first set).
  struct DimensionChange {
    int64_t at_us = 0;
    std::vector<std::string> dimensions;
  };
  std::vector<DimensionChange> changes;
  // Added for import (bot presence): its first row is not an assignment (a
  // completion or preemption of a run the log did not see begin), so it was
  // running before that row.
  bool busy_before_first_row = false;
};

struct ObservedAccount {
  std::string id;
  std::vector<double> charge_rates;  // per priority; empty when inferred from the log
  double max_charge_seconds = 0;
  int max_fanout = 0;  // 0: unlimited
  bool disable_free_tasks = false;
  bool from_config = false;  // false: inferred from the log (with a warning)
  // Added for import: the config's per-label task limits (prefix -> limit).
  std::vector<std::pair<std::string, int>> per_label_task_limits;
};

struct ObservedLog {
  int64_t start_us = 0;  // earliest event
  int64_t end_us = 0;    // latest event
  std::vector<ObservedTask> tasks;        // by enqueue time, then id
  std::vector<ObservedBot> bots;          // by id
  std::vector<ObservedAccount> accounts;  // by id
  // Added for import.
  std::string scheduler_id;  // the first row's (a log of several pools is refused)
  int64_t events = 0;        // rows used
  bool disable_preemption = false;               // from a config
  std::optional<int64_t> bot_expiration_us;      // from a config
  // Added for import (bot presence): the gaps between consecutive rows
  // naming the same bot, in whole minutes rounded up (a gap of 0 left out)
  // -> how many; how long a bot that is there goes unseen.
  std::map<int64_t, int64_t> bot_row_gap_minutes;
};

}  // namespace qsim::production
