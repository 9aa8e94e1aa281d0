// Runs the simulator as child processes (`qsim run ...`), a bounded number at
// a time. Separate processes keep runs independent (no shared state, a crash
// stays in its run) and use every core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace qsim::reports {

struct SimRun {
  std::string scenario_path;
  std::optional<uint64_t> seed;  // unset: the scenario's own seed
  std::string out_dir;           // the run folder; created (with parents) first
};

struct SimRunResult {
  // The child's exit status; -1 when it could not be started or was killed by
  // a signal. `qsim run` exits 0, or 1 with invariant violations (outputs
  // written in both cases).
  int exit_code = -1;
  std::string log_path;  // the child's stdout and stderr: out_dir + ".log"

  bool WroteOutputs() const { return exit_code == 0 || exit_code == 1; }
};

// Runs `qsim_binary run --quiet --no-report [--seed S] --out DIR SCENARIO` for
// each run, at most `parallel` at a time, and waits for all. Results are in
// the order of `runs`.
std::vector<SimRunResult> RunSimulations(const std::string& qsim_binary, const std::vector<SimRun>& runs,
                                         int parallel);

// The last lines of a run's log, for error messages.
std::string LogTail(const std::string& log_path, int max_lines = 5);

// Creates `dir` and its parents; the error names the directory.
Status MakeDirectories(const std::string& dir);

}  // namespace qsim::reports
