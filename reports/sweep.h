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
#include "reports/progress.h"
#include "reports/runner.h"
#include "reports/sweep_meta.h"

namespace qsim::reports {

// Whether run `index` (see RunSweepCommand) belongs to shard `shard` of
// `shards` (round robin).
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
  // Keep every run folder, with all the scenario's outputs, under OUT/runs.
  // Otherwise runs write only tasks.csv and summary.csv and each folder is
  // removed once its summary is read (failed runs are kept).
  bool keep_runs = false;
  ProgressOptions progress;  // default: silent
  SimRunner runner;          // REQUIRED
  ScenarioValidator validator;  // optional: every scenario checked before any run
};

// The runs of a sweep, in one fixed order: the baseline's seeds, then each
// point's seeds (the first --grid varies slowest). Run k belongs to shard
// k % N, so the baseline runs once in the whole sweep and every shard gets a
// similar share of the work.
//
// Every sweep writes OUT/summaries.csv (each run's summary.csv rows, keyed by
// point and seed), OUT/sweep.gates.yaml (the gates in force) and, last, as its
// completion marker, OUT/sweep.meta. The unsharded sweep (--shard 0/1) then
// does what `merge` does with one folder: computes the statistics of every
// point against the baseline and writes sweep.csv, sweep.json and sweep.html,
// prints the table and the verdict. A shard of several stops after its
// summaries (it cannot judge points whose runs other shards hold) and exits 0.
//
// Returns 0 (no gated regression, or a shard that finished), 1 (a point has a
// gated regression: the points and metrics are named on stdout and stderr),
// or ExitStatusFor the error (2 bad input, 3 a run or write that failed).
int RunSweepCommand(const SweepOptions& options, std::ostream& out, std::ostream& err);

// Joins the folders of all shards of one sweep into out_dir: checks that they
// describe the same sweep (sweep.meta, sweep.gates.yaml, columns), that every
// shard finished and that every run is held by exactly one of them, then
// writes what the unsharded sweep writes, byte for byte. Returns 0, 1 (a point
// regressed), 2 (inconsistent, overlapping or incomplete shards) or 3 (a
// failed read or write).
int RunMergeCommand(const std::vector<std::string>& shard_dirs, const std::string& out_dir, std::ostream& out,
                    std::ostream& err);

}  // namespace qsim::reports
