// The replay scenario `qsim import` writes. Every choice that is not exact
// (a duration the log cannot give, a task before the start) is counted in a
// warning; docs/production-data.md lists them.
#include "production/replay_scenario.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "sim/scenario.h"

namespace qsim::production {
namespace {

constexpr int64_t kMinute = 60LL * 1000000;
constexpr int64_t kHour = 60 * kMinute;
constexpr const char* kNoAccount = "no-account";  // tasks that named no account

struct Row {
  int64_t enqueue = 0;  // from the start
  std::string account;
  std::vector<std::string> base, prov;
  int64_t duration = 0;
  std::string running_bot;  // the snapshot's bot running it at the start ("" if none)
  std::string running_on;   // that bot's simulator name, once placed (the task log's running_on)
};

// When a bot is in the fleet, from the start in whole minutes.
struct Presence {
  int64_t joins_at = 0;
  std::optional<int64_t> leaves_at;  // none: to the end
  bool operator<(const Presence& o) const { return std::tie(joins_at, leaves_at) < std::tie(o.joins_at, o.leaves_at); }
};

struct Group {
  std::vector<std::string> labels;
  std::vector<std::string> provisionable;  // what the bot holds at the start
  std::vector<ObservedBot::DimensionChange> changes;  // of `labels`, times from the start
  int64_t count = 0;
  Presence presence;
};

// The bots whose presence was cut at a row rather than stretched to the
// start or the end, and those left out (last row before the start).
struct PresenceCounts {
  int64_t joining = 0, leaving = 0, gone_before = 0;
};

struct Counts {
  int64_t finished_before = 0, enqueued_before = 0, running_at_start = 0, never_ran = 0, running_at_end = 0;
  int64_t queued_at_end = 0, preempted_at_end = 0, no_account = 0, snapshot_tasks = 0;
  int64_t running_placed = 0, running_unplaced = 0;
};

struct Plan {
  int64_t origin = 0, duration = 0;
  std::vector<Row> rows;
  std::vector<Group> groups;
  std::vector<ObservedAccount> accounts;
  std::map<std::string, std::vector<float>> balances;
  int64_t exact = 0, bots = 0;
  // Each bot (log or snapshot id) by its group (index in `groups`) and its
  // simulator name (sim::BotName).
  std::map<std::string, std::pair<size_t, std::string>> bot_names;
  bool whole_run = false;  // every bot present for the whole run
  int64_t slack = 0;       // the presence slack
  PresenceCounts presence;
};

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

int64_t Micros(const google::protobuf::Timestamp& t) { return t.seconds() * 1000000 + t.nanos() / 1000; }

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

template <typename Repeated>
std::vector<std::string> Sorted(const Repeated& r) {
  return Sorted(std::vector<std::string>(r.begin(), r.end()));
}

std::string NameFrom(const std::string& pool) {
  std::string name;
  for (char c : pool) name += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '-';
  if (name.empty() || name[0] == '-') name = "imported" + name;
  return name.substr(0, 100);
}

// The median run of each account's exactly known runs (and of all, under "").
std::map<std::string, int64_t> MedianRuns(const std::vector<Row>& rows, const std::vector<bool>& exact) {
  std::map<std::string, std::vector<int64_t>> runs;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!exact[i]) continue;
    runs[rows[i].account].push_back(rows[i].duration);
    runs[""].push_back(rows[i].duration);
  }
  std::map<std::string, int64_t> median;
  for (auto& [account, v] : runs) {
    std::sort(v.begin(), v.end());
    median[account] = v[v.size() / 2];
  }
  return median;
}

Row RowFromSnapshot(const StateSnapshot::QueuedTask& t) {
  Row r;
  r.account = t.account_id();
  r.base = Sorted(t.base_labels());
  r.prov = Sorted(t.provisionable_labels());
  return r;
}

// The tasks a snapshot lists, by id: running (or queued), and as listed.
using SnapshotTaskMap = std::map<std::string, std::pair<bool, const StateSnapshot::QueuedTask*>>;
SnapshotTaskMap SnapshotTasks(const StateSnapshot* snap) {
  SnapshotTaskMap tasks;
  if (snap == nullptr) return tasks;
  for (const auto& q : snap->queued_tasks()) tasks[q.task_id()] = {false, &q};
  for (const auto& r : snap->running_tasks()) tasks[r.task().task_id()] = {true, &r.task()};
  return tasks;
}

// The bot a running task of the snapshot runs on: its own bot_id, else the
// running worker that names it ("" if neither does).
std::string RunningBot(const StateSnapshot& snap, const std::string& task_id) {
  for (const auto& r : snap.running_tasks()) {
    if (r.task().task_id() == task_id && !r.bot_id().empty()) return r.bot_id();
  }
  for (const auto& w : snap.running_workers()) {
    if (w.task_id() == task_id) return w.bot_id();
  }
  return "";
}

// Each task of the log as a task-log row. `pending` marks the rows whose
// duration is still to be chosen (queued at the end). A task the snapshot
// lists is in the system at time 0, whatever the log's first row about it.
void PlanLoggedTasks(const ObservedLog& log, const StateSnapshot* snap, Plan* plan, Counts* c,
                     std::vector<bool>* exact, std::vector<bool>* pending) {
  const SnapshotTaskMap at_start = SnapshotTasks(snap);
  for (const ObservedTask& t : log.tasks) {
    auto listed = at_start.find(t.id);
    const bool running_at_snapshot = listed != at_start.end() && listed->second.first;
    if (t.completed_us && *t.completed_us < plan->origin) {
      ++c->finished_before;
      continue;
    }
    if (t.completed_us && !t.run_us && !running_at_snapshot) {  // cancelled or expired while queued
      ++c->never_ran;
      continue;
    }
    Row r;
    r.enqueue = listed != at_start.end() ? 0 : std::max<int64_t>(0, t.enqueue_us - plan->origin);
    if (t.enqueue_us < plan->origin || listed != at_start.end()) ++c->enqueued_before;
    r.account = t.account;
    r.base = t.base_labels;
    r.prov = t.provisionable_labels;
    if (listed != at_start.end() && !t.enqueue_seen) {  // the snapshot knows its labels; the log may not
      Row listed_row = RowFromSnapshot(*listed->second.second);
      r.account = listed_row.account;
      r.base = listed_row.base;
      r.prov = listed_row.prov;
    }
    if (running_at_snapshot) r.running_bot = RunningBot(*snap, t.id);
    bool is_exact = false, is_pending = false;
    if (t.completed_us) {
      if (!t.run_us || *t.completed_us - *t.run_us < plan->origin) {
        r.duration = *t.completed_us - plan->origin;
        ++c->running_at_start;
      } else {
        r.duration = *t.run_us;
        is_exact = t.enqueue_us >= plan->origin && listed == at_start.end();
      }
    } else if (t.last_assigned_us || running_at_snapshot) {
      // Outlasts the scenario, as it outlasted the log (a run from time 0
      // must be longer than the scenario to be running at its end).
      r.duration = running_at_snapshot ? plan->duration + kMinute : plan->duration;
      ++c->running_at_end;
    } else {
      is_pending = true;
      ++(t.assignments > 0 ? c->preempted_at_end : c->queued_at_end);
    }
    plan->rows.push_back(std::move(r));
    exact->push_back(is_exact);
    pending->push_back(is_pending);
  }
}

void PlanSnapshotTasks(const ObservedLog& log, const StateSnapshot& snap, Plan* plan, Counts* c,
                       std::vector<bool>* exact, std::vector<bool>* pending) {
  std::set<std::string> logged;
  for (const ObservedTask& t : log.tasks) logged.insert(t.id);
  for (const auto& q : snap.queued_tasks()) {
    if (logged.count(q.task_id())) continue;
    plan->rows.push_back(RowFromSnapshot(q));
    exact->push_back(false);
    pending->push_back(true);
    ++c->snapshot_tasks;
  }
  for (const auto& running : snap.running_tasks()) {
    if (logged.count(running.task().task_id())) continue;
    Row r = RowFromSnapshot(running.task());
    r.duration = plan->duration + kMinute;  // running past the end, as in PlanLoggedTasks
    r.running_bot = RunningBot(snap, running.task().task_id());
    plan->rows.push_back(std::move(r));
    exact->push_back(false);
    pending->push_back(false);
    ++c->snapshot_tasks;
  }
}

void PlanTasks(const ObservedLog& log, const StateSnapshot* snap, Plan* plan, Counts* c) {
  std::vector<bool> exact, pending;
  PlanLoggedTasks(log, snap, plan, c, &exact, &pending);
  if (snap != nullptr) PlanSnapshotTasks(log, *snap, plan, c, &exact, &pending);
  for (Row& r : plan->rows) {
    if (r.account.empty()) {
      r.account = kNoAccount;
      ++c->no_account;
    }
  }
  std::map<std::string, int64_t> median = MedianRuns(plan->rows, exact);
  for (size_t i = 0; i < plan->rows.size(); ++i) {
    Row& r = plan->rows[i];
    if (pending[i]) {
      auto it = median.find(r.account);
      if (it == median.end()) it = median.find("");
      r.duration = it != median.end() ? it->second : kMinute;
    }
    r.duration = std::max<int64_t>(r.duration, 1);  // a run of 0 us is not a task-log duration
    if (exact[i]) ++plan->exact;
  }
  std::stable_sort(plan->rows.begin(), plan->rows.end(),
                   [](const Row& a, const Row& b) { return a.enqueue < b.enqueue; });
}

// A bot's dimensions split by the keys of the tasks' provisionable labels
// ("image" of "image:android-14"): those are what provisioning changes, and
// the replay provisions by itself, so only the rest is fixed or followed.
struct Split {
  std::vector<std::string> fixed, provisionable;
  bool operator<(const Split& o) const { return std::tie(fixed, provisionable) < std::tie(o.fixed, o.provisionable); }
};

Split SplitDimensions(const std::vector<std::string>& dims, const std::set<std::string>& keys) {
  Split s;
  for (const std::string& d : dims) {
    (keys.count(d.substr(0, d.find(':'))) ? s.provisionable : s.fixed).push_back(d);
  }
  return s;
}

std::set<std::string> ProvisionableKeys(const ObservedLog& log) {
  std::set<std::string> keys;
  for (const ObservedTask& t : log.tasks) {
    for (const std::string& l : t.provisionable_labels) keys.insert(l.substr(0, l.find(':')));
  }
  return keys;
}

using GroupKey = std::pair<Split, std::vector<std::pair<int64_t, std::vector<std::string>>>>;

GroupKey KeyOf(const ObservedBot& b, const std::set<std::string>& keys, int64_t origin) {
  GroupKey key{SplitDimensions(b.dimensions, keys), {}};
  for (const auto& change : b.changes) {
    Split now = SplitDimensions(change.dimensions, keys);
    const int64_t at = change.at_us - origin;
    if (at <= 0) {
      key.first = now;
    } else {
      const auto& before = key.second.empty() ? key.first.fixed : key.second.back().second;
      if (now.fixed != before) key.second.emplace_back(at, now.fixed);
    }
  }
  return key;
}

std::string GroupName(size_t i) { return "bots-" + std::to_string(i + 1); }

// How long a bot that is there may go without a row: the 99th percentile
// of the gaps between a bot's consecutive rows, and at least 10 minutes (a
// pool polled every few seconds still leaves its idle bots unseen for long).
int64_t PresenceSlack(const ObservedLog& log) {
  constexpr int64_t kFloor = 10 * kMinute;
  int64_t gaps = 0;
  for (const auto& [minutes, n] : log.bot_row_gap_minutes) gaps += n;
  const int64_t rank = (gaps * 99 + 99) / 100;  // ceil(0.99 gaps), at least 1
  int64_t seen = 0;
  for (const auto& [minutes, n] : log.bot_row_gap_minutes) {
    seen += n;
    if (seen >= rank) return std::max(kFloor, minutes * kMinute);
  }
  return kFloor;
}

// The bots running a task at the end: the last run of a task that never
// completed, and a snapshot's running worker whose task the log never ends.
std::set<std::string> RunningAtEnd(const ObservedLog& log, const StateSnapshot* snap) {
  std::set<std::string> running, completed;
  for (const ObservedTask& t : log.tasks) {
    if (t.completed_us) completed.insert(t.id);
    else if (t.last_assigned_us && !t.last_bot.empty()) running.insert(t.last_bot);
  }
  if (snap != nullptr) {
    for (const auto& w : snap->running_workers()) {
      if (!completed.count(w.task_id())) running.insert(w.bot_id());
    }
  }
  return running;
}

// Each bot present from its first row (from 0 if the snapshot lists it, its
// first row ends a run begun before the log, or that row is within the slack
// of the start; else from the row's minute) to its last row (to the end if
// it runs a task at the end or that row is within the slack of the end; else
// to the minute after the row's). Whole minutes keep the groups few. A bot
// whose rows all precede the start is left out.
std::map<std::string, Presence> InferPresence(const ObservedLog& log, const StateSnapshot* snap,
                                              const std::map<std::string, ObservedBot>& bots,
                                              const std::set<std::string>& listed, Plan* plan) {
  std::map<std::string, Presence> out;
  const std::set<std::string> running = RunningAtEnd(log, snap);
  std::set<std::string> logged;  // the others are only in the snapshot
  for (const ObservedBot& b : log.bots) logged.insert(b.id);
  const int64_t end = log.end_us - plan->origin;
  for (const auto& [id, b] : bots) {
    Presence& p = out[id];
    if (plan->whole_run) continue;
    const bool seen = logged.count(id) > 0;
    const int64_t first = seen ? b.first_seen_us - plan->origin : 0;
    int64_t last = seen ? b.last_seen_us - plan->origin : 0;
    if (listed.count(id)) last = std::max<int64_t>(last, 0);  // the snapshot saw it at time 0
    if (last < 0 && !running.count(id)) {
      out.erase(id);
      ++plan->presence.gone_before;
      continue;
    }
    if (!listed.count(id) && !b.busy_before_first_row && first > plan->slack) {
      p.joins_at = std::min(first / kMinute * kMinute, plan->duration - kMinute);
      plan->presence.joining += p.joins_at > 0 ? 1 : 0;
    }
    const int64_t leaves = (last / kMinute + 1) * kMinute;
    if (!running.count(id) && end - last > plan->slack && leaves < plan->duration) {
      p.leaves_at = std::max(leaves, p.joins_at + kMinute);
      ++plan->presence.leaving;
    }
  }
  return out;
}

// Bots with the same dimensions, the same changes at the same times and
// the same presence share a group; a bot seen only in the snapshot keeps the
// snapshot's labels, and every bot the snapshot lists is there from time 0.
void PlanBots(const ObservedLog& log, const StateSnapshot* snap, Plan* plan) {
  std::map<std::string, ObservedBot> bots;
  for (const ObservedBot& b : log.bots) bots[b.id] = b;
  std::set<std::string> listed;  // by the snapshot
  if (snap != nullptr) {
    for (const auto* workers : {&snap->idle_workers(), &snap->running_workers()}) {
      for (const auto& w : *workers) {
        ObservedBot& b = bots[w.bot_id()];
        b.id = w.bot_id();
        if (b.dimensions.empty() && b.changes.empty()) b.dimensions = Sorted(w.labels());
        listed.insert(w.bot_id());
      }
    }
  }
  const std::set<std::string> keys = ProvisionableKeys(log);
  const std::map<std::string, Presence> presence = InferPresence(log, snap, bots, listed, plan);
  // The members' ids, in id order, per group.
  std::map<std::pair<GroupKey, Presence>, std::vector<std::string>> groups;
  for (const auto& [id, b] : bots) {
    auto p = presence.find(id);
    if (p != presence.end()) groups[{KeyOf(b, keys, plan->origin), p->second}].push_back(id);
  }
  for (const auto& [key_presence, members] : groups) {
    const GroupKey& key = key_presence.first;
    Group g;
    g.labels = key.first.fixed;
    g.provisionable = key.first.provisionable;
    for (const auto& [at, dims] : key.second) g.changes.push_back({at, dims});
    g.count = static_cast<int64_t>(members.size());
    g.presence = key_presence.second;
    // The simulator names a group's bots in order (WriteBots names the groups).
    for (size_t i = 0; i < members.size(); ++i) {
      plan->bot_names[members[i]] = {plan->groups.size(), sim::BotName(GroupName(plan->groups.size()), g.count,
                                                                        static_cast<int64_t>(i))};
    }
    plan->bots += g.count;
    plan->groups.push_back(std::move(g));
  }
}

// Each task running at the start on its bot's simulator name, if the replay
// has that bot with the task's base labels (the group's labels at the start,
// provisionable ones included) and no other such task on it; else it is
// queued at time 0 like a queued task of the snapshot.
void PlaceRunningTasks(Plan* plan, Counts* c) {
  std::set<std::string> taken;
  for (Row& r : plan->rows) {
    if (r.running_bot.empty()) continue;
    auto bot = plan->bot_names.find(r.running_bot);
    if (bot == plan->bot_names.end() || taken.count(bot->second.second)) {
      ++c->running_unplaced;
      continue;
    }
    const Group& g = plan->groups[bot->second.first];
    std::vector<std::string> held = g.labels;
    held.insert(held.end(), g.provisionable.begin(), g.provisionable.end());
    held = Sorted(std::move(held));
    const std::vector<std::string> wanted = Sorted(r.base);
    if (!std::includes(held.begin(), held.end(), wanted.begin(), wanted.end())) {
      ++c->running_unplaced;
      continue;
    }
    r.running_on = bot->second.second;
    taken.insert(r.running_on);
    ++c->running_placed;
  }
}

// YAML: every string double-quoted (labels hold ':'), floats in their
// shortest exact form.
std::string Q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string List(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Q(v[i]);
  return out + "]";
}

std::string Num(double v, bool single) {
  char buf[32];
  auto r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                  : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string Floats(const std::vector<float>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Num(v[i], true);
  return out + "]";
}

std::string Dur(int64_t us) { return sim::FormatDuration(qsim::Micros(us)); }

void WriteAccounts(std::ostringstream& o, const Plan& plan) {
  o << "accounts:\n";
  for (const ObservedAccount& a : plan.accounts) {
    o << "  " << a.id << ":";
    if (!a.from_config) o << "  # not in a config: inferred from the log, quota guessed";
    o << "\n";
    std::vector<float> rates(a.charge_rates.begin(), a.charge_rates.end());
    if (rates.empty()) rates = {a.id == kNoAccount ? 0.0f : 1.0f};
    if (rates.size() > 5) rates.resize(5);
    o << "    charge_rate: " << Floats(rates) << "\n";
    o << "    max_charge_seconds: " << Num(a.from_config ? a.max_charge_seconds : 3600, true) << "\n";
    if (a.max_fanout > 0) o << "    max_fanout: " << a.max_fanout << "\n";
    if (a.disable_free_tasks) o << "    disable_free_tasks: true\n";
    if (!a.per_label_task_limits.empty()) {
      o << "    per_label_task_limits: {";
      for (size_t i = 0; i < a.per_label_task_limits.size(); ++i) {
        o << (i ? ", " : "") << Q(a.per_label_task_limits[i].first) << ": " << a.per_label_task_limits[i].second;
      }
      o << "}\n";
    }
    if (auto it = plan.balances.find(a.id); it != plan.balances.end()) {
      std::vector<float> b = it->second;
      if (b.size() > 5) b.resize(5);
      if (!b.empty()) o << "    initial_balance: " << Floats(b) << "\n";
    }
  }
}

void WriteBots(std::ostringstream& o, const Plan& plan) {
  o << "bots:\n";
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const Group& g = plan.groups[i];
    o << "  - group: " << GroupName(i) << "\n";
    o << "    count: " << g.count << "\n";
    o << "    labels: " << List(g.labels) << "\n";
    if (g.presence.joins_at > 0) o << "    joins_at: " << Dur(g.presence.joins_at) << "\n";
    if (g.presence.leaves_at) o << "    leaves_at: " << Dur(*g.presence.leaves_at) << "\n";
    if (!g.provisionable.empty()) o << "    provisionable_labels: " << List(g.provisionable) << "\n";
    if (!g.changes.empty()) {
      o << "    label_changes:\n";
      for (const auto& c : g.changes) {
        o << "      - {at: " << Dur(c.at_us) << ", labels: " << List(c.dimensions) << "}\n";
      }
    }
  }
}

std::string ScenarioYaml(const ObservedLog& log, const Plan& plan, const ReplayOptions& options) {
  std::ostringstream o;
  o << "# Imported by `qsim import` from " << options.source << " (pool " << Q(log.scheduler_id) << "):\n"
    << "# simulated time 0 is " << FormatRfc3339(plan.origin) << ". The task log " << kImportedTaskLogFile
    << " holds every task's arrival,\n# labels, account and run (from its assignment to its completion); the fleet "
       "is the bots\n# the log names"
    << (plan.whole_run ? ", each for the whole run" : ", each from its first row to its last (joins_at, leaves_at)")
    << ". See docs/production-data.md for what is exact and what is not.\n";
  o << "name: " << (options.name.empty() ? NameFrom(log.scheduler_id) : options.name) << "\n";
  o << "description: " << Q("Replay of " + options.source + " from " + FormatRfc3339(plan.origin)) << "\n";
  o << "seed: 1\n";
  o << "duration: " << Dur(plan.duration) << "\n";
  // A minute, or for a log under two hours about 60 samples in whole seconds.
  const int64_t sample =
      plan.duration >= 2 * kHour ? kMinute : std::max<int64_t>(1, plan.duration / 60 / 1000000) * 1000000;
  o << "sample_interval: " << Dur(sample) << "\n";
  if (log.disable_preemption || log.bot_expiration_us) {
    o << "policy:\n";
    if (log.disable_preemption) o << "  disable_preemption: true\n";
    if (log.bot_expiration_us) o << "  bot_expiration: " << Dur(*log.bot_expiration_us) << "\n";
  }
  WriteAccounts(o, plan);
  WriteBots(o, plan);
  o << "workloads:\n"
    << "  - name: imported\n"
    << "    arrivals: {kind: replay, file: " << kImportedTaskLogFile << ", duration_from: assignment}\n";
  return o.str();
}

// The running_on column only when a task runs at the start, so that a log
// without a snapshot gives the task log it always did.
std::string TaskLogCsv(const Plan& plan) {
  const bool running = std::any_of(plan.rows.begin(), plan.rows.end(), [](const Row& r) { return !r.running_on.empty(); });
  std::string out = "enqueue_s,account,base_labels,provisionable_labels,duration_s";
  out += running ? ",running_on\n" : "\n";
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ";" : "") + v[i];
    return s;
  };
  for (const Row& r : plan.rows) {
    std::vector<std::string> fields = {runfolder::FormatMicros(r.enqueue), r.account, join(r.base), join(r.prov),
                                       runfolder::FormatMicros(r.duration)};
    if (running) fields.push_back(r.running_on);
    out += runfolder::CsvLine(fields);
  }
  return out;
}

void Warn(Warnings* w, int64_t n, const std::string& text) {
  if (n > 0) w->push_back(std::to_string(n) + " " + text);
}

void WarnApproximations(const Counts& c, const Plan& plan, const ObservedLog& log, Warnings* w) {
  Warn(w, c.finished_before, "tasks finished before the start: left out");
  Warn(w, c.never_ran, "tasks completed without running (cancelled or expired while queued): left out");
  Warn(w, c.enqueued_before, "tasks enqueued before the start (or listed by the snapshot): enter at time 0");
  Warn(w, c.running_at_start, "tasks running at the start: their run counts from time 0");
  Warn(w, c.running_at_end, "tasks still running at the end of the log: their run outlasts the scenario");
  Warn(w, c.queued_at_end, "tasks never assigned within the log: given their account's median run");
  Warn(w, c.preempted_at_end,
       "tasks preempted or unassigned with no later assignment or completion: given their account's median run");
  Warn(w, c.snapshot_tasks, "tasks only in the snapshot: enter at time 0");
  Warn(w, c.running_unplaced,
       "tasks the snapshot lists as running on a bot the replay lacks, that lacks their base labels, or that runs "
       "another of them: queued at time 0 instead");
  Warn(w, c.no_account, "tasks named no account: replayed under account \"no-account\" (no quota)");
  int64_t inferred = 0;
  for (const ObservedAccount& a : plan.accounts) inferred += a.from_config || a.id == kNoAccount ? 0 : 1;
  Warn(w, inferred, "accounts inferred from the log with a guessed quota (charge_rate [1]); give --config");
  if (!plan.whole_run) {
    const std::string slack = " (presence slack " + Dur(plan.slack) + ")";
    Warn(w, plan.presence.joining, "bots first seen later than the start by more than the slack" + slack +
                                       ": join at their first row's minute");
    Warn(w, plan.presence.leaving, "bots last seen earlier than the end by more than the slack" + slack +
                                       ", running nothing: leave the minute after their last row");
    Warn(w, plan.presence.gone_before, "bots seen only before the start: left out of the fleet");
    return;
  }
  int64_t late = 0, early = 0;
  for (const ObservedBot& b : log.bots) {
    late += b.first_seen_us > plan.origin + 10 * kMinute ? 1 : 0;
    early += b.last_seen_us < plan.origin + plan.duration - 10 * kMinute ? 1 : 0;
  }
  // A log names a bot only when it takes a task, so these are often idle bots.
  Warn(w, late, "bots have no row in the log's first 10m: present from the start in the replay");
  Warn(w, early, "bots have no row in the log's last 10m: present to the end in the replay");
}

}  // namespace

StatusOr<ReplaySummary> WriteReplayScenario(const ObservedLog& log, const StateSnapshot* snapshot,
                                            const ReplayOptions& options, const std::string& dir,
                                            Warnings* warnings) {
  Plan plan;
  plan.origin = options.start_us ? *options.start_us
                : snapshot != nullptr ? Micros(snapshot->time())
                                      : FloorDiv(log.start_us, kHour) * kHour;
  if (log.end_us < plan.origin) {
    return InvalidArgument("the start " + FormatRfc3339(plan.origin) + " is after the log's last row");
  }
  // Whole minutes, rounded up: a run that ended on the minute keeps its length.
  plan.duration = std::max<int64_t>(1, FloorDiv(log.end_us - plan.origin + kMinute - 1, kMinute)) * kMinute;
  plan.whole_run = options.bots_whole_run;
  if (!plan.whole_run) plan.slack = options.presence_slack_us ? *options.presence_slack_us : PresenceSlack(log);
  Counts counts;
  PlanTasks(log, snapshot, &plan, &counts);
  PlanBots(log, snapshot, &plan);
  PlaceRunningTasks(&plan, &counts);
  if (plan.rows.empty()) return InvalidArgument("no task of the log is left to replay");
  if (plan.groups.empty()) {
    return InvalidArgument("the log names no bot (no QSCHEDULER_ASSIGNED row): no fleet to replay on");
  }
  plan.accounts = log.accounts;
  std::set<std::string> named;
  for (const ObservedAccount& a : plan.accounts) named.insert(a.id);
  for (const Row& r : plan.rows) {
    if (named.insert(r.account).second) {
      plan.accounts.emplace_back();
      plan.accounts.back().id = r.account;
    }
  }
  std::sort(plan.accounts.begin(), plan.accounts.end(),
            [](const ObservedAccount& a, const ObservedAccount& b) { return a.id < b.id; });
  if (snapshot != nullptr) {
    for (const auto& [id, b] : snapshot->account_balances()) {
      plan.balances[id].assign(b.value().begin(), b.value().end());
    }
  }
  WarnApproximations(counts, plan, log, warnings);
  QSIM_RETURN_IF_ERROR(runfolder::MakeDirectories(dir));
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(dir + "/" + kImportedTaskLogFile, TaskLogCsv(plan)));
  const std::string scenario_path = dir + "/" + kImportedScenarioFile;
  QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(scenario_path, ScenarioYaml(log, plan, options)));
  if (StatusOr<sim::Scenario> check = sim::LoadScenarioFile(scenario_path); !check.ok()) {
    std::error_code ignored;  // a scenario that does not load is not left behind
    std::filesystem::remove(scenario_path, ignored);
    std::filesystem::remove(dir + "/" + kImportedTaskLogFile, ignored);
    // Within the reader's checks this is a limit (docs/limits.md) the log
    // goes beyond, e.g. more tasks than a scenario may hold.
    return InvalidArgument("the imported scenario does not load: " + check.status().message());
  }
  ReplaySummary s{plan.origin, plan.duration, static_cast<int64_t>(plan.rows.size()), plan.exact, plan.bots,
                  static_cast<int64_t>(plan.groups.size()), static_cast<int64_t>(plan.accounts.size()),
                  counts.running_placed, plan.slack};
  return s;
}

}  // namespace qsim::production
