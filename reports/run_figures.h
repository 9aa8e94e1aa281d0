// The per-account figures the run report shows from tasks.csv: the waits
// behind its wait CDFs and percentile table, and the slowdowns of its
// slowdown table. Tasks count exactly as in summary.csv: those enqueued in
// the measured window (runfolder/measured.h, warm-up from run.json), with
// summary's nearest-rank percentiles, so the two can be reconciled.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace qsim::reports {

struct AccountFigures {
  int64_t tasks = 0;               // measured tasks (summary.csv's tasks)
  std::vector<int64_t> waits_us;   // wait_s of the measured tasks that started, ascending
  std::vector<double> slowdowns;   // (wait + run) / run of the measured completed tasks with run > 0, ascending
  int64_t completed = 0;           // measured tasks that completed
  int64_t completed_zero_run = 0;  // of which ran for no time (no slowdown defined)
};

struct TaskFigures {
  std::optional<int64_t> warmup_us;  // run.json's; nullopt in an old folder (then every task counts)
  std::map<std::string, AccountFigures> by_account;
  AccountFigures fleet;  // every account: summary.csv's "*"
  double last_time = 0;  // the largest enqueue_s or end_s, in seconds
};

// Reads run_dir/tasks.csv (one streaming pass) and run_dir/run.json.
StatusOr<TaskFigures> ReadTaskFigures(const std::string& run_dir);

// Wait percentiles as summary.csv computes them, in microseconds.
struct WaitPercentiles {
  int64_t count = 0;
  int64_t p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
};
WaitPercentiles PercentilesOf(const std::vector<int64_t>& sorted_waits_us);

// Slowdown percentiles (nearest rank, as for waits); 0 when empty.
struct SlowdownFigures {
  int64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
SlowdownFigures SlowdownOf(const std::vector<double>& sorted_slowdowns);

}  // namespace qsim::reports
