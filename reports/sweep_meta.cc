#include "reports/sweep_meta.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <string_view>

#include "reports/compare.h"
#include "reports/runner.h"
#include "reports/yaml_util.h"

namespace qsim::reports {
namespace {

// A whole number written in decimal digits only, within uint64_t.
std::optional<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The sweep.meta fields merge reads, each allowed once.
struct MetaFields {
  SweepMeta meta;
  std::set<std::string> seen;
};

// Reads one line of sweep.meta into `f`; lines merge does not need
// (scenario, gates, points) are kept only as text.
Status ReadMetaLine(const std::string& line, const std::string& where, MetaFields& f) {
  const size_t colon = line.find(": ");
  if (colon == std::string::npos) return Status::Ok();
  const std::string name = line.substr(0, colon), v = line.substr(colon + 2);
  auto bad = [&](const std::string& why) { return InvalidArgument(where + ": bad " + name + " line: " + why); };
  if ((name == "seeds" || name == "first_seed" || name == "alpha") && !f.seen.insert(name).second) {
    return InvalidArgument(where + ": " + name + " given twice");
  }
  if (name == "grid") {
    StatusOr<GridAxis> axis = ParseGridAxis(v);
    if (!axis.ok()) return InvalidArgument(where + ": " + axis.status().message());
    for (const GridAxis& other : f.meta.grid) {
      if (other.key == axis->key) return InvalidArgument(where + ": grid key \"" + axis->key + "\" given twice");
    }
    f.meta.grid.push_back(std::move(*axis));
    if (Status size = CheckGridSize(f.meta.grid); !size.ok()) return InvalidArgument(where + ": " + size.message());
  } else if (name == "seeds") {
    std::optional<uint64_t> n = ParseDecimal(v);
    if (!n || *n < 1 || *n > static_cast<uint64_t>(kMaxSeeds)) {
      return bad("expected a whole number from 1 to " + std::to_string(kMaxSeeds) + ", got \"" + v + "\"");
    }
    f.meta.seeds = static_cast<int>(*n);
  } else if (name == "first_seed") {
    std::optional<uint64_t> n = ParseDecimal(v);
    if (!n) return bad("expected a whole number from 0 to 2^63-1, got \"" + v + "\"");
    f.meta.first_seed = *n;
  } else if (name == "alpha") {
    StatusOr<std::optional<double>> a = runfolder::ParseNumberField(v);
    if (!a.ok() || !*a || !std::isfinite(**a) || !(**a > 0 && **a < 1)) {
      return bad("expected a number strictly between 0 and 1, got \"" + v + "\"");
    }
    f.meta.alpha = **a;
  }
  return Status::Ok();
}

}  // namespace

StatusOr<GridAxis> ParseGridAxis(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument("--grid \"" + text + "\": expected KEY=V1,V2,...");
  }
  GridAxis axis;
  axis.key = text.substr(0, eq);
  axis.values = SplitString(text.substr(eq + 1), ',');
  for (const std::string& v : axis.values) {
    if (v.empty()) return InvalidArgument("--grid \"" + text + "\": empty value");
  }
  std::set<std::string> unique(axis.values.begin(), axis.values.end());
  if (unique.size() != axis.values.size()) return InvalidArgument("--grid \"" + text + "\": repeated value");
  return axis;
}

StatusOr<std::pair<int, int>> ParseShard(const std::string& text) {
  std::vector<std::string> parts = SplitString(text, '/');
  auto bad = [&] { return InvalidArgument("--shard \"" + text + "\": expected I/N with 0 <= I < N"); };
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) return bad();
  for (const std::string& p : parts) {
    if (p.size() > 6 || p.find_first_not_of("0123456789") != std::string::npos) return bad();
  }
  int i = std::stoi(parts[0]), n = std::stoi(parts[1]);
  if (n < 1 || i >= n) return bad();
  return std::make_pair(i, n);
}

Status CheckGridSize(const std::vector<GridAxis>& grid) {
  size_t points = 1;
  for (const GridAxis& axis : grid) {
    // values.size() >= 1 (ParseGridAxis), and points <= kMaxGridPoints
    // before each step, so the product below cannot overflow.
    if (axis.values.size() > kMaxGridPoints || points * axis.values.size() > kMaxGridPoints) {
      return InvalidArgument("the grid has more than " + std::to_string(kMaxGridPoints) +
                             " points (the product of every --grid's value count; docs/limits.md)");
    }
    points *= axis.values.size();
  }
  return Status::Ok();
}

std::vector<std::vector<std::string>> GridPoints(const std::vector<GridAxis>& grid) {
  std::vector<std::vector<std::string>> points = {{}};
  for (const GridAxis& axis : grid) {
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : points) {
      for (const std::string& v : axis.values) {
        next.push_back(prefix);
        next.back().push_back(v);
      }
    }
    points = std::move(next);
  }
  return points;
}

StatusOr<SweepMeta> ParseSweepMeta(const std::string& text, const std::string& file) {
  MetaFields f;
  const std::vector<std::string> lines = SplitString(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    QSIM_RETURN_IF_ERROR(ReadMetaLine(lines[i], file + ":" + std::to_string(i + 1), f));
  }
  if (f.meta.grid.empty() || f.seen.size() != 3) {
    return InvalidArgument(file + ": not a complete sweep description (grid, seeds, first_seed, alpha)");
  }
  if (Status range = CheckSeedRange(f.meta.first_seed, f.meta.seeds); !range.ok()) {
    return InvalidArgument(file + ": " + range.message());
  }
  return f.meta;
}

StatusOr<ShardMeta> SplitShardMeta(const std::string& text, const std::string& file) {
  ShardMeta m;
  std::string shard_text = "0/1";
  bool have_shard = false;
  for (const std::string& line : SplitString(text, '\n')) {
    if (line.empty()) continue;
    if (line.rfind(kShardPrefix, 0) == 0) {
      if (have_shard) return InvalidArgument(file + ": more than one shard line");
      have_shard = true;
      shard_text = line.substr(std::string(kShardPrefix).size());
    } else {
      m.meta += line + "\n";
    }
  }
  StatusOr<std::pair<int, int>> shard = ParseShard(shard_text);
  if (!shard.ok()) return InvalidArgument(file + ": " + shard.status().message());
  m.shard = shard->first;
  m.shards = shard->second;
  return m;
}

std::string PointField(long point) { return point < 0 ? kBaselineLabel : std::to_string(point); }

Status CheckSummariesHeader(const runfolder::CsvTable& table) {
  if (table.header.size() < 3 || table.header[0] != "point" || table.header[1] != "seed" ||
      table.header[2] != "account") {
    return InvalidArgument(table.path + ": expected the columns point, seed, account, ...");
  }
  return Status::Ok();
}

StatusOr<Summaries> CollectSweepRuns(const std::vector<ShardSummaries>& shards, const SweepMeta& meta,
                                     std::map<RunKey, std::string>& holder) {
  QSIM_RETURN_IF_ERROR(CheckGridSize(meta.grid));
  QSIM_RETURN_IF_ERROR(CheckSeedRange(meta.first_seed, meta.seeds));
  const size_t points = GridPoints(meta.grid).size();
  std::vector<uint64_t> seeds = SeedList(meta.first_seed, meta.seeds);
  std::map<std::string, size_t> seed_index;
  for (size_t i = 0; i < seeds.size(); ++i) seed_index[std::to_string(seeds[i])] = i;
  Summaries all;
  for (const ShardSummaries& f : shards) {
    QSIM_RETURN_IF_ERROR(CheckSummariesHeader(f.table));
    if (all.header.empty() || !f.table.rows.empty()) all.header = f.table.header;
    for (size_t r = 0; r < f.table.rows.size(); ++r) {
      const std::vector<std::string>& row = f.table.rows[r];
      std::string where = f.table.path + ":" + std::to_string(r + 2);
      if (row.size() != f.table.header.size()) return InvalidArgument(where + ": expected " + std::to_string(f.table.header.size()) + " fields");
      RunKey key;
      if (row[0] != kBaselineLabel) {
        std::optional<uint64_t> point = row[0].size() > 9 ? std::nullopt : ParseDecimal(row[0]);
        if (!point || *point >= points) return InvalidArgument(where + ": bad point \"" + row[0] + "\"");
        key.point = static_cast<long>(*point);
      }
      auto seed = seed_index.find(row[1]);
      if (seed == seed_index.end()) return InvalidArgument(where + ": seed \"" + row[1] + "\" is not in the sweep");
      key.seed_index = seed->second;
      auto [it, added] = holder.emplace(key, f.dir);
      if (!added && it->second != f.dir) {
        return InvalidArgument(f.dir + " and " + it->second + " both hold point " + row[0] + " seed " + row[1] +
                               ": overlapping shards");
      }
      all.runs[key].push_back(row);
    }
  }
  for (long point = -1; point < static_cast<long>(points); ++point) {
    for (size_t s = 0; s < seeds.size(); ++s) {
      if (!all.runs.count({point, s})) {
        return InvalidArgument("no shard holds point " + PointField(point) + " seed " + std::to_string(seeds[s]) +
                               " (an incomplete or mismatched shard)");
      }
    }
  }
  return all;
}

}  // namespace qsim::reports
