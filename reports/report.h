// `qsim report RUN_DIR`: one self-contained report.html for a run folder.
#pragma once

#include <ostream>
#include <string>

#include "base/status.h"

namespace qsim::reports {

// Builds the report page of `run_dir` (tasks.csv and summary.csv required;
// timeseries.csv and events.csv used when present, the page says when not).
StatusOr<std::string> BuildRunReport(const std::string& run_dir);

// Writes run_dir/report.html. Returns 0, or ExitStatusFor the error after
// printing it to `err` (2 a missing or malformed run folder, 3 a failed write).
int RunReportCommand(const std::string& run_dir, std::ostream& out, std::ostream& err);

}  // namespace qsim::reports
