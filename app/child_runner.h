// The SimRunner the application gives reports/: each run is `qsim run` in a
// child process of the given binary, a bounded number at a time. Separate
// processes keep runs independent (no shared state, a crash stays in its
// run) and use every core.
#pragma once

#include <string>

#include "reports/runner.h"

namespace qsim::app {

// Runs `qsim_binary run --quiet --no-report [--seed S] [--outputs LIST] --out DIR SCENARIO` for
// each run; each child's stdout and stderr go to DIR + ".log". A run whose
// folder cannot be created, or whose child cannot be started, gets exit code
// -1 and a log saying why. Each child leads its own process group. When
// SIGINT or SIGTERM arrives (stop_signals.h) no more runs start, the running
// ones get the signal and are waited for, and the process exits with 128 +
// the signal: a parent never leaves a child writing after it is gone.
reports::SimRunner ChildProcessRunner(std::string qsim_binary);

// Loads and validates a scenario file in this process, as `qsim validate`
// does (sim::LoadScenarioFile): the ScenarioValidator compare, sweep and check
// call before their first run.
reports::ScenarioValidator InProcessValidator();

// The running executable's own path (/proc/self/exe resolved), so that
// children run the same build; `fallback` (argv[0]) when it cannot be read.
std::string SelfExecutable(const std::string& fallback);

}  // namespace qsim::app
