// `qsim fit` and `qsim calibrate` as library functions: each reads its
// inputs, does the work, prints to `out` (results) and `err` (warnings and
// errors) and returns the exit status (0 ok, 1 calibrate's --max-ks
// exceeded, 2 bad input, 3 an output that cannot be written).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "production/fit.h"
#include "production/observed.h"
#include "proto/production.pb.h"

namespace qsim::production {

// Reads LOG: a run folder (a directory; run_log.h) or a TaskEvent log
// (import.h; `config`, when not empty, a SchedulerConfig merged into it, and
// `pool` the scheduler_id to keep). The reader's warnings go to `err`.
StatusOr<ObservedLog> ReadObservedLog(const std::string& path, const std::string& config, const std::string& pool,
                                      std::ostream& err);

struct FitArgs {
  std::string log;
  std::string out;     // the scenario file to write
  std::string config;  // optional SchedulerConfig
  std::string pool;    // optional scheduler_id
  // Optional StateSnapshot: its idle and running workers join the fleet
  // (a log names only the bots that took a task).
  std::string snapshot;
  FitOptions options;
  bool quiet = false;  // no table on stdout
};
int FitCommand(const FitArgs& args, std::ostream& out, std::ostream& err);

// Adds the snapshot's workers the log does not name to `log->bots`, present
// for the whole log (kept sorted by id); returns how many were added.
int AddSnapshotWorkers(const StateSnapshot& snapshot, ObservedLog* log);

struct CalibrateArgs {
  std::string log;
  std::vector<std::string> run_dirs;
  std::string config, pool;
  std::vector<std::string> accounts;  // empty: all
  std::string html = "calibration.html";
  std::optional<double> max_ks;  // exit 1 when an account's KS is above it
};
int CalibrateCommand(const CalibrateArgs& args, std::ostream& out, std::ostream& err);

}  // namespace qsim::production
