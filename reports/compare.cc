#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "reports/charts.h"
#include "reports/csv.h"
#include "reports/html.h"
#include "reports/runner.h"
#include "reports/stats.h"
#include "reports/svg.h"
#include "reports/time_scale.h"
#include "reports/yaml_util.h"

namespace qsim::reports {
namespace {

std::string Num(const std::optional<double>& v) { return v ? FormatNumber(*v) : ""; }

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
  return v && std::isfinite(*v) ? FormatNumber(*v) : "null";
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

CompareResult CompareSummaries(const std::vector<RunSummary>& baseline,
                               const std::vector<RunSummary>& candidate, const std::vector<Gate>& gates,
                               double alpha) {
  CompareResult result;
  result.alpha = alpha;
  result.seeds = static_cast<int>(std::min(baseline.size(), candidate.size()));
  std::vector<std::string> accounts;
  auto add_accounts = [&](const std::vector<RunSummary>& side) {
    for (const RunSummary& s : side) {
      for (const std::string& a : s.accounts) {
        if (std::find(accounts.begin(), accounts.end(), a) == accounts.end()) accounts.push_back(a);
      }
    }
  };
  add_accounts(baseline);
  add_accounts(candidate);
  // Summary files list accounts sorted with "*" last; keep that shape when
  // the candidate adds accounts.
  std::stable_sort(accounts.begin(), accounts.end(), [](const std::string& a, const std::string& b) {
    if ((a == "*") != (b == "*")) return b == "*";
    return a < b;
  });

  for (const std::string& account : accounts) {
    for (bool exact : {false, true}) {
      for (const std::string& metric : exact ? ExactMetrics() : StatisticalMetrics()) {
        CompareRow row;
        row.account = account;
        row.metric = metric;
        row.exact = exact;
        std::vector<double> base, cand, diffs;
        for (int i = 0; i < result.seeds; ++i) {
          std::optional<double> b = baseline[i].Get(account, metric);
          std::optional<double> c = candidate[i].Get(account, metric);
          if (!b || !c) continue;
          base.push_back(*b);
          cand.push_back(*c);
          diffs.push_back(*c - *b);
        }
        row.pairs = static_cast<int>(diffs.size());
        if (row.pairs > 0) {
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
        }
        if (const Gate* gate = FindGate(gates, account, metric)) row.gate = gate->Describe();
        result.rows.push_back(std::move(row));
      }
    }
  }

  // Holm within each family: gated rows decide, the others are exploratory.
  int family_size[2] = {0, 0};  // [gated, ungated]
  for (bool gated : {true, false}) {
    std::vector<size_t> members;
    std::vector<double> ps;
    for (size_t i = 0; i < result.rows.size(); ++i) {
      const CompareRow& row = result.rows[i];
      if (row.p_value && !row.gate.empty() == gated) {
        members.push_back(i);
        ps.push_back(*row.p_value);
      }
    }
    family_size[gated ? 0 : 1] = static_cast<int>(members.size());
    std::vector<double> adjusted = stats::HolmAdjust(ps);
    for (size_t k = 0; k < members.size(); ++k) {
      CompareRow& row = result.rows[members[k]];
      row.p_holm = adjusted[k];
      row.significant = adjusted[k] <= alpha;
    }
  }

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

  double best_p = stats::SmallestTwoSidedP(result.seeds);
  std::string pairs = "with " + std::to_string(result.seeds) + " seed pairs";
  if (best_p > alpha) {
    result.warnings.push_back(pairs + " the smallest achievable two-sided p is " + FormatNumber(best_p) +
                              " > alpha = " + FormatNumber(alpha) +
                              ": no difference can be significant; use --seeds " +
                              std::to_string(SeedsNeeded(std::max(1, family_size[0]), alpha)) + " or more");
  } else {
    const char* names[2] = {"gated", "ungated"};
    for (int f = 0; f < 2; ++f) {
      int m = family_size[f];
      if (m == 0 || best_p * m <= alpha) continue;
      result.warnings.push_back(pairs + " and " + std::to_string(m) + " " + names[f] + " tests, Holm needs p <= " +
                                FormatNumber(alpha / m) + " but the smallest achievable p is " +
                                FormatNumber(best_p) + ": " + names[f] +
                                " metrics cannot be significant; use --seeds " +
                                std::to_string(SeedsNeeded(m, alpha)) + " or more");
    }
  }
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
                   FormatNumber(100 * (1 - result.alpha)) + "% interval", "p(holm)", "", "gate", "verdict"});
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
  text += "seeds: " + std::to_string(result.seeds) + " pairs; alpha " + FormatNumber(result.alpha) +
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
                     FormatNumber(result.alpha) + ",\n  \"regression\": " +
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

StatusOr<std::vector<RunSummary>> ReadSummaries(const std::vector<std::string>& run_dirs,
                                                const std::vector<int>& exit_codes,
                                                const std::vector<std::string>& logs) {
  std::vector<RunSummary> summaries;
  for (size_t i = 0; i < run_dirs.size(); ++i) {
    if (exit_codes[i] != 0 && exit_codes[i] != 1) {
      return Internal("the run into " + run_dirs[i] + " failed (exit " + std::to_string(exit_codes[i]) +
                      "); its log " + logs[i] + " ends:\n" + LogTail(logs[i]));
    }
    StatusOr<RunSummary> s = ReadRunSummary(run_dirs[i]);
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
      StatusOr<TaskWaits> waits = ReadTaskWaits(RunFile(dir, "tasks.csv"));
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

int RunCompareCommand(const CompareOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "qsim compare: " << s.message() << "\n";
    return 2;
  };
  if (options.candidate.empty() == options.variant.empty()) {
    return fail(InvalidArgument("give either a candidate scenario or --variant OVERLAY.yaml (exactly one)"));
  }
  if (options.seeds < 1) return fail(InvalidArgument("--seeds must be >= 1"));
  if (!(options.alpha > 0 && options.alpha < 1)) return fail(InvalidArgument("--alpha must be in (0, 1)"));
  Status made = MakeDirectories(options.out_dir);
  if (!made.ok()) return fail(made);

  std::string candidate_path = options.candidate;
  if (!options.variant.empty()) {
    StatusOr<YAML::Node> base = LoadYamlFile(options.baseline);
    if (!base.ok()) return fail(base.status());
    StatusOr<YAML::Node> overlay = LoadYamlFile(options.variant);
    if (!overlay.ok()) return fail(overlay.status());
    if (!overlay->IsMap()) return fail(InvalidArgument(Where(options.variant, *overlay) + ": the overlay must be a map"));
    candidate_path = RunFile(options.out_dir, "candidate.yaml");
    YAML::Node merged = AnchorRelativePaths(DeepMerge(*base, *overlay), options.baseline);
    Status written = WriteTextFile(candidate_path, EmitYaml(merged));
    if (!written.ok()) return fail(written);
  }
  StatusOr<std::vector<Gate>> gates = ResolveGates(options.gates, {options.baseline, candidate_path});
  if (!gates.ok()) return fail(gates.status());

  std::vector<uint64_t> seeds = SeedList(options.first_seed, options.seeds);
  std::vector<SimRun> runs;
  std::vector<std::string> base_dirs, cand_dirs;
  for (uint64_t seed : seeds) {
    base_dirs.push_back(RunFile(options.out_dir, "baseline/seed-" + std::to_string(seed)));
    runs.push_back({options.baseline, seed, base_dirs.back()});
  }
  for (uint64_t seed : seeds) {
    cand_dirs.push_back(RunFile(options.out_dir, "candidate/seed-" + std::to_string(seed)));
    runs.push_back({candidate_path, seed, cand_dirs.back()});
  }
  std::vector<SimRunResult> results = RunSimulations(options.qsim_binary, runs, options.jobs);
  std::vector<int> codes;
  std::vector<std::string> logs;
  for (const SimRunResult& r : results) {
    codes.push_back(r.exit_code);
    logs.push_back(r.log_path);
  }
  size_t n = seeds.size();
  StatusOr<std::vector<RunSummary>> base = ReadSummaries(
      base_dirs, std::vector<int>(codes.begin(), codes.begin() + n), std::vector<std::string>(logs.begin(), logs.begin() + n));
  if (!base.ok()) return fail(base.status());
  StatusOr<std::vector<RunSummary>> cand = ReadSummaries(
      cand_dirs, std::vector<int>(codes.begin() + n, codes.end()), std::vector<std::string>(logs.begin() + n, logs.end()));
  if (!cand.ok()) return fail(cand.status());

  CompareResult result = CompareSummaries(*base, *cand, *gates, options.alpha);
  std::string csv = CsvLine(CompareCsvHeader());
  for (const CompareRow& row : result.rows) csv += CsvLine(CompareCsvFields(row));
  Status s = WriteTextFile(RunFile(options.out_dir, "compare.csv"), csv);
  if (s.ok()) s = WriteTextFile(RunFile(options.out_dir, "compare.json"), CompareJson(result));
  if (!s.ok()) return fail(s);
  StatusOr<std::string> html = BuildCompareHtml(result, *base, *cand, base_dirs, cand_dirs, seeds,
                                                "qsim compare: " + options.baseline + " vs " +
                                                    (options.variant.empty() ? options.candidate
                                                                             : options.baseline + " + " + options.variant));
  if (!html.ok()) return fail(html.status());
  s = WriteTextFile(RunFile(options.out_dir, "compare.html"), *html);
  if (!s.ok()) return fail(s);
  out << CompareText(result);
  out << "wrote " << RunFile(options.out_dir, "compare.csv") << ", compare.json, compare.html\n";
  return result.regression ? 1 : 0;
}

}  // namespace qsim::reports
