// What a sweep shard's folder says about the sweep, read back by `merge` (and
// by the unsharded sweep, which merges its own folder): sweep.meta's text and
// summaries.csv's rows. Pure functions over text and tables, no files, so the
// fuzz target `sweep_meta` drives exactly what merge runs on a shard.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runfolder/csv.h"

namespace qsim::reports {

// sweep.meta's line naming the shard ("shard: 1/4"), and summaries.csv's
// point field of the unmodified scenario's runs.
inline constexpr const char* kShardPrefix = "shard: ";
inline constexpr const char* kBaselineLabel = "baseline";

// The most points one sweep's grid may have (docs/limits.md): every point
// runs --seeds simulations, and sweep.html draws a cell per point.
inline constexpr size_t kMaxGridPoints = 10000;

// One --grid KEY=V1,V2,...: a dotted scenario key and its values.
struct GridAxis {
  std::string key;
  std::vector<std::string> values;
};

// Parses "policy.disable_preemption=true,false".
StatusOr<GridAxis> ParseGridAxis(const std::string& text);

// Parses "I/N" (0 <= I < N).
StatusOr<std::pair<int, int>> ParseShard(const std::string& text);

// The number of points of `grid`, or an error when it passes kMaxGridPoints
// (checked axis by axis, so no product overflows).
Status CheckGridSize(const std::vector<GridAxis>& grid);

// The grid's points in order (the first axis varies slowest); each point is
// one value per axis. The grid must pass CheckGridSize.
std::vector<std::vector<std::string>> GridPoints(const std::vector<GridAxis>& grid);

// What merge needs back from sweep.meta.
struct SweepMeta {
  std::vector<GridAxis> grid;
  int seeds = 0;
  uint64_t first_seed = 0;
  double alpha = 0;
};

// Parses sweep.meta's text (its shard line and the lines only people read
// are skipped): grid within
// kMaxGridPoints, seeds and first_seed within the range compare and sweep
// accept, alpha strictly between 0 and 1. Errors name `file` and the line.
StatusOr<SweepMeta> ParseSweepMeta(const std::string& text, const std::string& file);

// sweep.meta split into the sweep's description (every line but the shard
// line, identical in all shards of one sweep) and the shard it names.
struct ShardMeta {
  std::string meta;
  int shard = 0;
  int shards = 1;
};
StatusOr<ShardMeta> SplitShardMeta(const std::string& text, const std::string& file);

// A run of the sweep: a point (-1 = the baseline) and the index of its seed.
struct RunKey {
  long point = -1;
  size_t seed_index = 0;
  bool operator<(const RunKey& o) const {
    return point != o.point ? point < o.point : seed_index < o.seed_index;
  }
};

// "baseline" or the point's number, as summaries.csv's point column says it.
std::string PointField(long point);

// summaries.csv in memory: its header and each run's summary rows.
struct Summaries {
  std::vector<std::string> header;  // "point", "seed", then summary.csv's columns
  std::map<RunKey, std::vector<std::vector<std::string>>> runs;
};

// Checks summaries.csv's columns: point, seed, account, then the metrics.
Status CheckSummariesHeader(const runfolder::CsvTable& table);

// A shard's summaries.csv with the folder that holds it.
struct ShardSummaries {
  std::string dir;
  runfolder::CsvTable table;  // passed CheckSummariesHeader
};

// Every run's summary rows from the shards, each run held by exactly one
// shard, none missing; `holder` says which folder held each run. Errors name
// the file and row.
StatusOr<Summaries> CollectSweepRuns(const std::vector<ShardSummaries>& shards, const SweepMeta& meta,
                                     std::map<RunKey, std::string>& holder);

}  // namespace qsim::reports
