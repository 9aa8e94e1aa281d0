// Writes a Scenario back as YAML with every default filled in. Numbers are
// written in their shortest round-trip form, so loading the text gives the
// same values and writing it again gives the same bytes.
#include <charconv>
#include <sstream>

#include "scheduler/policy_schema.h"
#include "sim/scenario.h"

namespace qsim::sim {

std::string FormatDuration(Duration d) {
  int64_t us = ToMicros(d);
  if (us == 0) return "0s";
  struct Unit {
    int64_t scale;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400000000LL, "d"}, {3600000000LL, "h"}, {60000000LL, "m"},
                                    {1000000LL, "s"},     {1000LL, "ms"},       {1, "us"}};
  for (const Unit& u : kUnits) {
    if (us % u.scale == 0) return std::to_string(us / u.scale) + u.name;
  }
  return std::to_string(us) + "us";
}

namespace {

template <typename F>
std::string Num(F v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string StringList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quote(v[i]);
  return out + "]";
}

std::string DurationList(const std::vector<Duration>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + FormatDuration(v[i]);
  return out + "]";
}

std::string Dist(const DurationDist& d) {
  switch (d.kind) {
    case DurationDist::Kind::kConstant:
      return "{dist: constant, value: " + FormatDuration(d.value) + "}";
    case DurationDist::Kind::kExponential:
      return "{dist: exponential, mean: " + FormatDuration(d.mean) + "}";
    case DurationDist::Kind::kLognormal:
      return "{dist: lognormal, median: " + FormatDuration(d.median) + ", sigma: " + Num(d.sigma) + "}";
    case DurationDist::Kind::kUniform:
      return "{dist: uniform, min: " + FormatDuration(d.min) + ", max: " + FormatDuration(d.max) + "}";
    case DurationDist::Kind::kEmpirical:
      return "{dist: empirical, values: " + DurationList(d.values) + "}";
  }
  return "";
}

const char* Bool(bool b) { return b ? "true" : "false"; }

// A policy switch's value as the loader reads it back.
std::string Value(bool b) { return Bool(b); }
std::string Value(Duration d) { return FormatDuration(d); }
std::string Value(float f) { return Num(f); }
std::string Value(int64_t i) { return std::to_string(i); }

void WriteOutage(std::ostringstream& o, const char* key, const OutageSpec& s) {
  o << "  " << key << ":\n";
  o << "    rate_per_bot_day: " << Num(s.rate_per_bot_day) << "\n";
  o << "    downtime: " << Dist(s.downtime) << "\n";
  o << "    scheduled: [";
  for (size_t i = 0; i < s.scheduled.size(); ++i) {
    const ScheduledOutage& so = s.scheduled[i];
    o << (i ? ", " : "") << "{at: " << FormatDuration(so.at) << ", group: " << Quote(so.group)
      << ", count: " << so.count << ", downtime: " << FormatDuration(so.downtime) << "}";
  }
  o << "]\n";
}

void WriteTopLevel(std::ostringstream& o, const Scenario& s) {
  o << "# Resolved by qsim run: every default written out. `qsim run` on this file repeats the run.\n";
  o << "name: " << Quote(s.name) << "\n";
  o << "description: " << Quote(s.description) << "\n";
  o << "seed: " << s.seed << "\n";
  o << "duration: " << FormatDuration(s.duration) << "\n";
  o << "warmup: " << FormatDuration(s.warmup) << "\n";
  o << "sample_interval: " << FormatDuration(s.sample_interval) << "\n";
  o << "outputs: [tasks, summary" << (s.outputs.timeseries ? ", timeseries" : "")
    << (s.outputs.events ? ", events" : "") << (s.outputs.taskevents ? ", taskevents" : "") << "]\n";
}

void WritePolicy(std::ostringstream& o, const Scenario& s) {
  // Every switch of scheduler/policy_schema.h, in its order.
  o << "policy:\n";
  ForEachPolicyField(s.policy, [&o](PolicyFieldName name, const auto& value) {
    o << "  " << name.yaml << ": " << Value(value) << "\n";
  });
}

void WriteAccounts(std::ostringstream& o, const Scenario& s) {
  o << "accounts:\n";
  for (const AccountSpec& a : s.accounts) {
    const AccountConfig& c = a.config;
    o << "  " << Quote(a.id) << ":\n";
    o << "    charge_rate: [";
    for (int i = 0; i < kNumPriorities; ++i) o << (i ? ", " : "") << Num(c.charge_rate[i]);
    o << "]\n";
    o << "    max_charge_seconds: " << Num(c.max_charge_seconds) << "\n";
    o << "    max_fanout: " << c.max_fanout << "\n";
    o << "    per_label_task_limits: {";
    bool first = true;
    for (const auto& [prefix, limit] : c.per_label_task_limits) {
      o << (first ? "" : ", ") << Quote(prefix) << ": " << limit;
      first = false;
    }
    o << "}\n";
    o << "    disable_free_tasks: " << Bool(c.disable_free_tasks) << "\n";
    o << "    description: " << Quote(c.description) << "\n";
    if (a.initial_full) {
      o << "    initial_balance: full\n";
    } else {
      o << "    initial_balance: [";
      for (size_t i = 0; i < a.initial_balance.size(); ++i) o << (i ? ", " : "") << Num(a.initial_balance[i]);
      o << "]\n";
    }
  }
}

void WriteBots(std::ostringstream& o, const Scenario& s) {
  o << "bots:\n";
  for (const BotGroupSpec& g : s.bots) {
    o << "  - group: " << Quote(g.name) << "\n"
      << "    count: " << g.count << "\n"
      << "    labels: " << StringList(g.labels) << "\n"
      << "    provisionable_labels: " << StringList(g.provisionable_labels) << "\n"
      << "    poll_interval: " << FormatDuration(g.poll_interval) << "\n"
      << "    provision_time: " << FormatDuration(g.provision_time) << "\n"
      << "    abort_time: " << FormatDuration(g.abort_time) << "\n";
    // Written only when set, so a scenario whose bots stay for the whole
    // run resolves to the same text as before presence existed.
    if (g.joins_at > Duration::zero()) o << "    joins_at: " << FormatDuration(g.joins_at) << "\n";
    if (g.leaves_at) o << "    leaves_at: " << FormatDuration(*g.leaves_at) << "\n";
    o << "    label_changes: [";
    for (size_t i = 0; i < g.label_changes.size(); ++i) {
      const LabelChange& c = g.label_changes[i];
      o << (i ? ", " : "") << "{at: " << FormatDuration(c.at) << ", labels: " << StringList(c.labels);
      if (c.provisionable_labels) o << ", provisionable_labels: " << StringList(*c.provisionable_labels);
      o << "}";
    }
    o << "]\n";
  }
}

// Written only when set, so scenarios without a weekly profile resolve to
// the same text as before the profile existed.
void WriteWeeklyProfile(std::ostringstream& o, const ArrivalSpec& a) {
  auto list = [&o](const char* key, const std::vector<double>& values) {
    if (values.empty()) return;
    o << "      " << key << ": [";
    for (size_t i = 0; i < values.size(); ++i) o << (i ? ", " : "") << Num(values[i]);
    o << "]\n";
  };
  list("hour_factors", a.hour_factors);
  list("weekday_factors", a.weekday_factors);
  if (!a.hour_factors.empty() || !a.weekday_factors.empty() || a.week_offset != Duration::zero()) {
    o << "      week_offset: " << FormatDuration(a.week_offset) << "\n";
  }
}

void WriteWorkloads(std::ostringstream& o, const Scenario& s) {
  o << "workloads:" << (s.workloads.empty() ? " []" : "") << "\n";
  for (const WorkloadSpec& w : s.workloads) {
    const ArrivalSpec& a = w.arrivals;
    o << "  - name: " << Quote(w.name) << "\n";
    if (a.kind != ArrivalSpec::Kind::kReplay) o << "    account: " << Quote(w.account) << "\n";
    o << "    base_labels: " << StringList(w.base_labels) << "\n"
      << "    provisionable_labels: " << StringList(w.provisionable_labels) << "\n"
      << "    tags: " << StringList(w.tags) << "\n";
    switch (a.kind) {
      case ArrivalSpec::Kind::kPoisson:
        o << "    arrivals: {kind: poisson, rate_per_hour: " << Num(a.rate_per_hour) << "}\n";
        break;
      case ArrivalSpec::Kind::kSchedule:
        o << "    arrivals:\n      kind: schedule\n      rate_per_hour: " << Num(a.rate_per_hour)
          << "\n      diurnal_amplitude: " << Num(a.diurnal_amplitude)
          << "\n      diurnal_peak: " << FormatDuration(a.diurnal_peak) << "\n      bursts: [";
        for (size_t i = 0; i < a.bursts.size(); ++i) {
          o << (i ? ", " : "") << "{at: " << FormatDuration(a.bursts[i].at) << ", count: " << a.bursts[i].count
            << ", over: " << FormatDuration(a.bursts[i].over) << "}";
        }
        o << "]\n";
        WriteWeeklyProfile(o, a);
        break;
      case ArrivalSpec::Kind::kList:
        o << "    arrivals: {kind: list, times: " << DurationList(a.times) << "}\n";
        break;
      case ArrivalSpec::Kind::kReplay:
        // The resolved path, so the file loads from wherever the run folder is.
        o << "    arrivals: {kind: replay, file: " << Quote(a.resolved_file)
          << (a.duration_from_assignment ? ", duration_from: assignment" : "") << "}\n";
        break;
    }
    if (a.kind != ArrivalSpec::Kind::kReplay) o << "    duration: " << Dist(w.duration) << "\n";
    o << "    cancel: {fraction: " << Num(w.cancel_fraction) << ", after: " << FormatDuration(w.cancel_after) << "}\n";
  }
}

void WriteDispatcher(std::ostringstream& o, const Scenario& s) {
  const DispatcherSpec& d = s.dispatcher;
  o << "dispatcher:\n"
    << "  batch_window: " << FormatDuration(d.batch_window) << "\n"
    << "  long_poll: " << Bool(d.long_poll) << "\n"
    << "  cancellation_poll_interval: " << FormatDuration(d.cancellation_poll_interval) << "\n"
    << "  renotify_interval: " << FormatDuration(d.renotify_interval) << "\n"
    << "  bot_death_timeout: " << FormatDuration(d.bot_death_timeout) << "\n"
    << "  preempted: " << (d.preempted == DispatcherSpec::Preempted::kRequeue ? "requeue" : "fail") << "\n"
    << "  bot_death_retries: " << d.bot_death_retries << "\n";
}

void WriteFaults(std::ostringstream& o, const Scenario& s) {
  const FaultsSpec& f = s.faults;
  o << "faults:\n"
    << "  lost_acks: {probability: " << Num(f.lost_ack_probability) << "}\n"
    << "  lost_assignments: {probability: " << Num(f.lost_assignment_probability) << "}\n"
    << "  delayed_notifications: {probability: " << Num(f.delay_probability) << ", delay: " << Dist(f.delay) << "}\n"
    << "  task_errors: {probability: " << Num(f.task_error_probability)
    << ", after: " << FormatDuration(f.task_error_after) << "}\n";
  WriteOutage(o, "bot_deaths", f.bot_deaths);
  WriteOutage(o, "bot_flaps", f.bot_flaps);
  o << "  scheduler_restarts: {at: " << DurationList(f.restart_at) << ", every: " << FormatDuration(f.restart_every)
    << "}\n";
  if (!s.expect_yaml.empty()) o << "expect: " << s.expect_yaml << "\n";
  if (!s.gate_yaml.empty()) o << "gate: " << s.gate_yaml << "\n";
}

}  // namespace

std::string WriteResolvedScenario(const Scenario& s) {
  std::ostringstream o;
  WriteTopLevel(o, s);
  WritePolicy(o, s);
  WriteAccounts(o, s);
  WriteBots(o, s);
  WriteWorkloads(o, s);
  WriteDispatcher(o, s);
  WriteFaults(o, s);  // and expect:, gate:
  return o.str();
}

}  // namespace qsim::sim
