#include "reports/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "reports/compare.h"
#include "reports/html.h"
#include "reports/run_data.h"
#include "reports/runner.h"
#include "reports/svg.h"
#include "reports/yaml_util.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "runfolder/manifest.h"

namespace qsim::reports {
namespace {

constexpr const char* kShardPrefix = "shard: ";

std::string GridLine(const GridAxis& axis) {
  std::string line = "grid: " + axis.key + "=";
  for (size_t i = 0; i < axis.values.size(); ++i) line += (i ? "," : "") + axis.values[i];
  return line;
}

// The description of a sweep, identical in every shard but for the shard line.
std::string MetaText(const SweepOptions& o, const std::vector<GridAxis>& grid, size_t points) {
  std::string meta = "scenario: " + o.scenario + "\n";
  meta += "seeds: " + std::to_string(o.seeds) + "\n";
  meta += "first_seed: " + std::to_string(o.first_seed) + "\n";
  meta += "alpha: " + runfolder::FormatNumber(o.alpha) + "\n";
  meta += "gates: " + (o.gates.empty() ? std::string("(the scenario's gate: section, else the defaults)") : o.gates) + "\n";
  for (const GridAxis& axis : grid) meta += GridLine(axis) + "\n";
  meta += "points: " + std::to_string(points) + "\n";
  return meta;
}

std::vector<GridAxis> GridFromMeta(const std::string& meta) {
  std::vector<GridAxis> grid;
  for (const std::string& line : SplitString(meta, '\n')) {
    if (line.rfind("grid: ", 0) == 0) {
      StatusOr<GridAxis> axis = ParseGridAxis(line.substr(6));
      if (axis.ok()) grid.push_back(*axis);
    }
  }
  return grid;
}

std::vector<std::string> SweepHeader(const std::vector<GridAxis>& grid) {
  std::vector<std::string> header = {"point"};
  for (const GridAxis& axis : grid) header.push_back(axis.key);
  for (const std::string& h : CompareCsvHeader()) header.push_back(h);
  return header;
}

// The heatmaps: the fleet's relative change per metric, one cell per point.
std::string SweepHtml(const std::string& meta, const std::vector<GridAxis>& grid,
                      const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  HtmlPage page("qsim sweep");
  page.AddPreformatted(meta);
  int c_account = -1, c_metric = -1, c_base = -1, c_delta = -1, c_sig = -1, c_verdict = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& h = header[i];
    if (h == "account") c_account = static_cast<int>(i);
    if (h == "metric") c_metric = static_cast<int>(i);
    if (h == "baseline_median") c_base = static_cast<int>(i);
    if (h == "delta") c_delta = static_cast<int>(i);
    if (h == "significant") c_sig = static_cast<int>(i);
    if (h == "verdict") c_verdict = static_cast<int>(i);
  }
  size_t columns = grid.empty() ? 1 : grid.back().values.size();
  std::vector<std::string> x_labels, y_labels;
  if (!grid.empty()) {
    for (const std::string& v : grid.back().values) x_labels.push_back(v);
  }
  for (const std::vector<std::string>& point : GridPoints(grid)) {
    if (grid.size() < 2) {
      y_labels = {"(all)"};
      break;
    }
    std::string label;
    for (size_t k = 0; k + 1 < grid.size(); ++k) label += (k ? ", " : "") + grid[k].key + "=" + point[k];
    if (y_labels.empty() || y_labels.back() != label) y_labels.push_back(label);
  }
  page.AddParagraph("Each cell: the fleet's change against the baseline, as a percentage of the "
                    "baseline median (Hodges-Lehmann shift); * significant after Holm, ~ not; "
                    "! a gated regression.");
  int index = 0;
  for (const std::string& metric : StatisticalMetrics()) {
    svg::Heatmap map;
    map.id = "sweep-" + std::to_string(index++);
    map.title = metric + ": change vs baseline (fleet)";
    map.x_label = grid.empty() ? "" : grid.back().key;
    map.y_label = grid.size() < 2 ? "" : "other keys";
    map.x_labels = x_labels;
    map.y_labels = y_labels;
    map.unit = "%";
    map.values.assign(y_labels.size(), std::vector<std::optional<double>>(columns));
    map.cell_text.assign(y_labels.size(), std::vector<std::string>(columns, "not run"));
    for (const auto& row : rows) {
      if (row[c_account] != "*" || row[c_metric] != metric) continue;
      size_t point = std::stoul(row[0]);
      size_t r = point / columns, c = point % columns;
      if (r >= map.values.size()) continue;
      StatusOr<std::optional<double>> base = runfolder::ParseNumberField(row[c_base]);
      StatusOr<std::optional<double>> delta = runfolder::ParseNumberField(row[c_delta]);
      std::string mark = row[c_sig] == "*" ? " *" : " ~";
      if (row[c_verdict] == "REGRESSION") mark += " !";
      if (base.ok() && delta.ok() && *base && *delta && **base != 0) {
        double percent = **delta / std::fabs(**base) * 100;
        map.values[r][c] = percent;
        // Three significant digits are plenty for a cell; the CSV keeps six.
        char text[32];
        std::snprintf(text, sizeof text, "%+.3g%%", percent);
        map.cell_text[r][c] = (percent == 0 ? std::string("0%") : std::string(text)) + mark;
      } else {
        map.cell_text[r][c] = "n/a" + (delta.ok() && *delta ? " (" + runfolder::FormatNumber(**delta) + ")" : std::string());
      }
    }
    page.AddChart(map.id, svg::RenderHeatmap(map));
  }
  page.AddHeading("All rows");
  page.AddTable(header, rows);
  return page.Render();
}

Status WriteSweepOutputs(const std::string& out_dir, const std::string& meta, const std::vector<GridAxis>& grid,
                         const std::vector<std::vector<std::string>>& rows) {
  QSIM_RETURN_IF_ERROR(runfolder::MakeDirectories(out_dir));
  std::vector<std::string> header = SweepHeader(grid);
  std::string csv = runfolder::CsvLine(header);
  for (const auto& row : rows) csv += runfolder::CsvLine(row);
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(RunFile(out_dir, "sweep.csv"), csv));
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(RunFile(out_dir, "sweep.meta"), meta));
  return runfolder::WriteTextFile(RunFile(out_dir, "sweep.html"), SweepHtml(meta, grid, header, rows));
}

bool AnyRegression(const std::vector<std::vector<std::string>>& rows) {
  for (const auto& row : rows) {
    if (!row.empty() && row.back() == "REGRESSION") return true;
  }
  return false;
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

namespace {

// The --grid options as axes; a key given twice is an error.
StatusOr<std::vector<GridAxis>> ParseGrid(const std::vector<std::string>& texts) {
  std::vector<GridAxis> grid;
  std::set<std::string> keys;
  for (const std::string& text : texts) {
    StatusOr<GridAxis> axis = ParseGridAxis(text);
    if (!axis.ok()) return axis.status();
    if (!keys.insert(axis->key).second) return InvalidArgument("--grid key \"" + axis->key + "\" given twice");
    grid.push_back(*axis);
  }
  return grid;
}

// Writes the scenario of each point in `mine` to OUT/points/point-P.yaml
// (the baseline with the point's grid values set) and returns the files.
StatusOr<std::vector<std::string>> WritePointScenarios(const SweepOptions& o, const YAML::Node& base,
                                                       const std::vector<GridAxis>& grid,
                                                       const std::vector<std::vector<std::string>>& points,
                                                       const std::vector<size_t>& mine) {
  std::vector<std::string> files;
  if (!mine.empty()) QSIM_RETURN_IF_ERROR(runfolder::MakeDirectories(RunFile(o.out_dir, "points")));
  for (size_t p : mine) {
    YAML::Node scenario = base;
    for (size_t k = 0; k < grid.size(); ++k) {
      StatusOr<YAML::Node> set = SetDotted(scenario, grid[k].key, points[p][k]);
      if (!set.ok()) return Status(set.status()).WithContext(o.scenario);
      scenario = *set;
    }
    files.push_back(RunFile(o.out_dir, "points/point-" + std::to_string(p) + ".yaml"));
    QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(files.back(), EmitYaml(AnchorRelativePaths(scenario, o.scenario))));
  }
  return files;
}

}  // namespace

int RunSweepCommand(const SweepOptions& o, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "qsim sweep: " << s.message() << "\n";
    return ExitStatusFor(s.code());
  };
  if (o.grid.empty()) return fail(InvalidArgument("give at least one --grid KEY=V1,V2,..."));
  if (o.seeds < 1) return fail(InvalidArgument("--seeds must be >= 1"));
  if (!o.runner) return fail(Internal("sweep: no simulation runner"));
  StatusOr<std::pair<int, int>> shard = ParseShard(o.shard);
  if (!shard.ok()) return fail(shard.status());
  const auto [shard_index, shards] = *shard;
  StatusOr<std::vector<GridAxis>> grid_or = ParseGrid(o.grid);
  if (!grid_or.ok()) return fail(grid_or.status());
  const std::vector<GridAxis>& grid = *grid_or;
  StatusOr<YAML::Node> base = LoadYamlFile(o.scenario);
  if (!base.ok()) return fail(base.status());
  StatusOr<std::vector<Gate>> gates = ResolveGates(o.gates, {o.scenario});
  if (!gates.ok()) return fail(gates.status());
  Status made = runfolder::MakeDirectories(o.out_dir);
  if (!made.ok()) return fail(made);

  std::vector<std::vector<std::string>> points = GridPoints(grid);
  std::vector<size_t> mine;
  for (size_t p = 0; p < points.size(); ++p) {
    if (InShard(p, shard_index, shards)) mine.push_back(p);
  }
  StatusOr<std::vector<std::string>> point_files = WritePointScenarios(o, *base, grid, points, mine);
  if (!point_files.ok()) return fail(point_files.status());

  std::vector<uint64_t> seeds = SeedList(o.first_seed, o.seeds);
  std::vector<SimRun> runs;
  for (uint64_t seed : seeds) {
    runs.push_back({o.scenario, seed, RunFile(o.out_dir, "runs/baseline/seed-" + std::to_string(seed))});
  }
  for (size_t i = 0; i < mine.size(); ++i) {
    for (uint64_t seed : seeds) {
      runs.push_back({(*point_files)[i], seed,
                      RunFile(o.out_dir, "runs/point-" + std::to_string(mine[i]) + "/seed-" + std::to_string(seed))});
    }
  }
  StatusOr<std::vector<RunSummary>> summaries = ReadSummaries(runs, o.runner(runs, o.jobs));
  if (!summaries.ok()) return fail(summaries.status());
  size_t n = seeds.size();
  std::vector<RunSummary> baseline(summaries->begin(), summaries->begin() + n);

  std::vector<std::vector<std::string>> rows;
  std::set<std::string> warned;  // most warnings (too few seeds) repeat at every point
  for (size_t i = 0; i < mine.size(); ++i) {
    std::vector<RunSummary> candidate(summaries->begin() + n * (i + 1), summaries->begin() + n * (i + 2));
    CompareResult result = CompareSummaries(baseline, candidate, *gates, o.alpha);
    for (const std::string& w : result.warnings) {
      if (warned.insert(w).second) err << "qsim sweep: warning: " << w << "\n";
    }
    for (const CompareRow& row : result.rows) {
      std::vector<std::string> fields = {std::to_string(mine[i])};
      for (const std::string& v : points[mine[i]]) fields.push_back(v);
      for (const std::string& f : CompareCsvFields(row)) fields.push_back(f);
      rows.push_back(std::move(fields));
    }
  }
  std::string meta = MetaText(o, grid, points.size());
  if (shards > 1) meta += kShardPrefix + std::to_string(shard_index) + "/" + std::to_string(shards) + "\n";
  Status s = WriteSweepOutputs(o.out_dir, meta, grid, rows);
  if (!s.ok()) return fail(s);
  out << "sweep: " << mine.size() << " of " << points.size() << " points x " << o.seeds << " seeds; wrote "
      << RunFile(o.out_dir, "sweep.csv") << " and sweep.html\n";
  return AnyRegression(rows) ? 1 : 0;
}

int RunMergeCommand(const std::vector<std::string>& shard_dirs, const std::string& out_dir, std::ostream& out,
                    std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "qsim merge: " << s.message() << "\n";
    return ExitStatusFor(s.code());
  };
  if (shard_dirs.empty()) return fail(InvalidArgument("give the shard output folders"));
  if (Status s = runfolder::RequireOutputNotAnInput(out_dir, shard_dirs); !s.ok()) return fail(s);
  std::map<std::string, std::string> point_shard;  // point index -> the shard folder holding its rows
  std::string common_meta;
  int shard_count = -1;
  std::set<int> seen_shards;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  for (const std::string& dir : shard_dirs) {
    StatusOr<std::string> meta = runfolder::ReadTextFile(RunFile(dir, "sweep.meta"));
    if (!meta.ok()) {
      return fail(Status(meta.status().code(), meta.status().message() + " (not a sweep output folder?)"));
    }
    std::string stripped;
    std::string shard_text = "0/1";
    for (const std::string& line : SplitString(*meta, '\n')) {
      if (line.empty()) continue;
      if (line.rfind(kShardPrefix, 0) == 0) {
        shard_text = line.substr(std::string(kShardPrefix).size());
      } else {
        stripped += line + "\n";
      }
    }
    if (common_meta.empty()) common_meta = stripped;
    if (stripped != common_meta) {
      return fail(InvalidArgument(dir + ": its sweep.meta describes a different sweep than " + shard_dirs[0]));
    }
    StatusOr<std::pair<int, int>> shard = ParseShard(shard_text);
    if (!shard.ok()) return fail(InvalidArgument(dir + "/sweep.meta: " + shard.status().message()));
    if (shard_count >= 0 && shard->second != shard_count) {
      return fail(InvalidArgument(dir + ": shard count differs from the others"));
    }
    shard_count = shard->second;
    if (!seen_shards.insert(shard->first).second) {
      return fail(InvalidArgument(dir + ": shard " + shard_text + " given twice"));
    }
    StatusOr<runfolder::CsvTable> table = runfolder::ReadCsvFile(RunFile(dir, "sweep.csv"));
    if (!table.ok()) return fail(table.status());
    if (header.empty()) header = table->header;
    if (table->header != header) return fail(InvalidArgument(table->path + ": header differs from the other shards"));
    for (auto& row : table->rows) {
      auto [owner, fresh] = point_shard.emplace(row[0], dir);
      if (!fresh && owner->second != dir) {
        return fail(InvalidArgument(table->path + ": point " + row[0] + " is also in " + owner->second +
                                    ": the shards overlap"));
      }
      rows.push_back(std::move(row));
    }
  }
  if (static_cast<int>(seen_shards.size()) != shard_count) {
    return fail(InvalidArgument("have " + std::to_string(seen_shards.size()) + " of " + std::to_string(shard_count) +
                                " shards"));
  }
  std::vector<GridAxis> grid = GridFromMeta(common_meta);
  if (SweepHeader(grid) != header) {
    return fail(InvalidArgument("sweep.csv columns do not match the grid in sweep.meta"));
  }
  size_t total = GridPoints(grid).size();
  // Rows of one point are contiguous and ordered within their shard; a
  // stable sort by point index interleaves the shards back into grid order.
  std::map<size_t, int> points;
  for (const auto& row : rows) {
    if (row[0].empty() || row[0].find_first_not_of("0123456789") != std::string::npos || std::stoul(row[0]) >= total) {
      return fail(InvalidArgument("sweep.csv: bad point index \"" + row[0] + "\""));
    }
    points[std::stoul(row[0])] = 1;
  }
  if (points.size() != total) {
    return fail(InvalidArgument("the shards hold " + std::to_string(points.size()) + " of " + std::to_string(total) +
                                " points"));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return std::stoul(a[0]) < std::stoul(b[0]); });
  Status s = WriteSweepOutputs(out_dir, common_meta, grid, rows);
  if (!s.ok()) return fail(s);
  out << "merged " << shard_dirs.size() << " shards (" << total << " points) into " << RunFile(out_dir, "sweep.csv")
      << "\n";
  return AnyRegression(rows) ? 1 : 0;
}

}  // namespace qsim::reports
