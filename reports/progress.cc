#include "reports/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qsim::reports {

std::string FormatElapsed(double seconds) {
  long s = std::lround(std::max(0.0, seconds));
  char buffer[32];
  if (s < 60) {
    std::snprintf(buffer, sizeof buffer, "%lds", s);
  } else if (s < 3600) {
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  }
  return buffer;
}

Progress::Progress(std::string label, size_t total, const ProgressOptions& options, std::ostream& err,
                   size_t limit)
    : label_(std::move(label)), total_(total), limit_(limit), options_(options), err_(err) {
  if (options_.wall_seconds) start_ = last_line_ = options_.wall_seconds();
}

std::string Progress::Line(size_t done, double now) const {
  double elapsed = now - start_;
  std::string line = label_ + ": " + std::to_string(done) + "/" + std::to_string(total_) + " runs";
  if (total_ > 0) line += " (" + std::to_string(done * 100 / total_) + "%)";
  if (limit_ > total_) line += " (up to " + std::to_string(limit_) + ")";
  line += ", " + FormatElapsed(elapsed) + " elapsed";
  if (done > 0 && done < total_) {
    double left = elapsed / static_cast<double>(done) * static_cast<double>(total_ - done);
    line += ", about " + FormatElapsed(left) + " left";
  }
  return line;
}

void Progress::Update(size_t done) {
  done_ = done;
  if (!options_.wall_seconds || finished_) return;
  double now = options_.wall_seconds();
  if (options_.live) {
    err_ << "\r" << Line(done, now) << "\x1b[K" << std::flush;
    return;
  }
  // The last count is Finish's to tell.
  if (done > 0 && (done >= total_ || now - last_line_ < options_.every_seconds)) return;
  last_line_ = now;
  err_ << Line(done, now) << "\n" << std::flush;
}

void Progress::Finish() {
  if (!options_.wall_seconds || finished_) return;
  finished_ = true;
  double now = options_.wall_seconds();
  err_ << (options_.live ? "\r" : "") << Line(done_, now) << (options_.live ? "\x1b[K\n" : "\n") << std::flush;
}

std::vector<SimRunResult> RunInBatches(const SimRunner& runner, const std::vector<SimRun>& runs, int jobs,
                                       Progress& progress, const AfterBatch& after_batch) {
  const size_t batch = static_cast<size_t>(std::max(1, jobs)) * 2;
  std::vector<SimRunResult> results;
  progress.Update(0);
  for (size_t first = 0; first < runs.size(); first += batch) {
    std::vector<SimRun> part(runs.begin() + first, runs.begin() + std::min(runs.size(), first + batch));
    std::vector<SimRunResult> done = runner(part, jobs);
    done.resize(part.size());  // a runner that returned too few: the rest never ran (exit -1)
    results.insert(results.end(), done.begin(), done.end());
    progress.Update(results.size());
    if (after_batch && !after_batch(first, done)) break;
  }
  return results;
}

}  // namespace qsim::reports
