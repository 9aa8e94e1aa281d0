// `qsim compare`: a baseline and a candidate run on the same seeds, compared
// metric by metric with paired statistics (reports/stats.h), judged against
// gates. Also the building blocks sweep reuses.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/expectations.h"
#include "reports/run_data.h"
#include "reports/runner.h"
#include "base/status.h"

namespace qsim::reports {

// Metrics compared with the signed-rank test, and those compared exactly.
const std::vector<std::string>& StatisticalMetrics();
const std::vector<std::string>& ExactMetrics();

struct CompareRow {
  std::string account;
  std::string metric;
  bool exact = false;  // compared exactly: delta = total over seeds, no test
  int pairs = 0;       // seeds where both runs have a value
  std::optional<double> baseline_median;
  std::optional<double> candidate_median;
  std::optional<double> delta;  // Hodges-Lehmann shift (exact: candidate total - baseline total)
  std::optional<double> ci_low;
  std::optional<double> ci_high;
  std::optional<double> p_value;
  std::optional<double> p_holm;  // within its family (gated or not)
  bool significant = false;
  std::string gate;     // the gate's tolerance ("+10%"), "" when ungated
  std::string verdict;  // "REGRESSION", "ok", "n/a" (gated, no data), "" (ungated)
};

struct CompareResult {
  int seeds = 0;
  double alpha = 0.05;
  std::vector<CompareRow> rows;
  std::vector<std::string> warnings;  // e.g. N too small to detect anything
  bool regression = false;
};

// Compares per-seed summaries (baseline[i] and candidate[i] share a seed).
// Rows: every account of the baseline's first summary (then any only the
// candidate has) times StatisticalMetrics() then ExactMetrics(). Holm-
// Bonferroni runs over two families: the gated rows (the decision) and the
// rest (exploratory). A gated row regresses when it is significant (adjusted
// p <= alpha; exact rows: any seed differs) and its delta exceeds the gate's
// tolerance (relative tolerances are fractions of the baseline median).
CompareResult CompareSummaries(const std::vector<RunSummary>& baseline,
                               const std::vector<RunSummary>& candidate, const std::vector<Gate>& gates,
                               double alpha);

// compare.csv / sweep.csv columns of a row.
std::vector<std::string> CompareCsvHeader();
std::vector<std::string> CompareCsvFields(const CompareRow& row);

std::string CompareText(const CompareResult& result);
std::string CompareJson(const CompareResult& result);

struct CompareOptions {
  std::string baseline;   // scenario file
  std::string candidate;  // scenario file, or "" with `variant`
  std::string variant;    // overlay deep-merged onto the baseline
  std::string gates;      // optional YAML file with a gate: section
  int seeds = 10;
  uint64_t first_seed = 1;
  int jobs = 2;
  std::string out_dir = "compare-out";
  double alpha = 0.05;
  SimRunner runner;  // REQUIRED
};

// Runs both sides, writes compare.csv, compare.json and compare.html into
// out_dir, prints the table. Returns 0 (no regression), 1 (regression), or
// ExitStatusFor the error (2 bad input, 3 a failed write or run, 4 a bug).
int RunCompareCommand(const CompareOptions& options, std::ostream& out, std::ostream& err);

// --- shared with sweep ---

// The seeds first_seed .. first_seed + count - 1.
std::vector<uint64_t> SeedList(uint64_t first_seed, int count);

// Reads the summaries of finished runs, in order; an error names the first
// failed run and the end of its log (RunFailure).
StatusOr<std::vector<RunSummary>> ReadSummaries(const std::vector<SimRun>& runs,
                                                const std::vector<SimRunResult>& results);

// The gates that apply: those of `gates_file` if given, else the scenario's
// `gate:` section(s) in order, else DefaultGates().
StatusOr<std::vector<Gate>> ResolveGates(const std::string& gates_file,
                                         const std::vector<std::string>& scenario_files);

}  // namespace qsim::reports
