// FitScenario: the scenario around the arrival and duration fits (fit.h).
#include "production/fit.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace qsim::production {
namespace {

constexpr int64_t kMinuteUs = 60000000LL;
constexpr int64_t kWeekUs = 7 * 24 * 3600000000LL;
constexpr int64_t kMondayUs = 4 * 24 * 3600000000LL;  // 1970-01-05 00:00 UTC, a Monday
constexpr int64_t kMaxSpanUs = 3650 * 24 * 3600000000LL;  // a scenario's longest duration

int64_t FloorTo(int64_t v, int64_t unit) { return v >= 0 ? v / unit * unit : -((-v + unit - 1) / unit) * unit; }

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 100 || s[0] == '.' || s.find("..") != std::string::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

Status CheckLabels(const std::vector<std::string>& labels, const std::string& where, const std::string& log_name) {
  for (const std::string& l : labels) {
    if (l.empty() || l.find_first_of(";,\n\r") != std::string::npos) {
      return InvalidArgument(log_name + ": " + where + ": label \"" + l +
                             "\" cannot be a scenario label (empty, or holds ';', ',' or a line break)");
    }
  }
  return Status::Ok();
}

using LabelKey = std::pair<std::vector<std::string>, std::vector<std::string>>;

LabelKey KeyOf(const ObservedTask& t) {
  LabelKey k{t.base_labels, t.provisionable_labels};
  std::sort(k.first.begin(), k.first.end());
  std::sort(k.second.begin(), k.second.end());
  return k;
}

// The tasks of the log by account (tasks naming none under kNoAccount).
std::map<std::string, std::vector<const ObservedTask*>> TasksByAccount(const ObservedLog& log) {
  std::map<std::string, std::vector<const ObservedTask*>> by;
  for (const ObservedTask& t : log.tasks) by[t.account.empty() ? kNoAccount : t.account].push_back(&t);
  return by;
}

Status CheckLog(const ObservedLog& log, const std::string& log_name) {
  if (log.tasks.empty()) return InvalidArgument(log_name + ": the log holds no tasks; nothing to fit");
  if (log.bots.empty()) return InvalidArgument(log_name + ": the log names no bots; no fleet to fit");
  if (log.end_us <= log.start_us) return InvalidArgument(log_name + ": the log spans no time");
  for (const auto& [account, tasks] : TasksByAccount(log)) {
    if (!ValidName(account)) {
      return InvalidArgument(log_name + ": task " + tasks.front()->id + ": account \"" + account +
                             "\" cannot name a scenario account ([A-Za-z0-9._-], 1 to 100, no leading '.' or '..')");
    }
    for (const ObservedTask* t : tasks) {
      QSIM_RETURN_IF_ERROR(CheckLabels(t->base_labels, "task " + t->id + ": base labels", log_name));
      QSIM_RETURN_IF_ERROR(CheckLabels(t->provisionable_labels, "task " + t->id + ": provisionable labels", log_name));
    }
  }
  for (const ObservedBot& b : log.bots) {
    QSIM_RETURN_IF_ERROR(CheckLabels(b.dimensions, "bot " + b.id + ": dimensions", log_name));
  }
  return Status::Ok();
}

std::vector<Duration> Runs(const std::vector<const ObservedTask*>& tasks) {
  std::vector<Duration> runs;
  for (const ObservedTask* t : tasks) {
    if (t->run_us && *t->run_us > 0) runs.push_back(Micros(*t->run_us));
  }
  return runs;
}

// The accounts of the scenario: the log's (configured or inferred) and any
// its tasks name that it does not list (inferred).
std::vector<sim::AccountSpec> Accounts(const ObservedLog& log, Fit* fit) {
  std::map<std::string, const ObservedAccount*> known;
  for (const ObservedAccount& a : log.accounts) known[a.id] = &a;
  std::set<std::string> ids;
  for (const auto& [id, a] : known) ids.insert(id);
  for (const auto& [id, tasks] : TasksByAccount(log)) ids.insert(id);
  std::vector<sim::AccountSpec> out;
  for (const std::string& id : ids) {
    sim::AccountSpec spec;
    spec.id = id;
    auto it = known.find(id);
    if (it != known.end() && it->second->from_config) {
      const ObservedAccount& a = *it->second;
      for (size_t p = 0; p < a.charge_rates.size() && p < spec.config.charge_rate.size(); ++p) {
        spec.config.charge_rate[p] = static_cast<float>(a.charge_rates[p]);
      }
      if (a.charge_rates.size() > spec.config.charge_rate.size()) {
        fit->warnings.push_back("account " + id + ": charge rates beyond priority 4 dropped");
      }
      spec.config.max_charge_seconds = static_cast<float>(a.max_charge_seconds);
      spec.config.max_fanout = a.max_fanout;
      spec.config.disable_free_tasks = a.disable_free_tasks;
      for (const auto& [prefix, limit] : a.per_label_task_limits) spec.config.per_label_task_limits[prefix] = limit;
    } else if (id == kNoAccount) {
      fit->warnings.push_back(std::string("tasks named no account: under account \"") + kNoAccount +
                              "\" (no quota)");
    } else {
      // As `qsim import` infers one: a stand-in quota, not none, so the
      // account's tasks are not all free-bucket tasks.
      spec.config.charge_rate[0] = 1;
      spec.config.max_charge_seconds = 3600;
      fit->warnings.push_back("account " + id +
                              ": no configuration; inferred with charge_rate [1], max_charge_seconds 3600");
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::string KeyOfLabel(const std::string& label) {
  size_t colon = label.find(':');
  return colon == std::string::npos ? label : label.substr(0, colon + 1);
}

// Bot groups by dimension set, largest first (ties by dimensions).
void BotGroups(const ObservedLog& log, Fit* fit) {
  std::set<std::string> provisionable_keys;
  for (const ObservedTask& t : log.tasks) {
    for (const std::string& l : t.provisionable_labels) provisionable_keys.insert(KeyOfLabel(l));
  }
  std::map<std::vector<std::string>, std::vector<std::pair<int64_t, int>>> spans;  // dims -> (time, +1/-1)
  std::map<std::vector<std::string>, int64_t> seen;
  for (const ObservedBot& b : log.bots) {
    std::vector<std::string> dims = b.dimensions;
    std::sort(dims.begin(), dims.end());
    dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
    spans[dims].push_back({b.first_seen_us, -1});  // -1 sorts first: arrivals before departures
    spans[dims].push_back({b.last_seen_us, +1});
    ++seen[dims];
  }
  std::vector<BotGroupFit> groups;
  for (auto& [dims, events] : spans) {
    std::sort(events.begin(), events.end());
    int64_t now = 0, most = 0;
    for (const auto& [t, kind] : events) most = std::max(most, now -= kind);
    groups.push_back({"", dims, seen[dims], most});
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const BotGroupFit& a, const BotGroupFit& b) { return a.count > b.count; });
  int64_t partial = 0;
  for (const BotGroupFit& g : groups) partial += g.count - g.most_at_once;
  if (partial > 0) {
    fit->warnings.push_back(std::to_string(partial) + " bots are never seen at the same time as all others of " +
                            "their group (gone before some came); every bot the log names is present for the " +
                            "whole run");
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    groups[i].name = "group-" + std::to_string(i + 1);
    sim::BotGroupSpec g;
    g.name = groups[i].name;
    g.count = groups[i].count;
    for (const std::string& d : groups[i].dimensions) {
      (provisionable_keys.count(KeyOfLabel(d)) ? g.provisionable_labels : g.labels).push_back(d);
    }
    fit->scenario.bots.push_back(std::move(g));
  }
  fit->groups = std::move(groups);
}

// The workloads of one account: one per label set, most tasks first.
// The tasks of one workload (fit->workloads[i]), for its durations.
using WorkloadTasks = std::vector<std::vector<const ObservedTask*>>;

// How many of `tasks` (by enqueue time) arrive within `b`.
int64_t TasksInBurst(const std::vector<const ObservedTask*>& tasks, const sim::Burst& b, Duration t0_offset) {
  int64_t from = ToMicros(t0_offset + b.at), to = ToMicros(t0_offset + b.at + b.over);
  auto lo = std::lower_bound(tasks.begin(), tasks.end(), from,
                             [](const ObservedTask* t, int64_t us) { return t->enqueue_us < us; });
  auto hi = std::upper_bound(lo, tasks.end(), to, [](int64_t us, const ObservedTask* t) { return us < t->enqueue_us; });
  return hi - lo;
}

// REQUIRES: tasks by enqueue time (the log's order).
void AccountWorkloads(const std::string& account, const std::vector<const ObservedTask*>& tasks, Duration t0_offset,
                      const AccountFit& af, Fit* fit, WorkloadTasks* workload_tasks) {
  std::map<LabelKey, std::vector<const ObservedTask*>> by_labels;
  for (const ObservedTask* t : tasks) by_labels[KeyOf(*t)].push_back(t);
  std::vector<std::pair<LabelKey, std::vector<const ObservedTask*>>> sets(by_labels.begin(), by_labels.end());
  std::stable_sort(sets.begin(), sets.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  // Each burst to the label set most common among the tasks inside it.
  std::vector<std::vector<sim::Burst>> bursts(sets.size());
  std::vector<int64_t> burst_tasks(sets.size(), 0);
  for (const sim::Burst& b : af.arrivals.bursts) {
    std::vector<int64_t> inside(sets.size(), 0);
    for (size_t s = 0; s < sets.size(); ++s) inside[s] = TasksInBurst(sets[s].second, b, t0_offset);
    size_t best = static_cast<size_t>(std::max_element(inside.begin(), inside.end()) - inside.begin());
    bursts[best].push_back(b);
    burst_tasks[best] += b.count;
  }
  double background = static_cast<double>(af.arrivals.tasks - af.arrivals.burst_tasks);
  for (size_t s = 0; s < sets.size(); ++s) {
    WorkloadFit w;
    w.name = sets.size() == 1 ? account : account + "-" + std::to_string(s + 1);
    w.account = account;
    w.base_labels = sets[s].first.first;
    w.provisionable_labels = sets[s].first.second;
    w.tasks = static_cast<int64_t>(sets[s].second.size());
    workload_tasks->push_back(sets[s].second);
    double own = std::max(0.0, static_cast<double>(w.tasks - burst_tasks[s]));
    w.share = background > 0 ? own / background : 0;
    fit->workloads.push_back(w);
    sim::WorkloadSpec spec;
    spec.name = w.name;
    spec.account = account;
    spec.base_labels = w.base_labels;
    spec.provisionable_labels = w.provisionable_labels;
    spec.arrivals.kind = sim::ArrivalSpec::Kind::kSchedule;
    spec.arrivals.rate_per_hour = std::round(af.arrivals.rate_per_hour * w.share * 1e4) / 1e4;
    spec.arrivals.hour_factors = af.arrivals.hour_factors;
    spec.arrivals.weekday_factors = af.arrivals.weekday_factors;
    spec.arrivals.week_offset = fit->week_offset;
    spec.arrivals.bursts = bursts[s];
    fit->scenario.workloads.push_back(std::move(spec));
  }
}

// Durations of every workload, from its own runs, its account's or the log's.
Status FitWorkloadDurations(const ObservedLog& log, const std::string& log_name, const FitOptions& options,
                            const WorkloadTasks& workload_tasks, Fit* fit) {
  auto by_account = TasksByAccount(log);
  std::vector<const ObservedTask*> all;
  for (const ObservedTask& t : log.tasks) all.push_back(&t);
  std::vector<Duration> log_runs = Runs(all);
  if (log_runs.empty()) return InvalidArgument(log_name + ": no task completed in the log; no durations to fit");
  for (size_t i = 0; i < fit->workloads.size(); ++i) {
    WorkloadFit& w = fit->workloads[i];
    std::vector<Duration> runs = Runs(workload_tasks[i]);
    w.durations_from = "workload";
    if (static_cast<int64_t>(runs.size()) < options.min_runs_per_workload) {
      runs = Runs(by_account[w.account]);
      w.durations_from = "account";
    }
    if (static_cast<int64_t>(runs.size()) < options.min_runs_per_workload) runs = log_runs, w.durations_from = "log";
    w.durations = FitDurations(runs, options);
    fit->scenario.workloads[i].duration = w.durations.dist;
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Fit> FitScenario(const ObservedLog& log, const std::string& log_name, const FitOptions& options) {
  QSIM_RETURN_IF_ERROR(CheckLog(log, log_name));
  Fit fit;
  int64_t t0 = FloorTo(log.start_us, kMinuteUs);
  int64_t end = -FloorTo(-log.end_us, kMinuteUs);
  // Checked before any per-hour or per-bin table is sized by the span.
  if (end - t0 > kMaxSpanUs) {
    return InvalidArgument(log_name + ": the log spans " + std::to_string((end - t0) / (24 * 3600000000LL)) +
                           " days, more than a scenario's duration may (3650d, docs/limits.md)");
  }
  fit.week_offset = Micros(((t0 - kMondayUs) % kWeekUs + kWeekUs) % kWeekUs);
  sim::Scenario& s = fit.scenario;
  s.name = options.name;
  s.description = "fitted by qsim fit from " + log_name;
  s.duration = Micros(end - t0);
  s.policy.disable_preemption = log.disable_preemption;
  if (log.bot_expiration_us) s.policy.bot_expiration = Micros(*log.bot_expiration_us);
  s.accounts = Accounts(log, &fit);
  BotGroups(log, &fit);
  WorkloadTasks workload_tasks;
  for (const auto& [account, tasks] : TasksByAccount(log)) {
    std::vector<Duration> arrivals;
    // An arrival at the log's very last microsecond, on a whole minute, falls
    // at the end of the span: it is counted in the span's last microsecond.
    for (const ObservedTask* t : tasks) arrivals.push_back(Micros(std::min(t->enqueue_us, end - 1) - t0));
    std::sort(arrivals.begin(), arrivals.end());
    AccountFit af;
    af.id = account;
    af.inferred = std::none_of(log.accounts.begin(), log.accounts.end(),
                               [&af](const ObservedAccount& a) { return a.id == af.id && a.from_config; });
    af.arrivals = FitArrivals(arrivals, s.duration, fit.week_offset, options);
    AccountWorkloads(account, tasks, Micros(t0), af, &fit, &workload_tasks);
    fit.accounts.push_back(std::move(af));
  }
  QSIM_RETURN_IF_ERROR(FitWorkloadDurations(log, log_name, options, workload_tasks, &fit));
  Status valid = sim::ValidateScenario(s);
  if (!valid.ok()) return InvalidArgument(log_name + ": the fitted scenario is not valid: " + valid.message());
  return fit;
}

namespace {

const char* const kWeekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Labels(const std::vector<std::string>& base, const std::vector<std::string>& prov) {
  std::string out;
  for (const std::string& l : base) out += (out.empty() ? "" : ";") + l;
  if (!prov.empty()) {
    out += " +";
    for (size_t i = 0; i < prov.size(); ++i) out += (i ? ";" : "") + prov[i];
  }
  return out.empty() ? "-" : out;
}

std::string DistText(const DurationFit& d) {
  switch (d.dist.kind) {
    case sim::DurationDist::Kind::kLognormal:
      return "lognormal median " + sim::FormatDuration(d.dist.median) + " sigma " + Fixed(d.dist.sigma, 3);
    case sim::DurationDist::Kind::kConstant:
      return "constant " + sim::FormatDuration(d.dist.value);
    default:
      return "empirical (" + std::to_string(d.dist.values.size()) + " values)";
  }
}

std::string Count(size_t n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

std::string WeekPosition(Duration offset) {
  int64_t minutes = ToMicros(offset) / 60000000LL;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %02lld:%02lld UTC", kWeekdays[minutes / 1440 % 7],
                static_cast<long long>(minutes / 60 % 24), static_cast<long long>(minutes % 60));
  return buf;
}

}  // namespace

std::string FitScenarioYaml(const Fit& fit, const std::string& log_name) {
  std::ostringstream o;
  o << "# Fitted by `qsim fit` from " << log_name << " (docs/production-data.md, \"Fit\").\n"
    << "# t = 0 is " << WeekPosition(fit.week_offset) << "; " << Count(fit.accounts.size(), "account") << ", "
    << Count(fit.workloads.size(), "workload") << ", " << Count(fit.groups.size(), "bot group") << ".\n";
  for (const WorkloadFit& w : fit.workloads) {
    o << "# workload " << w.name << ": " << w.tasks << " tasks, durations " << DistText(w.durations) << " from "
      << w.durations.runs << " runs (" << w.durations_from << "), lognormal KS distance "
      << Fixed(w.durations.ks, 4) << "\n";
  }
  for (const std::string& warning : fit.warnings) o << "# warning: " << warning << "\n";
  o << sim::WriteResolvedScenario(fit.scenario);
  return o.str();
}

std::string FitSummaryText(const Fit& fit) {
  std::ostringstream o;
  char line[512];
  o << "scenario " << fit.scenario.name << "  duration " << sim::FormatDuration(fit.scenario.duration)
    << "  starts " << WeekPosition(fit.week_offset) << "\n";
  std::snprintf(line, sizeof line, "%-20s %8s %10s %10s %10s %7s %12s\n", "account", "tasks", "rate/h", "min/h",
                "max/h", "bursts", "burst_tasks");
  o << line;
  for (const AccountFit& a : fit.accounts) {
    double lo = 1e300, hi = 0;
    for (double h : a.arrivals.hour_factors) {
      for (double d : a.arrivals.weekday_factors) lo = std::min(lo, h * d), hi = std::max(hi, h * d);
    }
    std::snprintf(line, sizeof line, "%-20s %8lld %10s %10s %10s %7zu %12lld\n", a.id.c_str(),
                  static_cast<long long>(a.arrivals.tasks), Fixed(a.arrivals.rate_per_hour, 2).c_str(),
                  Fixed(a.arrivals.rate_per_hour * lo, 2).c_str(), Fixed(a.arrivals.rate_per_hour * hi, 2).c_str(),
                  a.arrivals.bursts.size(), static_cast<long long>(a.arrivals.burst_tasks));
    o << line;
  }
  std::snprintf(line, sizeof line, "%-20s %8s %6s  %-42s %7s %-9s %s\n", "workload", "tasks", "share", "durations",
                "ks", "from", "labels");
  o << line;
  for (const WorkloadFit& w : fit.workloads) {
    std::snprintf(line, sizeof line, "%-20s %8lld %6s  %-42s %7s %-9s %s\n", w.name.c_str(),
                  static_cast<long long>(w.tasks), Fixed(w.share, 3).c_str(), DistText(w.durations).c_str(),
                  Fixed(w.durations.ks, 4).c_str(), w.durations_from.c_str(),
                  Labels(w.base_labels, w.provisionable_labels).c_str());
    o << line;
  }
  std::snprintf(line, sizeof line, "%-20s %8s %8s  %s\n", "bot group", "count", "at_once", "dimensions");
  o << line;
  for (const BotGroupFit& g : fit.groups) {
    std::snprintf(line, sizeof line, "%-20s %8lld %8lld  %s\n", g.name.c_str(), static_cast<long long>(g.count),
                  static_cast<long long>(g.most_at_once), Labels(g.dimensions, {}).c_str());
    o << line;
  }
  return o.str();
}

}  // namespace qsim::production
