// ValidateScenario: the semantic checks of a Scenario, shared by the YAML
// loader and RunScenario (internal/validate.h).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "base/key_path.h"
#include "scheduler/policy_schema.h"
#include "sim/internal/validate.h"
#include "sim/limits.h"
#include "sim/scenario.h"

namespace qsim::sim {

namespace {

// Far beyond any scenario, and far from overflowing the clock.
constexpr Duration kMaxDuration = kMaxAnyDuration;


// The shortest text that reads back as `v`: what a scenario author wrote.
template <typename F>
std::string Num(F v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string Bound(double b) {
  std::ostringstream m;
  m << b;
  return m.str();
}

Problem At(std::string path, std::string message) { return Problem{std::move(path), std::move(message)}; }

template <typename F>
Check NumberAtLeast(const std::string& path, F v, double min) {
  if (!std::isfinite(v)) return At(path, "expected a finite number, got " + Num(v));
  if (v < min) return At(path, "must be >= " + Bound(min) + ", got " + Num(v));
  return std::nullopt;
}

Check NumberBetween(const std::string& path, double v, double min, double max) {
  if (!std::isfinite(v)) return At(path, "expected a finite number, got " + Num(v));
  if (v < min || v > max) return At(path, "must be between " + Bound(min) + " and " + Bound(max) + ", got " + Num(v));
  return std::nullopt;
}

Check IntBetween(const std::string& path, int64_t v, int64_t min,
                 int64_t max = std::numeric_limits<int64_t>::max()) {
  if (v >= min && v <= max) return std::nullopt;
  std::string range = max == std::numeric_limits<int64_t>::max()
                          ? ">= " + std::to_string(min)
                          : "between " + std::to_string(min) + " and " + std::to_string(max);
  return At(path, "must be " + range + ", got " + std::to_string(v));
}

Check DurationAtLeast(const std::string& path, Duration d, Duration min = Duration::zero()) {
  if (d < min) return At(path, "must be >= " + FormatDuration(min) + ", got " + FormatDuration(d));
  if (d > kMaxDuration) return At(path, "must be <= " + FormatDuration(kMaxDuration) + ", got " + FormatDuration(d));
  return std::nullopt;
}

Check Name(const std::string& path, const std::string& name) {
  std::string problem = NameProblem(name);
  if (problem.empty()) return std::nullopt;
  return At(path, problem);
}

// A label set as MakeLabelSet makes it: sorted, without repeats or empty labels.
Check Labels(const std::string& path, const LabelSet& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty()) return At(IndexKey(path, i), "expected a non-empty string");
    if (std::string problem = LabelProblem(labels[i]); !problem.empty()) return At(IndexKey(path, i), problem);
    if (i > 0 && labels[i] <= labels[i - 1]) {
      return At(path, "must be sorted and without repeats (build it with MakeLabelSet)");
    }
  }
  return std::nullopt;
}

// Draws of `d` must be >= `min`; a mean or median must be positive.
Check Dist(const std::string& path, const DurationDist& d, Duration min) {
  const Duration tiny = std::max(min, Micros(1));
  switch (d.kind) {
    case DurationDist::Kind::kConstant:
      return DurationAtLeast(path, d.value, min);
    case DurationDist::Kind::kExponential:
      return DurationAtLeast(JoinKey(path, "mean"), d.mean, tiny);
    case DurationDist::Kind::kLognormal:
      if (Check c = DurationAtLeast(JoinKey(path, "median"), d.median, tiny)) return c;
      return NumberBetween(JoinKey(path, "sigma"), d.sigma, 0, 10);
    case DurationDist::Kind::kUniform:
      if (Check c = DurationAtLeast(JoinKey(path, "min"), d.min, min)) return c;
      if (Check c = DurationAtLeast(JoinKey(path, "max"), d.max, min)) return c;
      if (d.max < d.min) return At(JoinKey(path, "max"), "must be >= min");
      return std::nullopt;
    case DurationDist::Kind::kEmpirical:
      if (d.values.empty()) return At(JoinKey(path, "values"), "must hold at least one duration");
      for (size_t i = 0; i < d.values.size(); ++i) {
        if (Check c = DurationAtLeast(IndexKey(JoinKey(path, "values"), i), d.values[i], min)) return c;
      }
      return std::nullopt;
  }
  return At(path, "unknown distribution kind");
}

// REQUIRES: s.accounts sorted by id (CheckAccount runs before any workload's
// check), so a replay log's rows cost a binary search each.
bool HasAccount(const Scenario& s, const std::string& id) {
  auto it = std::lower_bound(s.accounts.begin(), s.accounts.end(), id,
                             [](const AccountSpec& a, const std::string& key) { return a.id < key; });
  return it != s.accounts.end() && it->id == id;
}

// The optional weekly profile of a schedule: 24 hour and 7 weekday factors,
// each in [0, 1000] (a factor is a multiple of the base rate), and an offset
// within the week.
Check WeeklyProfile(const ArrivalSpec& a, const std::string& path) {
  const std::pair<const char*, const std::vector<double>*> lists[] = {{"hour_factors", &a.hour_factors},
                                                                      {"weekday_factors", &a.weekday_factors}};
  for (const auto& [key, values] : lists) {
    size_t want = values == &a.hour_factors ? 24 : 7;
    if (!values->empty() && values->size() != want) {
      return At(JoinKey(path, key),
                "must hold " + std::to_string(want) + " values, got " + std::to_string(values->size()));
    }
    for (size_t i = 0; i < values->size(); ++i) {
      if (Check c = NumberBetween(IndexKey(JoinKey(path, key), i), (*values)[i], 0, 1000)) return c;
    }
  }
  if (a.week_offset >= Hours(24 * 7)) return At(JoinKey(path, "week_offset"), "must be below 7d");
  return DurationAtLeast(JoinKey(path, "week_offset"), a.week_offset);
}

Check Arrivals(const Scenario& s, const ArrivalSpec& a, const std::string& path) {
  switch (a.kind) {
    case ArrivalSpec::Kind::kPoisson:
    case ArrivalSpec::Kind::kSchedule:
      if (Check c = NumberAtLeast(JoinKey(path, "rate_per_hour"), a.rate_per_hour, 0)) return c;
      if (Check c = NumberBetween(JoinKey(path, "diurnal_amplitude"), a.diurnal_amplitude, 0, 1)) return c;
      if (Check c = DurationAtLeast(JoinKey(path, "diurnal_peak"), a.diurnal_peak)) return c;
      if (Check c = WeeklyProfile(a, path)) return c;
      for (size_t i = 0; i < a.bursts.size(); ++i) {
        std::string bp = IndexKey(JoinKey(path, "bursts"), i);
        if (Check c = DurationAtLeast(JoinKey(bp, "at"), a.bursts[i].at)) return c;
        if (Check c = IntBetween(JoinKey(bp, "count"), a.bursts[i].count, 0, 100000000)) return c;
        if (Check c = DurationAtLeast(JoinKey(bp, "over"), a.bursts[i].over)) return c;
      }
      return std::nullopt;
    case ArrivalSpec::Kind::kList:
      for (size_t i = 0; i < a.times.size(); ++i) {
        if (Check c = DurationAtLeast(IndexKey(JoinKey(path, "times"), i), a.times[i])) return c;
      }
      return std::nullopt;
    case ArrivalSpec::Kind::kReplay:
      for (size_t i = 0; i < a.replay.size(); ++i) {
        const ReplayTask& t = a.replay[i];
        std::string rp = IndexKey(JoinKey(path, "replay"), i);
        if (!HasAccount(s, t.account)) {
          return At(JoinKey(path, "file"),
                    "the task log names account \"" + t.account + "\", which is not defined under accounts");
        }
        if (Check c = DurationAtLeast(JoinKey(rp, "enqueue"), t.enqueue)) return c;
        if (i > 0 && t.enqueue < a.replay[i - 1].enqueue) return At(rp, "the log must be sorted by enqueue time");
        if (Check c = DurationAtLeast(JoinKey(rp, "duration"), t.duration, Micros(1))) return c;
        if (Check c = Labels(JoinKey(rp, "base_labels"), t.base_labels)) return c;
        if (Check c = Labels(JoinKey(rp, "provisionable_labels"), t.provisionable_labels)) return c;
      }
      return std::nullopt;
  }
  return At(JoinKey(path, "kind"), "unknown arrival kind");
}

// Arrivals the run would never see: a burst or a listed time at or after the
// end. Not for replay (a task log is data, which `run` reports itself).
Check ArrivalsWithinRun(const Scenario& s, const ArrivalSpec& a, const std::string& path) {
  const std::string end = "at or after the end of the run (duration " + FormatDuration(s.duration) + ")";
  for (size_t i = 0; i < a.bursts.size(); ++i) {
    if (a.bursts[i].at >= s.duration) {
      return At(JoinKey(IndexKey(JoinKey(path, "bursts"), i), "at"),
                FormatDuration(a.bursts[i].at) + " is " + end + ": its " + std::to_string(a.bursts[i].count) +
                    " tasks would never arrive");
    }
  }
  size_t late = 0;
  std::optional<size_t> first_late;
  for (size_t i = 0; i < a.times.size(); ++i) {
    if (a.times[i] < s.duration) continue;
    ++late;
    if (!first_late) first_late = i;
  }
  if (first_late) {
    return At(IndexKey(JoinKey(path, "times"), *first_late),
              FormatDuration(a.times[*first_late]) + " is " + end + "; " + std::to_string(late) + " of the " +
                  std::to_string(a.times.size()) + " times are, and would never arrive");
  }
  return std::nullopt;
}

bool HoldsAll(const LabelSet& have, const LabelSet& need) {
  return std::includes(have.begin(), have.end(), need.begin(), need.end());
}

std::string Quoted(const LabelSet& labels) {
  std::string out;
  for (const std::string& l : labels) out += (out.empty() ? "\"" : ", \"") + l + "\"";
  return out.empty() ? "no labels" : out;
}

// A workload no bot group can ever run (its base labels are held by no group,
// neither at the start nor after any label change) would only queue.
Check WorkloadHasBots(const Scenario& s, const WorkloadSpec& w, const std::string& path) {
  if (w.arrivals.kind == ArrivalSpec::Kind::kReplay) return std::nullopt;
  for (const BotGroupSpec& g : s.bots) {
    if (HoldsAll(g.labels, w.base_labels)) return std::nullopt;
    for (const LabelChange& lc : g.label_changes) {
      if (HoldsAll(lc.labels, w.base_labels)) return std::nullopt;
    }
  }
  std::string groups;
  constexpr size_t kListed = 5;
  for (size_t i = 0; i < s.bots.size() && i < kListed; ++i) {
    LabelSet missing;
    std::set_difference(w.base_labels.begin(), w.base_labels.end(), s.bots[i].labels.begin(), s.bots[i].labels.end(),
                        std::back_inserter(missing));
    groups += (i == 0 ? "" : "; ") + s.bots[i].name + " has " + Quoted(s.bots[i].labels) + " (lacks " +
              Quoted(missing) + ")";
  }
  if (s.bots.size() > kListed) groups += "; and " + std::to_string(s.bots.size() - kListed) + " more groups";
  return At(JoinKey(path, "base_labels"), "no bot group ever holds all of " + Quoted(w.base_labels) +
                                           ", so its tasks could never run (label_changes included): " + groups);
}

Check Outages(const Scenario& s, const OutageSpec& o, const std::string& path) {
  if (Check c = NumberAtLeast(JoinKey(path, "rate_per_bot_day"), o.rate_per_bot_day, 0)) return c;
  if (Check c = Dist(JoinKey(path, "downtime"), o.downtime, Duration::zero())) return c;
  for (size_t i = 0; i < o.scheduled.size(); ++i) {
    const ScheduledOutage& so = o.scheduled[i];
    std::string sp = IndexKey(JoinKey(path, "scheduled"), i);
    if (Check c = DurationAtLeast(JoinKey(sp, "at"), so.at)) return c;
    auto group = std::find_if(s.bots.begin(), s.bots.end(), [&](const BotGroupSpec& g) { return g.name == so.group; });
    if (group == s.bots.end()) return At(JoinKey(sp, "group"), "bot group \"" + so.group + "\" is not defined under bots");
    if (so.at < group->joins_at || (group->leaves_at && so.at >= *group->leaves_at)) {
      return At(JoinKey(sp, "at"), FormatDuration(so.at) + " is outside bot group \"" + so.group + "\"'s presence (joins_at " +
                                    FormatDuration(group->joins_at) + ", leaves_at " +
                                    (group->leaves_at ? FormatDuration(*group->leaves_at) : std::string("never")) +
                                    "): the outage would strike no bot");
    }
    if (Check c = IntBetween(JoinKey(sp, "count"), so.count, 1)) return c;
    if (Check c = DurationAtLeast(JoinKey(sp, "downtime"), so.downtime)) return c;
  }
  return std::nullopt;
}

}  // namespace

std::string NameProblem(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 100) return "must be at most 100 characters, got " + std::to_string(name.size());
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return "may hold only letters, digits, '.', '_' and '-' (it names files and CSV cells), got \"" + name + "\"";
    }
  }
  if (name[0] == '.') return "must not start with '.', got \"" + name + "\"";
  if (name.find("..") != std::string::npos) return "must not contain \"..\", got \"" + name + "\"";
  return "";
}

std::string LabelProblem(const std::string& label) {
  for (char c : label) {
    if (c == ';' || c == ',') {
      return std::string("must not contain '") + c + "' (it separates labels in the run folder)";
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "must not contain control characters or newlines";
  }
  return "";
}

Check CheckRunLength(const Scenario& s) {
  if (!s.name.empty()) {
    if (Check c = Name("name", s.name)) return c;
  }
  if (s.seed > kMaxSeed) return At("seed", "must be between 0 and 2^63-1, got " + std::to_string(s.seed));
  if (Check c = DurationAtLeast("duration", s.duration, Micros(1))) return c;
  if (Check c = DurationAtLeast("warmup", s.warmup)) return c;
  if (s.warmup >= s.duration) return At("warmup", "must be shorter than duration");
  return DurationAtLeast("sample_interval", s.sample_interval, Micros(1));
}

Check CheckPolicy(const Policy& policy) {
  Check found;
  // Every duration switch is a positive time span, every count >= 0.
  ForEachPolicyField(policy, [&found](PolicyFieldName name, const auto& v) {
    if (found) return;
    std::string path = JoinKey("policy", std::string(name.yaml));
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, Duration>) {
      found = DurationAtLeast(path, v, Micros(1));
    } else if constexpr (std::is_same_v<T, float>) {
      if (!std::isfinite(v)) found = At(path, "expected a finite number, got " + Num(v));
    } else if constexpr (std::is_same_v<T, int64_t>) {
      found = IntBetween(path, v, 0);
    }
  });
  if (found) return found;
  if (policy.demote_threshold > policy.promote_threshold) {
    return At("policy.demote_threshold", "must be <= promote_threshold");
  }
  return std::nullopt;
}

Check CheckAccount(const Scenario& s, size_t i) {
  const AccountSpec& a = s.accounts[i];
  if (a.id.empty()) return At(IndexKey("accounts", i), "account ids must be non-empty strings");
  std::string path = JoinKey("accounts", a.id);
  if (Check c = Name(path, a.id)) return c;
  if (i > 0 && a.id == s.accounts[i - 1].id) return At(path, "duplicate account id");
  if (i > 0 && a.id < s.accounts[i - 1].id) {
    return At("accounts", "must be sorted by id (\"" + a.id + "\" comes after \"" + s.accounts[i - 1].id + "\")");
  }
  const AccountConfig& c = a.config;
  for (int p = 0; p < kNumPriorities; ++p) {
    if (Check e = NumberAtLeast(IndexKey(JoinKey(path, "charge_rate"), p), c.charge_rate[p], 0)) return e;
  }
  if (Check e = NumberAtLeast(JoinKey(path, "max_charge_seconds"), c.max_charge_seconds, 0)) return e;
  if (Check e = IntBetween(JoinKey(path, "max_fanout"), c.max_fanout, 0)) return e;
  for (const auto& [prefix, limit] : c.per_label_task_limits) {
    std::string lp = JoinKey(path, "per_label_task_limits");
    if (prefix.empty()) return At(lp, "label prefixes must be non-empty");
    if (Check e = IntBetween(JoinKey(lp, prefix), limit, 0)) return e;
  }
  if (a.initial_balance.size() > kNumPriorities) {
    return At(JoinKey(path, "initial_balance"), "expected full, empty or a list of up to 5 numbers, got " +
                                                 std::to_string(a.initial_balance.size()) + " values, at most 5");
  }
  for (size_t p = 0; p < a.initial_balance.size(); ++p) {
    if (!std::isfinite(a.initial_balance[p])) {
      return At(IndexKey(JoinKey(path, "initial_balance"), p), "expected a finite number, got " + Num(a.initial_balance[p]));
    }
  }
  return std::nullopt;
}

// joins_at and leaves_at: 0 <= joins_at < leaves_at <= duration, so the
// group is present for some of the run and never beyond it.
Check CheckPresence(const Scenario& s, const BotGroupSpec& g, const std::string& path) {
  const std::string run = " (duration " + FormatDuration(s.duration) + ")";
  if (Check c = DurationAtLeast(JoinKey(path, "joins_at"), g.joins_at)) return c;
  if (g.joins_at >= s.duration) {
    return At(JoinKey(path, "joins_at"),
              "must be before the end of the run" + run + ", got " + FormatDuration(g.joins_at) +
                  ": the group would never be present");
  }
  if (!g.leaves_at) return std::nullopt;
  if (Check c = DurationAtLeast(JoinKey(path, "leaves_at"), *g.leaves_at, Micros(1))) return c;
  if (*g.leaves_at > s.duration) {
    return At(JoinKey(path, "leaves_at"), "must be at most the run's duration" + run + ", got " +
                                           FormatDuration(*g.leaves_at) + " (leave it out: the group stays)");
  }
  if (*g.leaves_at <= g.joins_at) {
    return At(JoinKey(path, "leaves_at"), "must be after joins_at (" + FormatDuration(g.joins_at) + "), got " +
                                           FormatDuration(*g.leaves_at));
  }
  return std::nullopt;
}

Check CheckBotGroup(const Scenario& s, size_t i) {
  const BotGroupSpec& g = s.bots[i];
  std::string path = IndexKey("bots", i);
  if (Check c = Name(JoinKey(path, "group"), g.name)) return c;
  for (size_t j = 0; j < i; ++j) {
    if (s.bots[j].name == g.name) return At(JoinKey(path, "group"), "duplicate group name \"" + g.name + "\"");
  }
  if (Check c = IntBetween(JoinKey(path, "count"), g.count, 1, 10000000)) return c;
  if (Check c = Labels(JoinKey(path, "labels"), g.labels)) return c;
  if (Check c = Labels(JoinKey(path, "provisionable_labels"), g.provisionable_labels)) return c;
  if (Check c = DurationAtLeast(JoinKey(path, "poll_interval"), g.poll_interval, Micros(1))) return c;
  if (Check c = DurationAtLeast(JoinKey(path, "provision_time"), g.provision_time)) return c;
  if (Check c = DurationAtLeast(JoinKey(path, "abort_time"), g.abort_time)) return c;
  if (Check c = CheckPresence(s, g, path)) return c;
  for (size_t j = 0; j < g.label_changes.size(); ++j) {
    const LabelChange& lc = g.label_changes[j];
    std::string cp = IndexKey(JoinKey(path, "label_changes"), j);
    if (Check c = DurationAtLeast(JoinKey(cp, "at"), lc.at)) return c;
    if (Check c = Labels(JoinKey(cp, "labels"), lc.labels)) return c;
    if (lc.provisionable_labels) {
      if (Check c = Labels(JoinKey(cp, "provisionable_labels"), *lc.provisionable_labels)) return c;
    }
  }
  return std::nullopt;
}

Check CheckWorkload(const Scenario& s, size_t i) {
  const WorkloadSpec& w = s.workloads[i];
  std::string path = IndexKey("workloads", i);
  bool replay = w.arrivals.kind == ArrivalSpec::Kind::kReplay;
  if (w.name.empty()) return At(JoinKey(path, "name"), "must not be empty (it names the workload's random streams)");
  if (Check c = Name(JoinKey(path, "name"), w.name)) return c;
  for (size_t j = 0; j < w.tags.size(); ++j) {
    if (std::string problem = LabelProblem(w.tags[j]); !problem.empty()) {
      return At(IndexKey(JoinKey(path, "tags"), j), problem);
    }
  }
  for (size_t j = 0; j < i; ++j) {
    if (s.workloads[j].name == w.name) {
      return At(JoinKey(path, "name"), "duplicate workload name \"" + w.name + "\" (set `name:`)");
    }
  }
  if (w.account.empty() && !replay) return At(JoinKey(path, "account"), "must name an account (only replay takes them from its log)");
  if (!w.account.empty() && !HasAccount(s, w.account)) {
    return At(JoinKey(path, "account"), "account \"" + w.account + "\" is not defined under accounts");
  }
  if (Check c = Labels(JoinKey(path, "base_labels"), w.base_labels)) return c;
  if (Check c = Labels(JoinKey(path, "provisionable_labels"), w.provisionable_labels)) return c;
  if (Check c = Arrivals(s, w.arrivals, JoinKey(path, "arrivals"))) return c;
  if (Check c = ArrivalsWithinRun(s, w.arrivals, JoinKey(path, "arrivals"))) return c;
  if (Check c = WorkloadHasBots(s, w, path)) return c;
  if (!replay) {
    if (Check c = Dist(JoinKey(path, "duration"), w.duration, Micros(1))) return c;
  }
  if (Check c = NumberBetween(JoinKey(path, "cancel.fraction"), w.cancel_fraction, 0, 1)) return c;
  return DurationAtLeast(JoinKey(path, "cancel.after"), w.cancel_after);
}

Check CheckDispatcher(const DispatcherSpec& d) {
  if (Check c = DurationAtLeast("dispatcher.batch_window", d.batch_window)) return c;
  if (Check c = DurationAtLeast("dispatcher.cancellation_poll_interval", d.cancellation_poll_interval, Micros(1))) {
    return c;
  }
  if (Check c = DurationAtLeast("dispatcher.renotify_interval", d.renotify_interval, Micros(1))) return c;
  if (Check c = DurationAtLeast("dispatcher.bot_death_timeout", d.bot_death_timeout, Micros(1))) return c;
  return IntBetween("dispatcher.bot_death_retries", d.bot_death_retries, 0, 1000);
}

Check CheckFaults(const Scenario& s) {
  const FaultsSpec& f = s.faults;
  if (Check c = NumberBetween("faults.lost_acks.probability", f.lost_ack_probability, 0, 1)) return c;
  if (Check c = NumberBetween("faults.lost_assignments.probability", f.lost_assignment_probability, 0, 1)) return c;
  if (Check c = NumberBetween("faults.delayed_notifications.probability", f.delay_probability, 0, 1)) return c;
  if (Check c = Dist("faults.delayed_notifications.delay", f.delay, Duration::zero())) return c;
  if (Check c = NumberBetween("faults.task_errors.probability", f.task_error_probability, 0, 1)) return c;
  if (Check c = DurationAtLeast("faults.task_errors.after", f.task_error_after)) return c;
  if (Check c = Outages(s, f.bot_deaths, "faults.bot_deaths")) return c;
  if (Check c = Outages(s, f.bot_flaps, "faults.bot_flaps")) return c;
  for (size_t i = 0; i < f.restart_at.size(); ++i) {
    if (Check c = DurationAtLeast(IndexKey("faults.scheduler_restarts.at", i), f.restart_at[i])) return c;
  }
  return DurationAtLeast("faults.scheduler_restarts.every", f.restart_every);
}

// Tasks running at time 0 (a task log's running_on): each on a bot that
// exists and holds the task's base labels, arriving at 0, one per bot.
Check CheckRunningOn(const Scenario& s) {
  std::map<std::string, std::string> taken;  // bot -> the path of the task on it
  for (size_t i = 0; i < s.workloads.size(); ++i) {
    const ArrivalSpec& a = s.workloads[i].arrivals;
    for (size_t j = 0; j < a.replay.size(); ++j) {
      const ReplayTask& t = a.replay[j];
      if (t.running_on.empty()) continue;
      const std::string rp = IndexKey(JoinKey(JoinKey(IndexKey("workloads", i), "arrivals"), "replay"), j);
      if (Check c = RunningOnProblem(s.bots, t, JoinKey(rp, "running_on"))) return c;
      auto [it, inserted] = taken.emplace(t.running_on, rp);
      if (!inserted) {
        return At(JoinKey(rp, "running_on"), "bot \"" + t.running_on + "\" already runs " + it->second);
      }
    }
  }
  return std::nullopt;
}

Check FindProblem(const Scenario& s) {
  if (Check c = CheckRunLength(s)) return c;
  if (Check c = CheckPolicy(s.policy)) return c;
  if (s.accounts.empty()) return At("accounts", "must define at least one account");
  for (size_t i = 0; i < s.accounts.size(); ++i) {
    if (Check c = CheckAccount(s, i)) return c;
  }
  if (s.bots.empty()) return At("bots", "must list at least one bot group");
  for (size_t i = 0; i < s.bots.size(); ++i) {
    if (Check c = CheckBotGroup(s, i)) return c;
  }
  for (size_t i = 0; i < s.workloads.size(); ++i) {
    if (Check c = CheckWorkload(s, i)) return c;
  }
  if (Check c = CheckRunningOn(s)) return c;
  if (Check c = CheckDispatcher(s.dispatcher)) return c;
  if (Check c = CheckFaults(s)) return c;
  return CheckLimits(s);
}

std::string BotName(const std::string& group, int64_t count, int64_t index) {
  const int width = std::max<int>(5, static_cast<int>(std::to_string(count).size()));
  const std::string num = std::to_string(index + 1);
  return group + "-" + std::string(width - std::min<int>(width, static_cast<int>(num.size())), '0') + num;
}

std::optional<std::pair<uint32_t, int64_t>> FindBot(const std::vector<BotGroupSpec>& groups, const std::string& name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos) return std::nullopt;
  const std::string group = name.substr(0, dash), num = name.substr(dash + 1);
  for (uint32_t g = 0; g < groups.size(); ++g) {
    if (groups[g].name != group) continue;
    int64_t n = 0;
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
    if (ec != std::errc() || end != num.data() + num.size() || n < 1 || n > groups[g].count) return std::nullopt;
    if (BotName(group, groups[g].count, n - 1) != name) return std::nullopt;  // "-1" for "-00001"
    return std::make_pair(g, n - 1);
  }
  return std::nullopt;
}

Check RunningOnProblem(const std::vector<BotGroupSpec>& groups, const ReplayTask& t, const std::string& path) {
  if (t.enqueue != Duration::zero()) {
    return At(path, "a task running at time 0 must arrive at 0, got enqueue " + FormatDuration(t.enqueue));
  }
  std::optional<std::pair<uint32_t, int64_t>> bot = FindBot(groups, t.running_on);
  if (!bot) {
    return At(path, "no bot is named \"" + t.running_on + "\" (bots are named <group>-NNNNN, from 00001)");
  }
  const BotGroupSpec& g = groups[bot->first];
  if (g.joins_at > Duration::zero()) {
    return At(path, "bot \"" + t.running_on + "\" is not there at time 0: its group joins at " +
                        FormatDuration(g.joins_at));
  }
  LabelSet held = g.labels;
  held.insert(held.end(), g.provisionable_labels.begin(), g.provisionable_labels.end());
  held = MakeLabelSet(std::move(held));
  for (const std::string& l : t.base_labels) {
    if (!std::binary_search(held.begin(), held.end(), l)) {
      return At(path, "bot \"" + t.running_on + "\" lacks the task's base label \"" + l + "\"");
    }
  }
  return std::nullopt;
}

Status ValidateScenario(const Scenario& scenario) {
  Check c = FindProblem(scenario);
  if (!c) return Status::Ok();
  std::string where = scenario.source_path.empty() ? "" : scenario.source_path + ": ";
  return InvalidArgument(where + c->path + ": " + c->message);
}

}  // namespace qsim::sim
