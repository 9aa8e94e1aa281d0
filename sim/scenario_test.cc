#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "scheduler/policy_schema.h"
#include "sim/sim.h"
#include "sim/scenario.h"
#include "tests/testing/test_util.h"

namespace qsim::sim {
namespace {

namespace fs = std::filesystem;

using testing::SourceDir;

// One scratch folder for the whole binary, removed at exit.
const std::string& Scratch() {
  static testing::ScopedTempDir dir("qsim-scenario-test");
  return dir.path();
}

// Writes `text` to a fresh temp file and loads it, as `qsim validate` does.
StatusOr<Scenario> LoadText(const std::string& text, const std::string& name = "bad.yaml") {
  fs::path dir = Scratch();
  fs::create_directories(dir);
  fs::path file = dir / name;
  std::ofstream(file) << text;
  return LoadScenarioFile(file.string());
}

const char* kHead =
    "duration: 1h\n"
    "accounts:\n"
    "  a: {charge_rate: [1]}\n"
    "bots:\n"
    "  - {group: g, count: 2}\n";

// The names `qsim run` gives bots (and a task log's running_on uses): the
// number zero-padded to 5 digits, or to the count's width when wider.
TEST(BotNames, NameAndFindAgree) {
  std::vector<BotGroupSpec> groups(2);
  groups[0].name = "linux";
  groups[0].count = 3;
  groups[1].name = "mac-big";
  groups[1].count = 123456;
  EXPECT_EQ(BotName("linux", 3, 0), "linux-00001");
  EXPECT_EQ(BotName("mac-big", 123456, 41), "mac-big-000042");
  EXPECT_EQ(FindBot(groups, "linux-00003"), std::make_pair(0u, int64_t{2}));
  EXPECT_EQ(FindBot(groups, "mac-big-123456"), std::make_pair(1u, int64_t{123455}));
  for (const char* bad : {"linux-00004", "linux-00000", "linux-1", "linux-0001", "linux-000001", "linux",
                          "mac-00001", "mac-big-00042", "linux-+0001", "", "-00001"}) {
    EXPECT_FALSE(FindBot(groups, bad).has_value()) << bad;
  }
}

TEST(ScenarioLoader, MinimalScenarioGetsEveryDefault) {
  StatusOr<Scenario> s = LoadText(std::string(kHead) +
                                  "workloads:\n"
                                  "  - {account: a, arrivals: {kind: poisson, rate_per_hour: 10}, duration: 1m}\n",
                                  "mini.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "mini");
  EXPECT_EQ(s->duration, Hours(1));
  EXPECT_EQ(s->seed, 1u);
  EXPECT_EQ(s->policy, Policy{});
  ASSERT_EQ(s->bots.size(), 1u);
  EXPECT_EQ(s->bots[0].poll_interval, Seconds(10));
  EXPECT_EQ(s->dispatcher.batch_window, Seconds(1));
  ASSERT_EQ(s->workloads.size(), 1u);
  EXPECT_EQ(s->workloads[0].name, "a");
  EXPECT_EQ(s->workloads[0].duration.kind, DurationDist::Kind::kConstant);
  EXPECT_EQ(s->workloads[0].duration.value, Minutes(1));
  EXPECT_TRUE(s->accounts[0].initial_full);
}

TEST(ScenarioLoader, DurationsAreExactMicroseconds) {
  StatusOr<Scenario> s = LoadText(
      "duration: 1.5h\nwarmup: 0.000001s\nsample_interval: 250ms\naccounts: {a: {}}\nbots: [{group: g, count: 1}]\n");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->duration, Minutes(90));
  EXPECT_EQ(s->warmup, Micros(1));
  EXPECT_EQ(s->sample_interval, Millis(250));
  EXPECT_EQ(FormatDuration(Minutes(90)), "90m");
  EXPECT_EQ(FormatDuration(Millis(1500)), "1500ms");
}

// A workload must fit some bot group's labels at some time: the labels a
// group takes on through label_changes count; labels nobody ever holds are
// an error at the workload naming the labels and the groups.
TEST(ScenarioLoader, WorkloadLabelsMustBeHeldBySomeGroupAtSomeTime) {
  const std::string head =
      "duration: 1h\naccounts:\n  a: {charge_rate: [1]}\nbots:\n"
      "  - group: g\n    count: 2\n    labels: [os:linux]\n"
      "    label_changes: [{at: 10m, labels: [gpu:a100, os:linux]}]\n"
      "workloads:\n  - account: a\n    arrivals: {kind: poisson, rate_per_hour: 6}\n    duration: 1m\n";
  EXPECT_TRUE(LoadText(head + "    base_labels: [os:linux, gpu:a100]\n").ok());
  StatusOr<Scenario> s = LoadText(head + "    base_labels: [os:mac]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(
                "/bad.yaml:13:18: workloads[0].base_labels: no bot group ever holds all of \"os:mac\", so its tasks "
                "could never run (label_changes included): g has \"os:linux\" (lacks \"os:mac\")"),
            std::string::npos)
      << s.status().message();
}

TEST(ScenarioLoader, ResolvedScenarioLoadsBackToTheSameText) {
  // kHead's bots with the label the workload asks for (validate refuses a
  // workload no group can run).
  std::string head = kHead;
  head.replace(head.find("count: 2}"), 9, "count: 2, labels: [os:linux]}");
  std::string text = head +
                     "seed: 9\n"
                     "expect: {completed_min: 5, note: \"x, y\"}\n"
                     "policy: {promote_threshold: 123.25, enforce_fanout: true}\n"
                     "workloads:\n"
                     "  - account: a\n"
                     "    base_labels: [os:linux]\n"
                     "    arrivals: {kind: schedule, rate_per_hour: 7.1, diurnal_amplitude: 0.3, bursts: [{at: 1m, count: 3}]}\n"
                     "    duration: {dist: lognormal, median: 1m, sigma: 0.7}\n"
                     "faults: {bot_deaths: {rate_per_bot_day: 0.5, downtime: {dist: exponential, mean: 10m}}}\n";
  StatusOr<Scenario> s = LoadText(text, "resolved_src.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::string once = WriteResolvedScenario(*s);
  StatusOr<Scenario> again = LoadText(once, "resolved_src.yaml");
  ASSERT_TRUE(again.ok()) << again.status().message() << "\n" << once;
  EXPECT_EQ(WriteResolvedScenario(*again), once);
  EXPECT_EQ(again->policy.promote_threshold, 123.25f);
  EXPECT_NE(once.find("expect: {"), std::string::npos);
}

TEST(ScenarioLoader, WeeklyProfileLoadsResolvesAndShapesArrivals) {
  std::string hours = "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]";
  std::string text = "duration: 3d\n"
                     "outputs: [tasks, summary]\n"
                     "accounts: {a: {charge_rate: [1]}}\n"
                     "bots:\n  - {group: g, count: 20}\n"
                     "workloads:\n"
                     "  - account: a\n"
                     "    arrivals: {kind: schedule, rate_per_hour: 60, hour_factors: " + hours +
                     ", weekday_factors: [0, 2, 0, 0, 0, 0, 0], week_offset: 6h}\n"
                     "    duration: 10s\n";
  StatusOr<Scenario> s = LoadText(text, "weekly.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const ArrivalSpec& a = s->workloads[0].arrivals;
  ASSERT_EQ(a.hour_factors.size(), 24u);
  EXPECT_EQ(a.weekday_factors[1], 2);
  EXPECT_EQ(a.week_offset, Hours(6));
  std::string once = WriteResolvedScenario(*s);
  EXPECT_NE(once.find("week_offset: 6h"), std::string::npos) << once;
  StatusOr<Scenario> again = LoadText(once, "weekly_again.yaml");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(WriteResolvedScenario(*again), once);
  // t = 0 is Monday 06:00: arrivals only on Tuesday (t in [18h, 42h)), from
  // 00:00 to 12:00 (t in [18h, 30h)), at 120 per hour.
  StatusOr<RunResult> run = RunScenario(*s, 1, RunOptions{});
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_FALSE(run->tasks.empty());
  for (const TaskResult& t : run->tasks) {
    EXPECT_GE(t.enqueue, Hours(18));
    EXPECT_LT(t.enqueue, Hours(30));
  }
  EXPECT_NEAR(static_cast<double>(run->tasks.size()), 1440, 6 * std::sqrt(1440.0));
}

TEST(ScenarioLoader, ScheduleWithoutAProfileResolvesAsBefore) {
  StatusOr<Scenario> s = LoadText(std::string(kHead) +
                                  "workloads:\n  - account: a\n    arrivals: {kind: schedule, rate_per_hour: 5}\n"
                                  "    duration: 1m\n");
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::string text = WriteResolvedScenario(*s);
  EXPECT_EQ(text.find("hour_factors"), std::string::npos);
  EXPECT_EQ(text.find("week_offset"), std::string::npos);
}

TEST(ScenarioLoader, EveryShippedScenarioIsValid) {
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(SourceDir()) / "scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    StatusOr<Scenario> s = LoadScenarioFile(entry.path().string());
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (s.ok()) {
      // And its resolved form is a fixed point.
      std::string once = WriteResolvedScenario(*s);
      fs::path tmp = fs::path(Scratch()) / "resolved.yaml";
      std::ofstream(tmp) << once;
      StatusOr<Scenario> again = LoadScenarioFile(tmp.string());
      ASSERT_TRUE(again.ok()) << entry.path() << ": " << again.status().message();
      again->name = s->name;
      EXPECT_EQ(WriteResolvedScenario(*again), once) << entry.path();
    }
    ++n;
  }
  EXPECT_GE(n, 9);
}

TEST(ScenarioLoader, TheReadmeExampleIsValid) {
  std::string readme = testing::ReadFile(SourceDir() + "/scenarios/README.md");
  size_t begin = readme.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  size_t end = readme.find("```", begin);
  StatusOr<Scenario> s = ParseScenario(readme.substr(begin, end - begin), "README.md", ".");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->accounts[0].config.per_label_task_limits.at("pool:"), 5);
  EXPECT_EQ(s->faults.restart_at, std::vector<Duration>{Hours(6)});
}

// Moves one policy switch away from its default (thresholds stay ordered).
struct Perturb {
  void operator()(bool& b) const { b = !b; }
  void operator()(Duration& d) const { d = d * 3 + Seconds(7); }
  void operator()(float& f) const { f = f + 1.5f; }
  void operator()(int64_t& i) const { i = i * 2 + 17; }
};

TEST(ScenarioLoader, EveryPolicySwitchSurvivesTheResolvedYamlRoundTrip) {
  StatusOr<Scenario> base = LoadText(kHead, "policy_src.yaml");
  ASSERT_TRUE(base.ok()) << base.status().message();
  int fields = 0;
  ForEachPolicyField(base->policy, [&fields](PolicyFieldName, auto&) { ++fields; });
  ASSERT_GE(fields, 11);
  Policy all;  // every switch moved at once, built up below
  for (int k = 0; k < fields; ++k) {
    Scenario s = *base;
    std::string name;
    int i = 0;
    auto move_kth = [&](PolicyFieldName n, auto& member) {
      if (i++ != k) return;
      Perturb{}(member);
      name = n.yaml;
    };
    ForEachPolicyField(s.policy, move_kth);
    i = 0;
    ForEachPolicyField(all, move_kth);
    ASSERT_NE(s.policy, Policy{}) << name << " is not compared by Policy's ==";
    std::string yaml = WriteResolvedScenario(s);
    EXPECT_NE(yaml.find("\n  " + name + ": "), std::string::npos) << yaml;
    StatusOr<Scenario> back = ParseScenario(yaml, "resolved.yaml", ".");
    ASSERT_TRUE(back.ok()) << name << ": " << back.status().message();
    EXPECT_EQ(back->policy, s.policy) << name << " did not survive the round trip";
  }
  Scenario s = *base;
  s.policy = all;
  StatusOr<Scenario> back = ParseScenario(WriteResolvedScenario(s), "resolved.yaml", ".");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->policy, all);
  EXPECT_EQ(WriteResolvedScenario(*back), WriteResolvedScenario(s));
}

TEST(ScenarioLoader, UnknownPolicyKeyListsEverySwitch) {
  StatusOr<Scenario> s = LoadText(std::string(kHead) + "policy: {preempt_always: true}\n");
  ASSERT_FALSE(s.ok());
  std::string expected;
  const Policy defaults;
  ForEachPolicyField(defaults, [&expected](PolicyFieldName n, const auto&) {
    expected += (expected.empty() ? "" : ", ") + std::string(n.yaml);
  });
  EXPECT_NE(s.status().message().find("bad.yaml:6:10: policy.preempt_always: unknown key (expected one of: " + expected + ")"),
            std::string::npos)
      << s.status().message();
}

struct BadCase {
  const char* name;
  std::string text;
  std::string expected;  // the whole "file:line:column: path: message" prefix or a distinctive part
};

std::vector<BadCase> BadCases() {
  std::string h = kHead;
  std::string wl = "workloads:\n  - {account: a, arrivals: {kind: poisson, rate_per_hour: 10}, duration: 1m}\n";
  return {
      {"unknown_top_key", "duration: 1h\nfoo: 1\n", "bad.yaml:2:1: foo: unknown key (expected one of: name,"},
      {"missing_duration", "accounts: {a: {}}\nbots: [{group: g, count: 1}]\n",
       "bad.yaml:1:1: duration: required key is missing"},
      {"duration_wrong_type", "duration: soon\n", "bad.yaml:1:11: duration: expected a duration such as 30s"},
      {"negative_rate",
       h + "workloads:\n  - account: a\n    arrivals: {kind: poisson, rate_per_hour: -5}\n    duration: 1m\n",
       "bad.yaml:8:46: workloads[0].arrivals.rate_per_hour: must be >= 0, got -5"},
      {"empty_bot_group", "duration: 1h\naccounts: {a: {}}\nbots:\n  - group: g\n    count: 0\n",
       "bad.yaml:5:12: bots[0].count: must be between 1 and 10000000, got 0"},
      {"undefined_account",
       h + "workloads:\n  - account: nope\n    arrivals: {kind: poisson, rate_per_hour: 1}\n    duration: 1m\n",
       "bad.yaml:7:14: workloads[0].account: account \"nope\" is not defined under accounts"},
      {"too_many_charge_rates", "duration: 1h\naccounts:\n  a: {charge_rate: [1, 2, 3, 4, 5, 6]}\n",
       "bad.yaml:3:20: accounts.a.charge_rate: expected a list of 1 to 5 numbers"},
      {"negative_charge_rate", "duration: 1h\naccounts:\n  a:\n    charge_rate: [1, -1]\n",
       "bad.yaml:4:22: accounts.a.charge_rate[1]: must be >= 0, got -1"},
      {"no_bots", "duration: 1h\naccounts: {a: {}}\nbots: []\n",
       "bad.yaml:3:7: bots: expected a non-empty list of bot groups, got a list"},
      {"unknown_bot_key", "duration: 1h\naccounts: {a: {}}\nbots:\n  - group: g\n    count: 1\n    colour: red\n",
       "bad.yaml:6:5: bots[0].colour: unknown key"},
      {"warmup_too_long", "duration: 1h\nwarmup: 2h\n", "bad.yaml:2:9: warmup: must be shorter than duration"},
      {"probability_above_one", h + "faults:\n  lost_acks: {probability: 1.5}\n",
       "bad.yaml:7:28: faults.lost_acks.probability: must be between 0 and 1, got 1.5"},
      {"unknown_distribution",
       h + "workloads:\n  - account: a\n    arrivals: {kind: poisson, rate_per_hour: 1}\n    duration: {dist: gamma}\n",
       "bad.yaml:9:22: workloads[0].duration.dist: unknown distribution \"gamma\""},
      {"uniform_max_below_min",
       h + "workloads:\n  - account: a\n    arrivals: {kind: poisson, rate_per_hour: 1}\n"
           "    duration: {dist: uniform, min: 5m, max: 1m}\n",
       "bad.yaml:9:45: workloads[0].duration.max: must be >= min"},
      {"broken_yaml", "duration: 1h\naccounts: {a: [1, 2}\n", "bad.yaml:2:"},
      {"duplicate_key", "duration: 1h\nduration: 2h\n", "bad.yaml:2:1: duration: duplicate key"},
      {"bad_preempted_policy", h + "dispatcher:\n  preempted: maybe\n",
       "bad.yaml:7:14: dispatcher.preempted: expected requeue or fail, got \"maybe\""},
      {"bool_wrong_type", h + "policy:\n  disable_preemption: sometimes\n",
       "bad.yaml:7:23: policy.disable_preemption: expected true or false, got \"sometimes\""},
      {"unknown_output", h + "outputs: [tasks, pdf]\n",
       "bad.yaml:6:18: outputs[1]: expected tasks, summary, waits, timeseries, events or taskevents, got \"pdf\""},
      {"outage_group_undefined",
       h + "faults:\n  bot_deaths:\n    scheduled: [{at: 1m, group: x, count: 1, downtime: 1m}]\n",
       "bad.yaml:8:33: faults.bot_deaths.scheduled[0].group: bot group \"x\" is not defined under bots"},
      {"negative_seed", "seed: -3\nduration: 1h\n", "bad.yaml:1:7: seed: must be >= 0, got -3"},
      {"accounts_not_mapping", "duration: 1h\naccounts: [a, b]\n",
       "bad.yaml:2:11: accounts: expected a non-empty mapping of account id to settings, got a list"},
      {"unknown_arrival_kind", h + "workloads:\n  - account: a\n    arrivals: {kind: bursty}\n    duration: 1m\n",
       "bad.yaml:8:22: workloads[0].arrivals.kind: unknown arrival kind \"bursty\""},
      {"missing_replay_file", h + "workloads:\n  - arrivals: {kind: replay, file: nowhere.csv}\n",
       "bad.yaml:7:36: workloads[0].arrivals.file: cannot open replay file"},
      {"diurnal_amplitude_too_big",
       h + "workloads:\n  - account: a\n    arrivals: {kind: schedule, rate_per_hour: 1, diurnal_amplitude: 2}\n"
           "    duration: 1m\n",
       "bad.yaml:8:69: workloads[0].arrivals.diurnal_amplitude: must be between 0 and 1, got 2"},
      {"hour_factors_too_short",
       h + "workloads:\n  - account: a\n    arrivals: {kind: schedule, hour_factors: [1, 2]}\n    duration: 1m\n",
       "bad.yaml:8:46: workloads[0].arrivals.hour_factors: expected a list of 24 numbers, got a list"},
      {"weekday_factor_negative",
       h + "workloads:\n  - account: a\n    arrivals: {kind: schedule, weekday_factors: [1, 1, -1, 1, 1, 1, 1]}\n"
           "    duration: 1m\n",
       "bad.yaml:8:56: workloads[0].arrivals.weekday_factors[2]: must be between 0 and 1000, got -1"},
      {"week_offset_a_week",
       h + "workloads:\n  - account: a\n    arrivals: {kind: schedule, week_offset: 7d}\n    duration: 1m\n",
       "bad.yaml:8:45: workloads[0].arrivals.week_offset: must be below 7d"},
      {"duplicate_group", "duration: 1h\naccounts: {a: {}}\nbots:\n  - {group: g, count: 1}\n  - {group: g, count: 1}\n",
       "bad.yaml:5:13: bots[1].group: duplicate group name \"g\""},
      {"fanout_not_integer", "duration: 1h\naccounts:\n  a: {max_fanout: 1.5}\n",
       "bad.yaml:3:19: accounts.a.max_fanout: expected an integer, got \"1.5\""},
      {"top_level_list", "- duration: 1h\n", "bad.yaml:1:1: expected a mapping at the top level, got a list"},
      {"zero_poll_interval", "duration: 1h\naccounts: {a: {}}\nbots:\n  - {group: g, count: 1, poll_interval: 0s}\n",
       "bad.yaml:4:41: bots[0].poll_interval: must be >= 1us, got 0s"},
      {"list_workload_needs_account",
       h + "workloads:\n  - arrivals: {kind: list, times: [1m]}\n    duration: 1m\n",
       "bad.yaml:7:5: workloads[0].account: required key is missing"},
      {"duration_too_fine", "duration: 0.0000001s\n",
       "bad.yaml:1:11: duration: expected a duration such as 30s"},
      {"negative_abort_time", "duration: 1h\naccounts: {a: {}}\nbots:\n  - {group: g, count: 1, abort_time: -5s}\n",
       "bad.yaml:4:38: bots[0].abort_time: must be >= 0s, got -5s"},
      {"sigma_too_large",
       h + "workloads:\n  - account: a\n    arrivals: {kind: poisson, rate_per_hour: 1}\n"
           "    duration: {dist: lognormal, median: 1m, sigma: 11}\n",
       "bad.yaml:9:52: workloads[0].duration.sigma: must be between 0 and 10, got 11"},
      {"demote_above_promote", h + "policy: {promote_threshold: 5, demote_threshold: 6}\n",
       "bad.yaml:6:50: policy.demote_threshold: must be <= promote_threshold"},
      {"zero_policy_duration", h + "policy:\n  bot_expiration: 0s\n",
       "bad.yaml:7:19: policy.bot_expiration: must be >= 1us, got 0s"},
      {"too_many_retries", h + "dispatcher: {bot_death_retries: 5000}\n",
       "bad.yaml:6:33: dispatcher.bot_death_retries: must be between 0 and 1000, got 5000"},
      {"dotted_account_id", "duration: 1h\naccounts:\n  team.a: {charge_rate: [-2]}\nbots: [{group: g, count: 1}]\n",
       "bad.yaml:3:26: accounts.team.a.charge_rate[0]: must be >= 0, got -2"},
      {"duplicate_workload_name",
       h + "workloads:\n  - {name: w, account: a, arrivals: {kind: list, times: []}, duration: 1m}\n"
           "  - {name: w, account: a, arrivals: {kind: list, times: []}, duration: 1m}\n",
       "bad.yaml:8:12: workloads[1].name: duplicate workload name \"w\""},
      {"label_not_string", h + "workloads:\n  - account: a\n    base_labels: [[x]]\n    arrivals: {kind: list, times: []}\n"
                               "    duration: 1m\n",
       "bad.yaml:8:19: workloads[0].base_labels[0]: expected a non-empty string, got a list"},
  };
}

TEST(ScenarioLoader, RejectsMalformedScenariosWithLocation) {
  std::vector<BadCase> cases = BadCases();
  ASSERT_GE(cases.size(), 20u);
  for (const BadCase& c : cases) {
    StatusOr<Scenario> s = LoadText(c.text);
    ASSERT_FALSE(s.ok()) << c.name << " was accepted";
    const std::string m = s.status().message();
    // The message starts with the temp dir's path; compare from the file name.
    size_t at = m.find("bad.yaml:");
    ASSERT_NE(at, std::string::npos) << c.name << ": " << m;
    EXPECT_EQ(m.substr(at, c.expected.size()), c.expected) << c.name << ": " << m;
  }
}

// Strict YAML, safe names and labels, and the limits of docs/limits.md, each
// refused with its place in the file.
std::vector<BadCase> StrictCases() {
  std::string h = kHead;
  auto wl = [](const std::string& arrivals, const std::string& extra = "") {
    return "workloads:\n  - {account: a, arrivals: " + arrivals + ", duration: 1m" + extra + "}\n";
  };
  return {
      {"quoted_integer", h + "dispatcher: {bot_death_retries: \"5\"}\n",
       "bad.yaml:6:33: dispatcher.bot_death_retries: expected an integer without quotes or tags, got \"5\""},
      {"hex_integer", h + "dispatcher: {bot_death_retries: 0x10}\n",
       "bad.yaml:6:33: dispatcher.bot_death_retries: expected an integer, got \"0x10\""},
      {"octal_integer", h + "dispatcher: {bot_death_retries: 010}\n",
       "bad.yaml:6:33: dispatcher.bot_death_retries: expected an integer, got \"010\""},
      {"quoted_number", h + wl("{kind: poisson, rate_per_hour: '5'}"),
       "bad.yaml:7:59: workloads[0].arrivals.rate_per_hour: expected a number without quotes or tags, got \"5\""},
      {"infinite_number", h + wl("{kind: poisson, rate_per_hour: .inf}"),
       "bad.yaml:7:59: workloads[0].arrivals.rate_per_hour: expected a finite number, got \".inf\""},
      {"hex_number", h + wl("{kind: poisson, rate_per_hour: 0x10}"),
       "bad.yaml:7:59: workloads[0].arrivals.rate_per_hour: expected a finite number, got \"0x10\""},
      {"tagged_number", h + wl("{kind: poisson, rate_per_hour: !!float 5}"),
       "bad.yaml:7:59: workloads[0].arrivals.rate_per_hour: expected a number without quotes or tags"},
      {"yes_is_not_true", h + "policy: {disable_preemption: yes}\n",
       "bad.yaml:6:30: policy.disable_preemption: expected true or false, got \"yes\""},
      {"on_is_not_true", h + "dispatcher: {long_poll: on}\n",
       "bad.yaml:6:25: dispatcher.long_poll: expected true or false, got \"on\""},
      {"capital_true", h + "dispatcher: {long_poll: True}\n",
       "bad.yaml:6:25: dispatcher.long_poll: expected true or false, got \"True\""},
      {"quoted_true", h + "dispatcher: {long_poll: \"true\"}\n",
       "bad.yaml:6:25: dispatcher.long_poll: expected true or false without quotes or tags"},
      {"quoted_duration", "duration: \"1h\"\n",
       "bad.yaml:1:11: duration: expected a duration without quotes or tags, got \"1h\""},
      {"duplicate_key_in_fault_map", h + "faults:\n  lost_acks: {probability: 0.1, probability: 0.9}\n",
       "bad.yaml:7:33: faults.lost_acks.probability: duplicate key"},
      {"duplicate_key_in_account", "duration: 1h\naccounts:\n  a: {charge_rate: [1], charge_rate: [2]}\n",
       "bad.yaml:3:25: accounts.a.charge_rate: duplicate key"},
      {"duplicate_account", "duration: 1h\naccounts:\n  a: {}\n  a: {}\n", "bad.yaml:4:3: accounts.a: duplicate key"},
      {"duplicate_key_in_list_item", h + "workloads:\n  - account: a\n    account: a\n",
       "bad.yaml:8:5: workloads[0].account: duplicate key"},
      {"duplicate_key_in_expect", h + "expect:\n  - {metric: x, metric: y}\n",
       "bad.yaml:7:17: expect[0].metric: duplicate key"},
      {"anchor", "duration: &d 1h\nwarmup: *d\n",
       "bad.yaml:1:11: duration: YAML anchors (&name) are not allowed in scenarios"},
      {"alias_bomb",
       "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
       "bad.yaml:1:4: a: YAML anchors (&name) are not allowed in scenarios"},
      {"two_documents", std::string(kHead) + "---\nduration: 2h\n", "bad.yaml: expected one YAML document"},
      {"name_escapes_runs", "name: ../../tmp/x\n" + h, "bad.yaml:1:7: name: may hold only letters, digits"},
      {"name_with_newline", "name: \"a\\nb\"\n" + h, "bad.yaml:1:7: name: may hold only letters, digits"},
      {"name_hidden", "name: .x\n" + h, "bad.yaml:1:7: name: must not start with '.'"},
      {"account_id_with_space", "duration: 1h\naccounts:\n  \"a b\": {}\n",
       "bad.yaml:3:10: accounts.a b: may hold only letters, digits"},
      {"group_with_slash", "duration: 1h\naccounts: {a: {}}\nbots: [{group: x/y, count: 1}]\n",
       "bad.yaml:3:16: bots[0].group: may hold only letters, digits"},
      {"workload_name_with_dots", h + "workloads:\n  - {name: a..b, account: a, arrivals: {kind: list, times: []}, duration: 1m}\n",
       "bad.yaml:7:12: workloads[0].name: must not contain \"..\""},
      {"label_with_separator", h + "workloads:\n  - account: a\n    base_labels: [\"os:linux;pool:x\"]\n",
       "bad.yaml:8:19: workloads[0].base_labels[0]: must not contain ';' (it separates labels in the run folder)"},
      {"label_with_newline", "duration: 1h\naccounts: {a: {}}\nbots: [{group: g, count: 1, labels: [\"a\\nb\"]}]\n",
       "bad.yaml:3:38: bots[0].labels[0]: must not contain control characters or newlines"},
      {"seed_above_int64", "seed: 9223372036854775808\nduration: 1h\n",
       "bad.yaml:1:7: seed: expected an integer, got \"9223372036854775808\""},
      {"duration_near_int64", "duration: 9223372036854s\n", "bad.yaml:1:11: duration: expected a duration such as"},
      {"duration_1000_years", "duration: 365000d\n", "bad.yaml:1:11: duration: must be <= 36500d, got 365000d"},
      {"sample_every_us", "duration: 1d\nsample_interval: 1us\n" + h.substr(13),
       "bad.yaml:2:18: sample_interval: must be >= 86400us for a 1d run (at most 1000000 samples; docs/limits.md), "
       "got 1us"},
      {"renotify_every_us", h + "dispatcher: {renotify_interval: 1us}\n",
       "bad.yaml:6:33: dispatcher.renotify_interval: must be >= 360us for a 1h run"},
      {"restart_every_us", h + "faults: {scheduler_restarts: {every: 1us}}\n",
       "bad.yaml:6:38: faults.scheduler_restarts.every: the run would restart the scheduler 3600000000 times"},
      {"death_rate_1e12", h + "faults: {bot_deaths: {rate_per_bot_day: 1e12, downtime: 1m}}\n",
       "bad.yaml:6:41: faults.bot_deaths.rate_per_bot_day: the run would see an expected"},
      {"burst_of_1e8", h + wl("{kind: schedule, bursts: [{at: 1m, count: 100000000}]}"),
       "bad.yaml:7:28: workloads[0].arrivals: the workloads bring an estimated"},
      {"too_many_bots", "duration: 1h\naccounts: {a: {}}\nbots: [{group: g, count: 600000}, {group: h, count: 600000}]\n",
       "bad.yaml:3:53: bots[1].count: the bot groups hold 1200000 bots up to here"},
  };
}

TEST(ScenarioLoader, StrictYamlNamesAndLimitsAreRefusedWithLocation) {
  for (const BadCase& c : StrictCases()) {
    StatusOr<Scenario> s = LoadText(c.text);
    ASSERT_FALSE(s.ok()) << c.name << " was accepted";
    const std::string m = s.status().message();
    size_t at = m.find("bad.yaml:");
    ASSERT_NE(at, std::string::npos) << c.name << ": " << m;
    EXPECT_EQ(m.substr(at, c.expected.size()), c.expected) << c.name << ": " << m;
  }
}

TEST(ScenarioLoader, UnnamedScenarioTakesASafeNameFromItsFile) {
  StatusOr<Scenario> s = LoadText(std::string(kHead), "my scenario!.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "my-scenario-");
  s = LoadText(std::string(kHead), "..hidden.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "scenario");
}

TEST(ScenarioLoader, RefusesSpecialAndOversizedFilesBeforeReading) {
  for (const char* special : {"/dev/zero", "/dev/null", "/"}) {
    StatusOr<Scenario> s = LoadScenarioFile(special);
    ASSERT_FALSE(s.ok()) << special;
    EXPECT_NE(s.status().message().find(": not a regular file"), std::string::npos) << s.status().message();
  }
  fs::path dir = Scratch();
  fs::create_directories(dir);
  fs::path fifo = dir / "fifo.yaml";
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  StatusOr<Scenario> s = LoadScenarioFile(fifo.string());  // would block forever if it were opened
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("fifo.yaml: not a regular file"), std::string::npos) << s.status().message();
  std::string big(5 << 20, '#');
  s = LoadText(big + "\n", "big.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("big.yaml: the scenario file is 5.0 MiB, more than the limit of 4.0 MiB"),
            std::string::npos)
      << s.status().message();
  s = LoadText(std::string(kHead) + "workloads:\n  - arrivals: {kind: replay, file: /dev/zero}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("bad.yaml:7:36: workloads[0].arrivals.file: /dev/zero: not a regular file"),
            std::string::npos)
      << s.status().message();
}

TEST(ScenarioLoader, PlainNumbersAndBooleansStillLoad) {
  StatusOr<Scenario> s = LoadText(std::string(kHead) +
                                  "seed: 9223372036854775807\n"
                                  "dispatcher: {long_poll: true, bot_death_retries: 0}\n"
                                  "workloads:\n"
                                  "  - {account: a, arrivals: {kind: poisson, rate_per_hour: 1.5e1}, duration: 1m}\n"
                                  "  - {account: a, arrivals: {kind: poisson, rate_per_hour: -0}, duration: 1m}\n",
                                  "ok.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->seed, 9223372036854775807u);
  EXPECT_TRUE(s->dispatcher.long_poll);
  EXPECT_EQ(s->workloads[0].arrivals.rate_per_hour, 15);
}

TEST(ScenarioLoader, CheckStrictYamlIsTheLoadersFirstPass) {
  EXPECT_TRUE(CheckStrictYaml("workloads: [{name: a}, {name: a}]\n", "o.yaml").ok());
  EXPECT_EQ(CheckStrictYaml("dispatcher:\n  long_poll: true\n  long_poll: false\n", "o.yaml").message(),
            "o.yaml:3:3: dispatcher.long_poll: duplicate key");
  EXPECT_EQ(CheckStrictYaml("bots:\n  - &g {group: g}\n  - *g\n", "o.yaml").message(),
            "o.yaml:2:5: bots[0]: YAML anchors (&name) are not allowed in scenarios");
  EXPECT_EQ(CheckStrictYaml("a: [1, 2\n", "o.yaml").message().substr(0, 21), "o.yaml:2:1: invalid Y");
}

TEST(ScenarioLoader, ReplayRowErrorsNameTheLogLineAndColumn) {
  fs::path dir = Scratch();
  fs::create_directories(dir);
  std::ofstream(dir / "log.csv") << "enqueue_s,account,base_labels,provisionable_labels,duration_s\n"
                                    "1.5,a,os:linux,,60\n"
                                    "2,a,os:linux,,-3\n";
  StatusOr<Scenario> s = LoadText(std::string(kHead) + "workloads:\n  - arrivals: {kind: replay, file: log.csv}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("log.csv:3:15: workloads[0].arrivals.file: duration_s: expected seconds > 0"),
            std::string::npos)
      << s.status().message();
  std::ofstream(dir / "log.csv") << "enqueue_s,account,base_labels,provisionable_labels,duration_s\n"
                                    "1.5,zz,os:linux,,60\n";
  s = LoadText(std::string(kHead) + "workloads:\n  - arrivals: {kind: replay, file: log.csv}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("log.csv:2:5: workloads[0].arrivals.file: account: \"zz\" is not defined"),
            std::string::npos)
      << s.status().message();
}

}  // namespace
}  // namespace qsim::sim
