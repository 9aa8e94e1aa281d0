// Issue 15: the tasks a state snapshot lists as running start at time 0 on
// the bot the snapshot names (the task log's running_on), not in the queue.
//  - ImportedRunsStartAtZeroOnTheirBots: a hand-written log and snapshot,
//    imported and replayed: each running task starts at 0 with a wait of 0
//    on exactly its bot, ends at its logged completion (or outlasts the
//    scenario when the log has none), and its bot takes no other task first.
//  - ARunsStateReplaysWithTheSameRunningSet: a qsim run, its taskevents.jsonl
//    and a snapshot built from that log at time T; the import of the log from
//    T replays with the same running set at 0, on the same bots.
//  - TheSchedulerHoldsTheRunsAtZero: such a run is the scheduler's own (it
//    can be preempted like any run).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "production/import.h"
#include "production/internal/json_value.h"
#include "production/replay_scenario.h"
#include "runfolder/csv.h"
#include "sim/sim.h"
#include "tests/testing/csv_rows.h"
#include "tests/testing/test_util.h"

namespace qsim::production {
namespace {

using qsim::testing::ScopedTempDir;
using qsim::testing::WriteFile;
using Rows = qsim::testing::CsvRows;
using qsim::testing::ExactMicros;
using qsim::testing::ReadCsvRows;

// Imports `log` (and `snapshot`) into dir/out, replays it into dir/run with
// events.csv, and returns the result.
sim::RunResult ImportAndRun(const ScopedTempDir& dir, const std::string& log, const std::string& snapshot,
                            ReplaySummary* summary, bool bots_whole_run = false) {
  Warnings warnings;
  StatusOr<ObservedLog> observed = ReadTaskEventLog(log, {}, &warnings);
  EXPECT_TRUE(observed.ok()) << observed.status().message();
  StatusOr<StateSnapshot> snap = ReadStateSnapshot(snapshot);
  EXPECT_TRUE(snap.ok()) << snap.status().message();
  if (!observed.ok() || !snap.ok()) return {};
  ReplayOptions options;
  options.source = log;
  options.bots_whole_run = bots_whole_run;
  StatusOr<ReplaySummary> s = WriteReplayScenario(*observed, &*snap, options, dir.Path("out"), &warnings);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return {};
  *summary = *s;
  StatusOr<sim::Scenario> scenario = sim::LoadScenarioFile(dir.Path("out/scenario.yaml"));
  EXPECT_TRUE(scenario.ok()) << scenario.status().message();
  if (!scenario.ok()) return {};
  sim::RunOptions run;
  run.out_dir = dir.Path("run");
  run.outputs = sim::Outputs{};
  StatusOr<sim::RunResult> result = sim::RunScenario(*scenario, 1, run);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : sim::RunResult{};
}

// The task log's running tasks, in file order: they are the replay's tasks
// 0, 1, ... (sim/internal/world_initial_runs.cc).
Rows RunningRows(const std::string& tasklog) {
  Rows running;
  for (auto& row : ReadCsvRows(tasklog)) {
    if (!row["running_on"].empty()) running.push_back(row);
  }
  return running;
}

// Task k of the replay started at 0 on `bot` with a wait of 0, and `bot`
// was given no task before k's completion (events.csv).
void ExpectStartedOn(const sim::RunResult& result, const Rows& events, size_t k, const std::string& bot) {
  ASSERT_LT(k, result.tasks.size());
  const sim::TaskResult& t = result.tasks[k];
  EXPECT_EQ(t.enqueue, Duration::zero()) << k;
  EXPECT_EQ(t.start, Duration::zero()) << k;
  EXPECT_EQ(t.first_assigned, Duration::zero()) << k;
  for (int64_t w : result.task_waits.Get(k)) EXPECT_EQ(w, 0) << k;
  std::string name = std::to_string(k);  // the simulator's task name, "t" and 8 digits
  name = "t" + std::string(8 - std::min<size_t>(8, name.size()), '0') + name;
  int64_t completed = -1;
  for (const auto& e : events) {
    if (e.at("task") == name && e.at("type") == "COMPLETED") {
      completed = ExactMicros(e.at("time_s"));
      EXPECT_EQ(e.at("bot"), bot) << name;
    }
  }
  for (const auto& e : events) {
    if (e.at("bot") != bot || e.at("type") != "ASSIGNED") continue;
    EXPECT_TRUE(completed >= 0 && ExactMicros(e.at("time_s")) >= completed)
        << bot << " was given " << e.at("task") << " at " << e.at("time_s") << " while running " << name;
  }
}

std::string Row(const std::string& type, const std::string& task, const std::string& time, const std::string& account,
                const std::string& bot, const std::string& os) {
  std::string r = R"({"event_type":")" + type + R"(","scheduler_id":"pool","task_id":")" + task +
                  R"(","time":"2024-01-01T00:)" + time + R"(Z","account_id":")" + account + R"(","base_labels":["os:)" +
                  os + R"("])";
  if (!bot.empty()) r += R"(,"bot_id":")" + bot + R"(","bot_dimensions":["os:)" + os + R"("])";
  return r + "}\n";
}

// The snapshot at 00:00:00: r1 runs on b2 (completes at 00:02:00), r2 on b4
// (00:05:00), r3 on b5 (the only mac bot; no completion in the log: it
// outlasts the replay); q1 is queued; b1 and b3 are idle. n1 and n2 arrive
// later and run on b3 and b1.
TEST(SnapshotRunning, ImportedRunsStartAtZeroOnTheirBots) {
  ScopedTempDir dir;
  WriteFile(dir.Path("log.jsonl"),
            Row("QSCHEDULER_ASSIGNED", "q1", "00:05", "ci", "b1", "linux") +
                Row("SWARMING_ENQUEUED", "n1", "00:30", "ci", "", "linux") +
                Row("QSCHEDULER_ASSIGNED", "n1", "00:31", "ci", "b3", "linux") +
                Row("SWARMING_ENQUEUED", "n2", "01:00", "ci", "", "linux") +
                Row("SWARMING_COMPLETED", "q1", "01:05", "ci", "b1", "linux") +
                Row("QSCHEDULER_ASSIGNED", "n2", "01:10", "ci", "b1", "linux") +
                Row("SWARMING_COMPLETED", "r1", "02:00", "ci", "b2", "linux") +
                Row("SWARMING_COMPLETED", "n2", "03:10", "ci", "b1", "linux") +
                Row("SWARMING_COMPLETED", "r2", "05:00", "ci", "b4", "linux") +
                Row("SWARMING_COMPLETED", "n1", "10:00", "ci", "b3", "linux") +
                Row("SWARMING_ENQUEUED", "n3", "19:00", "ci", "", "linux"));
  WriteFile(dir.Path("snap.txtpb"), R"(
    pool_id: "pool" time { seconds: 1704067200 }
    queued_tasks { task_id: "q1" account_id: "ci" base_labels: "os:linux" }
    running_tasks { task { task_id: "r1" account_id: "ci" base_labels: "os:linux" } bot_id: "b2" }
    running_tasks { task { task_id: "r2" account_id: "ci" base_labels: "os:linux" } }
    running_tasks { task { task_id: "r3" account_id: "web" base_labels: "os:mac" } bot_id: "b5" }
    running_workers { bot_id: "b2" labels: "os:linux" task_id: "r1" }
    running_workers { bot_id: "b4" labels: "os:linux" task_id: "r2" }
    running_workers { bot_id: "b5" labels: "os:mac" task_id: "r3" }
    idle_workers { bot_id: "b1" labels: "os:linux" }
    idle_workers { bot_id: "b3" labels: "os:linux" }
    account_balances { key: "ci" value { value: [1000] } }
    account_balances { key: "web" value { value: [1000] } }
  )");
  ReplaySummary summary;
  sim::RunResult result = ImportAndRun(dir, dir.Path("log.jsonl"), dir.Path("snap.txtpb"), &summary);
  EXPECT_EQ(summary.running_at_start, 3);
  // Grouped by labels and presence (the log ends at 00:19, the slack is
  // 10 minutes): b3 stays to the end (bots-1), b2 leaves at 00:03 (bots-2),
  // b1 at 00:04 (bots-3), b4 at 00:06 (bots-4); b5, the mac bot still
  // running at the end, is bots-5. r2's bot comes from the running worker
  // that names it.
  const Rows running = RunningRows(dir.Path("out/tasklog.csv"));
  std::vector<std::tuple<std::string, std::string, std::string>> got;
  for (const auto& r : running) got.emplace_back(r.at("account"), r.at("duration_s"), r.at("running_on"));
  const std::vector<std::tuple<std::string, std::string, std::string>> want = {
      {"ci", "120.000000", "bots-2-00001"}, {"ci", "300.000000", "bots-4-00001"}, {"web", "1200.000000", "bots-5-00001"}};
  EXPECT_EQ(got, want);
  const Rows events = ReadCsvRows(dir.Path("run/events.csv"));
  for (size_t k = 0; k < running.size(); ++k) ExpectStartedOn(result, events, k, running[k].at("running_on"));
  ASSERT_GE(result.tasks.size(), 3u);
  EXPECT_EQ(result.tasks[0].end, Seconds(120));
  EXPECT_EQ(result.tasks[0].outcome, sim::Outcome::kCompleted);
  EXPECT_EQ(result.tasks[1].end, Seconds(300));
  EXPECT_EQ(result.tasks[1].outcome, sim::Outcome::kCompleted);
  // r3 has no completion in the log: its run (the replay's 19 minutes and
  // one more) goes past the replay's end.
  EXPECT_EQ(result.tasks[2].end, Duration(-1));
  EXPECT_EQ(result.tasks[2].outcome, sim::Outcome::kUnfinished);
  // The run's own checks (wait sums, busy time, balances) found nothing.
  EXPECT_TRUE(result.violations.empty()) << result.violations.front();
}

// The scheduler's view at `at` (microseconds since the epoch) from a
// TaskEvent log, as a StateSnapshot: a task runs from its ASSIGNED to its
// next ENQUEUED, PREEMPTED, UNASSIGNED or COMPLETED, and is queued otherwise
// once enqueued.
struct LoggedTask {
  std::string account, bot;
  std::vector<std::string> base, prov, bot_labels;
  bool running = false;
};

std::vector<std::string> Strings(const internal::JsonValue& v) {
  std::vector<std::string> out;
  for (const auto& item : v.items) out.push_back(item.text);
  return out;
}

std::map<std::string, LoggedTask> StateAt(const std::string& log, int64_t at) {
  std::map<std::string, LoggedTask> tasks;
  const std::string text = qsim::testing::ReadFile(log);
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find('\n', begin);
    StatusOr<internal::JsonValue> row = internal::ParseJson(text.substr(begin, end - begin), 8);
    begin = end == std::string::npos ? text.size() : end + 1;
    EXPECT_TRUE(row.ok()) << row.status().message();
    if (!row.ok()) continue;
    std::map<std::string, const internal::JsonValue*> f;
    for (const auto& m : row->members) f[m.first] = &m.second;
    if (*ParseRfc3339(f["time"]->text) > at) break;  // the log is in time order
    const std::string& type = f["event_type"]->text;
    LoggedTask& t = tasks[f["task_id"]->text];
    t.account = f["account_id"]->text;
    t.base = Strings(*f["base_labels"]);
    t.prov = Strings(*f["provisionable_labels"]);
    if (type == "QSCHEDULER_ASSIGNED") {
      t.running = true;
      t.bot = f["bot_id"]->text;
      t.bot_labels = Strings(*f["bot_dimensions"]);
    } else if (type == "SWARMING_ENQUEUED" || type == "QSCHEDULER_PREEMPTED" || type == "QSCHEDULER_UNASSIGNED") {
      // An ENQUEUED of a running task: the dispatcher says it waits (the
      // bot never took the assignment), and the scheduler queues it again.
      t.running = false;
    } else if (type == "SWARMING_COMPLETED") {
      tasks.erase(f["task_id"]->text);
    }
  }
  return tasks;
}

std::string SnapshotText(const std::map<std::string, LoggedTask>& tasks, int64_t at) {
  std::string out = "pool_id: \"quickstart\" time { seconds: " + std::to_string(at / 1000000) + " }\n";
  auto task = [](const std::string& id, const LoggedTask& t) {
    std::string s = "task_id: \"" + id + "\" account_id: \"" + t.account + "\"";
    for (const auto& l : t.base) s += " base_labels: \"" + l + "\"";
    for (const auto& l : t.prov) s += " provisionable_labels: \"" + l + "\"";
    return s;
  };
  for (const auto& [id, t] : tasks) {
    if (!t.running) {
      out += "queued_tasks { " + task(id, t) + " }\n";
      continue;
    }
    out += "running_tasks { task { " + task(id, t) + " } bot_id: \"" + t.bot + "\" }\n";
    out += "running_workers { bot_id: \"" + t.bot + "\" task_id: \"" + id + "\"";
    for (const auto& l : t.bot_labels) out += " labels: \"" + l + "\"";
    out += " }\n";
  }
  return out;
}

// quickstart for 2 hours with taskevents.jsonl; the snapshot at 1 h; the
// log imported from there and replayed.
TEST(SnapshotRunning, ARunsStateReplaysWithTheSameRunningSet) {
  ScopedTempDir dir;
  StatusOr<sim::Scenario> original = sim::LoadScenarioFile(qsim::testing::SourceDir() + "/scenarios/quickstart.yaml");
  ASSERT_TRUE(original.ok()) << original.status().message();
  original->duration = Hours(2);
  sim::RunOptions options;
  options.out_dir = dir.Path("original");
  options.outputs = sim::Outputs{};
  options.outputs->taskevents = true;
  ASSERT_TRUE(sim::RunScenario(*original, 1, options).ok());
  const int64_t at = *ParseRfc3339("2024-01-01T01:00:00Z");  // 1 h into the run (runfolder's TaskEvent epoch)
  const std::map<std::string, LoggedTask> state = StateAt(dir.Path("original/taskevents.jsonl"), at);
  WriteFile(dir.Path("snap.txtpb"), SnapshotText(state, at));
  // The original's bot linux-000NN runs `task` at T.
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> want;  // number -> account, labels
  for (const auto& [id, t] : state) {
    if (t.running) want[t.bot.substr(t.bot.rfind('-') + 1)] = {t.account, t.base};
  }
  ASSERT_GE(want.size(), 5u) << "quickstart runs about 14 tasks at a time";

  ReplaySummary summary;
  sim::RunResult result =
      ImportAndRun(dir, dir.Path("original/taskevents.jsonl"), dir.Path("snap.txtpb"), &summary, true);
  // All 20 bots take tasks within the log, with the same labels, and are
  // kept for the whole run, so the import has one group in which
  // linux-000NN is bots-1-000NN.
  ASSERT_EQ(summary.bot_groups, 1);
  ASSERT_EQ(summary.bots, 20);
  EXPECT_EQ(summary.running_at_start, static_cast<int64_t>(want.size()));
  const Rows running = RunningRows(dir.Path("out/tasklog.csv"));
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> got;
  for (const auto& r : running) {
    const std::string& bot = r.at("running_on");
    ASSERT_EQ(bot.rfind("bots-1-", 0), 0u) << bot;
    std::vector<std::string> base;
    for (size_t b = 0; b <= r.at("base_labels").size();) {
      size_t e = r.at("base_labels").find(';', b);
      if (e == std::string::npos) e = r.at("base_labels").size();
      if (e > b) base.push_back(r.at("base_labels").substr(b, e - b));
      b = e + 1;
    }
    got[bot.substr(bot.rfind('-') + 1)] = {r.at("account"), base};
  }
  EXPECT_EQ(got, want);
  // In the replay each starts at 0 on its bot, with a wait of 0, and one
  // account's tasks never preempt each other: each ends when its log says.
  const Rows events = ReadCsvRows(dir.Path("run/events.csv"));
  const Rows original_events = ReadCsvRows(dir.Path("original/events.csv"));
  for (size_t k = 0; k < running.size(); ++k) {
    ExpectStartedOn(result, events, k, running[k].at("running_on"));
    const int64_t end = ToMicros(result.tasks[k].end);
    const std::string original_bot = "linux-" + running[k].at("running_on").substr(7);
    int64_t logged_end = -1;  // the original's COMPLETED on that bot after T
    for (const auto& e : original_events) {
      if (e.at("type") == "COMPLETED" && e.at("bot") == original_bot && ExactMicros(e.at("time_s")) > 3600000000) {
        logged_end = ExactMicros(e.at("time_s")) - 3600000000;
        break;
      }
    }
    EXPECT_EQ(end, logged_end) << original_bot;
  }
  EXPECT_TRUE(result.violations.empty()) << result.violations.front();
}

// The scheduler holds a run at time 0 as its own: a free-bucket run of
// "low" on linux-00002 is preempted for "high" (PREEMPTED names that bot and
// the run is aborted), and the task waits again from then, its first
// ENQUEUED a `first`.
TEST(SnapshotRunning, TheSchedulerHoldsTheRunsAtZero) {
  ScopedTempDir dir;
  WriteFile(dir.Path("log.csv"),
            "enqueue_s,account,base_labels,provisionable_labels,duration_s,running_on\n"
            "0,low,os:linux,,600,linux-00002\n"
            "30,high,os:linux,,100,\n"
            "31,high,os:linux,,100,\n");
  StatusOr<sim::Scenario> scenario = sim::ParseScenario(R"(
name: t
duration: 30m
accounts:
  high: {charge_rate: [4], max_charge_seconds: 600}
  low: {charge_rate: [0.5], max_charge_seconds: 600, initial_balance: [0]}
bots:
  - {group: linux, count: 2, labels: ["os:linux"]}
workloads:
  - name: recorded
    arrivals: {kind: replay, file: log.csv}
)",
                                                        "s.yaml", dir.path());
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  sim::RunOptions options;
  options.out_dir = dir.Path("run");
  options.outputs = sim::Outputs{};
  StatusOr<sim::RunResult> result = sim::RunScenario(*scenario, 1, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->violations.empty()) << result->violations.front();
  const Rows events = ReadCsvRows(dir.Path("run/events.csv"));
  int preempted = 0, enqueued = 0;
  for (const auto& e : events) {
    if (e.at("task") != "t00000000") continue;
    if (e.at("type") == "PREEMPTED") {
      ++preempted;
      EXPECT_EQ(e.at("bot"), "linux-00002");
      EXPECT_EQ(e.at("priority"), "5");  // low's best priority at 0: the free bucket
      EXPECT_EQ(e.at("cause"), "running");
    }
    if (e.at("type") == "ENQUEUED" && enqueued++ == 0) EXPECT_EQ(e.at("cause"), "first");
  }
  EXPECT_EQ(preempted, 1);
  EXPECT_EQ(enqueued, 1);
  const sim::TaskResult& t = result->tasks[0];
  EXPECT_EQ(t.times_preempted, 1);
  EXPECT_GT(t.start, Seconds(30));  // its last run, after the preemption
  EXPECT_EQ(t.outcome, sim::Outcome::kCompleted);
}

}  // namespace
}  // namespace qsim::production
