#include "production/run_log.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "runfolder/manifest.h"
#include "sim/scenario.h"

namespace qsim::production {
namespace {

namespace rf = runfolder;

std::string FileIn(const std::string& dir, std::string_view name) {
  return dir + (dir.empty() || dir.back() == '/' ? "" : "/") + std::string(name);
}

std::vector<std::string> SplitLabels(const std::string& field) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b < field.size()) {
    size_t e = field.find(';', b);
    if (e == std::string::npos) e = field.size();
    if (e > b) out.push_back(field.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

// The columns of tasks.csv this reader needs, checked against the writer's
// list at compile time.
struct TaskColumns {
  int task, account, base, prov, enqueue, first_assigned, start, end, outcome, preempted, unassigned;
};

StatusOr<TaskColumns> FindColumns(const rf::CsvReader& csv) {
  constexpr std::string_view names[] = {
      rf::Column(rf::kTasksColumns, "task"),          rf::Column(rf::kTasksColumns, "account"),
      rf::Column(rf::kTasksColumns, "base_labels"),   rf::Column(rf::kTasksColumns, "provisionable_labels"),
      rf::Column(rf::kTasksColumns, "enqueue_s"),     rf::Column(rf::kTasksColumns, "first_assigned_s"),
      rf::Column(rf::kTasksColumns, "start_s"),       rf::Column(rf::kTasksColumns, "end_s"),
      rf::Column(rf::kTasksColumns, "outcome"),       rf::Column(rf::kTasksColumns, "times_preempted"),
      rf::Column(rf::kTasksColumns, "times_unassigned")};
  QSIM_RETURN_IF_ERROR(csv.RequireColumns(std::vector<std::string_view>(std::begin(names), std::end(names))));
  return TaskColumns{csv.Column(names[0]), csv.Column(names[1]), csv.Column(names[2]), csv.Column(names[3]),
                     csv.Column(names[4]), csv.Column(names[5]), csv.Column(names[6]), csv.Column(names[7]),
                     csv.Column(names[8]), csv.Column(names[9]), csv.Column(names[10])};
}

// A time field in seconds (six decimals) as log microseconds; nullopt when empty.
StatusOr<std::optional<int64_t>> TimeAt(const rf::CsvReader& csv, int column) {
  StatusOr<std::optional<double>> v = csv.NumberAt(column);
  if (!v.ok()) return v.status();
  if (!*v) return std::optional<int64_t>();
  if (!std::isfinite(**v) || std::fabs(**v) > 1e12) {
    return InvalidArgument(csv.path() + ":" + std::to_string(csv.row_line()) + ": column " + csv.header()[column] +
                           ": not a time in seconds");
  }
  return std::optional<int64_t>(kRunEpochUs + std::llround(**v * 1e6));
}

StatusOr<ObservedTask> ReadTask(const rf::CsvReader& csv, const TaskColumns& c) {
  const std::vector<std::string>& row = csv.row();
  ObservedTask t;
  t.id = row[c.task];
  t.account = row[c.account];
  t.base_labels = SplitLabels(row[c.base]);
  t.provisionable_labels = SplitLabels(row[c.prov]);
  StatusOr<std::optional<int64_t>> enqueue = TimeAt(csv, c.enqueue);
  if (!enqueue.ok()) return enqueue.status();
  if (!*enqueue) {
    return InvalidArgument(csv.path() + ":" + std::to_string(csv.row_line()) + ": column enqueue_s: empty");
  }
  t.enqueue_us = **enqueue;
  StatusOr<std::optional<int64_t>> first = TimeAt(csv, c.first_assigned);
  StatusOr<std::optional<int64_t>> start = TimeAt(csv, c.start);
  StatusOr<std::optional<int64_t>> end = TimeAt(csv, c.end);
  for (const auto* s : {&first, &start, &end}) {
    if (!s->ok()) return s->status();
  }
  t.first_assigned_us = *first;
  if (row[c.outcome] == "completed" && *start && *end) {
    t.completed_us = **end;
    t.run_us = **end - **start;
  }
  StatusOr<std::optional<double>> preempted = csv.NumberAt(c.preempted);
  if (!preempted.ok()) return preempted.status();
  StatusOr<std::optional<double>> unassigned = csv.NumberAt(c.unassigned);
  if (!unassigned.ok()) return unassigned.status();
  // Without events.csv: its first assignment plus one per preemption or
  // unassignment (each puts it back to be assigned again; an overcount for
  // a task left queued at the end).
  t.preemptions = *preempted ? static_cast<int>(**preempted) : 0;
  if (t.first_assigned_us) t.assignments = 1 + t.preemptions + (*unassigned ? static_cast<int>(**unassigned) : 0);
  return t;
}

// Counts each task's ASSIGNED and PREEMPTED events (the task column names
// the victim) from events.csv, when the run wrote it, as a TaskEvent log
// counts them: a same-pass preemption chain shows there and not in
// tasks.csv's times_preempted; each task's completion (its COMPLETED row)
// and completed run (from its last ASSIGNED row to it; a task the
// scheduler saw preempted and never completed has none, though the
// dispatcher ran it to the end); and each bot's first and last event, which
// is all a TaskEvent log tells of a bot. Without events.csv the tasks.csv
// figures stand (ReadTask) and every bot is present for the whole run.
Status CountEvents(const std::string& dir, ObservedLog* log) {
  std::string path = FileIn(dir, rf::kEventsFile);
  StatusOr<rf::CsvReader> csv = rf::CsvReader::Open(path);
  if (!csv.ok() && csv.status().code() == StatusCode::kNotFound) return Status::Ok();
  if (!csv.ok()) return csv.status();
  constexpr std::string_view kType = rf::Column(rf::kEventsColumns, "type");
  constexpr std::string_view kTask = rf::Column(rf::kEventsColumns, "task");
  constexpr std::string_view kBot = rf::Column(rf::kEventsColumns, "bot");
  constexpr std::string_view kTime = rf::Column(rf::kEventsColumns, "time_s");
  QSIM_RETURN_IF_ERROR(csv->RequireColumns({kType, kTask, kBot, kTime}));
  const int c_type = csv->Column(kType), c_task = csv->Column(kTask), c_bot = csv->Column(kBot);
  const int c_time = csv->Column(kTime);
  std::map<std::string, std::pair<int, int>> counts;  // task -> (assigned, preempted)
  // task -> (last ASSIGNED, COMPLETED) times: the run a TaskEvent log sees.
  std::map<std::string, std::pair<int64_t, std::optional<int64_t>>> runs;
  std::map<std::string, std::pair<int64_t, int64_t>> seen;  // bot -> (first, last) event naming it
  for (;;) {
    StatusOr<bool> more = csv->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    const std::string& type = csv->row()[c_type];
    const std::string& task = csv->row()[c_task];
    StatusOr<std::optional<int64_t>> t = TimeAt(*csv, c_time);
    if (!t.ok()) return t.status();
    if (!*t) return InvalidArgument(path + ":" + std::to_string(csv->row_line()) + ": column time_s: empty");
    if (type == "ASSIGNED") ++counts[task].first, runs[task].first = **t;
    if (type == "PREEMPTED") ++counts[task].second;
    if (type == "COMPLETED" && !runs[task].second) runs[task].second = **t;
    if (const std::string& bot = csv->row()[c_bot]; !bot.empty()) {
      auto [it, inserted] = seen.try_emplace(bot, **t, **t);
      it->second.second = std::max(it->second.second, **t);
    }
  }
  // A TaskEvent log knows a bot only from the events naming it: keep the
  // same view, so utilisation is measured alike on both sides.
  std::vector<ObservedBot> bots;
  for (ObservedBot& b : log->bots) {
    auto it = seen.find(b.id);
    if (it == seen.end()) continue;
    b.first_seen_us = it->second.first;
    b.last_seen_us = it->second.second;
    bots.push_back(std::move(b));
  }
  log->bots = std::move(bots);
  for (ObservedTask& t : log->tasks) {
    auto it = counts.find(t.id);
    t.assignments = it == counts.end() ? 0 : it->second.first;
    t.preemptions = it == counts.end() ? 0 : it->second.second;
    auto run = runs.find(t.id);
    t.completed_us.reset();
    t.run_us.reset();
    if (run != runs.end() && run->second.second) {
      t.completed_us = run->second.second;
      if (t.assignments > 0) t.run_us = *run->second.second - run->second.first;
    }
  }
  return Status::Ok();
}

Status ReadTasks(const std::string& path, ObservedLog* log) {
  StatusOr<rf::CsvReader> csv = rf::CsvReader::Open(path);
  if (!csv.ok()) return csv.status();
  StatusOr<TaskColumns> columns = FindColumns(*csv);
  if (!columns.ok()) return columns.status();
  for (;;) {
    StatusOr<bool> more = csv->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    StatusOr<ObservedTask> task = ReadTask(*csv, *columns);
    if (!task.ok()) return task.status();
    log->tasks.push_back(std::move(*task));
  }
  std::stable_sort(log->tasks.begin(), log->tasks.end(), [](const ObservedTask& a, const ObservedTask& b) {
    return a.enqueue_us != b.enqueue_us ? a.enqueue_us < b.enqueue_us : a.id < b.id;
  });
  return Status::Ok();
}

void AddFleetAndAccounts(const sim::Scenario& s, ObservedLog* log) {
  log->start_us = kRunEpochUs;
  log->disable_preemption = s.policy.disable_preemption;
  log->bot_expiration_us = ToMicros(s.policy.bot_expiration);
  log->end_us = kRunEpochUs + ToMicros(s.duration);
  for (const sim::BotGroupSpec& g : s.bots) {
    // Present from the group's joins_at to its leaves_at (the whole run by default).
    const int64_t joins = log->start_us + ToMicros(g.joins_at);
    const int64_t leaves = g.leaves_at ? log->start_us + ToMicros(*g.leaves_at) : log->end_us;
    for (int64_t i = 1; i <= g.count; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "-%05lld", static_cast<long long>(i));
      std::vector<std::string> dims = g.labels;
      dims.insert(dims.end(), g.provisionable_labels.begin(), g.provisionable_labels.end());
      std::sort(dims.begin(), dims.end());
      ObservedBot bot;
      bot.id = g.name + name;
      bot.dimensions = std::move(dims);
      bot.first_seen_us = joins;
      bot.last_seen_us = leaves;
      log->bots.push_back(std::move(bot));
    }
  }
  std::sort(log->bots.begin(), log->bots.end(),
            [](const ObservedBot& a, const ObservedBot& b) { return a.id < b.id; });
  for (const sim::AccountSpec& a : s.accounts) {
    ObservedAccount acc;
    acc.id = a.id;
    acc.charge_rates.assign(a.config.charge_rate.begin(), a.config.charge_rate.end());
    while (acc.charge_rates.size() > 1 && acc.charge_rates.back() == 0) acc.charge_rates.pop_back();
    acc.max_charge_seconds = a.config.max_charge_seconds;
    acc.max_fanout = a.config.max_fanout;
    acc.disable_free_tasks = a.config.disable_free_tasks;
    acc.per_label_task_limits.assign(a.config.per_label_task_limits.begin(), a.config.per_label_task_limits.end());
    acc.from_config = true;
    log->accounts.push_back(std::move(acc));
  }
}

}  // namespace

StatusOr<ObservedLog> ObservedLogFromRunFolder(const std::string& run_dir) {
  QSIM_RETURN_IF_ERROR(rf::RequireCompleteRunFolder(run_dir));
  StatusOr<sim::Scenario> scenario = sim::LoadScenarioFile(FileIn(run_dir, rf::kResolvedScenarioFile));
  if (!scenario.ok()) return scenario.status();
  ObservedLog log;
  AddFleetAndAccounts(*scenario, &log);
  QSIM_RETURN_IF_ERROR(ReadTasks(FileIn(run_dir, rf::kTasksFile), &log));
  QSIM_RETURN_IF_ERROR(CountEvents(run_dir, &log));
  return log;
}

}  // namespace qsim::production
