#include "reports/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "reports/compare.h"
#include "reports/html.h"
#include "reports/run_data.h"
#include "reports/runner.h"
#include "reports/svg.h"
#include "reports/sweep_meta.h"
#include "reports/yaml_util.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "runfolder/manifest.h"

namespace qsim::reports {
namespace {

constexpr const char* kMetaFile = "sweep.meta";
constexpr const char* kGatesFile = "sweep.gates.yaml";
constexpr const char* kSummariesFile = "summaries.csv";

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
  meta += std::string("gates: ") + kGatesFile + " (" +
          (o.gates.empty() ? std::string("the scenario's gate: section, else the defaults") : "from " + o.gates) +
          ")\n";
  for (const GridAxis& axis : grid) meta += GridLine(axis) + "\n";
  meta += "points: " + std::to_string(points) + "\n";
  return meta;
}

std::vector<std::string> SweepHeader(const std::vector<GridAxis>& grid) {
  std::vector<std::string> header = {"point"};
  for (const GridAxis& axis : grid) header.push_back(axis.key);
  for (const std::string& h : CompareCsvHeader()) header.push_back(h);
  return header;
}

// -1: lower is better; +1: higher is better; 0: no preferred direction.
int BetterDirection(const std::string& metric) {
  if (metric == "throughput_per_hour" || metric == "utilisation" || metric == "completed") return 1;
  if (metric.rfind("wait_", 0) == 0 || metric == "preemptions" || metric == "wasted_bot_seconds" ||
      metric == "timeouts" || metric == "lost" || metric == "invariant_violations" || metric == "failed") {
    return -1;
  }
  return 0;
}

// "better", "worse" for a significant change with a known good direction;
// "" otherwise.
std::string Effect(const CompareRow& row) {
  if (!row.significant || !row.delta || *row.delta == 0) return "";
  int better = BetterDirection(row.metric);
  if (better == 0) return "";
  return (*row.delta > 0) == (better > 0) ? "better" : "worse";
}

// The change as a percentage of the baseline median (statistical rows with a
// non-zero baseline median).
std::optional<double> ChangePercent(const CompareRow& row) {
  if (row.exact || !row.delta || !row.baseline_median || *row.baseline_median == 0) return std::nullopt;
  return *row.delta / std::fabs(*row.baseline_median) * 100;
}

std::string FormatPercent(double percent) {
  if (percent == 0) return "0%";
  char text[48];
  // Three significant digits, but no exponent for large changes.
  std::snprintf(text, sizeof text, std::fabs(percent) >= 1000 ? "%+.0f%%" : "%+.3g%%", percent);
  return text;
}

std::string Num(const std::optional<double>& v) { return v ? runfolder::FormatNumber(*v) : ""; }

std::string ChangeText(const CompareRow& row) {
  if (std::optional<double> p = ChangePercent(row)) return FormatPercent(*p);
  if (!row.delta) return "";
  std::string d = runfolder::FormatNumber(*row.delta);
  return (*row.delta > 0 ? "+" : "") + d + (row.exact ? " total" : "");
}

std::string SignificanceMark(const CompareRow& row) {
  return row.exact ? (row.significant ? "!=" : "=") : (row.significant ? "*" : "~");
}

// One point of the grid, compared with the baseline.
struct PointResult {
  size_t point = 0;
  std::vector<std::string> values;  // one per axis
  CompareResult result;
  std::vector<std::string> regressions;  // "metric[account]" of each gated regression
  std::vector<std::string> undecided;    // "metric[account]" of each gate INCONCLUSIVE at this n
};

std::string PointLabel(const std::vector<GridAxis>& grid, const PointResult& p) {
  std::string label;
  for (size_t k = 0; k < grid.size(); ++k) label += (k ? ", " : "") + grid[k].key + "=" + p.values[k];
  return label;
}

// ----------------------------------------------------------------- sweep.csv

std::vector<std::vector<std::string>> CsvRows(const std::vector<PointResult>& points) {
  std::vector<std::vector<std::string>> rows;
  for (const PointResult& p : points) {
    for (const CompareRow& row : p.result.rows) {
      std::vector<std::string> fields = {std::to_string(p.point)};
      for (const std::string& v : p.values) fields.push_back(v);
      for (const std::string& f : CompareCsvFields(row)) fields.push_back(f);
      rows.push_back(std::move(fields));
    }
  }
  return rows;
}

// ----------------------------------------------------------------- sweep.json

std::string JsonString(const std::string& s) { return runfolder::JsonQuote(s); }

std::string JsonNumber(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? runfolder::FormatNumber(*v) : "null";
}

std::string SweepJson(const std::string& scenario, const SweepMeta& meta, const std::vector<PointResult>& points) {
  std::string j = "{\n";
  j += "  \"scenario\": " + JsonString(scenario) + ",\n";
  j += "  \"seeds\": " + std::to_string(meta.seeds) + ",\n";
  j += "  \"first_seed\": " + std::to_string(meta.first_seed) + ",\n";
  j += "  \"alpha\": " + runfolder::FormatNumber(meta.alpha) + ",\n";
  j += "  \"grid\": [";
  for (size_t k = 0; k < meta.grid.size(); ++k) {
    j += std::string(k ? ", " : "") + "{\"key\": " + JsonString(meta.grid[k].key) + ", \"values\": [";
    for (size_t v = 0; v < meta.grid[k].values.size(); ++v) j += (v ? ", " : "") + JsonString(meta.grid[k].values[v]);
    j += "]}";
  }
  j += "],\n";
  bool regression = false;
  std::string failing;
  for (const PointResult& p : points) {
    if (p.regressions.empty()) continue;
    failing += (regression ? ", " : "") + std::to_string(p.point);
    regression = true;
  }
  j += std::string("  \"regression\": ") + (regression ? "true" : "false") + ",\n";
  j += "  \"failing_points\": [" + failing + "],\n";
  j += "  \"points\": [\n";
  for (size_t i = 0; i < points.size(); ++i) {
    const PointResult& p = points[i];
    j += "    {\"point\": " + std::to_string(p.point) + ", \"values\": {";
    for (size_t k = 0; k < meta.grid.size(); ++k) {
      j += (k ? ", " : "") + JsonString(meta.grid[k].key) + ": " + JsonString(p.values[k]);
    }
    j += "}, \"regression\": " + std::string(p.regressions.empty() ? "false" : "true") + ", \"regressions\": [";
    for (size_t r = 0; r < p.regressions.size(); ++r) j += (r ? ", " : "") + JsonString(p.regressions[r]);
    j += "],\n     \"warnings\": [";
    for (size_t w = 0; w < p.result.warnings.size(); ++w) j += (w ? ", " : "") + JsonString(p.result.warnings[w]);
    j += "],\n     \"rows\": [\n";
    for (size_t r = 0; r < p.result.rows.size(); ++r) {
      const CompareRow& row = p.result.rows[r];
      j += "      {\"account\": " + JsonString(row.account) + ", \"metric\": " + JsonString(row.metric) +
           ", \"kind\": " + JsonString(row.exact ? "exact" : "wilcoxon") + ", \"pairs\": " + std::to_string(row.pairs) +
           ", \"baseline_median\": " + JsonNumber(row.baseline_median) +
           ", \"candidate_median\": " + JsonNumber(row.candidate_median) + ", \"delta\": " + JsonNumber(row.delta) +
           ", \"change_percent\": " + JsonNumber(ChangePercent(row)) + ", \"ci_low\": " + JsonNumber(row.ci_low) +
           ", \"ci_high\": " + JsonNumber(row.ci_high) + ", \"p\": " + JsonNumber(row.p_value) +
           ", \"p_holm\": " + JsonNumber(row.p_holm) +
           ", \"significant\": " + (row.significant ? "true" : "false") + ", \"effect\": " + JsonString(Effect(row)) +
           ", \"gate\": " + JsonString(row.gate) + ", \"verdict\": " + JsonString(row.verdict) + "}" +
           (r + 1 < p.result.rows.size() ? ",\n" : "\n");
    }
    j += "     ]}" + std::string(i + 1 < points.size() ? ",\n" : "\n");
  }
  j += "  ]\n}\n";
  return j;
}

// ----------------------------------------------------------------- sweep.html

constexpr const char* kFillRegression = "#b2182b";
constexpr const char* kFillWorse = "#f4a582";
constexpr const char* kFillNeutral = "#f7f7f7";
constexpr const char* kFillBetter = "#92c5de";

std::string CellFill(const CompareRow& row) {
  if (row.verdict == "REGRESSION") return kFillRegression;
  std::string effect = Effect(row);
  if (effect == "worse") return kFillWorse;
  if (effect == "better") return kFillBetter;
  return kFillNeutral;
}

// The heatmaps: one per metric, the fleet's change per point, coloured by
// better / worse and significance only (its size is the cell's text).
void AddHeatmaps(HtmlPage& page, const SweepMeta& meta, const std::vector<PointResult>& points) {
  const std::vector<GridAxis>& grid = meta.grid;
  size_t columns = grid.back().values.size();
  std::vector<std::string> y_labels;
  for (const std::vector<std::string>& point : GridPoints(grid)) {
    if (grid.size() < 2) {
      y_labels = {"(all)"};
      break;
    }
    std::string label;
    for (size_t k = 0; k + 1 < grid.size(); ++k) label += (k ? ", " : "") + grid[k].key + "=" + point[k];
    if (y_labels.empty() || y_labels.back() != label) y_labels.push_back(label);
  }
  page.AddHeading("The fleet's change per point");
  page.AddParagraph("Each cell: the fleet's change against the baseline as a percentage of the baseline median "
                    "(Hodges-Lehmann shift); * the 95% interval excludes 0, ~ it does not; ! a gated regression. The colour "
                    "says only whether a change is significant and whether it is better or worse; a change that "
                    "is not significant is neutral, however large.");
  int index = 0;
  for (const std::string& metric : StatisticalMetrics()) {
    svg::Heatmap map;
    map.id = "sweep-" + std::to_string(index++);
    int better = BetterDirection(metric);
    map.title = metric + ": change vs baseline (fleet; " + (better < 0 ? "lower" : "higher") + " is better)";
    map.x_label = grid.back().key;
    map.y_label = grid.size() < 2 ? "" : "other keys";
    map.x_labels = grid.back().values;
    map.y_labels = y_labels;
    map.unit = "%";
    map.values.assign(y_labels.size(), std::vector<std::optional<double>>(columns));
    map.cell_text.assign(y_labels.size(), std::vector<std::string>(columns, "not run"));
    map.cell_fill.assign(y_labels.size(), std::vector<std::string>(columns));
    map.legend = {{kFillRegression, "worse: gated regression"},
                  {kFillWorse, "worse, significant"},
                  {kFillNeutral, "not significant"},
                  {kFillBetter, "better, significant"},
                  {"#dddddd", "no value"}};
    for (const PointResult& p : points) {
      size_t r = p.point / columns, c = p.point % columns;
      if (r >= map.values.size()) continue;
      for (const CompareRow& row : p.result.rows) {
        if (row.account != "*" || row.metric != metric) continue;
        std::string mark = row.significant ? " *" : " ~";
        if (row.verdict == "REGRESSION") mark += " !";
        if (std::optional<double> percent = ChangePercent(row)) {
          map.values[r][c] = *percent;
          map.cell_fill[r][c] = CellFill(row);
          map.cell_text[r][c] = FormatPercent(*percent) + mark;
        } else {
          map.cell_text[r][c] = "n/a" + (row.delta ? " (" + runfolder::FormatNumber(*row.delta) + ")" : std::string());
        }
      }
    }
    page.AddChart(map.id, svg::RenderHeatmap(map));
  }
}

// The keys as legend entries have room for: the last part of each dotted key
// ("batch_window"), or the whole key where that part is a list index or is
// shared with another key.
std::vector<std::string> ShortKeys(const std::vector<GridAxis>& grid) {
  std::vector<std::string> names;
  for (const GridAxis& axis : grid) names.push_back(axis.key.substr(axis.key.rfind('.') + 1));
  const std::vector<std::string> last_parts = names;
  for (size_t k = 0; k < grid.size(); ++k) {
    bool numeric = names[k].find_first_not_of("0123456789") == std::string::npos;
    if (numeric || std::count(last_parts.begin(), last_parts.end(), names[k]) > 1) names[k] = grid[k].key;
  }
  return names;
}

// Per account, metric and swept key: the change against the baseline (0) at
// each value of the key, with its interval; one line per combination of the
// other keys' values.
void AddLineCharts(HtmlPage& page, const SweepMeta& meta, const std::vector<PointResult>& points, double alpha) {
  const std::vector<GridAxis>& grid = meta.grid;
  std::vector<std::string> accounts;
  for (const PointResult& p : points) {
    for (const CompareRow& row : p.result.rows) {
      if (std::find(accounts.begin(), accounts.end(), row.account) == accounts.end()) accounts.push_back(row.account);
    }
  }
  std::map<std::pair<std::string, std::string>, std::map<size_t, const CompareRow*>> by_metric;
  for (const PointResult& p : points) {
    for (const CompareRow& row : p.result.rows) by_metric[{row.account, row.metric}][p.point] = &row;
  }
  std::vector<std::vector<std::string>> all_points = GridPoints(grid);
  std::vector<std::string> short_keys = ShortKeys(grid);
  std::string level = runfolder::FormatNumber(100 * (1 - alpha));
  int index = 0;
  for (const std::string& account : accounts) {
    page.AddHeading("Account " + account + ": each metric against each swept key");
    page.AddParagraph("The change against the baseline (Hodges-Lehmann shift, in the metric's unit) with its " +
                      level + "% interval; the dashed line at 0 is the baseline. No bar: too few seeds for an "
                      "interval.");
    for (const std::string& metric : StatisticalMetrics()) {
      auto rows = by_metric.find({account, metric});
      if (rows == by_metric.end()) continue;
      for (size_t a = 0; a < grid.size(); ++a) {
        svg::XyChart chart;
        chart.id = "sweep-line-" + std::to_string(index++);
        chart.title = metric + " [" + account + "] against " + grid[a].key;
        chart.x.label = grid[a].key;
        chart.x.tick_labels = grid[a].values;
        chart.y.label = "change vs baseline";
        // One series per combination of the other keys, in grid order.
        std::map<std::string, size_t> series_of;
        for (size_t point = 0; point < all_points.size(); ++point) {
          std::string name;
          for (size_t k = 0; k < grid.size(); ++k) {
            if (k != a) name += (name.empty() ? "" : ", ") + short_keys[k] + "=" + all_points[point][k];
          }
          if (name.empty()) name = "change";
          auto [it, added] = series_of.emplace(name, chart.series.size());
          if (added) {
            svg::Series s;
            s.name = name;
            s.style = svg::SeriesStyle::kLine;
            size_t n = grid[a].values.size();
            s.x.resize(n);
            for (size_t v = 0; v < n; ++v) s.x[v] = static_cast<double>(v);
            s.y.assign(n, NAN);
            s.y_low.assign(n, NAN);
            s.y_high.assign(n, NAN);
            chart.series.push_back(std::move(s));
          }
          auto found = rows->second.find(point);
          if (found == rows->second.end()) continue;
          const CompareRow& row = *found->second;
          size_t v = std::find(grid[a].values.begin(), grid[a].values.end(), all_points[point][a]) -
                     grid[a].values.begin();
          svg::Series& s = chart.series[it->second];
          if (row.delta) s.y[v] = *row.delta;
          if (row.ci_low && row.ci_high) {
            s.y_low[v] = *row.ci_low;
            s.y_high[v] = *row.ci_high;
          }
        }
        svg::Series zero;
        zero.name = "baseline";
        zero.dashed = true;
        zero.color = 9;
        zero.x = {-0.5, static_cast<double>(grid[a].values.size()) - 0.5};
        zero.y = {0, 0};
        chart.series.push_back(std::move(zero));
        page.AddChart(chart.id, svg::RenderXyChart(chart));
      }
    }
  }
}

std::string SweepHtml(const std::string& meta_text, const SweepMeta& meta, const std::vector<PointResult>& points,
                      const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  HtmlPage page("qsim sweep");
  page.AddPreformatted(meta_text);
  std::vector<std::string> failing;
  for (const PointResult& p : points) {
    if (!p.regressions.empty()) failing.push_back(std::to_string(p.point));
  }
  if (failing.empty()) {
    page.AddParagraph("Verdict: no point has a gated regression.");
  } else {
    std::string list;
    for (const std::string& f : failing) list += (list.empty() ? "" : ", ") + f;
    page.AddNotice("Verdict: " + std::to_string(failing.size()) + " of " + std::to_string(points.size()) +
                   " points have a gated regression: point " + list + ".");
  }
  AddHeatmaps(page, meta, points);
  AddLineCharts(page, meta, points, meta.alpha);
  page.AddHeading("All rows");
  page.AddTable(header, rows);
  return page.Render();
}

// ----------------------------------------------------------------- stdout

// The table of rows worth a look (gated, or significant), then the verdict.
std::string SweepText(const SweepMeta& meta, const std::vector<PointResult>& points) {
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> head = {"point"};
  for (const GridAxis& axis : meta.grid) head.push_back(axis.key);
  for (const char* h : {"account", "metric", "baseline", "candidate", "change", "sig", "effect", "verdict"}) {
    head.push_back(h);
  }
  table.push_back(head);
  size_t hidden = 0;
  for (const PointResult& p : points) {
    for (const CompareRow& row : p.result.rows) {
      if (row.verdict.empty() && !row.significant) {
        ++hidden;
        continue;
      }
      std::vector<std::string> line = {std::to_string(p.point)};
      for (const std::string& v : p.values) line.push_back(v);
      for (const std::string& f : {row.account, row.metric, Num(row.baseline_median), Num(row.candidate_median),
                                   ChangeText(row), SignificanceMark(row), Effect(row), row.verdict}) {
        line.push_back(f);
      }
      table.push_back(std::move(line));
    }
  }
  std::vector<size_t> width(head.size(), 0);
  for (const auto& r : table) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  std::string text;
  for (const auto& r : table) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  text += "(gated or significant rows; " + std::to_string(hidden) +
          " more rows, ungated and not significant, are in sweep.csv)\n";
  text += std::to_string(points.size()) + " points x " + std::to_string(meta.seeds) + " seeds against the baseline; "
          "alpha " + runfolder::FormatNumber(meta.alpha) + " per point; change = Hodges-Lehmann shift in % of the "
          "baseline median; * the 95% interval excludes 0, ~ it does not (docs/statistics.md)\n";
  size_t failing = 0, undecided = 0;
  for (const PointResult& p : points) {
    failing += p.regressions.empty() ? 0 : 1;
    undecided += p.undecided.empty() ? 0 : 1;
  }
  if (failing == 0 && undecided == 0) {
    text += "verdict: no regression at any of the " + std::to_string(points.size()) + " points\n";
  } else if (failing == 0) {
    text += "verdict: INCONCLUSIVE: no regression, but gates undecided at " + std::to_string(undecided) + " of " +
            std::to_string(points.size()) + " points (more seeds would decide them)\n";
  } else {
    text += "verdict: " + std::to_string(failing) + " of " + std::to_string(points.size()) +
            " points regressed\n";
    for (const PointResult& p : points) {
      if (p.regressions.empty()) continue;
      std::string list;
      for (const std::string& r : p.regressions) list += (list.empty() ? "" : ", ") + r;
      text += "  REGRESSION point " + std::to_string(p.point) + " (" + PointLabel(meta.grid, p) + "): " + list + "\n";
    }
  }
  for (const PointResult& p : points) {
    if (p.undecided.empty()) continue;
    std::string list;
    for (const std::string& r : p.undecided) list += (list.empty() ? "" : ", ") + r;
    text += "  INCONCLUSIVE point " + std::to_string(p.point) + " (" + PointLabel(meta.grid, p) + "): " + list + "\n";
  }
  return text;
}

// ----------------------------------------------------------------- summaries.csv

std::string SummariesCsv(const Summaries& s) {
  std::string csv = runfolder::CsvLine(s.header);
  for (const auto& [key, rows] : s.runs) {
    for (const auto& row : rows) csv += runfolder::CsvLine(row);
  }
  return csv;
}

// The run's summary as RunSummary, from its rows in summaries.csv.
StatusOr<RunSummary> SummaryFromRows(const std::vector<std::string>& header,
                                     const std::vector<std::vector<std::string>>& rows, const std::string& where) {
  RunSummary s;
  // Columns: point, seed, account, metrics...
  for (size_t c = 3; c < header.size(); ++c) s.metrics.push_back(header[c]);
  for (const auto& row : rows) {
    const std::string& account = row[2];
    s.accounts.push_back(account);
    auto& values = s.values[account];
    for (size_t c = 3; c < header.size(); ++c) {
      StatusOr<std::optional<double>> v = runfolder::ParseNumberField(row[c]);
      if (!v.ok()) {
        return InvalidArgument(where + ": point " + row[0] + " seed " + row[1] + " column " + header[c] + ": " +
                               v.status().message());
      }
      values[header[c]] = *v;
    }
  }
  return s;
}

Status WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  return runfolder::WriteTextFile(RunFile(dir, name), text);
}

// One shard's folder, read back.
struct ShardFolder {
  std::string dir;
  std::string meta;  // without the shard line
  std::string meta_file;  // sweep.meta as read (errors cite its lines)
  int shard = 0;
  int shards = 1;
  std::string gates;
  runfolder::CsvTable summaries;
};

StatusOr<ShardFolder> ReadShardFolder(const std::string& dir) {
  ShardFolder f;
  f.dir = dir;
  if (!FileExists(RunFile(dir, kMetaFile))) {
    if (!std::filesystem::is_directory(dir)) return NotFound(dir + ": no such folder");
    return InvalidArgument(dir + ": has no " + kMetaFile +
                           ": the sweep (shard) that writes it did not finish; see its log");
  }
  StatusOr<std::string> meta = runfolder::ReadTextFile(RunFile(dir, kMetaFile));
  if (!meta.ok()) return meta.status();
  StatusOr<ShardMeta> shard = SplitShardMeta(*meta, RunFile(dir, kMetaFile));
  if (!shard.ok()) return shard.status();
  f.meta = std::move(shard->meta);
  f.meta_file = *meta;
  f.shard = shard->shard;
  f.shards = shard->shards;
  StatusOr<std::string> gates = runfolder::ReadTextFile(RunFile(dir, kGatesFile));
  if (!gates.ok()) return gates.status();
  f.gates = *gates;
  StatusOr<runfolder::CsvTable> table = runfolder::ReadCsvFile(RunFile(dir, kSummariesFile));
  if (!table.ok()) return table.status();
  f.summaries = std::move(*table);
  QSIM_RETURN_IF_ERROR(CheckSummariesHeader(f.summaries));
  return f;
}

// The shard folders of one sweep, read and checked against each other: the
// same sweep.meta (but for the shard line), gates and summary columns, every
// shard of the N exactly once.
StatusOr<std::vector<ShardFolder>> ReadShards(const std::vector<std::string>& dirs) {
  std::vector<ShardFolder> folders;
  std::map<int, std::string> seen_shards;
  for (const std::string& dir : dirs) {
    StatusOr<ShardFolder> f = ReadShardFolder(dir);
    if (!f.ok()) return f.status();
    if (!folders.empty()) {
      const ShardFolder& first = folders.front();
      if (f->meta != first.meta) {
        return InvalidArgument(dir + ": its " + kMetaFile + " describes a different sweep than " + first.dir);
      }
      if (f->gates != first.gates) return InvalidArgument(dir + ": its " + kGatesFile + " differs from " + first.dir + "'s");
      if (f->shards != first.shards) {
        return InvalidArgument(dir + ": is shard " + std::to_string(f->shard) + "/" + std::to_string(f->shards) +
                               " but " + first.dir + " is shard " + std::to_string(first.shard) + "/" +
                               std::to_string(first.shards) + ": the shard counts differ");
      }
    }
    for (const ShardFolder& other : folders) {
      // A shard with no runs (more shards than runs) has no summary columns.
      if (!f->summaries.rows.empty() && !other.summaries.rows.empty() &&
          f->summaries.header != other.summaries.header) {
        return InvalidArgument(f->summaries.path + ": columns differ from " + other.summaries.path);
      }
    }
    auto [it, added] = seen_shards.emplace(f->shard, dir);
    if (!added) {
      return InvalidArgument(dir + ": shard " + std::to_string(f->shard) + "/" + std::to_string(f->shards) +
                             " given twice (also " + it->second + ")");
    }
    folders.push_back(std::move(*f));
  }
  const int shard_count = folders.front().shards;
  if (static_cast<int>(seen_shards.size()) != shard_count) {
    std::string missing;
    for (int i = 0; i < shard_count; ++i) {
      if (!seen_shards.count(i)) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(shard_count);
      }
    }
    return InvalidArgument("have " + std::to_string(seen_shards.size()) + " of " + std::to_string(shard_count) +
                           " shards; missing shard " + missing);
  }
  return folders;
}

// Every point of the grid compared with the baseline; each distinct warning
// is printed once.
StatusOr<std::vector<PointResult>> ComparePoints(const Summaries& all, const std::map<RunKey, std::string>& holder,
                                                 const SweepMeta& meta, const std::vector<Gate>& gates,
                                                 const std::string& command, std::ostream& err) {
  std::map<long, std::vector<RunSummary>> by_point;
  for (const auto& [key, rows] : all.runs) {
    StatusOr<RunSummary> s = SummaryFromRows(all.header, rows, holder.at(key) + "/" + kSummariesFile);
    if (!s.ok()) return s.status();
    by_point[key.point].push_back(std::move(*s));
  }
  std::vector<std::vector<std::string>> grid_points = GridPoints(meta.grid);
  std::vector<PointResult> points;
  std::set<std::string> warned;  // most warnings (too few seeds) repeat at every point
  for (size_t p = 0; p < grid_points.size(); ++p) {
    PointResult result;
    result.point = p;
    result.values = grid_points[p];
    result.result = CompareSummaries(by_point[-1], by_point[static_cast<long>(p)], gates, meta.alpha);
    for (const std::string& w : result.result.warnings) {
      if (warned.insert(w).second) err << command << ": warning: " << w << "\n";
    }
    for (const CompareRow& row : result.result.rows) {
      if (row.verdict == "REGRESSION") result.regressions.push_back(row.metric + "[" + row.account + "]");
      if (row.verdict == "INCONCLUSIVE") result.undecided.push_back(row.metric + "[" + row.account + "]");
    }
    points.push_back(std::move(result));
  }
  return points;
}

// Writes every output of a finished sweep into out_dir, sweep.meta last.
Status WriteSweepOutputs(const std::string& out_dir, const std::string& meta_text, const SweepMeta& meta,
                         const std::string& gates_text, const Summaries& all, const std::vector<PointResult>& points) {
  std::string scenario;
  for (const std::string& line : SplitString(meta_text, '\n')) {
    if (line.rfind("scenario: ", 0) == 0) scenario = line.substr(10);
  }
  std::vector<std::string> header = SweepHeader(meta.grid);
  std::vector<std::vector<std::string>> rows = CsvRows(points);
  std::string csv = runfolder::CsvLine(header);
  for (const auto& row : rows) csv += runfolder::CsvLine(row);
  QSIM_RETURN_IF_ERROR(runfolder::MakeDirectories(out_dir));
  QSIM_RETURN_IF_ERROR(WriteFile(out_dir, kSummariesFile, SummariesCsv(all)));
  QSIM_RETURN_IF_ERROR(WriteFile(out_dir, kGatesFile, gates_text));
  QSIM_RETURN_IF_ERROR(WriteFile(out_dir, "sweep.csv", csv));
  QSIM_RETURN_IF_ERROR(WriteFile(out_dir, "sweep.json", SweepJson(scenario, meta, points)));
  QSIM_RETURN_IF_ERROR(WriteFile(out_dir, "sweep.html", SweepHtml(meta_text, meta, points, header, rows)));
  return WriteFile(out_dir, kMetaFile, meta_text);
}

// Reads the folders of a sweep's shards, checks they make one whole sweep,
// computes every point against the baseline, writes everything the sweep
// writes into out_dir, and prints the table. Shared by the unsharded sweep
// (one folder: its own) and merge, so both write the same bytes.
int FinishSweep(const std::vector<std::string>& dirs, const std::string& out_dir, const std::string& command,
                std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << command << ": " << s.message() << "\n";
    return ExitStatusFor(s.code());
  };
  StatusOr<std::vector<ShardFolder>> folders = ReadShards(dirs);
  if (!folders.ok()) return fail(folders.status());
  const ShardFolder& first = folders->front();
  StatusOr<SweepMeta> meta = ParseSweepMeta(first.meta_file, RunFile(first.dir, kMetaFile));
  if (!meta.ok()) return fail(meta.status());
  std::vector<ShardSummaries> summaries;
  for (const ShardFolder& f : *folders) summaries.push_back({f.dir, f.summaries});
  std::map<RunKey, std::string> holder;
  StatusOr<Summaries> all = CollectSweepRuns(summaries, *meta, holder);
  if (!all.ok()) return fail(all.status());
  StatusOr<YAML::Node> gates_yaml = LoadYamlText(first.gates, RunFile(first.dir, kGatesFile));
  if (!gates_yaml.ok()) return fail(gates_yaml.status());
  StatusOr<std::vector<Gate>> gates = ParseGates(*gates_yaml, RunFile(first.dir, kGatesFile));
  if (!gates.ok()) return fail(gates.status());
  StatusOr<std::vector<PointResult>> points = ComparePoints(*all, holder, *meta, *gates, command, err);
  if (!points.ok()) return fail(points.status());
  Status written = WriteSweepOutputs(out_dir, first.meta, *meta, first.gates, *all, *points);
  if (!written.ok()) return fail(written);

  out << SweepText(*meta, *points);
  out << "wrote " << RunFile(out_dir, "sweep.csv") << ", sweep.json, sweep.html\n";
  // A regression anywhere fails the sweep; otherwise an undecided gate is
  // not a pass either (docs/statistics.md).
  bool regression = false, undecided = false;
  for (const PointResult& p : *points) {
    auto tell = [&](const std::vector<std::string>& which, const char* what) {
      if (which.empty()) return;
      std::string list;
      for (const std::string& r : which) list += (list.empty() ? "" : ", ") + r;
      err << command << ": " << what << " at point " << p.point << " (" << PointLabel(meta->grid, p)
          << "): " << list << "\n";
    };
    tell(p.regressions, "regression");
    tell(p.undecided, "gate undecided (INCONCLUSIVE; more seeds would decide it)");
    regression = regression || !p.regressions.empty();
    undecided = undecided || !p.undecided.empty();
  }
  return regression ? 1 : undecided ? kExitInconclusive : 0;
}

// The gates in force as a gate file (sweep.gates.yaml).
std::string GatesYaml(const std::vector<Gate>& gates) {
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key << "gate" << YAML::Value << YAML::BeginSeq;
  for (const Gate& g : gates) {
    e << YAML::Flow << YAML::BeginMap;
    e << YAML::Key << "metric" << YAML::Value << g.metric;
    e << YAML::Key << "account" << YAML::Value << YAML::DoubleQuoted << g.account;
    if (g.max_increase) e << YAML::Key << "max_increase" << YAML::Value << g.max_increase->Describe();
    if (g.max_decrease) e << YAML::Key << "max_decrease" << YAML::Value << g.max_decrease->Describe();
    e << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace

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
    QSIM_RETURN_IF_ERROR(CheckGridSize(grid));
  }
  return grid;
}

// Writes the scenario of point `p` to OUT/runs/point-P.yaml (the baseline
// with the point's grid values set) and returns the file.
StatusOr<std::string> WritePointScenario(const SweepOptions& o, const YAML::Node& base,
                                         const std::vector<GridAxis>& grid, const std::vector<std::string>& values,
                                         size_t p) {
  YAML::Node scenario = base;
  for (size_t k = 0; k < grid.size(); ++k) {
    StatusOr<YAML::Node> set = SetDotted(scenario, grid[k].key, values[k]);
    if (!set.ok()) return Status(set.status()).WithContext(o.scenario);
    scenario = *set;
  }
  QSIM_RETURN_IF_ERROR(runfolder::MakeDirectories(RunFile(o.out_dir, "runs")));
  std::string file = RunFile(o.out_dir, "runs/point-" + std::to_string(p) + ".yaml");
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(file, EmitYaml(AnchorRelativePaths(scenario, o.scenario))));
  return file;
}

void RemoveRun(const SimRun& run) {
  std::error_code ignored;
  std::filesystem::remove_all(run.out_dir, ignored);
  std::filesystem::remove(run.out_dir + ".log", ignored);
}

}  // namespace

namespace {

Status CheckSweepOptions(const SweepOptions& o) {
  if (o.grid.empty()) return InvalidArgument("give at least one --grid KEY=V1,V2,...");
  QSIM_RETURN_IF_ERROR(CheckSeedRange(o.first_seed, o.seeds));
  if (o.jobs < 1) return InvalidArgument("--jobs must be >= 1, got " + std::to_string(o.jobs));
  if (!(o.alpha > 0 && o.alpha < 1)) {
    return InvalidArgument("--alpha must be between 0 and 1, got " + runfolder::FormatNumber(o.alpha));
  }
  if (!o.runner) return Internal("sweep: no simulation runner");
  return Status::Ok();
}

// This shard's runs, in the sweep's order, and which run each one is.
struct ShardPlan {
  std::vector<SimRun> runs;
  std::vector<RunKey> keys;
  size_t total_runs = 0;  // in the whole sweep
};

// Plans the runs of shard `shard` of `shards` and writes the scenarios of
// the points they need (OUT/runs/point-P.yaml).
StatusOr<ShardPlan> PlanShard(const SweepOptions& o, const YAML::Node& base, const std::vector<GridAxis>& grid,
                              const std::vector<uint64_t>& seeds, int shard, int shards) {
  const std::vector<std::vector<std::string>> points = GridPoints(grid);
  const size_t per_point = seeds.size();
  ShardPlan plan;
  plan.total_runs = (points.size() + 1) * per_point;
  std::map<size_t, std::string> point_files;
  for (size_t k = 0; k < plan.total_runs; ++k) {
    if (!InShard(k, shard, shards)) continue;
    RunKey key{static_cast<long>(k / per_point) - 1, k % per_point};
    std::string scenario = o.scenario;
    if (key.point >= 0) {
      size_t p = static_cast<size_t>(key.point);
      if (!point_files.count(p)) {
        StatusOr<std::string> file = WritePointScenario(o, base, grid, points[p], p);
        if (!file.ok()) return file.status();
        // Checked before any run starts: a value the scenario refuses (a
        // key it lacks, a count out of range) costs no runs.
        if (Status valid = o.validator ? o.validator(*file) : Status::Ok(); !valid.ok()) {
          std::string values;
          for (size_t k = 0; k < grid.size(); ++k) values += (k ? ", " : "") + grid[k].key + "=" + points[p][k];
          return Status(valid.code(), "--grid point " + std::to_string(p) + " (" + values + "): " + valid.message());
        }
        point_files[p] = *file;
      }
      scenario = point_files[p];
    }
    std::string dir = "runs/" + (key.point < 0 ? std::string(kBaselineLabel) : "point-" + std::to_string(key.point)) +
                      "/seed-" + std::to_string(seeds[key.seed_index]);
    plan.runs.push_back(
        {scenario, seeds[key.seed_index], RunFile(o.out_dir, dir), o.keep_runs ? "" : kLeanOutputs});
    plan.keys.push_back(key);
  }
  return plan;
}

// Adds the summary.csv rows of a finished run to `summaries`.
Status CollectRun(const SimRun& run, const SimRunResult& result, const RunKey& key, uint64_t seed,
                  Summaries& summaries) {
  if (!result.WroteOutputs()) return RunFailure(run, result);
  StatusOr<runfolder::CsvTable> table = runfolder::ReadCsvFile(RunFile(run.out_dir, "summary.csv"));
  if (!table.ok()) return table.status();
  std::vector<std::string> header = {"point", "seed"};
  header.insert(header.end(), table->header.begin(), table->header.end());
  if (summaries.header.empty()) summaries.header = header;
  if (header != summaries.header || table->header.empty() || table->header[0] != "account") {
    return InvalidArgument(table->path + ": its columns differ from the other runs'");
  }
  for (const auto& row : table->rows) {
    std::vector<std::string> fields = {PointField(key.point), std::to_string(seed)};
    fields.insert(fields.end(), row.begin(), row.end());
    summaries.runs[key].push_back(std::move(fields));
  }
  return Status::Ok();
}

}  // namespace

int RunSweepCommand(const SweepOptions& o, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "qsim sweep: " << s.message() << "\n";
    return ExitStatusFor(s.code());
  };
  if (Status checked = CheckSweepOptions(o); !checked.ok()) return fail(checked);
  StatusOr<std::pair<int, int>> shard = ParseShard(o.shard);
  if (!shard.ok()) return fail(shard.status());
  const auto [shard_index, shards] = *shard;
  StatusOr<std::vector<GridAxis>> grid = ParseGrid(o.grid);
  if (!grid.ok()) return fail(grid.status());
  StatusOr<YAML::Node> base = LoadYamlFile(o.scenario);
  if (!base.ok()) return fail(base.status());
  if (o.validator) {
    if (Status valid = o.validator(o.scenario); !valid.ok()) return fail(valid);
  }
  StatusOr<std::vector<Gate>> gates = ResolveGates(o.gates, {o.scenario});
  if (!gates.ok()) return fail(gates.status());
  // Outputs left from an earlier sweep in this folder would pass for this
  // one's (sweep.meta marks a finished shard).
  std::error_code ignored;
  for (const char* file : {kMetaFile, kSummariesFile, kGatesFile, "sweep.csv", "sweep.json", "sweep.html"}) {
    std::filesystem::remove(RunFile(o.out_dir, file), ignored);
  }
  if (Status made = runfolder::MakeDirectories(o.out_dir); !made.ok()) return fail(made);
  const std::vector<uint64_t> seeds = SeedList(o.first_seed, o.seeds);
  StatusOr<ShardPlan> plan = PlanShard(o, *base, *grid, seeds, shard_index, shards);
  if (!plan.ok()) return fail(plan.status());

  Summaries summaries;
  Status failure;
  std::string label = shards > 1 ? "sweep shard " + std::to_string(shard_index) + "/" + std::to_string(shards)
                                 : std::string("sweep");
  Progress progress(label, plan->runs.size(), o.progress, err);
  RunInBatches(o.runner, plan->runs, o.jobs, progress, [&](size_t first, const std::vector<SimRunResult>& results) {
    for (size_t i = 0; i < results.size() && failure.ok(); ++i) {
      const RunKey& key = plan->keys[first + i];
      failure = CollectRun(plan->runs[first + i], results[i], key, seeds[key.seed_index], summaries);
      if (failure.ok() && !o.keep_runs) RemoveRun(plan->runs[first + i]);
    }
    return failure.ok();
  });
  progress.Finish();
  if (!failure.ok()) {
    err << "qsim sweep: the runs not yet read are kept in " << RunFile(o.out_dir, "runs") << "\n";
    return fail(failure);
  }
  if (summaries.header.empty()) summaries.header = {"point", "seed", "account"};  // a shard with no runs
  if (!o.keep_runs) std::filesystem::remove_all(RunFile(o.out_dir, "runs"), ignored);

  const size_t points = GridPoints(*grid).size();
  std::string meta = MetaText(o, *grid, points);
  if (shards > 1) meta += kShardPrefix + std::to_string(shard_index) + "/" + std::to_string(shards) + "\n";
  Status s = WriteFile(o.out_dir, kSummariesFile, SummariesCsv(summaries));
  if (s.ok()) s = WriteFile(o.out_dir, kGatesFile, GatesYaml(*gates));
  if (s.ok()) s = WriteFile(o.out_dir, kMetaFile, meta);  // last: the shard is complete
  if (!s.ok()) return fail(s);
  if (shards > 1) {
    out << label << ": " << plan->runs.size() << " of the sweep's " << plan->total_runs << " runs (" << points
        << " points and the baseline x " << o.seeds << " seeds); wrote " << RunFile(o.out_dir, kSummariesFile)
        << "\nthe verdict comes from qsim merge over all " << shards << " shard folders\n";
    return 0;
  }
  return FinishSweep({o.out_dir}, o.out_dir, "qsim sweep", out, err);
}

int RunMergeCommand(const std::vector<std::string>& shard_dirs, const std::string& out_dir, std::ostream& out,
                    std::ostream& err) {
  if (shard_dirs.empty()) {
    err << "qsim merge: give the shard output folders\n";
    return 2;
  }
  if (Status s = runfolder::RequireOutputNotAnInput(out_dir, shard_dirs); !s.ok()) {
    err << "qsim merge: " << s.message() << "\n";
    return ExitStatusFor(s.code());
  }
  int status = FinishSweep(shard_dirs, out_dir, "qsim merge", out, err);
  if (status == 0 || status == 1 || status == kExitInconclusive) {  // the outputs were written
    out << "merged " << shard_dirs.size() << " shard folder" << (shard_dirs.size() == 1 ? "" : "s") << " into "
        << out_dir << "\n";
  }
  return status;
}

}  // namespace qsim::reports
