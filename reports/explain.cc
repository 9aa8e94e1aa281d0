#include "reports/explain.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/duration_text.h"
#include "reports/run_data.h"
#include "runfolder/columns.h"
#include "runfolder/measured.h"
#include "runfolder/csv.h"
#include "runfolder/manifest.h"

namespace qsim::reports {

namespace {

using runfolder::Column;
using runfolder::kEventsColumns;
using runfolder::kTasksColumns;
using runfolder::kWaitReasons;

constexpr size_t kReasons = kWaitReasons.size();

struct TaskRow {
  std::string id, account, base_labels, outcome;
  int64_t enqueue = 0;
  std::optional<int64_t> start, end;
  std::array<int64_t, kReasons> wait{};
  int64_t total() const {
    int64_t t = 0;
    for (int64_t w : wait) t += w;
    return t;
  }
};

// Streams tasks.csv, calling fn(row) for each task; stops when fn returns
// false. The error names the file and line of a malformed field.
template <typename Fn>
Status ForEachTask(const std::string& run_dir, Fn&& fn) {
  StatusOr<runfolder::CsvReader> reader = runfolder::CsvReader::Open(RunFile(run_dir, runfolder::kTasksFile));
  if (!reader.ok()) return reader.status();
  runfolder::CsvReader& r = *reader;
  if (r.Column(kTasksColumns[runfolder::kTasksFirstWaitColumn]) < 0) {
    return InvalidArgument(r.path() + ":1: no " + std::string(kTasksColumns[runfolder::kTasksFirstWaitColumn]) +
                           " column: written by a qsim without wait attribution; run the scenario again");
  }
  auto col = [&r](std::string_view name) { return r.Column(name); };
  int task = col(Column(kTasksColumns, "task")), account = col(Column(kTasksColumns, "account"));
  int labels = col(Column(kTasksColumns, "base_labels")), outcome = col(Column(kTasksColumns, "outcome"));
  int enqueue = col(Column(kTasksColumns, "enqueue_s")), start = col(Column(kTasksColumns, "start_s"));
  int end = col(Column(kTasksColumns, "end_s"));
  while (true) {
    StatusOr<bool> more = r.Next();
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
    const std::vector<std::string>& f = r.row();
    TaskRow t;
    t.id = f[task];
    t.account = f[account];
    t.base_labels = f[labels];
    t.outcome = f[outcome];
    std::optional<int64_t> e = runfolder::ParseMicros(f[enqueue]);
    if (!e) return InvalidArgument(r.path() + ":" + std::to_string(r.row_line()) + ": column enqueue_s: not a time");
    t.enqueue = *e;
    t.start = runfolder::ParseMicros(f[start]);
    t.end = runfolder::ParseMicros(f[end]);
    for (size_t k = 0; k < kReasons; ++k) {
      size_t c = runfolder::kTasksFirstWaitColumn + k;
      std::optional<int64_t> w = runfolder::ParseMicros(f[c]);
      if (!w) {
        return InvalidArgument(r.path() + ":" + std::to_string(r.row_line()) + ": column " +
                               std::string(kTasksColumns[c]) + ": not a time");
      }
      t.wait[k] = *w;
    }
    if (!fn(t)) return Status::Ok();
  }
}

std::string Seconds(int64_t us) { return runfolder::FormatMicros(us) + " s"; }

std::string PriorityName(const std::string& p) { return p == "5" ? "the free bucket" : "P" + p; }
std::string WorkName(const std::string& p) { return p == "5" ? "free-bucket" : "P" + p; }

// The reasons with time in them, largest first: "forgotten 95%, capacity 3%".
std::string DominantReasons(const TaskRow& t, size_t at_most) {
  std::vector<size_t> order;
  for (size_t k = 0; k < kReasons; ++k) {
    if (t.wait[k] > 0) order.push_back(k);
  }
  std::stable_sort(order.begin(), order.end(), [&t](size_t a, size_t b) { return t.wait[a] > t.wait[b]; });
  std::string out;
  for (size_t i = 0; i < order.size() && i < at_most; ++i) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " %.0f%%", 100.0 * static_cast<double>(t.wait[order[i]]) /
                                                  static_cast<double>(std::max<int64_t>(1, t.total())));
    out += (out.empty() ? "" : ", ") + std::string(kWaitReasons[order[i]]) + pct;
  }
  return out.empty() ? "no wait" : out;
}


// --------------------------------------------------------------- one task's story

// The fleet of scenario.resolved.yaml: each group's labels (base and
// provisionable, as when it started) and size.
struct Group {
  std::vector<std::string> labels;
  int64_t count = 0;
  int64_t joins_us = 0;                 // the group's presence (joins_at, leaves_at)
  std::optional<int64_t> leaves_us;     // none: to the end
  bool PresentAt(int64_t t) const { return t >= joins_us && (!leaves_us || t < *leaves_us); }
};

StatusOr<std::map<std::string, Group>> ReadGroups(const std::string& run_dir) {
  std::string path = RunFile(run_dir, runfolder::kResolvedScenarioFile);
  std::map<std::string, Group> groups;
  try {
    YAML::Node root = YAML::LoadFile(path);
    for (const YAML::Node& g : root["bots"]) {
      Group& group = groups[g["group"].as<std::string>()];
      group.count = g["count"].as<int64_t>();
      for (const char* key : {"joins_at", "leaves_at"}) {
        if (!g[key]) continue;
        std::optional<Duration> d = ParseDurationText(g[key].as<std::string>());
        if (!d) return InvalidArgument(path + ": group " + g["group"].as<std::string>() + ": " + key + ": not a duration");
        (std::string_view(key) == "joins_at" ? group.joins_us : group.leaves_us.emplace()) = ToMicros(*d);
      }
      for (const char* key : {"labels", "provisionable_labels"}) {
        for (const YAML::Node& l : g[key]) group.labels.push_back(l.as<std::string>());
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path + ": cannot read the bot groups: " + e.what());
  }
  return groups;
}

bool GroupMatches(const Group& g, const std::string& base_labels) {
  size_t from = 0;
  while (from < base_labels.size()) {
    size_t to = std::min(base_labels.find(';', from), base_labels.size());
    if (std::find(g.labels.begin(), g.labels.end(), base_labels.substr(from, to - from)) == g.labels.end()) {
      return false;
    }
    from = to + 1;
  }
  return true;
}

std::string GroupOf(const std::string& bot) { return bot.substr(0, bot.rfind('-')); }

// The scheduler's view, followed through events.csv: its queue and what each
// worker runs (task and priority).
struct SchedulerView {
  std::unordered_set<std::string> queued;
  struct Run {
    std::string task, priority, time;
  };
  std::map<std::string, Run> runs;  // by bot
  std::unordered_map<std::string, std::string> bot_of;                         // task -> bot

  void Drop(const std::string& task) {
    queued.erase(task);
    auto it = bot_of.find(task);
    if (it == bot_of.end()) return;
    auto run = runs.find(it->second);
    if (run != runs.end() && run->second.task == task) runs.erase(run);
    bot_of.erase(it);
  }
  void Apply(const std::string& type, const std::string& task, const std::string& bot, const std::string& prio,
             const std::string& time) {
    if (type == "ENQUEUED" || type == "UNASSIGNED") {
      Drop(task);
      queued.insert(task);
    } else if (type == "ASSIGNED") {
      Drop(task);
      runs[bot] = {task, prio, time};
      bot_of[task] = bot;
    } else if (type == "REPRIORITIZED") {
      if (auto it = runs.find(bot); it != runs.end()) it->second.priority = prio;
    } else if (type == "COMPLETED" || (type == "PREEMPTED" && bot_of.count(task) && bot_of[task] != bot)) {
      Drop(task);
    } else if (type == "PREEMPTED") {
      bot_of.erase(task);  // its bot now runs the preempting request
    }
  }
  // "behind 37 queued requests; of its 12 matching bots the scheduler had 12
  // running P0 work"
  // Only bots present at `time` count (a group before its joins_at or after
  // its leaves_at is not there), and a bot still finishing its run after
  // its group left.
  std::string Describe(const std::map<std::string, Group>& groups, const std::string& labels, int64_t time) const {
    int64_t matching = 0;
    for (const auto& [name, g] : groups) matching += GroupMatches(g, labels) && g.PresentAt(time) ? g.count : 0;
    std::map<std::string, int64_t> by_priority;  // sorted: P0 first, free bucket ("5") last
    int64_t busy = 0;
    for (const auto& [bot, run] : runs) {
      auto g = groups.find(GroupOf(bot));
      if (g == groups.end() || !GroupMatches(g->second, labels)) continue;
      if (!g->second.PresentAt(time)) ++matching;
      ++by_priority[run.priority];
      ++busy;
    }
    std::string out = "behind " + std::to_string(queued.size()) + (queued.size() == 1 ? " queued request" : " queued requests") + "; of its " +
                      std::to_string(matching) + " matching bots the scheduler had ";
    if (busy == 0) return out + "none running anything";
    std::string parts;
    for (const auto& [p, k] : by_priority) {
      parts += (parts.empty() ? "" : ", ") + std::to_string(k) + " running " + WorkName(p) + " work";
    }
    if (busy < matching) parts += ", " + std::to_string(matching - busy) + " idle, dead or unknown to it";
    return out + parts;
  }
  // For an ASSIGNED that preempts `victim` on `bot` at `time`: whether the
  // victim was itself assigned there earlier in the same pass.
  bool SamePassVictim(const std::string& bot, const std::string& victim, const std::string& time) const {
    auto it = runs.find(bot);
    return it != runs.end() && it->second.task == victim && it->second.time == time;
  }
};

struct Event {
  int64_t time = 0;
  std::string time_text, type, bot, priority, detail, cause, context;
};

// Every event of `task`, with the scheduler's view at its ENQUEUED events.
StatusOr<std::vector<Event>> ReadTaskEvents(const std::string& run_dir, const TaskRow& task,
                                            const std::map<std::string, Group>& groups) {
  std::string path = RunFile(run_dir, runfolder::kEventsFile);
  StatusOr<runfolder::CsvReader> reader = runfolder::CsvReader::Open(path);
  if (!reader.ok()) return reader.status();
  runfolder::CsvReader& r = *reader;
  if (r.Column(Column(kEventsColumns, "cause")) < 0) {
    return InvalidArgument(path + ":1: no cause column: written by a qsim without wait attribution; run the "
                           "scenario again");
  }
  auto col = [&r](std::string_view name) { return r.Column(name); };
  int time = col(Column(kEventsColumns, "time_s")), type = col(Column(kEventsColumns, "type"));
  int id = col(Column(kEventsColumns, "task")), bot = col(Column(kEventsColumns, "bot"));
  int prio = col(Column(kEventsColumns, "priority")), detail = col(Column(kEventsColumns, "detail"));
  int cause = col(Column(kEventsColumns, "cause"));
  SchedulerView view;
  std::vector<Event> events;
  while (true) {
    StatusOr<bool> more = r.Next();
    if (!more.ok()) return more.status();
    if (!*more) return events;
    const std::vector<std::string>& f = r.row();
    if (f[id] == task.id) {
      std::optional<int64_t> t = runfolder::ParseMicros(f[time]);
      if (!t) return InvalidArgument(path + ":" + std::to_string(r.row_line()) + ": column time_s: not a time");
      Event e{*t, f[time], f[type], f[bot], f[prio], f[detail], f[cause], ""};
      if (e.type == "ENQUEUED") e.context = view.Describe(groups, task.base_labels, *t);
      if (e.type == "ASSIGNED" && !e.detail.empty() && view.SamePassVictim(e.bot, e.detail, e.time_text)) {
        e.context = e.detail + " had been assigned to " + e.bot + " earlier in this pass and never ran there: the "
                    "abort will name it, so the bot keeps its real run and does not take this task";
      }
      events.push_back(std::move(e));
    }
    view.Apply(f[type], f[id], f[bot], f[prio], f[time]);
  }
}

// What the task did after `e`, in words, and the phase it entered.
std::string Narrate(const Event& e, const std::string& phase_before, int64_t since_forgotten, std::string* phase) {
  if (e.type == "ENQUEUED") {
    *phase = "queued";
    if (e.cause == "first") return "enqueued: " + e.context;
    std::string why = phase_before == "forgotten"
                          ? "re-added by the dispatcher's re-notification " + HumanSeconds(since_forgotten) +
                                " after it was forgotten"
                      : phase_before.rfind("assigned to ", 0) == 0
                          ? "re-added by the dispatcher's re-notification while the scheduler still had it assigned "
                            "(the bot had not taken it); the scheduler drops that assignment"
                          : "re-added by the dispatcher after its run was lost";
    return why + "; " + e.context;
  }
  if (e.type == "ASSIGNED") {
    *phase = "assigned to " + e.bot;
    return "assigned to " + e.bot + " at " + PriorityName(e.priority) +
           (e.detail.empty() ? "" : ", preempting " + e.detail) + (e.context.empty() ? "" : " (" + e.context + ")");
  }
  if (e.type == "PREEMPTED" && e.cause == "same_pass") {
    *phase = "forgotten";
    return "preempted in the same pass by " + e.detail + ": the scheduler gave " + e.bot +
           " to that request and forgot this one (a same-pass reassignment)";
  }
  if (e.type == "PREEMPTED") {
    *phase = "running, then aborted";
    return "its run on " + e.bot + " was preempted by " + e.detail + "; the bot aborts it (a lost run)";
  }
  if (e.type == "UNASSIGNED") {
    *phase = "queued";
    return "unassigned from " + e.bot + ", which never took it (worker_queue_timeout); back in the queue";
  }
  if (e.type == "REPRIORITIZED") return "its run moved " + e.detail + " (priorities)";
  if (e.type == "COMPLETED" && e.detail == "RUNNING_TASK_ABSENT") return "its run on " + e.bot + " ended";
  if (e.type == "COMPLETED") {
    *phase = phase_before == "queued" ? "removed" : "forgotten";
    return "dropped by the scheduler (" + (e.detail.empty() ? std::string("COMPLETED") : e.detail) + ")";
  }
  return e.type;
}

// The task's events with its start and end (from tasks.csv) in time order.
std::vector<Event> WithStartAndEnd(std::vector<Event> events, const TaskRow& t) {
  auto insert = [&events](int64_t time, const std::string& type) {
    auto at = std::upper_bound(events.begin(), events.end(), time,
                               [](int64_t when, const Event& e) { return when < e.time; });
    events.insert(at, Event{time, runfolder::FormatMicros(time), type, "", "", "", "", ""});
  };
  if (t.start) insert(*t.start, "START");
  if (t.end) insert(*t.end, "END");
  return events;
}

std::string PhaseWords(const std::string& phase) {
  if (phase == "queued") return "queued in the scheduler";
  if (phase == "forgotten") return "forgotten: pending at the dispatcher, not in the scheduler";
  if (phase.rfind("assigned to ", 0) == 0) return phase + ", until the bot takes it and starts (or loses) a run";
  if (phase == "running, then aborted") return "aborting the preempted run (lost_runs)";
  if (phase == "running") return "running";
  return phase;
}

void PrintTimeline(const std::vector<Event>& events, std::ostream& out) {
  std::string phase = "forgotten";  // until the first ENQUEUED
  int64_t last = events.empty() ? 0 : events.front().time, forgotten_at = last;
  out << "Timeline (simulated seconds; `+` lines are the intervals between events):\n";
  for (const Event& e : events) {
    if (e.time > last) out << "        + " << HumanSeconds(e.time - last) << "  " << PhaseWords(phase) << "\n";
    last = e.time;
    std::string before = phase, words;
    if (e.type == "START") {
      words = "started executing (its last run)";
      phase = "running";
    } else if (e.type == "END") {
      words = "ended";
      phase = "done";
    } else {
      words = Narrate(e, before, e.time - forgotten_at, &phase);
    }
    if (phase == "forgotten" && before != "forgotten") forgotten_at = e.time;
    out << "  " << e.time_text << "  " << words << "\n";
  }
}

void PrintWhy(const TaskRow& t, const std::vector<Event>& events, std::ostream& out) {
  out << "Wait by reason (tasks.csv; docs/waits.md defines each):\n";
  for (size_t k = 0; k < kReasons; ++k) {
    if (t.wait[k] == 0) continue;
    char pct[16];
    std::snprintf(pct, sizeof pct, "%5.1f%%", 100.0 * static_cast<double>(t.wait[k]) /
                                                static_cast<double>(std::max<int64_t>(1, t.total())));
    out << "  " << kWaitReasons[k] << std::string(12 - std::min<size_t>(12, kWaitReasons[k].size()), ' ') << pct
        << "  " << HumanSeconds(t.wait[k]) << " (" << Seconds(t.wait[k]) << ")\n";
  }
  int64_t same_pass = 0, re_adds = 0, preempted_runs = 0;
  std::vector<std::string> by;
  for (const Event& e : events) {
    if (e.type == "PREEMPTED" && e.cause == "same_pass") {
      ++same_pass;
      if (std::find(by.begin(), by.end(), e.detail) == by.end() && by.size() < 5) by.push_back(e.detail);
    }
    if (e.type == "PREEMPTED" && e.cause == "running") ++preempted_runs;
    if (e.type == "ENQUEUED" && e.cause == "re_add") ++re_adds;
  }
  out << "In short: mostly " << DominantReasons(t, 2) << ".";
  if (same_pass > 0) {
    std::string names;
    for (const std::string& b : by) names += (names.empty() ? "" : ", ") + b;
    out << " A same-pass preemption chain: " << same_pass << " times assigned and, in the same pass, its bot "
        << "given to a later request (" << names << (same_pass > static_cast<int64_t>(by.size()) ? ", ..." : "")
        << "), then forgotten until the dispatcher re-notified it (" << re_adds << " re-adds). "
        << "`policy: {preempt_once_per_worker: true}` stops the preemption walk after a worker's first "
        << "preemption (docs/scheduler.md, quirk 1).";
  }
  if (preempted_runs > 0) out << " " << preempted_runs << " of its runs were preempted (lost_runs).";
  out << "\n";
}

}  // namespace

Status ExplainTask(const std::string& run_dir, const std::string& task, std::ostream& out) {
  QSIM_RETURN_IF_ERROR(runfolder::RequireCompleteRunFolder(run_dir));
  std::optional<TaskRow> found;
  std::string last_id;
  QSIM_RETURN_IF_ERROR(ForEachTask(run_dir, [&](const TaskRow& t) {
    last_id = t.id;
    if (t.id == task) found = t;
    return !found;
  }));
  std::string tasks_file = RunFile(run_dir, runfolder::kTasksFile);
  if (!found) {
    return InvalidArgument(tasks_file + ": no task \"" + task + "\"" +
                           (last_id.empty() ? " (the run has no tasks)" : " (ids run from t00000000 to " + last_id + ")"));
  }
  if (!FileExists(RunFile(run_dir, runfolder::kEventsFile))) {
    return InvalidArgument(run_dir + ": no events.csv (the run's outputs left it out), and explain needs it; rerun "
                           "with events: qsim run " + RunFile(run_dir, runfolder::kResolvedScenarioFile) +
                           " --outputs tasks,summary,events --out NEW_DIR");
  }
  StatusOr<std::map<std::string, Group>> groups = ReadGroups(run_dir);
  if (!groups.ok()) return groups.status();
  StatusOr<std::vector<Event>> events = ReadTaskEvents(run_dir, *found, *groups);
  if (!events.ok()) return events.status();
  const TaskRow& t = *found;
  out << t.id << " (account " << t.account << ", labels " << (t.base_labels.empty() ? "none" : t.base_labels)
      << "), enqueued at " << Seconds(t.enqueue) << ", ";
  if (t.start) out << "started at " << Seconds(*t.start) << " after waiting " << HumanSeconds(t.total());
  else out << "never started (" << t.outcome << "); waited " << HumanSeconds(t.total()) << " so far";
  out << ".\n";
  std::vector<Event> timeline = WithStartAndEnd(std::move(events).value(), t);
  PrintTimeline(timeline, out);
  PrintWhy(t, timeline, out);
  return Status::Ok();
}

std::string HumanSeconds(int64_t us) {
  char buf[64];
  double s = static_cast<double>(us) / 1e6;
  if (us < 60'000'000) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else if (us < 3'600'000'000) {
    long long min = us / 60'000'000, sec = us / 1'000'000 % 60;
    if (sec == 0) std::snprintf(buf, sizeof buf, "%lld min", min);
    else std::snprintf(buf, sizeof buf, "%lld min %lld s", min, sec);
  } else {
    std::snprintf(buf, sizeof buf, "%lld h %lld min", static_cast<long long>(us / 3'600'000'000),
                  static_cast<long long>(us / 60'000'000 % 60));
  }
  return buf;
}

Status ExplainWorst(const std::string& run_dir, int64_t n, const std::string& account, std::ostream& out) {
  QSIM_RETURN_IF_ERROR(runfolder::RequireCompleteRunFolder(run_dir));
  if (n < 1) return InvalidArgument("--worst: expected a count of at least 1, got " + std::to_string(n));
  std::vector<TaskRow> worst;
  bool account_seen = account.empty();
  auto longer = [](const TaskRow& a, const TaskRow& b) {
    return a.total() != b.total() ? a.total() > b.total() : a.id < b.id;
  };
  QSIM_RETURN_IF_ERROR(ForEachTask(run_dir, [&](const TaskRow& t) {
    if (!account.empty() && t.account != account) return true;
    account_seen = true;
    worst.push_back(t);
    std::push_heap(worst.begin(), worst.end(), longer);  // the shortest kept wait on top
    if (static_cast<int64_t>(worst.size()) > n) {
      std::pop_heap(worst.begin(), worst.end(), longer);
      worst.pop_back();
    }
    return true;
  }));
  if (!account_seen) {
    return InvalidArgument("--account: " + account + " has no task in " + RunFile(run_dir, runfolder::kTasksFile));
  }
  std::sort(worst.begin(), worst.end(), longer);
  out << "The " << worst.size() << " longest waits" << (account.empty() ? "" : " of account " + account)
      << " (wait so far for a task that never started):\n";
  for (const TaskRow& t : worst) {
    out << "  " << t.id << "  " << t.account << "  " << HumanSeconds(t.total()) << " (" << Seconds(t.total())
        << ")" << (t.start ? "" : ", never started") << ": " << DominantReasons(t, 3) << "\n";
  }
  out << "Explain one: qsim explain " << run_dir << " TASK_ID\n";
  return Status::Ok();
}

}  // namespace qsim::reports
