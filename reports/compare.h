// `qsim compare`: a baseline and a candidate run on the same seeds, compared
// metric by metric with paired statistics (reports/stats.h), judged against
// gates. Also the building blocks sweep reuses. The statistical contract
// (what every column means, how gates decide, how --seeds auto stays at
// alpha) is docs/statistics.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "reports/expectations.h"
#include "reports/run_data.h"
#include "reports/progress.h"
#include "reports/runner.h"
#include "base/status.h"

namespace qsim::reports {

// Metrics compared with the signed-rank test, and those compared exactly.
const std::vector<std::string>& StatisticalMetrics();
const std::vector<std::string>& ExactMetrics();

// Which way a metric is better, and how its values are shown.
enum class Better { kLower, kHigher };
enum class MetricUnit { kSeconds, kFraction, kPerHour, kCount };
struct MetricInfo {
  Better better = Better::kLower;
  MetricUnit unit = MetricUnit::kCount;
};
// REQUIRES: metric is one of StatisticalMetrics() or ExactMetrics().
MetricInfo InfoFor(const std::string& metric);

// One side's values of a row: the median and the range (min, max) over the
// seeds both sides have, and the per-seed values in seed order.
struct SideStats {
  std::optional<double> median;
  std::optional<double> min;
  std::optional<double> max;
  std::vector<double> values;
};

struct CompareRow {
  std::string account;
  std::string metric;
  bool exact = false;  // compared exactly: delta = total over seeds, no test
  int pairs = 0;       // n: seeds where both runs have a value
  std::optional<double> baseline_median;
  std::optional<double> candidate_median;
  std::optional<double> delta;  // Hodges-Lehmann shift (exact: candidate total - baseline total)
  std::optional<double> ci_low;   // the (1 - alpha) Walsh-average interval of the shift
  std::optional<double> ci_high;
  std::optional<double> p_value;  // raw two-sided Wilcoxon signed-rank p
  std::optional<double> p_holm;   // gated rows only: Holm within the gates, at the decision level
  // Statistical rows: the interval exists and excludes 0 (so `~` exactly when
  // it includes 0 or there is none). Exact rows: any seed differs.
  bool significant = false;
  std::string gate;     // the gate's tolerance ("+10%"), "" when ungated
  std::string verdict;  // "REGRESSION", "ok", "INCONCLUSIVE", "n/a" (gated, no data), "" (ungated)

  // Added for benchstat-style output (kept after the fields sweep reads).
  SideStats baseline;
  SideStats candidate;
  std::vector<int> pair_index;          // which summaries (0-based) the pairs came from
  std::optional<double> delta_pct;      // 100 * delta / |baseline median|; none when that is 0
  std::optional<double> ci_low_pct;
  std::optional<double> ci_high_pct;
  std::string direction;                // "better", "worse" (significant rows) or ""
  std::optional<double> gate_low;       // gated rows: the interval at the decision level
  std::optional<double> gate_high;
  std::optional<int> seeds_needed;      // INCONCLUSIVE rows: about how many pairs would decide
};

// One look of a sequential (--seeds auto) comparison.
struct Look {
  int pairs = 0;
  double alpha = 0;  // the error spent at this look
};

struct CompareResult {
  int seeds = 0;            // pairs compared
  double alpha = 0.05;      // level of every row's interval
  double decision_alpha = 0.05;  // level the gates were judged at (alpha, or a look's share)
  std::vector<uint64_t> seed_list;  // empty when unknown (summaries without seeds)
  std::string baseline_name = "baseline";
  std::string candidate_name = "candidate";
  std::vector<CompareRow> rows;
  std::vector<std::string> warnings;  // e.g. N too small to decide a gate
  std::vector<Look> looks;            // --seeds auto: every look taken, in order
  bool regression = false;
  bool inconclusive = false;  // no regression, but a gate could not be decided

  // 0 no regression, 1 regression, kExitInconclusive.
  int ExitStatus() const;
};

// Which rows to compute and show. Empty = all. Gated rows are always kept:
// the verdict never depends on a filter.
struct RowFilter {
  std::vector<std::string> accounts;
  std::vector<std::string> metrics;
};

// Compares per-seed summaries (baseline[i] and candidate[i] share a seed).
// Rows: every account of either side ("*" last) times StatisticalMetrics()
// then ExactMetrics(), less those `filter` drops (gated rows always stay).
// Every statistical row gets its (1 - alpha) interval and raw p; `*` when the
// interval excludes 0. Only gated rows decide (docs/statistics.md): each
// gated statistical row is tested against its tolerance T (signed-rank p of
// "shift = T"), Holm-adjusted within the gates; it is a REGRESSION when that
// p <= decision_alpha and the estimate lies beyond T, ok when its (1 -
// decision_alpha) interval lies within T, else INCONCLUSIVE. Exact rows:
// REGRESSION when any seed differs and the total change is beyond T, else ok.
// Ungated rows are exploratory: no correction, no verdict.
CompareResult CompareSummaries(const std::vector<RunSummary>& baseline,
                               const std::vector<RunSummary>& candidate, const std::vector<Gate>& gates,
                               double alpha);
CompareResult CompareSummaries(const std::vector<RunSummary>& baseline,
                               const std::vector<RunSummary>& candidate, const std::vector<Gate>& gates,
                               double alpha, double decision_alpha, const RowFilter& filter);

// Checks `filter` against the accounts and metrics the summaries have; the
// error names the unknown one (an InvalidArgument).
Status CheckRowFilter(const RowFilter& filter, const std::vector<RunSummary>& summaries);

// --- sequential comparison (--seeds auto) ---

// Looks at `round`, 2 round, ... pairs up to `max_pairs` (the last look at
// max_pairs). Error spending: look k gets alpha * (n_k - n_{k-1}) / max_pairs,
// so the looks' shares sum to alpha and, by the union bound, the chance of
// any false regression over all looks stays <= alpha.
// REQUIRES: 1 <= round, 1 <= max_pairs, 0 < alpha < 1.
std::vector<Look> PlanLooks(int round, int max_pairs, double alpha);

// Supplies pairs: the summaries of pairs [from, from + count), baseline and
// candidate side, in seed order.
using PairSource =
    std::function<StatusOr<std::pair<std::vector<RunSummary>, std::vector<RunSummary>>>(int from, int count)>;

// Takes looks as PlanLooks says, judging the gates at each look's share of
// alpha, and stops at the first look with a regression or with every gate
// decided (or at the last look). `on_look` (optional) sees each look's result.
StatusOr<CompareResult> CompareSequentially(const PairSource& source, const std::vector<Gate>& gates,
                                            double alpha, int round, int max_pairs, const RowFilter& filter,
                                            const std::function<void(const CompareResult&)>& on_look = {});

// --- output ---

// compare.csv / sweep.csv columns of a row (sweep's columns: unchanged).
std::vector<std::string> CompareCsvHeader();
std::vector<std::string> CompareCsvFields(const CompareRow& row);

enum class CompareFormat { kText, kMarkdown, kCsv, kJson };
// "text", "md", "csv", "json".
StatusOr<CompareFormat> ParseCompareFormat(const std::string& name);

std::string CompareText(const CompareResult& result);
std::string CompareMarkdown(const CompareResult& result);
// One line per row, every number at full precision; the header is
// CompareFullCsvHeader().
std::vector<std::string> CompareFullCsvHeader();
std::string CompareCsv(const CompareResult& result);
// Every field, per-seed values included, numbers as shortest round-trip.
std::string CompareJson(const CompareResult& result);
std::string FormatCompare(const CompareResult& result, CompareFormat format);

// A value of `metric` for people: durations in s/min/h/d, fractions in %,
// rates per hour, three significant digits.
std::string HumanValue(const std::string& metric, double value);

// --- the command ---


struct CompareOptions {
  std::string baseline;   // scenario file
  std::string candidate;  // scenario file, or "" with `variant`
  std::string variant;    // overlay deep-merged onto the baseline
  std::string gates;      // optional YAML file with a gate: section
  int seeds = 10;         // fixed number of pairs; with auto_seeds the round size
  bool auto_seeds = false;
  int max_seeds = 40;     // auto_seeds: the most pairs
  uint64_t first_seed = 1;
  int jobs = 2;
  std::string out_dir = "compare-out";
  double alpha = 0.05;
  SimRunner runner;  // REQUIRED unless saved
  ScenarioValidator validator;  // optional: every scenario checked before any run

  // Saved runs instead of running: per-seed run folders under these two.
  std::string saved_baseline;
  std::string saved_candidate;
  bool allow_mismatch = false;

  RowFilter filter;
  std::string names;  // "BASE,CAND" labels; "" = baseline,candidate
  CompareFormat format = CompareFormat::kText;
  bool keep_runs = false;
  bool quiet = false;
  ProgressOptions progress;
};

// Runs both sides (or reads saved runs), writes compare.csv, compare.json and
// compare.html into out_dir, prints the table. Returns 0 (no regression), 1
// (regression), kExitInconclusive (a gate undecided), or ExitStatusFor the
// error (2 bad input, 3 a failed write or run, 4 a bug).
int RunCompareCommand(const CompareOptions& options, std::ostream& out, std::ostream& err);

// A saved side: the summaries of the run folders directly under `dir`, sorted
// by seed (read from each folder's scenario.resolved.yaml), and their
// scenario hash (FNV-1a of scenario.resolved.yaml without its seed line).
struct SavedSide {
  std::vector<uint64_t> seeds;
  std::vector<RunSummary> summaries;
  std::vector<std::string> run_dirs;
  std::vector<std::string> hashes;
};
StatusOr<SavedSide> ReadSavedSide(const std::string& dir);

// The hash compare uses to tell saved runs of one scenario from another's.
std::string ScenarioHash(const std::string& resolved_yaml_text);

// --- shared with sweep ---

// The seeds first_seed .. first_seed + count - 1.
std::vector<uint64_t> SeedList(uint64_t first_seed, int count);

// Reads the summaries of finished runs, in order; an error names the first
// failed run and the end of its log (RunFailure).
StatusOr<std::vector<RunSummary>> ReadSummaries(const std::vector<SimRun>& runs,
                                                const std::vector<SimRunResult>& results);

// The gates that apply: those of `gates_file` if given, else the scenario's
// `gate:` section(s) in order, else DefaultGates(). A gate's account must be
// "*" or an account of one of `scenario_files`.
StatusOr<std::vector<Gate>> ResolveGates(const std::string& gates_file,
                                         const std::vector<std::string>& scenario_files);

}  // namespace qsim::reports
