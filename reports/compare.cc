#include "reports/compare.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <tuple>

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

// The shortest text that reads back as exactly `v` (std::to_chars).
std::string Exact(double v) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : "nan";
}
std::string ExactOr(const std::optional<double>& v, const std::string& none) {
  return v && std::isfinite(*v) ? Exact(*v) : none;
}

std::string JsonString(const std::string& s) { return runfolder::JsonQuote(s); }

std::string JsonNumber(const std::optional<double>& v) { return ExactOr(v, "null"); }

const Gate* FindGate(const std::vector<Gate>& gates, const std::string& account, const std::string& metric) {
  for (const Gate& g : gates) {
    if (g.metric == metric && g.account == account) return &g;
  }
  return nullptr;
}

// Phi^-1(p) for 0 < p < 1, by bisection on erfc: plenty for seed estimates.
double NormalQuantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

// The fewest pairs with an interval at confidence 1 - alpha whose best exact
// p also survives Holm's first step among m gates.
int FewestPairs(int m, double alpha) {
  int n = 1;
  while (n < 64 && stats::SmallestTwoSidedP(n) * std::max(1, m) > alpha) ++n;
  return n;
}

constexpr int kSeedsNeededCap = 100000;

}  // namespace

int CompareResult::ExitStatus() const {
  if (regression) return 1;
  if (inconclusive) return kExitInconclusive;
  return 0;
}

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

MetricInfo InfoFor(const std::string& metric) {
  if (metric == "throughput_per_hour") return {Better::kHigher, MetricUnit::kPerHour};
  if (metric == "utilisation") return {Better::kHigher, MetricUnit::kFraction};
  if (metric.size() > 2 && (metric.ends_with("_s") || metric.ends_with("_seconds"))) {
    return {Better::kLower, MetricUnit::kSeconds};
  }
  return {Better::kLower, MetricUnit::kCount};
}

namespace {

const char* UnitName(MetricUnit unit) {
  switch (unit) {
    case MetricUnit::kSeconds: return "s";
    case MetricUnit::kFraction: return "fraction";
    case MetricUnit::kPerHour: return "1/h";
    case MetricUnit::kCount: return "count";
  }
  return "";
}

// Three significant digits, no exponent for everyday magnitudes.
std::string Sig(double v, bool sign = false) {
  if (!std::isfinite(v)) return "nan";
  char buffer[64];
  double a = std::fabs(v);
  if (a == 0) return sign ? "+0" : "0";
  if (a >= 1000 || (a >= 100 && std::round(v) == v)) {
    std::snprintf(buffer, sizeof buffer, sign ? "%+.0f" : "%.0f", v);
  } else if (a >= 1e-3) {
    int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 2 - static_cast<int>(std::floor(std::log10(a)));
    std::snprintf(buffer, sizeof buffer, sign ? "%+.*f" : "%.*f", decimals, v);
    // Trailing zeros say nothing here ("2.50" -> "2.5").
    std::string s = buffer;
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  } else {
    std::snprintf(buffer, sizeof buffer, sign ? "%+.3g" : "%.3g", v);
  }
  return buffer;
}

// How a row's numbers are shown: one scale for the whole row.
struct Scale {
  double divisor = 1;
  std::string suffix;  // " min", "%", "/h", ""
};

Scale RowScale(const std::string& metric, double magnitude) {
  switch (InfoFor(metric).unit) {
    case MetricUnit::kSeconds: {
      TimeScale t = ChooseTimeScale(magnitude);
      return {t.divisor, " " + t.unit};
    }
    case MetricUnit::kFraction: return {0.01, "%"};
    case MetricUnit::kPerHour: return {1, "/h"};
    case MetricUnit::kCount: return {1, ""};
  }
  return {};
}

// A value, or with `sign` a change (fractions change in percentage points).
std::string Scaled(const Scale& scale, double v, bool sign = false) {
  return Sig(v / scale.divisor, sign) + (sign && scale.suffix == "%" ? " pp" : scale.suffix);
}

std::string Percent(double v) { return Sig(v, true) + "%"; }

}  // namespace

std::string HumanValue(const std::string& metric, double value) {
  return Scaled(RowScale(metric, std::fabs(value)), value);
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

SideStats Describe(const std::vector<double>& values) {
  SideStats s;
  s.values = values;
  if (values.empty()) return s;
  s.median = stats::Median(values);
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  return s;
}

std::optional<double> PercentOf(const std::optional<double>& v, const std::optional<double>& base) {
  if (!v || !base || *base == 0) return std::nullopt;
  return 100 * *v / std::fabs(*base);
}

// One metric of one account over the first `seeds` pairs: each side's median
// and range, and the exact total difference or the Hodges-Lehmann shift, its
// interval and the signed-rank p.
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
    row.pair_index.push_back(i);
  }
  row.pairs = static_cast<int>(diffs.size());
  row.baseline = Describe(base);
  row.candidate = Describe(cand);
  if (row.pairs == 0) return row;
  row.baseline_median = row.baseline.median;
  row.candidate_median = row.candidate.median;
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
    row.significant = row.ci_low && row.ci_high && (*row.ci_low > 0 || *row.ci_high < 0);
  }
  if (exact) {
    double base_total = 0;
    for (double b : base) base_total += b;
    row.delta_pct = PercentOf(row.delta, base_total);
  } else if (std::none_of(base.begin(), base.end(), [](double b) { return b == 0; })) {
    // The change in %: the same estimate and interval on the per-seed
    // relative changes, so it never passes -100% for a positive metric.
    std::vector<double> relative;
    for (size_t i = 0; i < base.size(); ++i) relative.push_back(100 * (cand[i] - base[i]) / std::fabs(base[i]));
    stats::ShiftEstimate pct = stats::HodgesLehmann(relative, 1 - alpha);
    row.delta_pct = pct.estimate;
    row.ci_low_pct = pct.low;
    row.ci_high_pct = pct.high;
  }
  if (row.significant && row.delta && *row.delta != 0) {
    bool higher = *row.delta > 0;
    row.direction = higher == (InfoFor(metric).better == Better::kHigher) ? "better" : "worse";
  }
  return row;
}

// The paired differences of a row, recomputed from its per-seed values.
std::vector<double> Differences(const CompareRow& row) {
  std::vector<double> d;
  for (size_t i = 0; i < row.baseline.values.size(); ++i) d.push_back(row.candidate.values[i] - row.baseline.values[i]);
  return d;
}

// About how many pairs would decide an undecided gate: the interval's half
// width shrinks like 1/sqrt(n), estimated from the standard deviation of the
// differences (docs/statistics.md). nullopt when nothing can be said (no
// spread yet, or the shift sits exactly on the tolerance).
std::optional<int> SeedsToDecide(const CompareRow& row, double bad_sign, double tolerance, int gates,
                                 double alpha) {
  std::vector<double> d = Differences(row);
  const int floor_n = FewestPairs(gates, alpha);
  if (d.size() < 2) return floor_n;
  double mean = 0;
  for (double x : d) mean += x;
  mean /= static_cast<double>(d.size());
  double var = 0;
  for (double x : d) var += (x - mean) * (x - mean);
  double sd = std::sqrt(var / static_cast<double>(d.size() - 1));
  double est = bad_sign * row.delta.value_or(mean);
  if (sd == 0) return std::max(floor_n, static_cast<int>(d.size()) + 1);
  double margin;
  double z;
  if (est < tolerance) {  // to pass: est + z sd / sqrt(n) <= tolerance
    margin = tolerance - est;
    z = NormalQuantile(1 - alpha / 2);
  } else {  // to be a regression: est - z sd / sqrt(n) > tolerance, Holm's worst step
    margin = est - tolerance;
    z = NormalQuantile(1 - alpha / (2 * std::max(1, gates)));
  }
  if (margin <= 0) return std::nullopt;
  double n = std::ceil(std::pow(z * sd / margin, 2));
  if (!(n < kSeedsNeededCap)) return kSeedsNeededCap;
  return std::max(floor_n, std::max(static_cast<int>(n), static_cast<int>(d.size()) + 1));
}

// The two-sided signed-rank p of "the shift equals the tolerance", on the
// side (increase or decrease) the estimate lies beyond; when it lies within
// both, the increase side's (or the decrease side's when there is none): a
// regression then needs the estimate beyond, so that p never decides one.
double GateTestP(const Gate& gate, const CompareRow& row) {
  const double base = *row.baseline_median;
  std::vector<double> d = Differences(row);
  auto shifted_p = [&](double offset) {
    std::vector<double> s = d;
    for (double& x : s) x -= offset;
    return stats::WilcoxonSignedRank(s).p_value;
  };
  if (gate.max_decrease && -*row.delta > gate.max_decrease->Allowed(base)) {
    return shifted_p(-gate.max_decrease->Allowed(base));
  }
  if (gate.max_increase) return shifted_p(gate.max_increase->Allowed(base));
  if (gate.max_decrease) return shifted_p(-gate.max_decrease->Allowed(base));
  return 1;  // a gate without a tolerance (ParseGates refuses those) never regresses
}

// Judges one gated row at `decision_alpha`; its p_holm is set.
void JudgeGate(const Gate& gate, int gate_count, double decision_alpha, CompareRow& row) {
  row.gate = gate.Describe();
  if (row.pairs == 0 || !row.delta || !row.baseline_median) {
    row.verdict = "n/a";
    return;
  }
  const double base = *row.baseline_median;
  if (row.exact) {
    bool beyond = (gate.max_increase && *row.delta > gate.max_increase->Allowed(base)) ||
                  (gate.max_decrease && -*row.delta > gate.max_decrease->Allowed(base));
    row.verdict = row.significant && beyond ? "REGRESSION" : "ok";
    return;
  }
  stats::ShiftEstimate shift = stats::HodgesLehmann(Differences(row), 1 - decision_alpha);
  row.gate_low = shift.low;
  row.gate_high = shift.high;
  const bool holm_significant = row.p_holm && *row.p_holm <= decision_alpha;
  bool beyond = false, within = shift.low.has_value();
  if (gate.max_increase) {
    double t = gate.max_increase->Allowed(base);
    beyond = beyond || *row.delta > t;
    within = within && *shift.high <= t;
  }
  if (gate.max_decrease) {
    double t = gate.max_decrease->Allowed(base);
    beyond = beyond || -*row.delta > t;
    within = within && *shift.low >= -t;
  }
  if (holm_significant && beyond) {
    row.verdict = "REGRESSION";
  } else if (within) {
    row.verdict = "ok";
  } else {
    row.verdict = "INCONCLUSIVE";
    // The side that needs the most pairs decides.
    std::optional<int> need;
    auto consider = [&](double sign, const Tolerance& t) {
      std::optional<int> n = SeedsToDecide(row, sign, t.Allowed(base), gate_count, decision_alpha);
      if (n && (!need || *n > *need)) need = n;
    };
    if (gate.max_increase) consider(+1, *gate.max_increase);
    if (gate.max_decrease) consider(-1, *gate.max_decrease);
    row.seeds_needed = need;
  }
}

bool Wanted(const std::vector<std::string>& list, const std::string& item) {
  return list.empty() || std::find(list.begin(), list.end(), item) != list.end();
}

std::string GateName(const CompareRow& row) { return row.metric + "[" + row.account + "] " + row.gate; }

}  // namespace

Status CheckRowFilter(const RowFilter& filter, const std::vector<RunSummary>& summaries) {
  for (const std::string& m : filter.metrics) {
    if (!Wanted(StatisticalMetrics(), m) && !Wanted(ExactMetrics(), m)) {
      std::string known;
      for (const auto* list : {&StatisticalMetrics(), &ExactMetrics()}) {
        for (const std::string& k : *list) known += (known.empty() ? "" : ", ") + k;
      }
      return InvalidArgument("--metrics: unknown metric \"" + m + "\"; compare knows " + known);
    }
  }
  std::vector<std::string> accounts = AllAccounts(summaries, {});
  for (const std::string& a : filter.accounts) {
    if (std::find(accounts.begin(), accounts.end(), a) == accounts.end()) {
      std::string known;
      for (const std::string& k : accounts) known += (known.empty() ? "" : ", ") + k;
      return InvalidArgument("--accounts: no run has an account \"" + a + "\"; the runs have " + known);
    }
  }
  return Status::Ok();
}

CompareResult CompareSummaries(const std::vector<RunSummary>& baseline,
                               const std::vector<RunSummary>& candidate, const std::vector<Gate>& gates,
                               double alpha) {
  return CompareSummaries(baseline, candidate, gates, alpha, alpha, RowFilter{});
}

CompareResult CompareSummaries(const std::vector<RunSummary>& baseline,
                               const std::vector<RunSummary>& candidate, const std::vector<Gate>& gates,
                               double alpha, double decision_alpha, const RowFilter& filter) {
  CompareResult result;
  result.alpha = alpha;
  result.decision_alpha = decision_alpha;
  result.seeds = static_cast<int>(std::min(baseline.size(), candidate.size()));
  std::vector<std::string> accounts = AllAccounts(baseline, candidate);
  for (const std::string& account : accounts) {
    for (bool exact : {false, true}) {
      for (const std::string& metric : exact ? ExactMetrics() : StatisticalMetrics()) {
        const Gate* gate = FindGate(gates, account, metric);
        if (!gate && !(Wanted(filter.accounts, account) && Wanted(filter.metrics, metric))) continue;
        CompareRow row = CompareMetric(baseline, candidate, result.seeds, account, metric, exact, alpha);
        if (gate) row.gate = gate->Describe();
        result.rows.push_back(std::move(row));
      }
    }
  }
  // The confirmatory family: one test per gated statistical row, of "the
  // shift equals the tolerance" on the side the estimate lies beyond.
  std::vector<size_t> family;
  std::vector<double> ps;
  for (size_t i = 0; i < result.rows.size(); ++i) {
    const CompareRow& row = result.rows[i];
    const Gate* gate = FindGate(gates, row.account, row.metric);
    if (!gate || row.exact || !row.delta || !row.baseline_median) continue;
    family.push_back(i);
    ps.push_back(GateTestP(*gate, row));
  }
  std::vector<double> adjusted = stats::HolmAdjust(ps);
  for (size_t k = 0; k < family.size(); ++k) result.rows[family[k]].p_holm = adjusted[k];
  const int gate_count = std::max<int>(1, static_cast<int>(family.size()));

  int undecided = 0;
  for (CompareRow& row : result.rows) {
    const Gate* gate = FindGate(gates, row.account, row.metric);
    if (!gate) continue;
    JudgeGate(*gate, gate_count, decision_alpha, row);
    if (row.verdict == "REGRESSION") result.regression = true;
    if (row.verdict == "INCONCLUSIVE") {
      ++undecided;
      std::string why = !row.gate_low ? "no interval exists at this n" : "its interval reaches past the tolerance";
      std::string need = row.seeds_needed
                             ? (*row.seeds_needed >= kSeedsNeededCap
                                    ? "; more than " + std::to_string(kSeedsNeededCap) + " pairs would be needed"
                                    : "; about " + std::to_string(*row.seeds_needed) +
                                          " pairs would decide it (--seeds " + std::to_string(*row.seeds_needed) +
                                          ", or --seeds auto)")
                             : "; the shift sits on the tolerance: more seeds may not decide it";
      result.warnings.push_back("gate " + GateName(row) + " undecided at n = " + std::to_string(row.pairs) + ": " +
                                why + need);
    }
  }
  result.inconclusive = !result.regression && undecided > 0;
  for (const Gate& g : gates) {
    if (std::find(accounts.begin(), accounts.end(), g.account) == accounts.end()) {
      result.warnings.push_back(g.where + ": gate on account \"" + g.account +
                                "\", which no run has: nothing to check");
    }
  }
  return result;
}

std::vector<Look> PlanLooks(int round, int max_pairs, double alpha) {
  std::vector<Look> looks;
  int previous = 0;
  for (int n = std::min(round, max_pairs);; n = std::min(n + round, max_pairs)) {
    looks.push_back({n, alpha * (n - previous) / max_pairs});
    previous = n;
    if (n == max_pairs) break;
  }
  return looks;
}

StatusOr<CompareResult> CompareSequentially(const PairSource& source, const std::vector<Gate>& gates,
                                            double alpha, int round, int max_pairs, const RowFilter& filter,
                                            const std::function<void(const CompareResult&)>& on_look) {
  std::vector<Look> plan = PlanLooks(round, max_pairs, alpha);
  std::vector<RunSummary> base, cand;
  CompareResult result;
  std::vector<Look> taken;
  for (const Look& look : plan) {
    int have = static_cast<int>(base.size());
    auto more = source(have, look.pairs - have);
    if (!more.ok()) return more.status();
    base.insert(base.end(), more->first.begin(), more->first.end());
    cand.insert(cand.end(), more->second.begin(), more->second.end());
    if (static_cast<int>(base.size()) != look.pairs || cand.size() != base.size()) {
      return Internal("compare: the pair source returned " + std::to_string(base.size()) + " and " +
                      std::to_string(cand.size()) + " summaries, expected " + std::to_string(look.pairs));
    }
    result = CompareSummaries(base, cand, gates, alpha, look.alpha, filter);
    taken.push_back(look);
    result.looks = taken;
    if (on_look) on_look(result);
    if (!result.inconclusive) break;
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

StatusOr<CompareFormat> ParseCompareFormat(const std::string& name) {
  if (name == "text") return CompareFormat::kText;
  if (name == "md" || name == "markdown") return CompareFormat::kMarkdown;
  if (name == "csv") return CompareFormat::kCsv;
  if (name == "json") return CompareFormat::kJson;
  return InvalidArgument("--format: expected text, md, csv or json, got \"" + name + "\"");
}

namespace {

std::string Mark(const CompareRow& row) {
  if (row.exact) return row.significant ? "!=" : "=";
  return row.significant ? "*" : "~";
}

std::string P(const std::optional<double>& p) {
  if (!p) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, *p >= 0.01 ? "%.2f" : "%.2g", *p);
  return buffer;
}

// The cells of a row for people: medians with [min, max], change, % and
// interval in the row's scale.
std::vector<std::string> HumanCells(const CompareRow& row) {
  double magnitude = 0;
  for (const auto& v : {row.baseline_median, row.candidate_median}) {
    if (v) magnitude = std::max(magnitude, std::fabs(*v));
  }
  Scale scale = RowScale(row.metric, magnitude);
  auto side = [&](const SideStats& s) -> std::string {
    if (!s.median) return "-";
    std::string text = Scaled(scale, *s.median);
    if (s.values.size() > 1) text += " [" + Sig(*s.min / scale.divisor) + ", " + Sig(*s.max / scale.divisor) + "]";
    return text;
  };
  std::string change, pct, interval;
  if (row.delta) {
    change = Scaled(scale, *row.delta, true);
    if (row.exact) change += " total";
    if (row.delta_pct) pct = Percent(*row.delta_pct);
  }
  if (row.exact) {
    interval = "(exact)";
  } else if (row.ci_low && row.ci_high) {
    interval = row.ci_low_pct ? "[" + Percent(*row.ci_low_pct) + ", " + Percent(*row.ci_high_pct) + "]"
                              : "[" + Scaled(scale, *row.ci_low, true) + ", " + Scaled(scale, *row.ci_high, true) + "]";
  } else if (row.pairs > 0) {
    interval = "(n too small)";
  }
  std::string verdict = row.verdict;
  if (row.verdict == "INCONCLUSIVE" && row.seeds_needed) {
    verdict += *row.seeds_needed >= kSeedsNeededCap ? " (n > " + std::to_string(kSeedsNeededCap) + ")"
                                                     : " (n ~ " + std::to_string(*row.seeds_needed) + ")";
  }
  return {row.account, row.metric,          side(row.baseline), side(row.candidate),
          change,      pct,                 interval,           Mark(row),
          P(row.p_value), std::to_string(row.pairs), row.direction, row.gate, verdict};
}

std::vector<std::string> HumanHeader(const CompareResult& result) {
  return {"account",
          "metric",
          result.baseline_name + " median [min, max]",
          result.candidate_name + " median [min, max]",
          "change",
          "%",
          Sig(100 * (1 - result.alpha)) + "% interval",
          "",
          "p",
          "n",
          "",
          "gate",
          "verdict"};
}

std::string SeedRange(const CompareResult& result) {
  if (result.seed_list.empty()) return std::to_string(result.seeds) + " seed pairs";
  std::vector<uint64_t> s(result.seed_list.begin(), result.seed_list.begin() + result.seeds);
  bool consecutive = true;
  for (size_t i = 1; i < s.size(); ++i) consecutive = consecutive && s[i] == s[i - 1] + 1;
  std::string range = s.empty() ? "" : consecutive ? std::to_string(s.front()) + ".." + std::to_string(s.back())
                                                   : std::to_string(s.size()) + " listed in the JSON";
  return std::to_string(result.seeds) + " seed pairs (" + range + ")";
}

int CountVerdict(const CompareResult& result, const std::string& verdict) {
  int n = 0;
  for (const CompareRow& row : result.rows) n += row.verdict == verdict;
  return n;
}

// The closing lines shared by text and Markdown.
std::vector<std::string> Footer(const CompareResult& result) {
  std::vector<std::string> lines;
  lines.push_back("change = Hodges-Lehmann estimate of the paired shift (" + result.candidate_name + " - " +
                  result.baseline_name + "); % and interval = the same on per-seed % changes (in units when a " +
                  result.baseline_name + " value is 0); p = raw Wilcoxon signed-rank p; * = the interval "
                  "excludes 0, ~ = it does not; exact rows: total over the seeds, != any seed differs; "
                  "docs/statistics.md");
  int tested = 0, exact = 0;
  for (const CompareRow& r : result.rows) {
    if (r.gate.empty()) continue;
    (r.exact ? exact : tested) += 1;
  }
  lines.push_back("the verdict rests on the gated rows only: " + std::to_string(tested) +
                  " tested gate(s), Holm at alpha " + runfolder::FormatNumber(result.decision_alpha) + ", and " +
                  std::to_string(exact) + " exact one(s)" +
                  (result.rows.size() == static_cast<size_t>(tested + exact)
                       ? std::string()
                       : "; the " + std::to_string(result.rows.size() - tested - exact) +
                             " ungated row(s) are exploratory, uncorrected: about 1 in " +
                             std::to_string(static_cast<int>(std::lround(1 / result.alpha))) +
                             " unchanged metrics shows * by chance alone"));
  if (!result.looks.empty()) {
    std::string looks;
    for (const Look& l : result.looks) {
      looks += (looks.empty() ? "" : ", ") + std::to_string(l.pairs) + " pairs at " + runfolder::FormatNumber(l.alpha);
    }
    lines.push_back("--seeds auto: looks " + looks + " (alpha spent in proportion to pairs, docs/statistics.md)");
  }
  for (const std::string& w : result.warnings) lines.push_back("warning: " + w);
  int regressions = CountVerdict(result, "REGRESSION");
  int undecided = CountVerdict(result, "INCONCLUSIVE");
  if (result.regression) {
    lines.push_back("verdict: REGRESSION: " + std::to_string(regressions) + " gate(s) regressed (exit 1)");
  } else if (result.inconclusive) {
    lines.push_back("verdict: INCONCLUSIVE: " + std::to_string(undecided) + " gate(s) undecided at n = " +
                    std::to_string(result.seeds) + " (exit " + std::to_string(kExitInconclusive) + ")");
  } else {
    lines.push_back("verdict: no regression: every gate decided within its tolerance");
  }
  return lines;
}

std::string AlignedTable(const std::vector<std::vector<std::string>>& table) {
  std::vector<size_t> width(table[0].size(), 0);
  for (const auto& r : table) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  std::string text;
  for (const auto& r : table) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size() && width[c] > 0) line += std::string(width[c] - r[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

std::string MdCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

std::string CompareText(const CompareResult& result) {
  std::string text = "qsim compare: " + result.baseline_name + " vs " + result.candidate_name + ", " +
                     SeedRange(result) + "\n";
  std::vector<std::vector<std::string>> table = {HumanHeader(result)};
  for (const CompareRow& row : result.rows) table.push_back(HumanCells(row));
  text += AlignedTable(table);
  for (const std::string& line : Footer(result)) text += line + "\n";
  return text;
}

std::string CompareMarkdown(const CompareResult& result) {
  std::string md = "### qsim compare: " + MdCell(result.baseline_name) + " vs " + MdCell(result.candidate_name) +
                   ", " + SeedRange(result) + "\n\n";
  std::vector<std::string> header = HumanHeader(result);
  header[7] = "sig";
  header[10] = "direction";
  std::string line = "|", rule = "|";
  for (const std::string& h : header) {
    line += " " + MdCell(h) + " |";
    rule += "---|";
  }
  md += line + "\n" + rule + "\n";
  for (const CompareRow& row : result.rows) {
    std::vector<std::string> cells = HumanCells(row);
    if (row.verdict == "REGRESSION" || row.verdict == "INCONCLUSIVE") cells.back() = "**" + cells.back() + "**";
    line = "|";
    for (const std::string& c : cells) line += " " + MdCell(c) + " |";
    md += line + "\n";
  }
  md += "\n";
  for (const std::string& l : Footer(result)) {
    md += (l.starts_with("verdict:") ? "**" + MdCell(l) + "**" : MdCell(l)) + "\n\n";
  }
  return md;
}

std::vector<std::string> CompareFullCsvHeader() {
  return {"account",    "metric",          "unit",          "better",          "kind",       "n",
          "baseline_median", "baseline_min", "baseline_max", "candidate_median", "candidate_min",
          "candidate_max", "change",      "change_pct",    "ci_low",          "ci_high",    "ci_low_pct",
          "ci_high_pct", "p",             "p_holm",        "significant",     "direction",  "gate",
          "gate_low",    "gate_high",     "verdict",       "seeds_needed"};
}

std::string CompareCsv(const CompareResult& result) {
  std::string csv = runfolder::CsvLine(CompareFullCsvHeader());
  for (const CompareRow& r : result.rows) {
    MetricInfo info = InfoFor(r.metric);
    csv += runfolder::CsvLine({r.account,
                               r.metric,
                               UnitName(info.unit),
                               info.better == Better::kLower ? "lower" : "higher",
                               r.exact ? "exact" : "wilcoxon",
                               std::to_string(r.pairs),
                               ExactOr(r.baseline.median, ""),
                               ExactOr(r.baseline.min, ""),
                               ExactOr(r.baseline.max, ""),
                               ExactOr(r.candidate.median, ""),
                               ExactOr(r.candidate.min, ""),
                               ExactOr(r.candidate.max, ""),
                               ExactOr(r.delta, ""),
                               ExactOr(r.delta_pct, ""),
                               ExactOr(r.ci_low, ""),
                               ExactOr(r.ci_high, ""),
                               ExactOr(r.ci_low_pct, ""),
                               ExactOr(r.ci_high_pct, ""),
                               ExactOr(r.p_value, ""),
                               ExactOr(r.p_holm, ""),
                               Mark(r),
                               r.direction,
                               r.gate,
                               ExactOr(r.gate_low, ""),
                               ExactOr(r.gate_high, ""),
                               r.verdict,
                               r.seeds_needed ? std::to_string(*r.seeds_needed) : ""});
  }
  return csv;
}

std::string CompareJson(const CompareResult& result) {
  auto list = [](const std::vector<std::string>& items) {
    std::string s = "[";
    for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i];
    return s + "]";
  };
  std::vector<std::string> seeds, warnings, looks;
  for (int i = 0; i < result.seeds && i < static_cast<int>(result.seed_list.size()); ++i) {
    seeds.push_back(std::to_string(result.seed_list[i]));
  }
  for (const std::string& w : result.warnings) warnings.push_back(JsonString(w));
  for (const Look& l : result.looks) {
    looks.push_back("{\"pairs\": " + std::to_string(l.pairs) + ", \"alpha\": " + Exact(l.alpha) + "}");
  }
  std::string verdict = result.regression ? "regression" : result.inconclusive ? "inconclusive" : "ok";
  std::string json = "{\n  \"format\": \"qsim-compare/2\",\n  \"baseline_name\": " +
                     JsonString(result.baseline_name) + ",\n  \"candidate_name\": " +
                     JsonString(result.candidate_name) + ",\n  \"seeds\": " + std::to_string(result.seeds) +
                     ",\n  \"seed_list\": " + list(seeds) + ",\n  \"alpha\": " + Exact(result.alpha) +
                     ",\n  \"decision_alpha\": " + Exact(result.decision_alpha) + ",\n  \"looks\": " + list(looks) +
                     ",\n  \"verdict\": " + JsonString(verdict) + ",\n  \"exit_status\": " +
                     std::to_string(result.ExitStatus()) + ",\n  \"regression\": " +
                     (result.regression ? "true" : "false") + ",\n  \"inconclusive\": " +
                     (result.inconclusive ? "true" : "false") + ",\n  \"warnings\": " + list(warnings) +
                     ",\n  \"rows\": [\n";
  auto side = [&](const SideStats& s) {
    std::vector<std::string> values;
    for (double v : s.values) values.push_back(Exact(v));
    return "{\"median\": " + JsonNumber(s.median) + ", \"min\": " + JsonNumber(s.min) +
           ", \"max\": " + JsonNumber(s.max) + ", \"values\": " + list(values) + "}";
  };
  for (size_t i = 0; i < result.rows.size(); ++i) {
    const CompareRow& r = result.rows[i];
    MetricInfo info = InfoFor(r.metric);
    std::vector<std::string> row_seeds;
    for (int k : r.pair_index) {
      row_seeds.push_back(k < static_cast<int>(result.seed_list.size()) ? std::to_string(result.seed_list[k])
                                                                         : "null");
    }
    json += "    {\"account\": " + JsonString(r.account) + ", \"metric\": " + JsonString(r.metric) +
            ", \"unit\": " + JsonString(UnitName(info.unit)) +
            ", \"better\": " + JsonString(info.better == Better::kLower ? "lower" : "higher") +
            ", \"kind\": " + JsonString(r.exact ? "exact" : "wilcoxon") + ", \"n\": " + std::to_string(r.pairs) +
            ", \"seeds\": " + list(row_seeds) + ", \"baseline\": " + side(r.baseline) +
            ", \"candidate\": " + side(r.candidate) + ", \"change\": " + JsonNumber(r.delta) +
            ", \"change_pct\": " + JsonNumber(r.delta_pct) + ", \"ci_low\": " + JsonNumber(r.ci_low) +
            ", \"ci_high\": " + JsonNumber(r.ci_high) + ", \"ci_low_pct\": " + JsonNumber(r.ci_low_pct) +
            ", \"ci_high_pct\": " + JsonNumber(r.ci_high_pct) + ", \"p\": " + JsonNumber(r.p_value) +
            ", \"p_holm\": " + JsonNumber(r.p_holm) + ", \"significant\": " + (r.significant ? "true" : "false") +
            ", \"direction\": " + JsonString(r.direction) + ", \"gate\": " + JsonString(r.gate) +
            ", \"gate_low\": " + JsonNumber(r.gate_low) + ", \"gate_high\": " + JsonNumber(r.gate_high) +
            ", \"verdict\": " + JsonString(r.verdict) + ", \"seeds_needed\": " +
            (r.seeds_needed ? std::to_string(*r.seeds_needed) : "null") + "}" +
            (i + 1 < result.rows.size() ? "," : "") + "\n";
  }
  json += "  ]\n}\n";
  return json;
}

std::string FormatCompare(const CompareResult& result, CompareFormat format) {
  switch (format) {
    case CompareFormat::kText: return CompareText(result);
    case CompareFormat::kMarkdown: return CompareMarkdown(result);
    case CompareFormat::kCsv: return CompareCsv(result);
    case CompareFormat::kJson: return CompareJson(result);
  }
  return CompareText(result);
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
  // A gate may name an account of either scenario (or "*"), checked before
  // any run: a gate on an account neither defines could never be judged.
  std::set<std::string> accounts;
  for (const std::string& file : scenario_files) {
    StatusOr<YAML::Node> root = LoadYamlFile(file);
    if (!root.ok()) return root.status();
    accounts.merge(ScenarioAccountIds(*root));
  }
  std::vector<std::string> sources = gates_file.empty() ? scenario_files : std::vector<std::string>{gates_file};
  for (const std::string& file : sources) {
    StatusOr<YAML::Node> root = LoadYamlFile(file);
    if (!root.ok()) return root.status();
    StatusOr<std::vector<Gate>> gates = ParseGates(*root, file, &accounts);
    if (!gates.ok()) return gates.status();
    if (!gates->empty()) return gates;
    if (!gates_file.empty()) return InvalidArgument(gates_file + ": has no gate: entries");
  }
  return DefaultGates();
}

std::string ScenarioHash(const std::string& resolved_yaml_text) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits
  size_t start = 0;
  while (start < resolved_yaml_text.size()) {
    size_t end = resolved_yaml_text.find('\n', start);
    if (end == std::string::npos) end = resolved_yaml_text.size();
    std::string_view line(resolved_yaml_text.data() + start, end - start);
    if (!line.starts_with("seed:")) {  // the top-level seed line only
      for (char c : line) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
      }
      h ^= '\n';
      h *= 1099511628211ull;
    }
    start = end + 1;
  }
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

StatusOr<SavedSide> ReadSavedSide(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound(dir + ": no such folder");
  std::vector<std::string> folders;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code is_dir_ec;
    if (it->is_directory(is_dir_ec) && FileExists(RunFile(it->path().string(), "summary.csv"))) {
      folders.push_back(it->path().string());
    }
  }
  if (ec) return IoError(dir + ": cannot list: " + ec.message());
  if (folders.empty()) return NotFound(dir + ": no run folders (subfolders with a summary.csv)");
  std::sort(folders.begin(), folders.end());
  struct One {
    uint64_t seed;
    std::string dir, hash;
    RunSummary summary;
  };
  std::vector<One> runs;
  for (const std::string& folder : folders) {
    std::string resolved = RunFile(folder, "scenario.resolved.yaml");
    StatusOr<std::string> text = runfolder::ReadTextFile(resolved);
    if (!text.ok()) return NotFound(resolved + ": missing; compare pairs saved runs by the seed it records");
    StatusOr<YAML::Node> root = LoadYamlText(*text, resolved);
    if (!root.ok()) return root.status();
    uint64_t seed = 0;
    try {
      if (!(*root)["seed"]) return InvalidArgument(resolved + ": no seed: line");
      seed = (*root)["seed"].as<uint64_t>();
    } catch (const YAML::Exception& e) {
      return InvalidArgument(resolved + ": seed: not an unsigned integer");
    }
    StatusOr<RunSummary> summary = ReadRunSummary(folder);
    if (!summary.ok()) return summary.status();
    runs.push_back({seed, folder, ScenarioHash(*text), std::move(*summary)});
  }
  std::stable_sort(runs.begin(), runs.end(), [](const One& a, const One& b) { return a.seed < b.seed; });
  SavedSide side;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i > 0 && runs[i].seed == runs[i - 1].seed) {
      return InvalidArgument(dir + ": two runs with seed " + std::to_string(runs[i].seed) + ": " + runs[i - 1].dir +
                             " and " + runs[i].dir);
    }
    side.seeds.push_back(runs[i].seed);
    side.run_dirs.push_back(runs[i].dir);
    side.hashes.push_back(runs[i].hash);
    side.summaries.push_back(std::move(runs[i].summary));
  }
  return side;
}

namespace {

// The pooled waits of both sides, for the CDF in compare.html.
struct PooledWaits {
  std::vector<double> side[2];
};

Status AddWaits(const std::string& run_dir, std::vector<double>& pooled) {
  std::string path = RunFile(run_dir, runfolder::kTasksFile);
  if (!FileExists(path)) return Status::Ok();
  StatusOr<TaskWaits> waits = ReadTaskWaits(path);
  if (!waits.ok()) return waits.status();
  for (const auto& [account, values] : waits->by_account) pooled.insert(pooled.end(), values.begin(), values.end());
  return Status::Ok();
}

// Per-seed values of the fleet row for each statistical metric, baseline vs
// candidate, and the pooled wait CDFs.
std::string BuildCompareHtml(const CompareResult& result, const std::vector<RunSummary>& base,
                             const std::vector<RunSummary>& cand, const PooledWaits& waits,
                             const std::string& title) {
  HtmlPage page(title);
  for (const std::string& w : result.warnings) page.AddNotice(w);
  page.AddParagraph(result.regression     ? "Verdict: regression (see the verdict column)."
                    : result.inconclusive ? "Verdict: inconclusive (a gate could not be decided at this n)."
                                          : "Verdict: no regression.");
  page.AddHeading("Wait time distribution, all seeds pooled");
  svg::XyChart cdf = WaitCdfChart("compare-wait-cdf", "Wait time CDF: " + result.baseline_name + " vs " +
                                                          result.candidate_name,
                                  {{result.baseline_name, waits.side[0]}, {result.candidate_name, waits.side[1]}},
                                  true);
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
    const std::string names[2] = {result.baseline_name, result.candidate_name};
    for (int side = 0; side < 2; ++side) {
      svg::Series s;
      s.name = names[side];
      s.style = svg::SeriesStyle::kPoints;
      for (size_t i = 0; i < sides[side]->size() && i < result.seed_list.size(); ++i) {
        std::optional<double> v = (*sides[side])[i].Get("*", metric);
        if (!v) continue;
        s.x.push_back(static_cast<double>(result.seed_list[i]));
        s.y.push_back(*v);
      }
      chart.series.push_back(std::move(s));
    }
    page.AddChart(chart.id, svg::RenderXyChart(chart));
  }
  page.AddHeading("All metrics");
  std::vector<std::vector<std::string>> rows;
  for (const CompareRow& row : result.rows) rows.push_back(HumanCells(row));
  page.AddTable(HumanHeader(result), rows);
  return page.Render();
}

StatusOr<std::pair<std::string, std::string>> ParseNames(const std::string& names) {
  if (names.empty()) return std::pair<std::string, std::string>{"baseline", "candidate"};
  std::vector<std::string> parts = SplitString(names, ',');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty() || parts[0] == parts[1]) {
    return InvalidArgument("--name: expected BASE,CAND (two different non-empty labels), got \"" + names + "\"");
  }
  return std::pair<std::string, std::string>{parts[0], parts[1]};
}

Status CheckCompareOptions(const CompareOptions& options) {
  const bool saved = !options.saved_baseline.empty() || !options.saved_candidate.empty();
  if (saved) {
    if (options.saved_baseline.empty() || options.saved_candidate.empty()) {
      return InvalidArgument("--saved needs two folders: BASE_DIR CAND_DIR");
    }
    if (!options.baseline.empty() || !options.candidate.empty() || !options.variant.empty()) {
      return InvalidArgument("--saved compares saved runs: give no scenario or --variant with it");
    }
    if (options.auto_seeds) return InvalidArgument("--seeds auto runs seeds: it cannot be used with --saved");
  } else {
    if (options.baseline.empty()) return InvalidArgument("give a baseline scenario, or --saved BASE_DIR CAND_DIR");
    if (options.candidate.empty() == options.variant.empty()) {
      return InvalidArgument("give either a candidate scenario or --variant OVERLAY.yaml (exactly one)");
    }
    if (!options.runner) return Internal("compare: no simulation runner");
  }
  QSIM_RETURN_IF_ERROR(CheckSeedRange(options.first_seed, options.auto_seeds ? options.max_seeds : options.seeds));
  if (options.auto_seeds && options.max_seeds < options.seeds) {
    return InvalidArgument("--max-seeds (" + std::to_string(options.max_seeds) + ") must be >= the round size (" +
                           std::to_string(options.seeds) + ", --round)");
  }
  if (options.jobs < 1) return InvalidArgument("--jobs must be >= 1");
  if (!(options.alpha > 0 && options.alpha < 1)) {
    return InvalidArgument("--alpha must be in (0, 1), got " + runfolder::FormatNumber(options.alpha));
  }
  for (const std::string& m : options.filter.metrics) {
    QSIM_RETURN_IF_ERROR(CheckRowFilter({{}, {m}}, {}));
  }
  return ParseNames(options.names).status();
}

// The accounts a scenario declares, plus "*"; empty when it declares none.
std::vector<std::string> ScenarioAccounts(const std::string& path) {
  std::vector<std::string> accounts;
  StatusOr<YAML::Node> root = LoadYamlFile(path);
  if (!root.ok() || !(*root)["accounts"] || !(*root)["accounts"].IsMap()) return accounts;
  try {
    for (const auto& kv : (*root)["accounts"]) accounts.push_back(kv.first.as<std::string>());
  } catch (const YAML::Exception&) {
    return {};  // not a plain map of names: the run itself will say what is wrong
  }
  accounts.push_back("*");
  return accounts;
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

// Runs pairs for `seeds` (both sides), a few at a time, reading each run's
// summary and waits and, unless keep_runs, deleting the run afterwards.
class PairRunner {
 public:
  PairRunner(const CompareOptions& o, std::string base_scenario, std::string cand_scenario,
             std::vector<uint64_t> seeds, Progress& progress)
      : o_(o), scenario_{std::move(base_scenario), std::move(cand_scenario)}, seeds_(std::move(seeds)),
        progress_(progress) {}

  StatusOr<std::pair<std::vector<RunSummary>, std::vector<RunSummary>>> Run(int from, int count) {
    std::pair<std::vector<RunSummary>, std::vector<RunSummary>> out;
    target_runs_ = done_runs_ + 2 * count;
    const int chunk = std::max(1, o_.jobs);  // seeds per batch (2 x jobs runs); progress and deletion between batches
    for (int start = from; start < from + count; start += chunk) {
      int n = std::min(chunk, from + count - start);
      std::vector<SimRun> runs;
      for (int side = 0; side < 2; ++side) {
        for (int i = start; i < start + n; ++i) {
          uint64_t seed = seeds_[i];
          runs.push_back({scenario_[side], seed,
                          RunFile(o_.out_dir, std::string(side ? "candidate" : "baseline") + "/seed-" +
                                                  std::to_string(seed)),
                          o_.keep_runs ? "" : kLeanOutputs});
        }
      }
      std::vector<SimRunResult> results = o_.runner(runs, o_.jobs);
      StatusOr<std::vector<RunSummary>> summaries = ReadSummaries(runs, results);
      if (!summaries.ok()) return summaries.status();
      for (size_t k = 0; k < runs.size(); ++k) {
        const int side = static_cast<int>(k) / n;
        QSIM_RETURN_IF_ERROR(AddWaits(runs[k].out_dir, waits_.side[side]));
        (side ? out.second : out.first).push_back(std::move((*summaries)[k]));
        if (!o_.keep_runs) {
          std::error_code ec;
          std::filesystem::remove_all(runs[k].out_dir, ec);
          if (!results[k].log_path.empty()) std::filesystem::remove(results[k].log_path, ec);
        }
      }
      done_runs_ += 2 * n;
      progress_.SetTotal(target_runs_);
      progress_.Update(done_runs_);
    }
    return out;
  }
  const PooledWaits& waits() const { return waits_; }

 private:
  const CompareOptions& o_;
  std::string scenario_[2];
  std::vector<uint64_t> seeds_;
  Progress& progress_;
  int done_runs_ = 0, target_runs_ = 0;
  PooledWaits waits_;
};

Status WriteCompareOutputs(const CompareOptions& options, const CompareResult& result,
                           const std::vector<RunSummary>& base, const std::vector<RunSummary>& cand,
                           const PooledWaits& waits, const std::string& title) {
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(RunFile(options.out_dir, "compare.csv"), CompareCsv(result)));
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(RunFile(options.out_dir, "compare.json"), CompareJson(result)));
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(RunFile(options.out_dir, "compare.md"), CompareMarkdown(result)));
  return runfolder::WriteTextFile(RunFile(options.out_dir, "compare.html"),
                                  BuildCompareHtml(result, base, cand, waits, title));
}

// Pairs two saved sides by seed; refuses different seed sets, or runs of
// different scenarios within a side, unless allow_mismatch (then: the common
// seeds, and a warning).
StatusOr<std::vector<uint64_t>> PairSaved(const CompareOptions& o, SavedSide& base, SavedSide& cand,
                                          std::vector<std::string>& warnings) {
  for (const auto& [dir, side] : {std::pair<const std::string&, SavedSide&>{o.saved_baseline, base},
                                  {o.saved_candidate, cand}}) {
    for (size_t i = 1; i < side.hashes.size(); ++i) {
      if (side.hashes[i] == side.hashes[0]) continue;
      std::string what = dir + ": " + side.run_dirs[i] + " ran another scenario than " + side.run_dirs[0] +
                         " (scenario.resolved.yaml differs beyond its seed line)";
      if (!o.allow_mismatch) return FailedPrecondition(what + "; --allow-mismatch to compare anyway");
      warnings.push_back(what);
      break;
    }
  }
  std::vector<uint64_t> common;
  std::set_intersection(base.seeds.begin(), base.seeds.end(), cand.seeds.begin(), cand.seeds.end(),
                        std::back_inserter(common));
  if (common.size() != base.seeds.size() || common.size() != cand.seeds.size()) {
    std::string what = "the saved runs have different seeds (" + std::to_string(base.seeds.size()) + " in " +
                       o.saved_baseline + ", " + std::to_string(cand.seeds.size()) + " in " + o.saved_candidate +
                       ", " + std::to_string(common.size()) + " in common)";
    if (!o.allow_mismatch || common.empty()) {
      return FailedPrecondition(what + (common.empty() ? "" : "; --allow-mismatch compares the common ones"));
    }
    warnings.push_back(what + ": compared the common seeds only");
  }
  for (SavedSide* side : {&base, &cand}) {
    SavedSide kept;
    for (size_t i = 0; i < side->seeds.size(); ++i) {
      if (!std::binary_search(common.begin(), common.end(), side->seeds[i])) continue;
      kept.seeds.push_back(side->seeds[i]);
      kept.run_dirs.push_back(side->run_dirs[i]);
      kept.hashes.push_back(side->hashes[i]);
      kept.summaries.push_back(std::move(side->summaries[i]));
    }
    *side = std::move(kept);
  }
  return common;
}

}  // namespace

namespace {

// What the two ways of getting pairs (saved runs, or runs started here) give
// the outputs.
struct Compared {
  CompareResult result;
  std::vector<RunSummary> base, cand;
  PooledWaits waits;
  std::string title;
};

StatusOr<Compared> CompareSavedRuns(const CompareOptions& options) {
  StatusOr<SavedSide> b = ReadSavedSide(options.saved_baseline);
  if (!b.ok()) return b.status();
  StatusOr<SavedSide> c = ReadSavedSide(options.saved_candidate);
  if (!c.ok()) return c.status();
  std::vector<std::string> warnings;
  StatusOr<std::vector<uint64_t>> seeds = PairSaved(options, *b, *c, warnings);
  if (!seeds.ok()) return seeds.status();
  StatusOr<std::vector<Gate>> gates = ResolveGates(
      options.gates, {RunFile(b->run_dirs[0], "scenario.resolved.yaml"), RunFile(c->run_dirs[0], "scenario.resolved.yaml")});
  if (!gates.ok()) return gates.status();
  std::vector<RunSummary> all = b->summaries;
  all.insert(all.end(), c->summaries.begin(), c->summaries.end());
  QSIM_RETURN_IF_ERROR(CheckRowFilter(options.filter, all));
  QSIM_RETURN_IF_ERROR(runfolder::MakeDirectories(options.out_dir));
  Compared done;
  for (size_t i = 0; i < seeds->size(); ++i) {
    QSIM_RETURN_IF_ERROR(AddWaits(b->run_dirs[i], done.waits.side[0]));
    QSIM_RETURN_IF_ERROR(AddWaits(c->run_dirs[i], done.waits.side[1]));
  }
  done.base = std::move(b->summaries);
  done.cand = std::move(c->summaries);
  done.result = CompareSummaries(done.base, done.cand, *gates, options.alpha, options.alpha, options.filter);
  done.result.seed_list = *seeds;
  done.result.warnings.insert(done.result.warnings.begin(), warnings.begin(), warnings.end());
  done.title = "qsim compare --saved " + options.saved_baseline + " " + options.saved_candidate;
  return done;
}

// Unknown --accounts fail before anything runs when the scenarios list theirs.
Status CheckAccountsBeforeRunning(const CompareOptions& options, const std::string& candidate_path) {
  std::vector<std::string> declared = ScenarioAccounts(options.baseline);
  for (const std::string& a : ScenarioAccounts(candidate_path)) {
    if (std::find(declared.begin(), declared.end(), a) == declared.end()) declared.push_back(a);
  }
  for (const std::string& a : options.filter.accounts) {
    if (!declared.empty() && std::find(declared.begin(), declared.end(), a) == declared.end()) {
      return InvalidArgument("--accounts: the scenarios have no account \"" + a + "\"");
    }
  }
  return Status::Ok();
}

// Where a loader key path ("policy.nope", "bots[0].count") is written in
// `root`: the mark of its last key (or list element), or nullopt when the
// path is not there.
std::optional<YAML::Mark> KeyPathMark(const YAML::Node& root, const std::string& path) {
  YAML::Node node = root;
  std::optional<YAML::Mark> mark;
  size_t at = 0;
  while (at < path.size()) {
    if (path[at] == '.') ++at;
    if (at < path.size() && path[at] == '[') {
      const size_t close = path.find(']', at);
      if (close == std::string::npos || !node.IsSequence()) return std::nullopt;
      const std::string index = path.substr(at + 1, close - at - 1);
      if (index.empty() || index.size() > 9 || index.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(index) >= node.size()) {
        return std::nullopt;
      }
      node = node[std::stoul(index)];
      mark = node.Mark();
      at = close + 1;
      continue;
    }
    const size_t end = std::min(path.find_first_of(".[", at), path.size());
    const std::string key = path.substr(at, end - at);
    if (!node.IsMap()) return std::nullopt;
    bool found = false;
    for (const auto& entry : node) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) {
        mark = entry.first.Mark();
        node = entry.second;
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
    at = end;
  }
  return mark;
}

// A located error in the merged OUT/candidate.yaml, moved to the --variant
// overlay when the key it names comes from there: the user wrote the
// overlay, not the merge. Otherwise it says the file is the merge.
Status LocateInOverlay(const Status& error, const CompareOptions& o, const std::string& candidate_path) {
  const std::string& message = error.message();
  const std::string prefix = candidate_path + ":";
  size_t at = prefix.size();
  if (message.rfind(prefix, 0) != 0) return error;
  for (int part = 0; part < 2; ++part) {  // line and column
    const size_t end = message.find(':', at);
    if (end == std::string::npos || end == at || message.find_first_not_of("0123456789", at) != end) return error;
    at = end + 1;
  }
  const std::string rest = message.substr(std::min(at + 1, message.size()));  // "key.path: message"
  const size_t colon = rest.find(": ");
  StatusOr<YAML::Node> overlay = LoadYamlFile(o.variant);
  if (colon != std::string::npos && overlay.ok()) {
    if (std::optional<YAML::Mark> mark = KeyPathMark(*overlay, rest.substr(0, colon)); mark && !mark->is_null()) {
      return Status(error.code(), o.variant + ":" + std::to_string(mark->line + 1) + ":" +
                                      std::to_string(mark->column + 1) + ": " + rest);
    }
  }
  return Status(error.code(), message + " (" + candidate_path + " is " + o.baseline + " with the overlay " +
                                  o.variant + " merged onto it)");
}

// Both scenarios checked before any run starts (CompareOptions::validator).
Status ValidateBeforeRunning(const CompareOptions& o, const std::string& candidate_path) {
  if (!o.validator) return Status::Ok();
  QSIM_RETURN_IF_ERROR(o.validator(o.baseline));
  Status candidate = o.validator(candidate_path);
  if (candidate.ok() || o.variant.empty()) return candidate;
  return LocateInOverlay(candidate, o, candidate_path);
}

StatusOr<Compared> CompareNewRuns(const CompareOptions& options, std::ostream& err) {
  QSIM_RETURN_IF_ERROR(runfolder::MakeDirectories(options.out_dir));
  StatusOr<std::string> candidate_path = CandidateScenario(options);
  if (!candidate_path.ok()) return candidate_path.status();
  StatusOr<std::vector<Gate>> gates = ResolveGates(options.gates, {options.baseline, *candidate_path});
  if (!gates.ok()) return gates.status();
  QSIM_RETURN_IF_ERROR(CheckAccountsBeforeRunning(options, *candidate_path));
  QSIM_RETURN_IF_ERROR(ValidateBeforeRunning(options, *candidate_path));
  std::string run_scenario[2] = {options.baseline, *candidate_path};
  const int total = options.auto_seeds ? options.max_seeds : options.seeds;
  const std::vector<uint64_t> seeds = SeedList(options.first_seed, total);
  ProgressOptions shown = options.progress;
  if (options.quiet) shown.wall_seconds = nullptr;
  Progress progress("qsim compare", 2 * static_cast<size_t>(options.seeds), shown, err, 2 * static_cast<size_t>(total));
  PairRunner runner(options, run_scenario[0], run_scenario[1], seeds, progress);
  Compared done;
  PairSource source = [&](int from, int count) {
    auto pairs = runner.Run(from, count);
    if (pairs.ok()) {
      done.base.insert(done.base.end(), pairs->first.begin(), pairs->first.end());
      done.cand.insert(done.cand.end(), pairs->second.begin(), pairs->second.end());
    }
    return pairs;
  };
  const int max_pairs = options.auto_seeds ? options.max_seeds : options.seeds;
  StatusOr<CompareResult> result =
      CompareSequentially(source, *gates, options.alpha, options.seeds, max_pairs, options.filter);
  progress.Finish();
  if (!result.ok()) return result.status();
  done.result = std::move(*result);
  if (!options.auto_seeds) done.result.looks.clear();  // one look at the full alpha: nothing sequential to report
  done.result.seed_list = seeds;
  QSIM_RETURN_IF_ERROR(CheckRowFilter(options.filter, done.base));
  done.waits = runner.waits();
  if (!options.keep_runs) {
    std::error_code ec;  // empty by now; left alone if not
    std::filesystem::remove(RunFile(options.out_dir, "baseline"), ec);
    std::filesystem::remove(RunFile(options.out_dir, "candidate"), ec);
  }
  done.title = "qsim compare: " + options.baseline + " vs " +
               (options.variant.empty() ? options.candidate : options.baseline + " + " + options.variant);
  return done;
}

}  // namespace

int RunCompareCommand(const CompareOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "qsim compare: " << s.message() << "\n";
    return ExitStatusFor(s.code());
  };
  if (Status s = CheckCompareOptions(options); !s.ok()) return fail(s);
  const bool saved = !options.saved_baseline.empty();
  StatusOr<Compared> done = saved ? CompareSavedRuns(options) : CompareNewRuns(options, err);
  if (!done.ok()) return fail(done.status());
  CompareResult& result = done->result;
  std::tie(result.baseline_name, result.candidate_name) = *ParseNames(options.names);
  if (Status s = WriteCompareOutputs(options, result, done->base, done->cand, done->waits, done->title); !s.ok()) {
    return fail(s);
  }
  out << FormatCompare(result, options.format);
  std::ostream& note = options.format == CompareFormat::kText ? out : err;
  if (options.format != CompareFormat::kText && options.format != CompareFormat::kMarkdown) {
    for (const std::string& w : result.warnings) err << "qsim compare: warning: " << w << "\n";
  }
  if (!options.quiet) {
    note << "wrote " << RunFile(options.out_dir, "compare.csv") << ", compare.json, compare.md, compare.html"
         << (options.keep_runs && !saved ? "; runs kept under " + RunFile(options.out_dir, "{baseline,candidate}")
                                         : "")
         << "\n";
  }
  return result.ExitStatus();
}

}  // namespace qsim::reports
