// `qsim sweep` and `qsim merge`: a grid of scenario variants, each compared
// against the unmodified scenario, optionally split into shards that `merge`
// joins into exactly the bytes the unsharded sweep writes.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "reports/runner.h"

namespace qsim::reports {

// One --grid KEY=V1,V2,...: a dotted scenario key and its values.
struct GridAxis {
  std::string key;
  std::vector<std::string> values;
};

// Parses "policy.disable_preemption=true,false".
StatusOr<GridAxis> ParseGridAxis(const std::string& text);

// Parses "I/N" (0 <= I < N).
StatusOr<std::pair<int, int>> ParseShard(const std::string& text);

// The grid's points in order (the first axis varies slowest); each point is
// one value per axis.
std::vector<std::vector<std::string>> GridPoints(const std::vector<GridAxis>& grid);

// Whether point `index` belongs to shard `shard` of `shards` (round robin, so
// each shard gets a similar mix of the grid).
inline bool InShard(size_t index, int shard, int shards) {
  return static_cast<int>(index % static_cast<size_t>(shards)) == shard;
}

struct SweepOptions {
  std::string scenario;
  std::vector<std::string> grid;  // "KEY=V1,V2,..." each
  std::string shard = "0/1";      // "I/N"
  int seeds = 10;
  uint64_t first_seed = 1;
  int jobs = 2;
  std::string out_dir = "sweep-out";
  std::string gates;  // optional gate file
  double alpha = 0.05;
  SimRunner runner;  // REQUIRED
};

// Runs the baseline and the shard's points, writes sweep.csv, sweep.html and
// sweep.meta into out_dir. Returns 0 (no gated regression), 1, or ExitStatusFor
// the error.
int RunSweepCommand(const SweepOptions& options, std::ostream& out, std::ostream& err);

// Joins the outputs of all shards of one sweep into out_dir. Returns 0, 1 (a
// point regressed), 2 (inconsistent or incomplete shards) or 3 (a failed write).
int RunMergeCommand(const std::vector<std::string>& shard_dirs, const std::string& out_dir, std::ostream& out,
                    std::ostream& err);

}  // namespace qsim::reports
