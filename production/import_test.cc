#include "production/import.h"

#include <gtest/gtest.h>

#include "production/internal/log_rows.h"
#include "production/replay_scenario.h"
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
