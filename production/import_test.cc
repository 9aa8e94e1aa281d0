#include "production/import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "production/internal/log_rows.h"
#include "production/replay_scenario.h"
#include "runfolder/csv.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim::production {
namespace {

using qsim::testing::ScopedTempDir;
using qsim::testing::WriteFile;

ReplayOptions Source(const std::string& source) {
  ReplayOptions options;
  options.source = source;
  return options;
}

constexpr const char* kLog =
    R"({"event_type":"SWARMING_ENQUEUED","scheduler_id":"pool","task_id":"t1","time":"2024-01-01T00:00:10Z","base_labels":["os:linux"],"account_id":"ci","enqueued_details":{"tags":["a:b"]}}
{"event_type":"QSCHEDULER_ASSIGNED","scheduler_id":"pool","task_id":"t1","time":"2024-01-01T00:00:12.5Z","account_id":"ci","bot_id":"b1","bot_dimensions":["os:linux"],"assigned_details":{"priority":0}}
{"event_type":"SWARMING_COMPLETED","scheduler_id":"pool","task_id":"t1","time":"2024-01-01T00:01:12.5Z","account_id":"ci","bot_id":"b1","completed_details":{"reason":"BOT_IDLE"}}
{"event_type":"SWARMING_ENQUEUED","scheduler_id":"pool","task_id":"t2","time":"2024-01-01 00:00:20 UTC","base_labels":["os:linux"],"account_id":"web"}
)";

TEST(Rfc3339, ParsesAndFormatsMicroseconds) {
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("2024-01-01T00:00:12.116Z"), 1704067212116000);
  EXPECT_EQ(*ParseRfc3339("2024-01-01T01:00:12.116+01:00"), 1704067212116000);
  EXPECT_EQ(*ParseRfc3339("2024-01-01 00:00:12.116 UTC"), 1704067212116000);
  EXPECT_EQ(FormatRfc3339(1704067212116000), "2024-01-01T00:00:12.116Z");
  EXPECT_EQ(FormatRfc3339(1704067212000001), "2024-01-01T00:00:12.000001Z");
  EXPECT_EQ(FormatRfc3339(1704067212000000), "2024-01-01T00:00:12Z");
  EXPECT_FALSE(ParseRfc3339("2024-02-30T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2024-01-01T00:00:00").ok());
  EXPECT_FALSE(ParseRfc3339("2024-01-01T00:00:00.0000001Z").ok());
  for (int64_t us : {int64_t{0}, int64_t{951782400123456}, int64_t{-86400000001}}) {
    EXPECT_EQ(*ParseRfc3339(FormatRfc3339(us)), us);
  }
}

TEST(ReadTaskEventLog, FollowsEachTask) {
  ScopedTempDir dir;
  WriteFile(dir.Path("log.jsonl"), kLog);
  Warnings warnings;
  StatusOr<ObservedLog> log = ReadTaskEventLog(dir.Path("log.jsonl"), {}, &warnings);
  ASSERT_TRUE(log.ok()) << log.status().message();
  // t2's row comes after t1's completion in the file but is earlier.
  EXPECT_EQ(warnings, Warnings{"1 rows earlier than a row before them in the file; all rows ordered by time"});
  ASSERT_EQ(log->tasks.size(), 2u);
  const ObservedTask& t1 = log->tasks[0];
  EXPECT_EQ(t1.id, "t1");
  EXPECT_EQ(t1.account, "ci");
  EXPECT_EQ(t1.enqueue_us, 1704067210000000);
  EXPECT_EQ(t1.base_labels, std::vector<std::string>{"os:linux"});
  EXPECT_EQ(t1.tags, std::vector<std::string>{"a:b"});
  EXPECT_EQ(*t1.first_assigned_us, 1704067212500000);
  EXPECT_EQ(*t1.run_us, 60000000);
  EXPECT_FALSE(log->tasks[1].first_assigned_us.has_value());
  ASSERT_EQ(log->bots.size(), 1u);
  EXPECT_EQ(log->bots[0].dimensions, std::vector<std::string>{"os:linux"});
  ASSERT_EQ(log->accounts.size(), 2u);
  EXPECT_FALSE(log->accounts[0].from_config);
  EXPECT_EQ(log->scheduler_id, "pool");
}

TEST(ReadTaskEventLog, BinaryGivesTheSameLog) {
  ScopedTempDir dir;
  WriteFile(dir.Path("log.jsonl"), kLog);
  StatusOr<ObservedLog> json = ReadTaskEventLog(dir.Path("log.jsonl"), {}, nullptr);
  ASSERT_TRUE(json.ok());
  // The same rows through the binary form.
  internal::LogRows rows;
  std::istringstream lines(kLog);
  std::string line;
  EventList list;
  while (std::getline(lines, line)) {
    ASSERT_TRUE(internal::AddJsonLine(line, "x", &rows).ok());
  }
  for (auto& e : rows.events) *list.add_events() = e;
  WriteFile(dir.Path("log.pb"), list.SerializeAsString());
  StatusOr<ObservedLog> binary = ReadTaskEventLog(dir.Path("log.pb"), {}, nullptr);
  ASSERT_TRUE(binary.ok()) << binary.status().message();
  ASSERT_EQ(binary->tasks.size(), json->tasks.size());
  EXPECT_EQ(*binary->tasks[0].run_us, *json->tasks[0].run_us);
}

TEST(ReadTaskEventLog, CountsWhatItChanges) {
  ScopedTempDir dir;
  std::string log = kLog;
  std::string first = log.substr(0, log.find('\n') + 1);
  // A duplicate, an unknown type, and the rows reversed (out of order).
  std::string rows = first + R"({"event_type":"SWARMING_TELEPORTED","task_id":"t9","time":"2024-01-01T00:00:00Z"})" +
                     "\n" + log;
  WriteFile(dir.Path("log.jsonl"), rows);
  Warnings warnings;
  StatusOr<ObservedLog> read = ReadTaskEventLog(dir.Path("log.jsonl"), {}, &warnings);
  ASSERT_TRUE(read.ok()) << read.status().message();
  std::string all;
  for (const auto& w : warnings) all += w + "\n";
  EXPECT_NE(all.find("1 rows left out: unknown event_type \"SWARMING_TELEPORTED\""), std::string::npos) << all;
  EXPECT_NE(all.find("1 rows identical to an earlier row dropped"), std::string::npos) << all;
  EXPECT_EQ(read->tasks.size(), 2u);
}

TEST(ReadTaskEventLog, LocatesBadRows) {
  ScopedTempDir dir;
  const std::string path = dir.Path("log.jsonl");
  auto error = [&](const std::string& text) {
    WriteFile(path, text);
    StatusOr<ObservedLog> log = ReadTaskEventLog(path, {}, nullptr);
    return log.ok() ? std::string("ok") : log.status().message();
  };
  std::string ok = std::string(kLog).substr(0, std::string(kLog).find('\n') + 1);
  EXPECT_EQ(error(ok + R"({"event_type":"SWARMING_ENQUEUED","task_id":"t2"})"),
            path + ":2: field \"time\": missing (every row needs one)");
  EXPECT_EQ(error(ok + R"({"event_type":"QSCHEDULER_ASSIGNED","task_id":"t1","time":"2024-01-01T00:00:12Z",)"
                       R"("bot_id":"b","assigned_details":{"priority":"high"}})"),
            path + ":2: field \"assigned_details.priority\": expected an integer, got \"high\"");
  EXPECT_EQ(error(R"({"event_type":"SWARMING_ENQUEUED","task_id":"t2","time":"yesterday"})"),
            path + ":1: field \"time\": \"yesterday\" is not an RFC 3339 time such as \"2024-01-01T00:00:12.116Z\"");
}

TEST(ReadSchedulerConfig, JsonAndTextFormat) {
  ScopedTempDir dir;
  WriteFile(dir.Path("c.json"), R"({"account_configs":{"ci":{"charge_rate":[2,1],"max_charge_seconds":3600}},)"
                                R"("bot_expiration":"300s"})");
  WriteFile(dir.Path("c.txtpb"),
            "account_configs { key: \"ci\" value { charge_rate: [2, 1] max_charge_seconds: 3600 } }\n");
  for (const char* name : {"c.json", "c.txtpb"}) {
    StatusOr<SchedulerConfig> c = ReadSchedulerConfig(dir.Path(name));
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->account_configs().at("ci").charge_rate_size(), 2);
    EXPECT_EQ(c->account_configs().at("ci").max_charge_seconds(), 3600);
  }
  WriteFile(dir.Path("bad.txtpb"), "account_configs { key: \"ci\" value { charge_rat: 1 } }\n");
  StatusOr<SchedulerConfig> bad = ReadSchedulerConfig(dir.Path("bad.txtpb"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind(dir.Path("bad.txtpb") + ":1:", 0), 0u) << bad.status().message();
}

}  // namespace
}  // namespace qsim::production

namespace qsim::production {
namespace {

// A snapshot at 00:00:00: t1 queued (assigned at 00:00:30 and done at
// 00:01:30 in the log, which has no SWARMING_ENQUEUED for it), t9 running
// on b2 (done at 00:01:00, its assignment before the log), b3 idle. t9
// starts at time 0 on b2's simulator name.
TEST(WriteReplayScenario, SnapshotIsTheInitialState) {
  ScopedTempDir dir;
  WriteFile(dir.Path("log.jsonl"),
            R"({"event_type":"QSCHEDULER_ASSIGNED","task_id":"t1","time":"2024-01-01T00:00:30Z","base_labels":["os:linux"],"account_id":"ci","bot_id":"b1","bot_dimensions":["os:linux"]})"
            "\n"
            R"({"event_type":"SWARMING_COMPLETED","task_id":"t9","time":"2024-01-01T00:01:00Z","account_id":"ci","bot_id":"b2"})"
            "\n"
            R"({"event_type":"SWARMING_COMPLETED","task_id":"t1","time":"2024-01-01T00:01:30Z","account_id":"ci","bot_id":"b1"})"
            "\n");
  WriteFile(dir.Path("snap.txtpb"), R"(
    pool_id: "p" time { seconds: 1704067200 }
    queued_tasks { task_id: "t1" account_id: "ci" base_labels: "os:linux" }
    running_tasks { task { task_id: "t9" account_id: "ci" base_labels: "os:linux" } bot_id: "b2" }
    running_workers { bot_id: "b2" labels: "os:linux" task_id: "t9" }
    idle_workers { bot_id: "b3" labels: "os:mac" }
    account_balances { key: "ci" value { value: [5, 4] } }
  )");
  Warnings warnings;
  StatusOr<ObservedLog> log = ReadTaskEventLog(dir.Path("log.jsonl"), {}, &warnings);
  ASSERT_TRUE(log.ok()) << log.status().message();
  StatusOr<StateSnapshot> snap = ReadStateSnapshot(dir.Path("snap.txtpb"));
  ASSERT_TRUE(snap.ok()) << snap.status().message();
  StatusOr<ReplaySummary> s = WriteReplayScenario(*log, &*snap, Source("log.jsonl"), dir.Path("out"), &warnings);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->start_us, 1704067200000000);
  EXPECT_EQ(s->bots, 3);
  EXPECT_EQ(qsim::testing::ReadFile(dir.Path("out/tasklog.csv")),
            "enqueue_s,account,base_labels,provisionable_labels,duration_s,running_on\n"
            "0.000000,ci,os:linux,,60.000000,\n"
            "0.000000,ci,os:linux,,60.000000,bots-1-00002\n");  // t9 on b2, the second bot of bots-1
  EXPECT_EQ(s->running_at_start, 1);
  const std::string scenario = qsim::testing::ReadFile(dir.Path("out/scenario.yaml"));
  EXPECT_NE(scenario.find("    initial_balance: [5, 4]\n"), std::string::npos) << scenario;
  EXPECT_NE(scenario.find("    count: 2\n    labels: [\"os:linux\"]\n"), std::string::npos) << scenario;
  EXPECT_NE(scenario.find("    count: 1\n    labels: [\"os:mac\"]\n"), std::string::npos) << scenario;
}

}  // namespace
}  // namespace qsim::production

namespace qsim::production {
namespace {

// b1 starts with image:a (a provisionable key: tasks ask for image:b) and
// os:linux; ten minutes in it reports os:mac and image:b. The image change
// is the replay's own provisioning; the os change is a label change.
TEST(WriteReplayScenario, BotDimensionsOverTime) {
  ScopedTempDir dir;
  auto row = [](const std::string& type, const std::string& task, const std::string& time,
                const std::string& dims) {
    return R"({"event_type":")" + type + R"(","task_id":")" + task + R"(","time":"2024-01-01T00:)" + time +
           R"(Z","account_id":"ci","provisionable_labels":["image:b"],"bot_id":"b1","bot_dimensions":)" + dims +
           "}\n";
  };
  WriteFile(dir.Path("log.jsonl"), row("QSCHEDULER_ASSIGNED", "t1", "01:00", R"(["os:linux","image:a"])") +
                                       row("SWARMING_COMPLETED", "t1", "02:00", "[]") +
                                       row("QSCHEDULER_ASSIGNED", "t2", "11:00", R"(["os:mac","image:b"])") +
                                       row("SWARMING_COMPLETED", "t2", "12:00", "[]"));
  Warnings warnings;
  StatusOr<ObservedLog> log = ReadTaskEventLog(dir.Path("log.jsonl"), {}, &warnings);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_EQ(log->bots.size(), 1u);
  ASSERT_EQ(log->bots[0].changes.size(), 1u);
  StatusOr<ReplaySummary> s = WriteReplayScenario(*log, nullptr, Source("log.jsonl"), dir.Path("out"), &warnings);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const std::string scenario = qsim::testing::ReadFile(dir.Path("out/scenario.yaml"));
  EXPECT_NE(scenario.find("    labels: [\"os:linux\"]\n"
                          "    provisionable_labels: [\"image:a\"]\n"
                          "    label_changes:\n"
                          "      - {at: 11m, labels: [\"os:mac\"]}\n"),
            std::string::npos)
      << scenario;
}

}  // namespace
}  // namespace qsim::production

namespace qsim::production {
namespace {

constexpr int64_t kT0 = 1704067200LL * 1000000;  // 2024-01-01T00:00:00Z
constexpr int64_t kMin = 60LL * 1000000;

// One task's rows: enqueued at `at`, assigned to `bot` a second later, and
// (unless `open`) completed 20 minutes after that.
std::string TaskRows(const std::string& task, const std::string& bot, int64_t at, bool open = false) {
  auto row = [&](const std::string& type, int64_t t, bool with_bot) {
    std::string r = R"({"event_type":")" + type + R"(","task_id":")" + task + R"(","time":")" +
                    FormatRfc3339(kT0 + t) + R"(","base_labels":["os:linux"],"account_id":"ci")";
    if (with_bot) r += R"(,"bot_id":")" + bot + R"(","bot_dimensions":["os:linux"])";
    return r + "}\n";
  };
  std::string out = row("SWARMING_ENQUEUED", at, false) + row("QSCHEDULER_ASSIGNED", at + 1000000, true);
  if (!open) out += row("SWARMING_COMPLETED", at + 1000000 + 20 * kMin, true);
  return out;
}

// Tasks on `bot` every 25 minutes over [from, to).
std::string Busy(const std::string& bot, int64_t from, int64_t to) {
  std::string out;
  for (int64_t t = from; t < to; t += 25 * kMin) out += TaskRows(bot + "-" + std::to_string(t / kMin), bot, t);
  return out;
}

// Presence from the rows (slack 10m), on a 6h log with a snapshot at 00:00:
//   b1 works all day: the whole run;
//   b2 appears at 2h and vanishes after 3h35m: joins_at 2h, leaves_at 216m;
//   b3 appears at 1h and runs a task at the end: joins_at 1h, stays;
//   b4's first row ends a run begun before the log (at 3h): from 0, leaves 3h1m;
//   b5 is idle in the snapshot, works 3h to 3h20m: from 0, leaves 201m.
TEST(WriteReplayScenario, BotsJoinAtTheirFirstRowAndLeaveAfterTheirLast) {
  ScopedTempDir dir;
  std::string log = Busy("b1", 1 * kMin, 330 * kMin) + Busy("b2", 120 * kMin, 200 * kMin) +
                    Busy("b3", 60 * kMin, 290 * kMin) + TaskRows("b3-open", "b3", 300 * kMin, true) +
                    TaskRows("b5-1", "b5", 180 * kMin);
  // b4 completes t-before at 3h; the log never saw it assigned.
  log += R"({"event_type":"SWARMING_COMPLETED","task_id":"t-before","time":")" + FormatRfc3339(kT0 + 180 * kMin) +
         R"(","base_labels":["os:linux"],"account_id":"ci","bot_id":"b4","bot_dimensions":["os:linux"]})" "\n";
  WriteFile(dir.Path("log.jsonl"), log);
  WriteFile(dir.Path("snap.txtpb"), R"(
    pool_id: "p" time { seconds: 1704067200 }
    idle_workers { bot_id: "b5" labels: "os:linux" }
  )");
  Warnings warnings;
  StatusOr<ObservedLog> observed = ReadTaskEventLog(dir.Path("log.jsonl"), {}, &warnings);
  ASSERT_TRUE(observed.ok()) << observed.status().message();
  StatusOr<StateSnapshot> snap = ReadStateSnapshot(dir.Path("snap.txtpb"));
  ASSERT_TRUE(snap.ok()) << snap.status().message();
  ReplayOptions options = Source("log.jsonl");
  options.presence_slack_us = 10 * kMin;
  StatusOr<ReplaySummary> s = WriteReplayScenario(*observed, &*snap, options, dir.Path("out"), &warnings);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->bots, 5);
  EXPECT_EQ(s->presence_slack_us, 10 * kMin);

  StatusOr<sim::Scenario> scenario = sim::LoadScenarioFile(dir.Path("out/scenario.yaml"));
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  // (joins_at, leaves_at or -1) -> bots
  std::map<std::pair<int64_t, int64_t>, int64_t> groups;
  for (const sim::BotGroupSpec& g : scenario->bots) {
    groups[{ToMicros(g.joins_at), g.leaves_at ? ToMicros(*g.leaves_at) : -1}] += g.count;
  }
  const std::map<std::pair<int64_t, int64_t>, int64_t> want = {
      {{0, -1}, 1}, {{120 * kMin, 216 * kMin}, 1}, {{60 * kMin, -1}, 1}, {{0, 181 * kMin}, 1}, {{0, 201 * kMin}, 1}};
  EXPECT_EQ(groups, want);
  std::string all;
  for (const std::string& w : warnings) all += w + "\n";
  EXPECT_NE(all.find("2 bots first seen later than the start by more than the slack (presence slack 10m)"),
            std::string::npos) << all;
  EXPECT_NE(all.find("3 bots last seen earlier than the end"), std::string::npos) << all;

  // The replay's bots run tasks only within their group's presence. (The
  // scheduler may still assign a left bot work until policy.bot_expiration
  // after its last poll, as it does a dead bot's: the bot never takes it.)
  sim::RunOptions run;
  run.out_dir = dir.Path("replay");
  StatusOr<sim::RunResult> r = sim::RunScenario(*scenario, 1, run);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->violations.empty()) << r->violations.front();
  std::map<std::string, std::pair<int64_t, int64_t>> span;  // group -> [joins_at, leaves_at)
  for (const sim::BotGroupSpec& g : scenario->bots) {
    span[g.name] = {ToMicros(g.joins_at), g.leaves_at ? ToMicros(*g.leaves_at) : INT64_MAX};
  }
  StatusOr<runfolder::CsvReader> events = runfolder::CsvReader::Open(dir.Path("replay/events.csv"));
  ASSERT_TRUE(events.ok()) << events.status().message();
  std::map<std::string, std::pair<int64_t, std::string>> assigned;  // task -> its last assignment
  std::map<std::string, std::pair<int64_t, int64_t>> first_last;     // bot -> its first and last run's assignment
  const int type = events->Column("type"), task = events->Column("task"), bot = events->Column("bot"),
            time = events->Column("time_s");
  while (true) {
    StatusOr<bool> more = events->Next();
    ASSERT_TRUE(more.ok()) << more.status().message();
    if (!*more) break;
    const std::vector<std::string>& row = events->row();
    const int64_t at = static_cast<int64_t>(std::llround(std::stod(row[time]) * 1e6));
    const std::string group = row[bot].substr(0, row[bot].rfind('-'));
    if (row[type] == "ASSIGNED") {
      assigned[row[task]] = {at, row[bot]};
      EXPECT_GE(at, span.at(group).first) << row[bot] << " was assigned " << row[task] << " before it joined";
      EXPECT_LT(at, span.at(group).second == INT64_MAX ? INT64_MAX : span.at(group).second + 5 * kMin)
          << row[bot] << " was assigned " << row[task] << " past bot_expiration after it left";
    } else if (row[type] == "COMPLETED" && !row[bot].empty() && assigned[row[task]].second == row[bot]) {
      const int64_t from = assigned[row[task]].first;  // a run on that bot
      auto [it, added] = first_last.try_emplace(row[bot], from, from);
      it->second.second = from;
    }
  }
  for (const auto& [name, fl] : first_last) {
    const auto& [from, to] = span.at(name.substr(0, name.rfind('-')));
    EXPECT_GE(fl.first, from) << name;
    EXPECT_LT(fl.second, to) << name;
  }
  EXPECT_EQ(first_last.size(), 5u) << "every bot ran a task in the replay";
}

TEST(WriteReplayScenario, WholeRunKeepsEveryBotAndTheDefaultSlackComesFromTheRowGaps) {
  ScopedTempDir dir;
  // b1 seen every 25 minutes (gaps of 1m, 20m and 4m... rounded up); b2 only from 3h.
  WriteFile(dir.Path("log.jsonl"), Busy("b1", 0, 330 * kMin) + Busy("b2", 180 * kMin, 330 * kMin));
  Warnings warnings;
  StatusOr<ObservedLog> observed = ReadTaskEventLog(dir.Path("log.jsonl"), {}, &warnings);
  ASSERT_TRUE(observed.ok()) << observed.status().message();
  ReplayOptions whole = Source("log.jsonl");
  whole.bots_whole_run = true;
  StatusOr<ReplaySummary> s = WriteReplayScenario(*observed, nullptr, whole, dir.Path("whole"), &warnings);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->bot_groups, 1);
  EXPECT_EQ(s->presence_slack_us, 0);
  const std::string yaml = qsim::testing::ReadFile(dir.Path("whole/scenario.yaml"));
  EXPECT_EQ(yaml.find("joins_at"), std::string::npos) << yaml;
  // The gaps between a bot's rows are 1s (0 minutes: left out), 20m, and
  // 5m - 1s: their 99th percentile is 20m, above the 10m floor.
  s = WriteReplayScenario(*observed, nullptr, Source("log.jsonl"), dir.Path("inferred"), &warnings);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->presence_slack_us, 20 * kMin);
  EXPECT_EQ(s->bot_groups, 2);
  EXPECT_NE(qsim::testing::ReadFile(dir.Path("inferred/scenario.yaml")).find("    joins_at: 3h\n"), std::string::npos);
}

}  // namespace
}  // namespace qsim::production
