// How reports/ gets simulations run: an injected SimRunner. reports never
// starts processes or re-executes itself; the application supplies the runner
// (app/child_runner.h runs `qsim run` as child processes), and tests may
// supply a fake.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace qsim::reports {

struct SimRun {
  std::string scenario_path;
  std::optional<uint64_t> seed;  // unset: the scenario's own seed
  std::string out_dir;           // the run folder; the runner creates it (with parents)
  // `qsim run --outputs`: "" = the scenario's selection; sweep and check ask
  // for "tasks,summary" (no timeseries.csv or events.csv) unless runs are kept.
  std::string outputs = {};
};

// What compare, sweep and check read from a run: the outputs they ask for
// unless the runs are kept (a run's events.csv can be hundreds of MB).
inline constexpr const char* kLeanOutputs = "tasks,summary";

struct SimRunResult {
  // The exit status `qsim run` would give: 0, or 1 with invariant violations
  // (the run folder is written in both cases), 2 bad input, 3 an environment
  // failure, 4 a bug; -1 when the run could not be started or was killed.
  int exit_code = -1;
  std::string log_path;  // what the run printed (stdout and stderr)

  bool WroteOutputs() const { return exit_code == 0 || exit_code == 1; }
};

// Runs every run of `runs`, at most `parallel` at a time, and returns their
// results in the order of `runs`. Commands REQUIRE a runner to be set.
using SimRunner = std::function<std::vector<SimRunResult>(const std::vector<SimRun>& runs, int parallel)>;

// Why a run that did not write its outputs failed, as a Status whose code
// follows its exit status (2 bad input, 4 a bug, otherwise an environment
// failure), naming the run folder and the end of its log.
Status RunFailure(const SimRun& run, const SimRunResult& result);

// Checks a scenario file as `qsim validate` does, without running it: Ok or
// the located error ("file:line:column: key.path: message"). The application
// supplies it (app/ may use sim/, reports/ may not); compare, sweep and check
// call it on every scenario before the first run starts, so that a bad
// scenario costs no runs. Unset: scenarios are checked by their runs only.
using ScenarioValidator = std::function<Status(const std::string& scenario_path)>;

// The last lines of a run's log, for error messages.
std::string LogTail(const std::string& log_path, int max_lines = 5);

// The most seeds one compare or sweep runs (each is a run per side or point).
inline constexpr int kMaxSeeds = 10000;

// --seeds within 1..kMaxSeeds, and the last seed (first + seeds - 1) within
// the seed range every run accepts, 0..2^63-1 (docs/limits.md).
inline Status CheckSeedRange(uint64_t first_seed, int seeds) {
  if (seeds < 1 || seeds > kMaxSeeds) {
    return InvalidArgument("--seeds must be between 1 and " + std::to_string(kMaxSeeds) + ", got " +
                           std::to_string(seeds));
  }
  constexpr uint64_t kMaxSeed = (uint64_t{1} << 63) - 1;
  if (first_seed > kMaxSeed - static_cast<uint64_t>(seeds - 1)) {
    return InvalidArgument("--first-seed " + std::to_string(first_seed) + " with --seeds " + std::to_string(seeds) +
                           " goes past the largest seed, 2^63-1");
  }
  return Status::Ok();
}

}  // namespace qsim::reports
