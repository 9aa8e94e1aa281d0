#include "reports/compare.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "reports/charts.h"
#include "reports/html.h"
#include "reports/runner.h"
#include "reports/stats.h"
#include "reports/svg.h"
#include "reports/time_scale.h"
#include "reports/yaml_util.h"
#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"

namespace qsim::reports {
namespace {

std::string Num(const std::optional<double>& v) { return v ? runfolder::FormatNumber(*v) : ""; }

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? runfolder::FormatNumber(*v) : "null";
}

const Gate* FindGate(const std::vector<Gate>& gates, const std::string& account, const std::string& metric) {
  for (const Gate& g : gates) {
    if (g.metric == metric && g.account == account) return &g;
  }
  return nullptr;
}

// The smallest number of pairs whose best exact p survives Holm's first step
// with m tests at level alpha.
int SeedsNeeded(int m, double alpha) {
  int n = 1;
  while (n < 64 && stats::SmallestTwoSidedP(n) * std::max(1, m) > alpha) ++n;
  return n;
}

void JudgeGate(const Gate& gate, CompareRow& row) {
  row.gate = gate.Describe();
  if (row.pairs == 0 || !row.delta || !row.baseline_median) {
    row.verdict = "n/a";
    return;
  }
  bool beyond = false;
  if (gate.max_increase && *row.delta > gate.max_increase->Allowed(*row.baseline_median)) beyond = true;
  if (gate.max_decrease && -*row.delta > gate.max_decrease->Allowed(*row.baseline_median)) beyond = true;
  row.verdict = row.significant && beyond ? "REGRESSION" : "ok";
}

}  // namespace

const std::vector<std::string>& StatisticalMetrics() {
  static const std::vector<std::string> kMetrics = {
      "wait_p50_s",  "wait_p90_s",         "wait_p99_s",  "wait_mean_s", "throughput_per_hour",
      "preemptions", "wasted_bot_seconds", "utilisation", "timeouts"};
  return kMetrics;
}

const std::vector<std::string>& ExactMetrics() {
  static const std::vector<std::string> kMetrics = {"lost", "invariant_violations"};
  return kMetrics;
}

namespace {

// Every account of either side, sorted as summary files list them ("*" last).
std::vector<std::string> AllAccounts(const std::vector<RunSummary>& baseline,
                                     const std::vector<RunSummary>& candidate) {
  std::vector<std::string> accounts;
  for (const std::vector<RunSummary>* side : {&baseline, &candidate}) {
    for (const RunSummary& s : *side) {
      for (const std::string& a : s.accounts) {
        if (std::find(accounts.begin(), accounts.end(), a) == accounts.end()) accounts.push_back(a);
      }
    }
  }
  std::stable_sort(accounts.begin(), accounts.end(), [](const std::string& a, const std::string& b) {
    if ((a == "*") != (b == "*")) return b == "*";
    return a < b;
  });
  return accounts;
}

// One metric of one account over the first `seeds` pairs: medians, and the
// exact total difference or the Hodges-Lehmann shift and signed-rank p.
CompareRow CompareMetric(const std::vector<RunSummary>& baseline, const std::vector<RunSummary>& candidate,
                         int seeds, const std::string& account, const std::string& metric, bool exact,
                         double alpha) {
  CompareRow row;
  row.account = account;
  row.metric = metric;
  row.exact = exact;
  std::vector<double> base, cand, diffs;
  for (int i = 0; i < seeds; ++i) {
    std::optional<double> b = baseline[i].Get(account, metric);
    std::optional<double> c = candidate[i].Get(account, metric);
    if (!b || !c) continue;
    base.push_back(*b);
    cand.push_back(*c);
    diffs.push_back(*c - *b);
  }
  row.pairs = static_cast<int>(diffs.size());
  if (row.pairs == 0) return row;
  row.baseline_median = stats::Median(base);
  row.candidate_median = stats::Median(cand);
  if (exact) {
    double total = 0;
    bool differs = false;
    for (double d : diffs) {
      total += d;
      differs = differs || d != 0;
    }
    row.delta = total;
    row.significant = differs;
  } else {
    stats::ShiftEstimate shift = stats::HodgesLehmann(diffs, 1 - alpha);
    row.delta = shift.estimate;
    row.ci_low = shift.low;
    row.ci_high = shift.high;
    row.p_value = stats::WilcoxonSignedRank(diffs).p_value;
  }
  return row;
}

// Holm within each family: gated rows decide, the others are exploratory.
// Returns the family sizes {gated, ungated}.
std::array<int, 2> AdjustByFamily(std::vector<CompareRow>& rows, double alpha) {
  std::array<int, 2> family_size = {0, 0};
  for (bool gated : {true, false}) {
    std::vector<size_t> members;
    std::vector<double> ps;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].p_value && !rows[i].gate.empty() == gated) {
        members.push_back(i);
        ps.push_back(*rows[i].p_value);
      }
    }
    family_size[gated ? 0 : 1] = static_cast<int>(members.size());
    std::vector<double> adjusted = stats::HolmAdjust(ps);
    for (size_t k = 0; k < members.size(); ++k) {
      rows[members[k]].p_holm = adjusted[k];
      rows[members[k]].significant = adjusted[k] <= alpha;
    }
  }
  return family_size;
}

// Warnings when the number of seed pairs cannot reach significance.
void WarnAboutPower(const std::array<int, 2>& family_size, CompareResult& result) {
  const double alpha = result.alpha;
  double best_p = stats::SmallestTwoSidedP(result.seeds);
  std::string pairs = "with " + std::to_string(result.seeds) + " seed pairs";
  if (best_p > alpha) {
    result.warnings.push_back(pairs + " the smallest achievable two-sided p is " + runfolder::FormatNumber(best_p) +
                              " > alpha = " + runfolder::FormatNumber(alpha) +
                              ": no difference can be significant; use --seeds " +
                              std::to_string(SeedsNeeded(std::max(1, family_size[0]), alpha)) + " or more");
    return;
  }
  const char* names[2] = {"gated", "ungated"};
  for (int f = 0; f < 2; ++f) {
    int m = family_size[f];
    if (m == 0 || best_p * m <= alpha) continue;
    result.warnings.push_back(pairs + " and " + std::to_string(m) + " " + names[f] + " tests, Holm needs p <= " +
                              runfolder::FormatNumber(alpha / m) + " but the smallest achievable p is " +
                              runfolder::FormatNumber(best_p) + ": " + names[f] +
                              " metrics cannot be significant; use --seeds " + std::to_string(SeedsNeeded(m, alpha)) +
                              " or more");
  }
}

}  // namespace

CompareResult CompareSummaries(const std::vector<RunSummary>& baseline,
                               const std::vector<RunSummary>& candidate, const std::vector<Gate>& gates,
                               double alpha) {
  CompareResult result;
  result.alpha = alpha;
  result.seeds = static_cast<int>(std::min(baseline.size(), candidate.size()));
  std::vector<std::string> accounts = AllAccounts(baseline, candidate);
  for (const std::string& account : accounts) {
    for (bool exact : {false, true}) {
      for (const std::string& metric : exact ? ExactMetrics() : StatisticalMetrics()) {
        CompareRow row = CompareMetric(baseline, candidate, result.seeds, account, metric, exact, alpha);
        if (const Gate* gate = FindGate(gates, account, metric)) row.gate = gate->Describe();
        result.rows.push_back(std::move(row));
      }
    }
  }
  std::array<int, 2> family_size = AdjustByFamily(result.rows, alpha);
  for (CompareRow& row : result.rows) {
    if (const Gate* gate = FindGate(gates, row.account, row.metric)) {
      JudgeGate(*gate, row);
      if (row.verdict == "REGRESSION") result.regression = true;
    }
  }
  for (const Gate& g : gates) {
    if (std::find(accounts.begin(), accounts.end(), g.account) == accounts.end()) {
      result.warnings.push_back(g.where + ": gate on account \"" + g.account +
                                "\", which no run has: nothing to check");
    }
  }
  WarnAboutPower(family_size, result);
  return result;
}

std::vector<std::string> CompareCsvHeader() {
  return {"account", "metric",  "kind", "pairs",  "baseline_median", "candidate_median", "delta",
          "ci_low",  "ci_high", "p",    "p_holm", "significant",     "gate",             "verdict"};
}

std::vector<std::string> CompareCsvFields(const CompareRow& row) {
  return {row.account,
          row.metric,
          row.exact ? "exact" : "wilcoxon",
          std::to_string(row.pairs),
          Num(row.baseline_median),
          Num(row.candidate_median),
          Num(row.delta),
          Num(row.ci_low),
          Num(row.ci_high),
          Num(row.p_value),
          Num(row.p_holm),
          row.exact ? (row.significant ? "!=" : "=") : (row.significant ? "*" : "~"),
          row.gate,
          row.verdict};
}

std::string CompareText(const CompareResult& result) {
  std::vector<std::vector<std::string>> table;
  table.push_back({"account", "metric", "baseline", "candidate", "delta",
                   runfolder::FormatNumber(100 * (1 - result.alpha)) + "% interval", "p(holm)", "", "gate", "verdict"});
  for (const CompareRow& row : result.rows) {
    std::vector<std::string> f = CompareCsvFields(row);
    std::string interval = row.ci_low ? "[" + Num(row.ci_low) + ", " + Num(row.ci_high) + "]" : "";
    if (row.exact) interval = "(exact)";
    table.push_back({row.account, row.metric, f[4], f[5], f[6], interval, f[10], f[11], f[12], f[13]});
  }
  std::vector<size_t> width(table[0].size(), 0);
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
  text += "seeds: " + std::to_string(result.seeds) + " pairs; alpha " + runfolder::FormatNumber(result.alpha) +
          "; delta = Hodges-Lehmann shift (exact rows: candidate total - baseline total); "
          "~ = not significant after Holm\n";
  for (const std::string& w : result.warnings) text += "warning: " + w + "\n";
  int regressions = 0;
  for (const CompareRow& row : result.rows) regressions += row.verdict == "REGRESSION";
  text += regressions == 0 ? "verdict: no regression\n"
                           : "verdict: " + std::to_string(regressions) + " regression(s)\n";
  return text;
}

std::string CompareJson(const CompareResult& result) {
  std::string json = "{\n  \"seeds\": " + std::to_string(result.seeds) + ",\n  \"alpha\": " +
                     runfolder::FormatNumber(result.alpha) + ",\n  \"regression\": " +
                     (result.regression ? "true" : "false") + ",\n  \"warnings\": [";
  for (size_t i = 0; i < result.warnings.size(); ++i) {
    json += (i ? ", " : "") + JsonString(result.warnings[i]);
  }
  json += "],\n  \"rows\": [\n";
  for (size_t i = 0; i < result.rows.size(); ++i) {
    const CompareRow& r = result.rows[i];
    json += "    {\"account\": " + JsonString(r.account) + ", \"metric\": " + JsonString(r.metric) +
            ", \"kind\": " + JsonString(r.exact ? "exact" : "wilcoxon") +
            ", \"pairs\": " + std::to_string(r.pairs) +
            ", \"baseline_median\": " + JsonNumber(r.baseline_median) +
            ", \"candidate_median\": " + JsonNumber(r.candidate_median) +
            ", \"delta\": " + JsonNumber(r.delta) + ", \"ci_low\": " + JsonNumber(r.ci_low) +
            ", \"ci_high\": " + JsonNumber(r.ci_high) + ", \"p\": " + JsonNumber(r.p_value) +
            ", \"p_holm\": " + JsonNumber(r.p_holm) +
            ", \"significant\": " + (r.significant ? "true" : "false") +
            ", \"gate\": " + JsonString(r.gate) + ", \"verdict\": " + JsonString(r.verdict) + "}" +
            (i + 1 < result.rows.size() ? "," : "") + "\n";
  }
  json += "  ]\n}\n";
  return json;
}

std::vector<uint64_t> SeedList(uint64_t first_seed, int count) {
  std::vector<uint64_t> seeds;
  for (int i = 0; i < count; ++i) seeds.push_back(first_seed + static_cast<uint64_t>(i));
  return seeds;
}

StatusOr<std::vector<RunSummary>> ReadSummaries(const std::vector<SimRun>& runs,
                                                const std::vector<SimRunResult>& results) {
  std::vector<RunSummary> summaries;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!results[i].WroteOutputs()) return RunFailure(runs[i], results[i]);
    StatusOr<RunSummary> s = ReadRunSummary(runs[i].out_dir);
    if (!s.ok()) return s.status();
    summaries.push_back(std::move(*s));
  }
  return summaries;
}

StatusOr<std::vector<Gate>> ResolveGates(const std::string& gates_file,
                                         const std::vector<std::string>& scenario_files) {
  std::vector<std::string> sources = gates_file.empty() ? scenario_files : std::vector<std::string>{gates_file};
  for (const std::string& file : sources) {
    StatusOr<YAML::Node> root = LoadYamlFile(file);
    if (!root.ok()) return root.status();
    StatusOr<std::vector<Gate>> gates = ParseGates(*root, file);
    if (!gates.ok()) return gates.status();
    if (!gates->empty()) return gates;
    if (!gates_file.empty()) return InvalidArgument(gates_file + ": has no gate: entries");
  }
  return DefaultGates();
}

namespace {

// Per-seed values of the fleet row for each gated or statistical metric,
// baseline vs candidate, and the pooled wait CDFs.
StatusOr<std::string> BuildCompareHtml(const CompareResult& result, const std::vector<RunSummary>& base,
                                       const std::vector<RunSummary>& cand,
                                       const std::vector<std::string>& base_dirs,
                                       const std::vector<std::string>& cand_dirs,
                                       const std::vector<uint64_t>& seeds, const std::string& title) {
  HtmlPage page(title);
  for (const std::string& w : result.warnings) page.AddNotice(w);
  page.AddParagraph(result.regression ? "Verdict: regression (see the verdict column)." : "Verdict: no regression.");
  page.AddHeading("Wait time distribution, all seeds pooled");
  std::vector<double> pooled[2];
  const std::vector<std::string>* dirs[2] = {&base_dirs, &cand_dirs};
  for (int side = 0; side < 2; ++side) {
    for (const std::string& dir : *dirs[side]) {
      StatusOr<TaskWaits> waits = ReadTaskWaits(RunFile(dir, runfolder::kTasksFile));
      if (!waits.ok()) return waits.status();
      for (const auto& [account, values] : waits->by_account) {
        pooled[side].insert(pooled[side].end(), values.begin(), values.end());
      }
    }
  }
  svg::XyChart cdf = WaitCdfChart("compare-wait-cdf", "Wait time CDF: baseline vs candidate",
                                  {{"baseline", pooled[0]}, {"candidate", pooled[1]}}, true);
  page.AddChart(cdf.id, svg::RenderXyChart(cdf));

  page.AddHeading("Per-seed values, whole fleet");
  int index = 0;
  for (const std::string& metric : StatisticalMetrics()) {
    svg::XyChart chart;
    chart.id = "compare-metric-" + std::to_string(index++);
    chart.title = metric + " per seed (fleet)";
    chart.x = {"seed", "", std::nullopt, std::nullopt};
    chart.y = {metric, "", std::nullopt, std::nullopt};
    chart.height = 220;
    const std::vector<RunSummary>* sides[2] = {&base, &cand};
    const char* names[2] = {"baseline", "candidate"};
    for (int side = 0; side < 2; ++side) {
      svg::Series s;
      s.name = names[side];
      s.style = svg::SeriesStyle::kPoints;
      for (size_t i = 0; i < sides[side]->size() && i < seeds.size(); ++i) {
        std::optional<double> v = (*sides[side])[i].Get("*", metric);
        if (!v) continue;
        s.x.push_back(static_cast<double>(seeds[i]));
        s.y.push_back(*v);
      }
      chart.series.push_back(std::move(s));
    }
    page.AddChart(chart.id, svg::RenderXyChart(chart));
  }
  page.AddHeading("All metrics");
  std::vector<std::vector<std::string>> rows;
  for (const CompareRow& row : result.rows) rows.push_back(CompareCsvFields(row));
  page.AddTable(CompareCsvHeader(), rows);
  return page.Render();
}

}  // namespace

namespace {

Status CheckCompareOptions(const CompareOptions& options) {
  if (options.candidate.empty() == options.variant.empty()) {
    return InvalidArgument("give either a candidate scenario or --variant OVERLAY.yaml (exactly one)");
  }
  if (options.seeds < 1) return InvalidArgument("--seeds must be >= 1");
  if (!(options.alpha > 0 && options.alpha < 1)) return InvalidArgument("--alpha must be in (0, 1)");
  if (!options.runner) return Internal("compare: no simulation runner");
  return Status::Ok();
}

// The candidate scenario's path: the given file, or OUT/candidate.yaml, the
// variant overlay deep-merged onto the baseline.
StatusOr<std::string> CandidateScenario(const CompareOptions& options) {
  if (options.variant.empty()) return options.candidate;
  StatusOr<YAML::Node> base = LoadYamlFile(options.baseline);
  if (!base.ok()) return base.status();
  StatusOr<YAML::Node> overlay = LoadYamlFile(options.variant);
  if (!overlay.ok()) return overlay.status();
  if (!overlay->IsMap()) return InvalidArgument(Where(options.variant, *overlay) + ": the overlay must be a map");
  std::string path = RunFile(options.out_dir, "candidate.yaml");
  YAML::Node merged = AnchorRelativePaths(DeepMerge(*base, *overlay), options.baseline);
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(path, EmitYaml(merged)));
  return path;
}

// Both sides' run folders, seed by seed: out_dir/{baseline,candidate}/seed-S.
std::vector<SimRun> CompareRuns(const CompareOptions& options, const std::string& candidate_path,
                                const std::vector<uint64_t>& seeds) {
  std::vector<SimRun> runs;
  for (const auto& [side, scenario] : {std::pair<std::string, std::string>{"baseline", options.baseline},
                                       {"candidate", candidate_path}}) {
    for (uint64_t seed : seeds) {
      runs.push_back({scenario, seed, RunFile(options.out_dir, side + "/seed-" + std::to_string(seed))});
    }
  }
  return runs;
}

std::vector<std::string> OutDirs(const std::vector<SimRun>& runs) {
  std::vector<std::string> dirs;
  for (const SimRun& run : runs) dirs.push_back(run.out_dir);
  return dirs;
}

Status WriteCompareOutputs(const CompareOptions& options, const CompareResult& result,
                           const std::vector<RunSummary>& base, const std::vector<RunSummary>& cand,
                           const std::vector<SimRun>& runs, const std::vector<uint64_t>& seeds) {
  std::string csv = runfolder::CsvLine(CompareCsvHeader());
  for (const CompareRow& row : result.rows) csv += runfolder::CsvLine(CompareCsvFields(row));
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(RunFile(options.out_dir, "compare.csv"), csv));
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(RunFile(options.out_dir, "compare.json"), CompareJson(result)));
  std::vector<std::string> dirs = OutDirs(runs);
  const size_t n = seeds.size();
  StatusOr<std::string> html = BuildCompareHtml(
      result, base, cand, std::vector<std::string>(dirs.begin(), dirs.begin() + n),
      std::vector<std::string>(dirs.begin() + n, dirs.end()), seeds,
      "qsim compare: " + options.baseline + " vs " +
          (options.variant.empty() ? options.candidate : options.baseline + " + " + options.variant));
  if (!html.ok()) return html.status();
  return runfolder::WriteTextFile(RunFile(options.out_dir, "compare.html"), *html);
}

}  // namespace

int RunCompareCommand(const CompareOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "qsim compare: " << s.message() << "\n";
    return ExitStatusFor(s.code());
  };
  if (Status s = CheckCompareOptions(options); !s.ok()) return fail(s);
  if (Status s = runfolder::MakeDirectories(options.out_dir); !s.ok()) return fail(s);
  StatusOr<std::string> candidate_path = CandidateScenario(options);
  if (!candidate_path.ok()) return fail(candidate_path.status());
  StatusOr<std::vector<Gate>> gates = ResolveGates(options.gates, {options.baseline, *candidate_path});
  if (!gates.ok()) return fail(gates.status());

  std::vector<uint64_t> seeds = SeedList(options.first_seed, options.seeds);
  std::vector<SimRun> runs = CompareRuns(options, *candidate_path, seeds);
  StatusOr<std::vector<RunSummary>> summaries = ReadSummaries(runs, options.runner(runs, options.jobs));
  if (!summaries.ok()) return fail(summaries.status());
  const size_t n = seeds.size();
  std::vector<RunSummary> base(summaries->begin(), summaries->begin() + n);
  std::vector<RunSummary> cand(summaries->begin() + n, summaries->end());

  CompareResult result = CompareSummaries(base, cand, *gates, options.alpha);
  if (Status s = WriteCompareOutputs(options, result, base, cand, runs, seeds); !s.ok()) return fail(s);
  out << CompareText(result);
  out << "wrote " << RunFile(options.out_dir, "compare.csv") << ", compare.json, compare.html\n";
  return result.regression ? 1 : 0;
}

}  // namespace qsim::reports
