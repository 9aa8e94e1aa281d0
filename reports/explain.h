// `qsim explain`: why one task waited, in words, from a run folder alone
// (tasks.csv, events.csv, scenario.resolved.yaml); and the longest waits of
// a run with their dominant reasons. docs/waits.md defines the reasons.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "base/status.h"

namespace qsim::reports {

// The story of `task` (an id such as t00000042): each event, each interval
// between them with its phase and length, what the task waited for, and its
// wait by reason. Errors (exit 2): an incomplete run folder, an unknown task,
// a folder without events.csv (the message says how to rerun).
Status ExplainTask(const std::string& run_dir, const std::string& task, std::ostream& out);

// The `n` longest waits (wait so far, for a task that never started) of
// `account` ("" = every account), longest first, each with its dominant
// reasons. Needs only tasks.csv.
Status ExplainWorst(const std::string& run_dir, int64_t n, const std::string& account, std::ostream& out);

// "3617.2 s (1 h 0 min)": seconds as written, and as a person reads them.
std::string HumanSeconds(int64_t us);

}  // namespace qsim::reports
