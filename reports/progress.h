// Progress of the long commands (sweep, check) on stderr: how many runs are
// done, the elapsed time and an estimate of what is left. reports/ reads no
// clock: the application injects one (and whether stderr is a terminal).
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/runner.h"

namespace qsim::reports {

// How a command reports progress. The default (no clock) reports nothing,
// which is what tests and --quiet get.
struct ProgressOptions {
  std::function<double()> wall_seconds;  // a monotonic clock in seconds; unset: silent
  bool live = false;           // stderr is a terminal: one line rewritten in place
  double every_seconds = 10;   // otherwise: at most one line per this many seconds
};

// One progress line for a command with a known amount of work:
//   "sweep: 24/90 runs (26%), 1m12s elapsed, about 3m20s left"
// REQUIRES: `err` outlives the object.
class Progress {
 public:
  // `limit`, when above `total`, is the most runs there may be (compare's
  // --seeds auto adds rounds); the line then says "(up to LIMIT)".
  Progress(std::string label, size_t total, const ProgressOptions& options, std::ostream& err, size_t limit = 0);
  // The amount of work grew (another round of seeds).
  void SetTotal(size_t total) { total_ = total; }
  // Reports that `done` of the total are finished (live: always; otherwise
  // when every_seconds passed since the last line).
  void Update(size_t done);
  // The closing line (live: ends the line in place), unless silent.
  void Finish();

 private:
  std::string Line(size_t done, double now) const;

  std::string label_;
  size_t total_;
  size_t limit_;
  ProgressOptions options_;
  std::ostream& err_;
  double start_ = 0;
  double last_line_ = 0;
  size_t done_ = 0;
  bool finished_ = false;
};

// "45s", "3m05s", "1h02m".
std::string FormatElapsed(double seconds);

// Runs `runs` through `runner`, `jobs` at a time, in batches of 2 x jobs so
// that progress can be told between batches (the runner reports only when a
// whole call is done), and calls `after_batch(first, results)` after each
// batch with the index of its first run; when it returns false no further
// batch starts. Returns the results of the runs that ran, in order.
using AfterBatch = std::function<bool(size_t first, const std::vector<SimRunResult>& results)>;
std::vector<SimRunResult> RunInBatches(const SimRunner& runner, const std::vector<SimRun>& runs, int jobs,
                                       Progress& progress, const AfterBatch& after_batch = nullptr);

}  // namespace qsim::reports
