// The scenario sections the reports module owns: `expect:` (what a smoke run
// must show) and `gate:` (what a comparison may not regress), parsed and
// validated with file:line:column errors.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/status.h"

namespace qsim::reports {

// The metric columns of summary.csv (the run-folder contract), in file order.
const std::vector<std::string>& SummaryMetrics();

// One `expect:` entry: {metric, account (default "*"), equals | min / max}.
struct Expectation {
  std::string metric;
  std::string account = "*";
  std::optional<double> equals;
  std::optional<double> min;
  std::optional<double> max;
  std::string where;  // file:line:column of the entry

  // "== 0", "<= 300", ">= 1", "in [1, 5]".
  std::string Describe() const;
  // REQUIRES: a value (an absent value never meets an expectation).
  bool Holds(double actual) const;
};

// A tolerance: an absolute amount in the metric's unit, or a fraction of the
// baseline's median ("10%" = 0.1, relative).
struct Tolerance {
  double amount = 0;
  bool relative = false;

  // The allowed change given the baseline median.
  double Allowed(double baseline_median) const;
  std::string Describe() const;  // "10%" or "5"
};

// One `gate:` entry: {metric, account (default "*"), max_increase and/or
// max_decrease}. A change beyond the tolerance that is also significant is a
// regression.
struct Gate {
  std::string metric;
  std::string account = "*";
  std::optional<Tolerance> max_increase;
  std::optional<Tolerance> max_decrease;
  std::string where;

  std::string Describe() const;  // "+10%" / "-5" / "+0,-10%"
};

// The account ids a scenario document defines: the keys of its `accounts:`
// mapping (none when it has none).
std::set<std::string> ScenarioAccountIds(const YAML::Node& scenario_root);

// The `expect:` entries of a scenario document; none when the section is
// absent. Errors read "file:line:column: expect[2].max: ...". With
// `defined_accounts`, an entry's account must be "*" or one of them.
StatusOr<std::vector<Expectation>> ParseExpectations(const YAML::Node& root, const std::string& file,
                                                     const std::set<std::string>* defined_accounts = nullptr);

// The `gate:` entries of a scenario or gate file; none when absent. With
// `defined_accounts`, as ParseExpectations.
StatusOr<std::vector<Gate>> ParseGates(const YAML::Node& root, const std::string& file,
                                       const std::set<std::string>* defined_accounts = nullptr);

// Gates used when a comparison declares none: the fleet's wait percentiles and
// mean may not grow by more than 10%, lost tasks and invariant violations not
// at all.
std::vector<Gate> DefaultGates();

}  // namespace qsim::reports
