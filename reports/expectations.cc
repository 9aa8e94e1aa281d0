#include "reports/expectations.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "reports/yaml_util.h"
#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "strict_yaml/strict_yaml.h"

namespace qsim::reports {
namespace {

std::string Error(const std::string& file, const YAML::Node& node, const std::string& field,
                  const std::string& message) {
  return Where(file, node) + ": " + field + ": " + message;
}

// Numbers are unquoted, as in the scenario (docs/limits.md): "5" is text.
Status RequirePlain(const std::string& file, const YAML::Node& node, const std::string& field, const char* what) {
  if (strict_yaml::IsPlain(node)) return Status::Ok();
  return InvalidArgument(Error(file, node, field, std::string("expected ") + what +
                                                      " without quotes or tags, got \"" + node.Scalar() + "\""));
}

StatusOr<double> ParseNumber(const std::string& file, const YAML::Node& node, const std::string& field) {
  if (!node.IsScalar()) return InvalidArgument(Error(file, node, field, "expected a number"));
  QSIM_RETURN_IF_ERROR(RequirePlain(file, node, field, "a number"));
  StatusOr<std::optional<double>> value = runfolder::ParseNumberField(node.Scalar());
  if (!strict_yaml::IsNumberText(node.Scalar()) || !value.ok() || !*value || !std::isfinite(**value)) {
    return InvalidArgument(Error(file, node, field, "expected a number, got \"" + node.Scalar() + "\""));
  }
  return **value;
}

StatusOr<Tolerance> ParseTolerance(const std::string& file, const YAML::Node& node, const std::string& field) {
  if (!node.IsScalar()) return InvalidArgument(Error(file, node, field, "expected a number or a percentage"));
  QSIM_RETURN_IF_ERROR(RequirePlain(file, node, field, "a number or a percentage"));
  std::string text = node.Scalar();
  Tolerance tolerance;
  if (!text.empty() && text.back() == '%') {
    tolerance.relative = true;
    text.pop_back();
  }
  StatusOr<std::optional<double>> value = runfolder::ParseNumberField(text);
  if (!strict_yaml::IsNumberText(text) || !value.ok() || !*value || !std::isfinite(**value)) {
    return InvalidArgument(
        Error(file, node, field, "expected a number or a percentage like 10%, got \"" + node.Scalar() + "\""));
  }
  if (**value < 0) return InvalidArgument(Error(file, node, field, "must be >= 0, got " + node.Scalar()));
  tolerance.amount = tolerance.relative ? **value / 100 : **value;
  return tolerance;
}

// Shared shape of both sections: a list of maps whose keys are all allowed,
// with a known `metric` and a string `account`.
Status CheckEntry(const std::string& file, const YAML::Node& entry, const std::string& field,
                  const std::set<std::string>& allowed, const std::set<std::string>* defined_accounts,
                  std::string* metric, std::string* account) {
  if (!entry.IsMap()) return InvalidArgument(Error(file, entry, field, "expected a map like {metric: ..., ...}"));
  for (const auto& kv : entry) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (allowed.count(key) == 0) {
      std::string known;
      for (const std::string& a : allowed) known += (known.empty() ? "" : ", ") + a;
      return InvalidArgument(Error(file, kv.first, field + "." + key, "unknown key (known: " + known + ")"));
    }
  }
  YAML::Node m = entry["metric"];
  if (!m) return InvalidArgument(Error(file, entry, field + ".metric", "missing"));
  if (!m.IsScalar()) return InvalidArgument(Error(file, m, field + ".metric", "expected a metric name"));
  const auto& metrics = SummaryMetrics();
  if (std::find(metrics.begin(), metrics.end(), m.Scalar()) == metrics.end()) {
    std::string known;
    for (const std::string& name : metrics) known += (known.empty() ? "" : ", ") + name;
    return InvalidArgument(Error(file, m, field + ".metric",
                                 "unknown metric \"" + m.Scalar() + "\" (summary.csv has: " + known + ")"));
  }
  *metric = m.Scalar();
  if (YAML::Node a = entry["account"]) {
    if (!a.IsScalar() || a.Scalar().empty()) {
      return InvalidArgument(Error(file, a, field + ".account", "expected an account id or \"*\""));
    }
    *account = a.Scalar();
    if (defined_accounts != nullptr && *account != "*" && defined_accounts->count(*account) == 0) {
      std::string known;
      for (const std::string& id : *defined_accounts) known += (known.empty() ? "" : ", ") + id;
      return InvalidArgument(Error(file, a, field + ".account",
                                   "account \"" + *account + "\" is not defined under the scenario's accounts (" +
                                       (known.empty() ? "none" : known) + ", or \"*\" for the fleet)"));
    }
  }
  return Status::Ok();
}

StatusOr<YAML::Node> Section(const YAML::Node& root, const std::string& file, const std::string& name) {
  if (!root.IsMap()) return YAML::Node();
  YAML::Node section = root[name];
  if (!section || section.IsNull()) return YAML::Node();
  if (!section.IsSequence()) {
    return InvalidArgument(Error(file, section, name, "expected a list of entries (- {metric: ...})"));
  }
  return section;
}

}  // namespace

const std::vector<std::string>& SummaryMetrics() {
  static const std::vector<std::string> kMetrics(runfolder::kSummaryColumns.begin() + 1,
                                                 runfolder::kSummaryColumns.end());
  return kMetrics;
}

std::string Expectation::Describe() const {
  if (equals) return "== " + runfolder::FormatNumber(*equals);
  if (min && max) return "in [" + runfolder::FormatNumber(*min) + ", " + runfolder::FormatNumber(*max) + "]";
  if (min) return ">= " + runfolder::FormatNumber(*min);
  return "<= " + runfolder::FormatNumber(max.value_or(0));
}

bool Expectation::Holds(double actual) const {
  if (equals && actual != *equals) return false;
  if (min && actual < *min) return false;
  if (max && actual > *max) return false;
  return true;
}

double Tolerance::Allowed(double baseline_median) const {
  return relative ? amount * std::fabs(baseline_median) : amount;
}

std::string Tolerance::Describe() const {
  return relative ? runfolder::FormatNumber(amount * 100) + "%" : runfolder::FormatNumber(amount);
}

std::string Gate::Describe() const {
  std::string text;
  if (max_increase) text += "+" + max_increase->Describe();
  if (max_decrease) text += (text.empty() ? "-" : ",-") + max_decrease->Describe();
  return text;
}

std::set<std::string> ScenarioAccountIds(const YAML::Node& scenario_root) {
  std::set<std::string> ids;
  if (!scenario_root.IsMap()) return ids;
  // By iteration: a missing key of a const node is an invalid node that
  // throws when asked what it is.
  for (const auto& section : scenario_root) {
    if (!section.first.IsScalar() || section.first.Scalar() != "accounts" || !section.second.IsMap()) continue;
    for (const auto& entry : section.second) {
      if (entry.first.IsScalar()) ids.insert(entry.first.Scalar());
    }
  }
  return ids;
}

StatusOr<std::vector<Expectation>> ParseExpectations(const YAML::Node& root, const std::string& file,
                                                     const std::set<std::string>* defined_accounts) {
  StatusOr<YAML::Node> section = Section(root, file, "expect");
  if (!section.ok()) return section.status();
  std::vector<Expectation> result;
  if (!*section) return result;
  static const std::set<std::string> kAllowed = {"metric", "account", "equals", "min", "max"};
  for (size_t i = 0; i < section->size(); ++i) {
    YAML::Node entry = (*section)[i];
    std::string field = "expect[" + std::to_string(i) + "]";
    Expectation e;
    e.where = Where(file, entry);
    QSIM_RETURN_IF_ERROR(CheckEntry(file, entry, field, kAllowed, defined_accounts, &e.metric, &e.account));
    for (const char* key : {"equals", "min", "max"}) {
      YAML::Node n = entry[key];
      if (!n) continue;
      StatusOr<double> v = ParseNumber(file, n, field + "." + key);
      if (!v.ok()) return v.status();
      (std::string(key) == "equals" ? e.equals : std::string(key) == "min" ? e.min : e.max) = *v;
    }
    if (!e.equals && !e.min && !e.max) {
      return InvalidArgument(Error(file, entry, field, "needs equals, min or max"));
    }
    if (e.equals && (e.min || e.max)) {
      return InvalidArgument(Error(file, entry, field, "equals cannot be combined with min or max"));
    }
    if (e.min && e.max && *e.min > *e.max) {
      return InvalidArgument(Error(file, entry["min"], field + ".min", "is above max"));
    }
    result.push_back(std::move(e));
  }
  return result;
}

StatusOr<std::vector<Gate>> ParseGates(const YAML::Node& root, const std::string& file,
                                       const std::set<std::string>* defined_accounts) {
  StatusOr<YAML::Node> section = Section(root, file, "gate");
  if (!section.ok()) return section.status();
  std::vector<Gate> result;
  if (!*section) return result;
  static const std::set<std::string> kAllowed = {"metric", "account", "max_increase", "max_decrease"};
  for (size_t i = 0; i < section->size(); ++i) {
    YAML::Node entry = (*section)[i];
    std::string field = "gate[" + std::to_string(i) + "]";
    Gate g;
    g.where = Where(file, entry);
    QSIM_RETURN_IF_ERROR(CheckEntry(file, entry, field, kAllowed, defined_accounts, &g.metric, &g.account));
    if (YAML::Node n = entry["max_increase"]) {
      StatusOr<Tolerance> t = ParseTolerance(file, n, field + ".max_increase");
      if (!t.ok()) return t.status();
      g.max_increase = *t;
    }
    if (YAML::Node n = entry["max_decrease"]) {
      StatusOr<Tolerance> t = ParseTolerance(file, n, field + ".max_decrease");
      if (!t.ok()) return t.status();
      g.max_decrease = *t;
    }
    if (!g.max_increase && !g.max_decrease) {
      return InvalidArgument(Error(file, entry, field, "needs max_increase or max_decrease"));
    }
    result.push_back(std::move(g));
  }
  return result;
}

std::vector<Gate> DefaultGates() {
  std::vector<Gate> gates;
  for (const char* metric : {"wait_p50_s", "wait_p90_s", "wait_p99_s", "wait_mean_s"}) {
    Gate g;
    g.metric = metric;
    g.max_increase = Tolerance{0.10, true};
    g.where = "default gate";
    gates.push_back(g);
  }
  for (const char* metric : {"lost", "invariant_violations"}) {
    Gate g;
    g.metric = metric;
    g.max_increase = Tolerance{0, false};
    g.where = "default gate";
    gates.push_back(g);
  }
  return gates;
}

}  // namespace qsim::reports
