// Issue 15: the tasks a state snapshot lists as running start at time 0 on
// the bot the snapshot names (the task log's running_on), not in the queue.
//  - ImportedRunsStartAtZeroOnTheirBots: a hand-written log and snapshot,
//    imported and replayed: each running task starts at 0 with a wait of 0
//    on exactly its bot, ends at its logged completion (or outlasts the
//    scenario when the log has none), and its bot takes no other task first.
//  - ARunsStateReplaysWithTheSameRunningSet: a qsim run, its taskevents.jsonl
//    and a snapshot built from that log at time T; the import of the log from
//    T replays with the same running set at 0, on the same bots.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "production/import.h"
#include "production/replay_scenario.h"
#include "runfolder/csv.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim::production {
namespace {

using qsim::testing::ScopedTempDir;
using qsim::testing::WriteFile;
using Rows = std::vector<std::map<std::string, std::string>>;

Rows ReadCsv(const std::string& path) {
  Rows rows;
  StatusOr<runfolder::CsvReader> r = runfolder::CsvReader::Open(path);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return rows;
  for (;;) {
    StatusOr<bool> more = r->Next();
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < r->header().size(); ++i) row[r->header()[i]] = r->row()[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

// "12.000345" as microseconds, exactly (FormatMicros writes six decimals).
int64_t Micros(const std::string& s) {
  const size_t dot = s.find('.');
  EXPECT_NE(dot, std::string::npos) << s;
  return std::stoll(s.substr(0, dot)) * 1000000 + std::stoll(s.substr(dot + 1));
}

// Imports `log` (and `snapshot`) into dir/out, replays it into dir/run with
// events.csv, and returns the result.
sim::RunResult ImportAndRun(const ScopedTempDir& dir, const std::string& log, const std::string& snapshot,
                            ReplaySummary* summary) {
  Warnings warnings;
  StatusOr<ObservedLog> observed = ReadTaskEventLog(log, {}, &warnings);
  EXPECT_TRUE(observed.ok()) << observed.status().message();
  StatusOr<StateSnapshot> snap = ReadStateSnapshot(snapshot);
  EXPECT_TRUE(snap.ok()) << snap.status().message();
  if (!observed.ok() || !snap.ok()) return {};
  ReplayOptions options;
  options.source = log;
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
  for (auto& row : ReadCsv(tasklog)) {
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
  for (int64_t w : t.wait_us) EXPECT_EQ(w, 0) << k;
  std::string name = std::to_string(k);  // the simulator's task name, "t" and 8 digits
  name = "t" + std::string(8 - std::min<size_t>(8, name.size()), '0') + name;
  int64_t completed = -1;
  for (const auto& e : events) {
    if (e.at("task") == name && e.at("type") == "COMPLETED") {
      completed = Micros(e.at("time_s"));
      EXPECT_EQ(e.at("bot"), bot) << name;
    }
  }
  for (const auto& e : events) {
    if (e.at("bot") != bot || e.at("type") != "ASSIGNED") continue;
    EXPECT_TRUE(completed >= 0 && Micros(e.at("time_s")) >= completed)
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
  // b1..b4 are bots-1 (os:linux) in id order, b5 is bots-2; r2's bot comes
  // from the running worker that names it.
  const Rows running = RunningRows(dir.Path("out/tasklog.csv"));
  std::vector<std::tuple<std::string, std::string, std::string>> got;
  for (const auto& r : running) got.emplace_back(r.at("account"), r.at("duration_s"), r.at("running_on"));
  const std::vector<std::tuple<std::string, std::string, std::string>> want = {
      {"ci", "120.000000", "bots-1-00002"}, {"ci", "300.000000", "bots-1-00004"}, {"web", "1200.000000", "bots-2-00001"}};
  EXPECT_EQ(got, want);
  const Rows events = ReadCsv(dir.Path("run/events.csv"));
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

}  // namespace
}  // namespace qsim::production
