// `qsim check`: the smoke gate. Runs every scenario that declares `expect:`
// entries once (its own seed) and checks each expectation against summary.csv.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "reports/progress.h"
#include "reports/runner.h"

namespace qsim::reports {

struct CheckOptions {
  std::vector<std::string> paths;  // scenario files or folders (searched for *.yaml, recursively)
  int jobs = 2;
  // Where the runs go; "" = a new folder under $TMPDIR, removed when it ends
  // up empty. The runs of scenarios that pass are removed, those that fail
  // kept, unless keep_runs.
  std::string out_dir;
  // Keep every run folder, with all the scenario's outputs. Otherwise runs
  // write only tasks.csv and summary.csv.
  bool keep_runs = false;
  std::string junit;          // "" or a JUnit XML file to write (one testcase per expectation)
  ProgressOptions progress;   // default: silent
  SimRunner runner;           // REQUIRED
  ScenarioValidator validator;  // optional: every scenario checked before any run
};

// Prints one line per expectation:
//   PASS <scenario> <metric>[<account>] expected <bound> actual <value>
// and a closing line "N passed, M failed". Returns 0 when all pass, 1 when any
// fails, 2 for bad input (an invalid `expect:` entry, reported as
// file:line:column, or no scenario with expectations). A run that failed fails
// its expectations; when its exit status says why (2 bad input, 3 the
// environment, 4 a bug), that status is returned instead of 1. With a junit
// file, writes it whatever the outcome (3 when it cannot be written; 2 before
// anything runs when its folder does not exist).
int RunCheckCommand(const CheckOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qsim::reports
