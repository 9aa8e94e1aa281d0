// `qsim check`: the smoke gate. Runs every scenario that declares `expect:`
// entries once (its own seed) and checks each expectation against summary.csv.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "reports/runner.h"

namespace qsim::reports {

struct CheckOptions {
  std::vector<std::string> paths;  // scenario files or folders (searched for *.yaml, recursively)
  int jobs = 2;
  std::string out_dir;  // "" = a new folder under $TMPDIR, removed when every check passes
  SimRunner runner;     // REQUIRED
};

// Prints one line per expectation:
//   PASS <scenario> <metric>[<account>] expected <bound> actual <value>
// and a closing line "N passed, M failed". Returns 0 when all pass, 1 when any
// fails, 2 for bad input (an invalid `expect:` entry, reported as
// file:line:column, or no scenario with expectations). A run that failed fails
// its expectations; when its exit status says why (2 bad input, 3 the
// environment, 4 a bug), that status is returned instead of 1.
int RunCheckCommand(const CheckOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qsim::reports
