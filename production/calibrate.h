// `qsim calibrate`: how closely simulated runs reproduce an observed log, per
// account. Both sides are measured the same way from an ObservedLog (a run
// folder is read as one by run_log.h):
//
// - wait: first assignment minus enqueue, over the tasks assigned at least
//   once (a production log has no "started running" event, so the run
//   folder's wait_s, which ends at the start, is not used);
// - assignments: QSCHEDULER_ASSIGNED events (a run folder: ASSIGNED rows
//   of events.csv); preemptions: preemption events naming the task as the
//   victim;
// - utilisation: the completed runs' time over the bot time present (each
//   bot from first to last seen); the fleet row only, per account the share
//   of that busy time.
//
// The simulated side pools the waits of every run (the runs are seeds of
// one scenario) and averages the counts per run. With two or more runs,
// `seed_ks` is the largest KS distance between two runs' waits: how far
// apart the model is from itself, the yardstick for the distance to the log.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "production/observed.h"

namespace qsim::production {

struct CalibrationSide {
  double tasks = 0, assigned = 0, assignments = 0, preemptions = 0;  // per run, on the simulated side
  double busy_share = 0;  // of all accounts' completed-run time
  std::vector<double> waits;  // seconds, sorted
  std::optional<double> p50, p90, p99;  // nearest rank; empty without waits
};

struct CalibrationRow {
  std::string account;  // "*": the whole fleet
  CalibrationSide log, sim;
  std::optional<double> ks;       // two-sample KS distance of the waits
  // Where the largest gap is: the wait (s) and both CDFs just after it.
  double ks_at = 0, ks_log_cdf = 0, ks_sim_cdf = 0;
  std::optional<double> seed_ks;  // largest between two runs (two or more runs)
};

struct Calibration {
  std::vector<CalibrationRow> rows;  // by account, then "*"
  double log_utilisation = 0, sim_utilisation = 0;
  size_t runs = 0;
  std::vector<std::string> warnings;
};

// `accounts` narrows the rows (empty: every account of the log); an account
// the log does not name is an error (InvalidArgument naming `log_name`).
// REQUIRES: !runs.empty().
StatusOr<Calibration> Calibrate(const ObservedLog& log, const std::string& log_name,
                                const std::vector<ObservedLog>& runs, const std::vector<std::string>& accounts);

// The table `qsim calibrate` prints.
std::string CalibrationText(const Calibration& c);

// The self-contained HTML page: the table and, per row, the log's and the
// pooled runs' wait CDFs overlaid.
std::string CalibrationHtml(const Calibration& c, const std::string& log_name,
                            const std::vector<std::string>& run_dirs);

}  // namespace qsim::production
