// qsim's simulator, start here. RunScenario runs one scenario with one seed
// against the real scheduler and reconciler and returns its results (and
// writes the run folder of sim/README.md when RunOptions::out_dir is set).
// Everything a run needs is owned by the run, so runs can share a process.
//
// RunCommand and ValidateCommand are the `qsim run` / `qsim validate`
// subcommands as library functions: they return the exit status (0 ok,
// 1 invariant violations, 2 bad input).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "sim/task_waits.h"

namespace qsim::sim {

enum class Outcome { kUnfinished, kCompleted, kPreempted, kFailed, kCancelled, kLost };
const char* OutcomeName(Outcome o);  // "completed", ...

// One task's fate. Times are offsets from the scenario start; Duration(-1)
// means "did not happen".
struct TaskResult {
  int64_t id = 0;
  std::string account;
  Duration enqueue{};
  Duration first_assigned{-1};
  Duration start{-1};  // start of execution of the last run (after provisioning)
  Duration end{-1};
  Outcome outcome = Outcome::kUnfinished;
  int32_t times_preempted = 0;
  int32_t times_unassigned = 0;
  bool provision_needed = false;
  int32_t start_priority = -1;
  // The wait split by reason: RunResult::task_waits.
};

// One row of summary.csv (account "*" = the whole fleet).
struct AccountSummary {
  std::string account;
  int64_t tasks = 0, completed = 0, preempted = 0, failed = 0, cancelled = 0, lost = 0, unfinished = 0;
  int64_t waits = 0;  // tasks with a wait
  Duration wait_mean{}, wait_p50{}, wait_p90{}, wait_p99{}, wait_max{};
  double throughput_per_hour = 0;
  int64_t preemptions = 0;
  Duration wasted_bot_time{};
  Duration busy_bot_time{};
  double busy_share = 0, charge_share = 0, utilisation = 0;
  int64_t timeouts = 0;
  int64_t invariant_violations = 0;
  // waits.csv: by reason, the measured tasks with time in it and its total.
  std::array<int64_t, 9> reason_tasks{}, reason_us{};
  int64_t same_pass_reassignments = 0, forgotten = 0, re_adds = 0;
};

struct RunResult {
  uint64_t seed = 0;
  size_t task_count = 0;                   // tasks the run created
  // The per-task results, both by id; empty unless
  // RunOptions::keep_task_results.
  std::vector<TaskResult> tasks;
  // The split of each task's wait: microseconds by reason, in the order of
  // runfolder::kWaitReasons (tasks.csv's wait columns). It sums to
  // start - enqueue once the task has started, else to its end (or the
  // run's end) - enqueue. docs/waits.md.
  TaskWaits task_waits;
  std::vector<AccountSummary> summary;     // by account id, then "*"
  std::vector<std::string> violations;     // "t=12.000000s: bot linux-00003 ...", in order found
  uint64_t events = 0;                     // engine events run
  Duration measured{};                     // the window after warm-up
  // Time-average number of measured tasks in the system (queued or running)
  // over the window, for Little's law.
  double mean_in_system = 0;
};

struct RunOptions {
  std::string out_dir;                    // "" = write no files
  std::optional<Outputs> outputs;         // overrides the scenario's selection
  // Keep every task's TaskResult and wait split in the RunResult (tasks,
  // task_waits). `qsim run` does not: it writes them to tasks.csv and reads
  // them no more, and a million of them would be ~120 MB at the run's peak.
  bool keep_task_results = true;
  // Refuse the run when EstimateRun (sim/limits.h) expects more peak memory;
  // 0 = no limit.
  int64_t max_memory_bytes = 0;
  // Called now and then with (simulated now, end, events run so far).
  std::function<void(Duration now, Duration end, uint64_t events)> progress;
  // Polled now and then (every 2^16 events); once it returns true the run
  // stops, writes no more, and RunScenario returns FailedPrecondition. The
  // run folder is left with run.json saying "incomplete".
  std::function<bool()> stop_requested;
  // What run.json records (runfolder/manifest.h) that the library cannot
  // know by itself: the version, the command line, and a wall clock in
  // seconds (the library reads none; empty: wall_seconds is 0).
  std::string qsim_version;
  std::vector<std::string> command_line;
  std::function<double()> wall_seconds;
};

// Runs `scenario` with `seed`. Errors: the scenario breaks a rule of
// ValidateScenario (scenario.h), the seed is above 2^63-1, or the run's
// estimate exceeds options.max_memory_bytes (nothing is run or written then);
// the output folder holds files no run wrote (InvalidArgument; an earlier run
// there is replaced), the output folder cannot be written, or the run was
// stopped. Every file is written whole or not at all; run.json is written
// first ("incomplete") and last ("complete"): docs/run-folder.md.
StatusOr<RunResult> RunScenario(const Scenario& scenario, uint64_t seed, const RunOptions& options);

// The human summary printed by `qsim run`.
void PrintSummary(const Scenario& scenario, const RunResult& result, std::ostream& out);

struct RunArgs {
  std::string scenario;
  std::optional<uint64_t> seed;
  std::string out_dir;        // "" = runs/<scenario name>-seed<N>
  bool quiet = false;
  bool progress = false;      // draw a progress line on `err` (the CLI sets it for terminals)
  std::string outputs;        // "" = the scenario's; else "tasks,summary,..."
  int64_t max_memory_bytes = kDefaultMaxMemoryBytes;  // RunOptions::max_memory_bytes
  // Called with the run folder once it is written (the CLI hangs the report
  // page on it); its non-zero return becomes the exit status if the run was ok.
  std::function<int(const std::string& out_dir)> on_written;
  // For run.json: the version and the command line (RunOptions).
  std::string qsim_version;
  std::vector<std::string> command_line;
  // The signal that asked the run to stop, 0 while none did (the CLI's
  // SIGINT/SIGTERM handler); the run then stops, leaves its folder
  // incomplete and RunCommand returns 128 + the signal.
  std::function<int()> stop_signal;
};

// `qsim run`. `wall_seconds` reads a wall clock for the progress line's
// events/s (the library itself never does).
int RunCommand(const RunArgs& args, const std::function<double()>& wall_seconds, std::ostream& out,
               std::ostream& err);
// `qsim validate FILE...`.
int ValidateCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

}  // namespace qsim::sim
