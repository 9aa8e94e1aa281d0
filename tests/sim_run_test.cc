// Whole-run tests of the simulator against the real scheduler and reconciler:
// determinism, queueing theory, every fault alone, and scheduler restarts.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "sim/limits.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim::sim {
namespace {

namespace fs = std::filesystem;

Scenario Parse(const std::string& text) {
  StatusOr<Scenario> s = ParseScenario(text, "test.yaml", ".");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : Scenario{};
}

// A fresh folder `name` inside one scratch folder for the whole binary.
fs::path TempDir(const std::string& name) {
  static testing::ScopedTempDir scratch("qsim-sim-run-test");
  fs::path d = fs::path(scratch.path()) / name;
  fs::remove_all(d);
  return d;
}

std::string ReadFile(const fs::path& p) { return testing::ReadFile(p.string()); }

RunResult MustRun(const Scenario& s, uint64_t seed, const std::string& out_dir = "") {
  RunOptions o;
  o.out_dir = out_dir;
  StatusOr<RunResult> r = RunScenario(s, seed, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : RunResult{};
}

// Two accounts contending for a small fleet with preemption, provisioning,
// every output on: a run that touches most of the dispatcher.
const char* kBusyBase = R"(
duration: 3h
warmup: 10m
sample_interval: 5m
accounts:
  paid: {charge_rate: [3, 2], max_charge_seconds: 1800}
  cheap: {charge_rate: [0.5], max_charge_seconds: 600}
bots:
  - {group: lin, count: 6, labels: ["os:linux"], provisionable_labels: ["image:a"], poll_interval: 15s,
     provision_time: 1m, abort_time: 10s}
  - {group: mac, count: 3, labels: ["os:mac"], poll_interval: 20s}
workloads:
  - account: paid
    base_labels: ["os:linux"]
    provisionable_labels: ["image:b"]
    arrivals: {kind: poisson, rate_per_hour: 40}
    duration: {dist: lognormal, median: 5m, sigma: 0.8}
  - account: cheap
    base_labels: ["os:linux"]
    arrivals: {kind: schedule, rate_per_hour: 30, diurnal_amplitude: 0.5, bursts: [{at: 1h, count: 20, over: 2m}]}
    duration: {dist: uniform, min: 2m, max: 12m}
    cancel: {fraction: 0.1, after: 20m}
  - account: cheap
    base_labels: ["os:mac"]
    arrivals: {kind: list, times: [1m, 2m, 3m, 90m]}
    duration: {dist: empirical, values: [1m, 30m]}
)";

const char* kAllFaults = R"(
faults:
  lost_acks: {probability: 0.05}
  lost_assignments: {probability: 0.05}
  delayed_notifications: {probability: 0.1, delay: {dist: exponential, mean: 20s}}
  task_errors: {probability: 0.03, after: 1m}
  bot_deaths: {rate_per_bot_day: 2, downtime: {dist: exponential, mean: 20m},
               scheduled: [{at: 100m, group: lin, count: 2, downtime: 15m}]}
  bot_flaps: {rate_per_bot_day: 6, downtime: {dist: uniform, min: 10s, max: 8m}}
  scheduler_restarts: {every: 37m}
)";

void ExpectAccountedOnce(const RunResult& r) {
  EXPECT_TRUE(r.violations.empty()) << r.violations.front();
  const AccountSummary& fleet = r.summary.back();
  EXPECT_EQ(fleet.invariant_violations, 0);
  EXPECT_EQ(fleet.completed + fleet.preempted + fleet.failed + fleet.cancelled + fleet.lost + fleet.unfinished,
            fleet.tasks);
  for (size_t i = 0; i < r.tasks.size(); ++i) {
    ASSERT_EQ(r.tasks[i].id, static_cast<int64_t>(i));
    const TaskResult& t = r.tasks[i];
    if (t.outcome == Outcome::kUnfinished) {
      EXPECT_LT(t.end, Duration::zero()) << "task " << i;
    } else {
      EXPECT_GE(t.end, t.enqueue) << "task " << i;
    }
    if (t.outcome == Outcome::kCompleted) {
      EXPECT_GE(t.start, t.enqueue) << "task " << i;
    }
  }
}

TEST(SimRun, SameSeedGivesByteIdenticalFilesAndAnotherSeedDiffers) {
  Scenario s = Parse(std::string(kBusyBase) + kAllFaults);
  fs::path a = TempDir("det_a"), b = TempDir("det_b"), c = TempDir("det_c");
  RunResult ra = MustRun(s, 5, a.string());
  MustRun(s, 5, b.string());
  MustRun(s, 6, c.string());
  ASSERT_GT(ra.tasks.size(), 100u);
  for (const char* f : {"tasks.csv", "summary.csv", "events.csv", "timeseries.csv", "scenario.resolved.yaml"}) {
    std::string x = ReadFile(a / f);
    EXPECT_FALSE(x.empty()) << f;
    EXPECT_EQ(x, ReadFile(b / f)) << f << " differs between two runs with seed 5";
  }
  EXPECT_NE(ReadFile(a / "tasks.csv"), ReadFile(c / "tasks.csv"));
  EXPECT_NE(ReadFile(a / "events.csv"), ReadFile(c / "events.csv"));
}

// `qsim run` keeps no per-task results in memory (RunOptions::
// keep_task_results = false): the files must not change, and the summary
// and the task count must still be there.
TEST(SimRun, NotKeepingTaskResultsChangesNoFile) {
  Scenario s = Parse(std::string(kBusyBase) + kAllFaults);
  fs::path kept = TempDir("keep_yes"), dropped = TempDir("keep_no");
  RunResult rk = MustRun(s, 8, kept.string());
  RunOptions o;
  o.out_dir = dropped.string();
  o.keep_task_results = false;
  StatusOr<RunResult> rd = RunScenario(s, 8, o);
  ASSERT_TRUE(rd.ok()) << rd.status().message();
  ASSERT_GT(rk.tasks.size(), 100u);
  EXPECT_EQ(rk.task_count, rk.tasks.size());
  EXPECT_EQ(rd->task_count, rk.tasks.size());
  EXPECT_TRUE(rd->tasks.empty());
  EXPECT_EQ(rd->task_waits.Get(0), TaskWaits::Split{});
  EXPECT_NE(rk.task_waits.Get(0), TaskWaits::Split{});
  ASSERT_EQ(rd->summary.size(), rk.summary.size());
  EXPECT_EQ(rd->summary.back().completed, rk.summary.back().completed);
  for (const char* f : {"tasks.csv", "summary.csv", "waits.csv", "events.csv", "timeseries.csv"}) {
    std::string x = ReadFile(kept / f);
    EXPECT_FALSE(x.empty()) << f;
    EXPECT_EQ(x, ReadFile(dropped / f)) << f;
  }
}

TEST(SimRun, ResolvedScenarioRepeatsTheRunByteForByte) {
  Scenario s = Parse(std::string(kBusyBase) + kAllFaults);
  fs::path a = TempDir("res_a"), b = TempDir("res_b");
  MustRun(s, 11, a.string());
  StatusOr<Scenario> resolved = LoadScenarioFile((a / "scenario.resolved.yaml").string());
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  EXPECT_EQ(resolved->seed, 11u);
  MustRun(*resolved, resolved->seed, b.string());
  for (const char* f : {"tasks.csv", "summary.csv", "events.csv", "timeseries.csv", "scenario.resolved.yaml"}) {
    EXPECT_EQ(ReadFile(a / f), ReadFile(b / f)) << f;
  }
}

TEST(SimRun, AddingAFaultDoesNotMoveTheArrivals) {
  Scenario plain = Parse(kBusyBase);
  Scenario faulty = Parse(std::string(kBusyBase) + kAllFaults);
  RunResult a = MustRun(plain, 3), b = MustRun(faulty, 3);
  ASSERT_EQ(a.tasks.size(), b.tasks.size());
  for (size_t i = 0; i < a.tasks.size(); ++i) {
    EXPECT_EQ(a.tasks[i].enqueue, b.tasks[i].enqueue) << "task " << i;
    EXPECT_EQ(a.tasks[i].account, b.tasks[i].account) << "task " << i;
  }
}

// Erlang C: the probability that an arrival waits in an M/M/c queue with
// offered load a = lambda / mu.
double ErlangC(int c, double a) {
  double term = 1, sum = 1;  // sum_{k<c} a^k / k!
  for (int k = 1; k < c; ++k) {
    term *= a / k;
    sum += term;
  }
  double top = term * a / c * (c / (c - a));  // a^c / c! * c / (c - a)
  return top / (sum + top);
}

TEST(SimRun, MeanWaitMatchesErlangCAndLittlesLawHolds) {
  // M/M/10 at 80% load: lambda = 8/min, mean service 1 min; long poll and a
  // zero batching window make the dispatcher work-conserving.
  const int c = 10;
  const double lambda_per_s = 8.0 / 60, mean_service_s = 60;
  const uint64_t seed = 20240601;
  std::printf("Erlang C test seed: %llu\n", static_cast<unsigned long long>(seed));
  Scenario s = Parse(R"(
duration: 100d
warmup: 2h
sample_interval: 10d
outputs: [tasks, summary]
policy: {disable_preemption: true}
accounts:
  solo: {charge_rate: [100], max_charge_seconds: 100000}
bots:
  - {group: m, count: 10, poll_interval: 1m}
dispatcher: {long_poll: true, batch_window: 0s}
workloads:
  - account: solo
    arrivals: {kind: poisson, rate_per_hour: 480}
    duration: {dist: exponential, mean: 1m}
)");
  RunResult r = MustRun(s, seed);
  ASSERT_TRUE(r.violations.empty()) << r.violations.front();
  const AccountSummary& fleet = r.summary.back();
  double a = lambda_per_s * mean_service_s;
  double expected_wait = ErlangC(c, a) / (c / mean_service_s - lambda_per_s);
  double wait = static_cast<double>(ToMicros(fleet.wait_mean)) / 1e6;
  std::printf("tasks %lld, mean wait %.3fs, Erlang C %.3fs\n", static_cast<long long>(fleet.tasks), wait,
              expected_wait);
  EXPECT_NEAR(wait, expected_wait, 0.05 * expected_wait);

  // Little's law: time-average number in system = arrival rate x mean time
  // in system, both measured; and close to the M/M/c value.
  double window_s = static_cast<double>(ToMicros(r.measured)) / 1e6;
  double sojourn_sum = 0;
  int64_t arrivals = 0, ended = 0;
  for (const TaskResult& t : r.tasks) {
    if (t.enqueue < s.warmup) continue;
    ++arrivals;
    if (t.end >= Duration::zero()) {
      sojourn_sum += static_cast<double>(ToMicros(t.end - t.enqueue)) / 1e6;
      ++ended;
    }
  }
  double little = (static_cast<double>(arrivals) / window_s) * (sojourn_sum / static_cast<double>(ended));
  std::printf("L measured %.4f, lambda*W %.4f, theory %.4f\n", r.mean_in_system, little,
              lambda_per_s * (expected_wait + mean_service_s));
  EXPECT_NEAR(r.mean_in_system, little, 0.01 * little);
  EXPECT_NEAR(r.mean_in_system, lambda_per_s * (expected_wait + mean_service_s), 0.02 * little);
}

struct FaultCase {
  const char* name;
  const char* yaml;
};

class SimFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(SimFault, AloneLeavesEveryTaskAccountedForOnce) {
  Scenario s = Parse(std::string(kBusyBase) + "faults:\n" + GetParam().yaml);
  RunResult r = MustRun(s, 17);
  ExpectAccountedOnce(r);
  RunResult base = MustRun(Parse(kBusyBase), 17);
  const AccountSummary& fleet = r.summary.back();
  // A fault costs some throughput, not most of it: the dispatcher heals.
  EXPECT_GT(fleet.completed, base.summary.back().completed * 6 / 10);
  std::string name = GetParam().name;
  if (name == "lost_acks") {
    // The worker-queue timeout is what heals a lost ack.
    EXPECT_GT(fleet.timeouts, 0);
    EXPECT_EQ(base.summary.back().timeouts, 0);
  } else if (name == "task_errors") {
    EXPECT_GT(fleet.failed, 0);
  } else if (name == "bot_deaths") {
    // With one retry allowed, a task is lost only by dying twice; deaths
    // must at least have cost bot time.
    EXPECT_LT(fleet.utilisation, 1.0);
    EXPECT_NE(r.summary.back().busy_bot_time, base.summary.back().busy_bot_time);
  } else if (name == "scheduler_restarts") {
    EXPECT_EQ(fleet.completed, base.summary.back().completed);
    EXPECT_EQ(fleet.wait_mean, base.summary.back().wait_mean);
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, SimFault,
    ::testing::Values(
        FaultCase{"lost_acks", "  lost_acks: {probability: 0.2}\n"},
        FaultCase{"lost_assignments", "  lost_assignments: {probability: 0.3}\n"},
        FaultCase{"delayed_notifications",
                  "  delayed_notifications: {probability: 0.3, delay: {dist: exponential, mean: 1m}}\n"},
        FaultCase{"task_errors", "  task_errors: {probability: 0.1, after: 30s}\n"},
        FaultCase{"bot_deaths",
                  "  bot_deaths: {rate_per_bot_day: 8, downtime: {dist: exponential, mean: 30m},\n"
                  "               scheduled: [{at: 1h, group: lin, count: 3, downtime: 20m}]}\n"},
        FaultCase{"bot_flaps", "  bot_flaps: {rate_per_bot_day: 20, downtime: {dist: uniform, min: 5s, max: 10m}}\n"},
        FaultCase{"scheduler_restarts", "  scheduler_restarts: {at: [7m, 61m], every: 29m}\n"}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return std::string(info.param.name); });

TEST(SimRun, SchedulerRestartMidRunChangesNoOutput) {
  fs::path a = TempDir("restart_a"), b = TempDir("restart_b");
  // Other faults on too, so the restart snapshots pending assignments, task
  // errors and stale state.
  std::string faults =
      "faults:\n"
      "  lost_acks: {probability: 0.05}\n"
      "  task_errors: {probability: 0.05, after: 1m}\n"
      "  bot_deaths: {rate_per_bot_day: 2, downtime: {dist: constant, value: 10m}}\n";
  Scenario without = Parse(std::string(kBusyBase) + faults);
  Scenario with = Parse(std::string(kBusyBase) + faults + "  scheduler_restarts: {at: [30m, 71m], every: 13m}\n");
  MustRun(without, 8, a.string());
  MustRun(with, 8, b.string());
  for (const char* f : {"tasks.csv", "summary.csv", "events.csv", "timeseries.csv"}) {
    std::string x = ReadFile(a / f);
    EXPECT_FALSE(x.empty());
    EXPECT_EQ(x, ReadFile(b / f)) << f << " changed by a scheduler restart";
  }
}

TEST(SimRun, PreemptedTasksFailWhenTheDispatcherSaysSo) {
  Scenario s = Parse(std::string(kBusyBase) + "dispatcher: {preempted: fail}\n");
  RunResult r = MustRun(s, 2);
  ExpectAccountedOnce(r);
  const AccountSummary& fleet = r.summary.back();
  EXPECT_EQ(fleet.preempted, fleet.preemptions);  // each preemption ends its task
}

// A small valid scenario built in C++, as a programmatic caller would.
Scenario BuiltInCode() {
  Scenario s;
  s.name = "in-code";
  s.duration = Hours(1);
  AccountSpec a;
  a.id = "a";
  a.config.charge_rate[0] = 1;
  a.config.max_charge_seconds = 3600;
  s.accounts = {a};
  BotGroupSpec g;
  g.name = "g";
  g.count = 3;
  g.labels = MakeLabelSet({"os:linux"});
  s.bots = {g};
  WorkloadSpec w;
  w.name = "w";
  w.account = "a";
  w.arrivals.kind = ArrivalSpec::Kind::kPoisson;
  w.arrivals.rate_per_hour = 60;
  w.duration.kind = DurationDist::Kind::kConstant;
  w.duration.value = Minutes(1);
  s.workloads = {w};
  return s;
}

TEST(SimRun, AScenarioBuiltInCodeRuns) {
  Scenario s = BuiltInCode();
  ASSERT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s).message();
  RunResult r = MustRun(s, 1);
  EXPECT_GT(r.tasks.size(), 20u);
  ExpectAccountedOnce(r);
}

struct InvalidCase {
  const char* name;
  std::function<void(Scenario&)> spoil;
  std::string expected;  // the start of the message: "key.path: ..."
};

class SimInvalidScenario : public ::testing::TestWithParam<InvalidCase> {};

// Every kind of bad value a C++ caller can put in a Scenario comes back as a
// Status naming the field: no crash, no exception, no file written.
TEST_P(SimInvalidScenario, RunScenarioReturnsAStatusNamingTheField) {
  Scenario s = BuiltInCode();
  GetParam().spoil(s);
  fs::path out = TempDir(std::string("invalid_") + GetParam().name);
  RunOptions o;
  o.out_dir = out.string();
  std::optional<StatusOr<RunResult>> r;
  EXPECT_NO_THROW(r.emplace(RunScenario(s, 1, o)));
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->ok()) << GetParam().name << " was accepted";
  EXPECT_EQ(r->status().message().substr(0, GetParam().expected.size()), GetParam().expected)
      << r->status().message();
  EXPECT_EQ(ValidateScenario(s).message(), r->status().message());
  EXPECT_FALSE(fs::exists(out)) << "an invalid scenario wrote its run folder";
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, SimInvalidScenario,
    ::testing::Values(
        InvalidCase{"outage_unknown_group",
                    [](Scenario& s) { s.faults.bot_deaths.scheduled.push_back({Minutes(5), "nope", 1, Minutes(1)}); },
                    "faults.bot_deaths.scheduled[0].group: bot group \"nope\" is not defined under bots"},
        InvalidCase{"flap_unknown_group",
                    [](Scenario& s) { s.faults.bot_flaps.scheduled.push_back({Minutes(5), "G", 1, Minutes(1)}); },
                    "faults.bot_flaps.scheduled[0].group: bot group \"G\" is not defined under bots"},
        InvalidCase{"workload_unknown_account", [](Scenario& s) { s.workloads[0].account = "b"; },
                    "workloads[0].account: account \"b\" is not defined under accounts"},
        InvalidCase{"workload_without_account", [](Scenario& s) { s.workloads[0].account.clear(); },
                    "workloads[0].account: must name an account"},
        InvalidCase{"replay_unknown_account",
                    [](Scenario& s) {
                      s.workloads[0].account.clear();
                      s.workloads[0].arrivals.kind = ArrivalSpec::Kind::kReplay;
                      s.workloads[0].arrivals.replay.push_back({Minutes(1), "zz", {}, {}, Minutes(1)});
                    },
                    "workloads[0].arrivals.file: the task log names account \"zz\""},
        InvalidCase{"replay_unsorted",
                    [](Scenario& s) {
                      s.workloads[0].arrivals.kind = ArrivalSpec::Kind::kReplay;
                      s.workloads[0].arrivals.replay.push_back({Minutes(2), "a", {}, {}, Minutes(1)});
                      s.workloads[0].arrivals.replay.push_back({Minutes(1), "a", {}, {}, Minutes(1)});
                    },
                    "workloads[0].arrivals.replay[1]: the log must be sorted by enqueue time"},
        InvalidCase{"negative_rate", [](Scenario& s) { s.workloads[0].arrivals.rate_per_hour = -3; },
                    "workloads[0].arrivals.rate_per_hour: must be >= 0, got -3"},
        InvalidCase{"nan_rate", [](Scenario& s) { s.workloads[0].arrivals.rate_per_hour = std::nan(""); },
                    "workloads[0].arrivals.rate_per_hour: expected a finite number"},
        InvalidCase{"negative_task_duration", [](Scenario& s) { s.workloads[0].duration.value = Seconds(-1); },
                    "workloads[0].duration: must be >= 1us, got -1s"},
        InvalidCase{"empty_empirical",
                    [](Scenario& s) { s.workloads[0].duration.kind = DurationDist::Kind::kEmpirical; },
                    "workloads[0].duration.values: must hold at least one duration"},
        InvalidCase{"no_bots", [](Scenario& s) { s.bots.clear(); }, "bots: must list at least one bot group"},
        InvalidCase{"no_accounts", [](Scenario& s) { s.accounts.clear(); },
                    "accounts: must define at least one account"},
        InvalidCase{"empty_group", [](Scenario& s) { s.bots[0].count = 0; },
                    "bots[0].count: must be between 1 and 10000000, got 0"},
        InvalidCase{"duplicate_group", [](Scenario& s) { s.bots.push_back(s.bots[0]); },
                    "bots[1].group: duplicate group name \"g\""},
        InvalidCase{"zero_poll_interval", [](Scenario& s) { s.bots[0].poll_interval = Duration::zero(); },
                    "bots[0].poll_interval: must be >= 1us, got 0s"},
        InvalidCase{"negative_abort_time", [](Scenario& s) { s.bots[0].abort_time = Seconds(-5); },
                    "bots[0].abort_time: must be >= 0s, got -5s"},
        InvalidCase{"unsorted_labels", [](Scenario& s) { s.bots[0].labels = {"z", "a"}; },
                    "bots[0].labels: must be sorted and without repeats"},
        InvalidCase{"negative_label_change", [](Scenario& s) { s.bots[0].label_changes.push_back({Seconds(-1), {}, {}}); },
                    "bots[0].label_changes[0].at: must be >= 0s, got -1s"},
        InvalidCase{"probability_above_one", [](Scenario& s) { s.faults.lost_ack_probability = 1.5; },
                    "faults.lost_acks.probability: must be between 0 and 1, got 1.5"},
        InvalidCase{"negative_downtime",
                    [](Scenario& s) {
                      s.faults.bot_flaps.rate_per_bot_day = 1;
                      s.faults.bot_flaps.downtime.value = Minutes(-1);
                    },
                    "faults.bot_flaps.downtime: must be >= 0s, got -1m"},
        InvalidCase{"warmup_not_shorter", [](Scenario& s) { s.warmup = s.duration; },
                    "warmup: must be shorter than duration"},
        InvalidCase{"zero_sample_interval", [](Scenario& s) { s.sample_interval = Duration::zero(); },
                    "sample_interval: must be >= 1us, got 0s"},
        InvalidCase{"thresholds_crossed", [](Scenario& s) { s.policy.demote_threshold = s.policy.promote_threshold + 1; },
                    "policy.demote_threshold: must be <= promote_threshold"},
        InvalidCase{"negative_charge_rate", [](Scenario& s) { s.accounts[0].config.charge_rate[2] = -1; },
                    "accounts.a.charge_rate[2]: must be >= 0, got -1"},
        InvalidCase{"unsorted_accounts",
                    [](Scenario& s) {
                      AccountSpec b = s.accounts[0];
                      b.id = "0";
                      s.accounts.push_back(b);
                    },
                    "accounts: must be sorted by id"},
        InvalidCase{"negative_batch_window", [](Scenario& s) { s.dispatcher.batch_window = Seconds(-1); },
                    "dispatcher.batch_window: must be >= 0s, got -1s"},
        InvalidCase{"negative_restart", [](Scenario& s) { s.faults.restart_at = {Minutes(-1)}; },
                    "faults.scheduler_restarts.at[0]: must be >= 0s, got -1m"},
        InvalidCase{"endless_duration", [](Scenario& s) { s.duration = Duration::max(); },
                    "duration: must be <= 36500d"},
        // The limits of docs/limits.md, refused before anything is allocated.
        InvalidCase{"thousand_year_run", [](Scenario& s) { s.duration = Hours(24 * 365 * 1000); },
                    "duration: must be <= 36500d"},
        InvalidCase{"twenty_year_run", [](Scenario& s) { s.duration = Hours(24 * 365 * 20); },
                    "duration: must be <= 3650d (docs/limits.md), got 7300d"},
        InvalidCase{"seed_above_2_63", [](Scenario& s) { s.seed = ~uint64_t{0}; },
                    "seed: must be between 0 and 2^63-1, got 18446744073709551615"},
        InvalidCase{"too_many_bots", [](Scenario& s) { s.bots[0].count = 2000000; },
                    "bots[0].count: the bot groups hold 2000000 bots up to here, more than the limit of 1000000"},
        InvalidCase{"burst_of_1e8",
                    [](Scenario& s) {
                      s.workloads[0].arrivals.kind = ArrivalSpec::Kind::kSchedule;
                      s.workloads[0].arrivals.bursts.push_back({Minutes(1), 100000000, Minutes(1)});
                    },
                    "workloads[0].arrivals: the workloads bring an estimated"},
        InvalidCase{"arrival_rate_1e12", [](Scenario& s) { s.workloads[0].arrivals.rate_per_hour = 1e12; },
                    "workloads[0].arrivals: the workloads bring an estimated"},
        InvalidCase{"rate_so_small_its_gap_is_infinite",
                    [](Scenario& s) { s.workloads[0].arrivals.rate_per_hour = 1e-300; },
                    "workloads[0].arrivals.rate_per_hour: must be 0 or at least 1e-06"},
        InvalidCase{"sample_every_us", [](Scenario& s) { s.sample_interval = Micros(1); },
                    "sample_interval: must be >= 3600us for a 1h run (at most 1000000 samples"},
        InvalidCase{"renotify_every_us", [](Scenario& s) { s.dispatcher.renotify_interval = Micros(1); },
                    "dispatcher.renotify_interval: must be >= 360us for a 1h run"},
        InvalidCase{"cancellation_poll_every_us",
                    [](Scenario& s) { s.dispatcher.cancellation_poll_interval = Micros(1); },
                    "dispatcher.cancellation_poll_interval: must be >= 360us for a 1h run"},
        InvalidCase{"restart_every_us", [](Scenario& s) { s.faults.restart_every = Micros(1); },
                    "faults.scheduler_restarts.every: the run would restart the scheduler 3600000000 times"},
        InvalidCase{"death_rate_1e12", [](Scenario& s) { s.faults.bot_deaths.rate_per_bot_day = 1e12; },
                    "faults.bot_deaths.rate_per_bot_day: the run would see an expected"},
        InvalidCase{"flap_rate_1e12", [](Scenario& s) { s.faults.bot_flaps.rate_per_bot_day = 1e12; },
                    "faults.bot_flaps.rate_per_bot_day: the run would see an expected"},
        InvalidCase{"poll_every_us",
                    [](Scenario& s) {
                      s.bots[0].count = 1000000;
                      s.bots[0].poll_interval = Micros(1);
                    },
                    "bots[0].poll_interval: the group would poll"},
        InvalidCase{"name_escapes_runs", [](Scenario& s) { s.name = "../../etc"; },
                    "name: may hold only letters, digits"},
        InvalidCase{"name_leading_dot", [](Scenario& s) { s.name = ".hidden"; }, "name: must not start with '.'"},
        InvalidCase{"name_double_dot", [](Scenario& s) { s.name = "a..b"; }, "name: must not contain \"..\""},
        InvalidCase{"name_newline", [](Scenario& s) { s.name = "a\nb"; }, "name: may hold only letters"},
        InvalidCase{"group_with_slash", [](Scenario& s) { s.bots[0].name = "g/h"; },
                    "bots[0].group: may hold only letters"},
        InvalidCase{"workload_with_space", [](Scenario& s) { s.workloads[0].name = "w x"; },
                    "workloads[0].name: may hold only letters"},
        InvalidCase{"account_with_comma",
                    [](Scenario& s) {
                      s.accounts[0].id = "a,b";
                      s.workloads[0].account = "a,b";
                    },
                    "accounts.a,b: may hold only letters"},
        InvalidCase{"label_with_separator", [](Scenario& s) { s.bots[0].labels = MakeLabelSet({"os:linux;evil"}); },
                    "bots[0].labels[0]: must not contain ';' (it separates labels in the run folder)"},
        InvalidCase{"label_with_newline", [](Scenario& s) { s.workloads[0].base_labels = {"a\nb"}; },
                    "workloads[0].base_labels[0]: must not contain control characters or newlines"},
        InvalidCase{"tag_with_comma", [](Scenario& s) { s.workloads[0].tags = {"x,y"}; },
                    "workloads[0].tags[0]: must not contain ','"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return std::string(info.param.name); });

// A flapping bot keeps running its task: that time is busy and available.
// Counting it busy but not available gave 105% with flaps alone; the per-bot
// invariant (busy + unavailable <= window) would have reported it.
TEST(SimRun, FlappingAndDyingBotsNeverPushUtilisationAboveOne) {
  const char* base = R"(
duration: 12h
warmup: 30m
sample_interval: 10m
accounts: {a: {charge_rate: [1], max_charge_seconds: 3600}}
bots: [{group: g, count: 8, poll_interval: 5s}]
workloads:
  - account: a
    arrivals: {kind: poisson, rate_per_hour: 400}
    duration: 30m
dispatcher: {bot_death_timeout: 2h}
)";
  for (const char* faults : {
           "faults: {bot_flaps: {rate_per_bot_day: 40, downtime: {dist: exponential, mean: 20m}}}\n",
           "faults: {bot_deaths: {rate_per_bot_day: 10, downtime: 30m},\n"
           "         bot_flaps: {rate_per_bot_day: 40, downtime: {dist: uniform, min: 1m, max: 3h}}}\n"}) {
    Scenario s = Parse(std::string(base) + faults);
    for (uint64_t seed : {1, 2, 3}) {
      RunResult r = MustRun(s, seed);
      ExpectAccountedOnce(r);
      const AccountSummary& fleet = r.summary.back();
      EXPECT_GT(fleet.utilisation, 0.5) << "seed " << seed << ": the fleet should be saturated";
      EXPECT_LE(fleet.utilisation, 1.0) << "seed " << seed << "\n" << faults;
      for (const AccountSummary& a : r.summary) EXPECT_LE(a.utilisation, 1.0) << a.account;
    }
  }
}

// Every duration at the largest value the limits allow, and distributions
// whose draws would pass the int64 microsecond limit uncapped: the run ends
// normally (the sanitizer build checks that no time addition overflows).
// (A burst or listed arrival at or after the end is refused by validation,
// so the arrivals here stay inside the run; their spreads do not.)
TEST(SimRun, DurationsAtTheirLimitRunWithoutOverflow) {
  Scenario s = Parse(R"(
duration: 2h
sample_interval: 36500d
policy: {bot_expiration: 36500d, worker_queue_timeout: 36500d, max_queue_age: 36500d}
accounts: {a: {charge_rate: [1]}}
bots: [{group: g, count: 4, poll_interval: 36500d, abort_time: 36500d, provision_time: 36500d,
        label_changes: [{at: 36500d, labels: []}]}]
workloads:
  - name: long
    account: a
    arrivals: {kind: schedule, rate_per_hour: 2, diurnal_peak: 36500d,
               bursts: [{at: 1m, count: 20000, over: 36500d}]}
    duration: {dist: lognormal, median: 36500d, sigma: 10}
    cancel: {fraction: 0.5, after: 36500d}
  - name: exp
    account: a
    arrivals: {kind: list, times: [0s, 1s, 119m]}
    duration: {dist: exponential, mean: 36500d}
dispatcher: {renotify_interval: 36500d, cancellation_poll_interval: 36500d, bot_death_timeout: 36500d,
             batch_window: 36500d}
faults:
  delayed_notifications: {probability: 0.5, delay: {dist: lognormal, median: 36500d, sigma: 10}}
  task_errors: {probability: 0.5, after: 36500d}
  bot_deaths: {rate_per_bot_day: 1e-06, downtime: {dist: exponential, mean: 36500d},
               scheduled: [{at: 1m, group: g, count: 1, downtime: 36500d}]}
  bot_flaps: {rate_per_bot_day: 50, downtime: {dist: lognormal, median: 36500d, sigma: 10}}
  scheduler_restarts: {at: [36500d], every: 36500d}
)");
  for (uint64_t seed : {1, 2}) {
    RunResult r = MustRun(s, seed);
    ExpectAccountedOnce(r);
    EXPECT_LE(r.summary.back().utilisation, 1.0);
  }
  // The longest run, with a burst spread over the longest span: spreading it
  // multiplies the span by the burst index, which passes 64 bits.
  Scenario longest = Parse(R"(
duration: 3650d
sample_interval: 36500d
accounts: {a: {charge_rate: [1]}}
bots: [{group: g, count: 1, poll_interval: 36500d}]
workloads:
  - {account: a, arrivals: {kind: schedule, bursts: [{at: 0s, count: 30000, over: 36500d}]}, duration: 1s}
dispatcher: {renotify_interval: 36500d, cancellation_poll_interval: 36500d}
)");
  RunResult r = MustRun(longest, 1);
  ExpectAccountedOnce(r);
  EXPECT_EQ(r.tasks.size(), 3001u);  // the burst's first tenth (and one) falls within the run
}

TEST(SimRun, RunRefusesSeedsAbove2To63AndRunsOverTheMemoryBudget) {
  Scenario s = BuiltInCode();
  StatusOr<RunResult> r = RunScenario(s, uint64_t{1} << 63, RunOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "seed: must be between 0 and 2^63-1, got 9223372036854775808");
  EXPECT_TRUE(RunScenario(s, (uint64_t{1} << 63) - 1, RunOptions{}).ok());
  RunOptions small;
  small.max_memory_bytes = 1 << 20;
  fs::path out = TempDir("over_budget");
  small.out_dir = out.string();
  r = RunScenario(s, 1, small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("more than --max-memory 1.0 MiB"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(out));
}

// `qsim run --seed` and `--max-memory` parse through these: one seed rule for
// the command line and YAML, so a resolved scenario always reruns.
TEST(SimLimits, SeedsAreDecimalFrom0To2To63Minus1) {
  EXPECT_EQ(*ParseSeed("0"), 0u);
  EXPECT_EQ(*ParseSeed("9223372036854775807"), 9223372036854775807u);
  for (const char* bad : {"-1", "9223372036854775808", "18446744073709551615", "99999999999999999999", "0x10",
                          "+5", " 5", "5 ", "", "1e3"}) {
    StatusOr<uint64_t> s = ParseSeed(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.status().message().find("from 0 to 2^63-1"), std::string::npos) << s.status().message();
  }
}

TEST(SimLimits, MemorySizesTakeBinaryUnits) {
  EXPECT_EQ(*ParseBytes("4GiB"), int64_t{4} << 30);
  EXPECT_EQ(*ParseBytes("512M"), int64_t{512} << 20);
  EXPECT_EQ(*ParseBytes("1000"), 1000);
  EXPECT_EQ(*ParseBytes("0"), 0);
  for (const char* bad : {"", "G", "-1G", "4 GiB", "4gb", "1.5G", "99999999999T"}) {
    EXPECT_FALSE(ParseBytes(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(100), "100 B");
}

TEST(SimRun, EstimateGrowsWithRatesBurstsBotsAndOutputs) {
  Scenario s = BuiltInCode();
  RunEstimate e = EstimateRun(s, Outputs{false, false});
  EXPECT_GE(e.tasks, 60);  // 60/h over 1h, at the upper end
  EXPECT_LT(e.tasks, 200);
  EXPECT_GT(e.events, e.tasks);
  s.workloads[0].arrivals.kind = ArrivalSpec::Kind::kSchedule;
  s.workloads[0].arrivals.bursts.push_back({Minutes(1), 5000, Minutes(1)});
  RunEstimate burst = EstimateRun(s, Outputs{false, false});
  EXPECT_GE(burst.tasks, e.tasks + 5000);
  EXPECT_GT(burst.memory_bytes, e.memory_bytes);
  EXPECT_GT(EstimateRun(s, Outputs{true, true}).output_bytes, burst.output_bytes);
  s.bots[0].count = 100000;
  EXPECT_GT(EstimateRun(s, Outputs{false, false}).memory_bytes, burst.memory_bytes + 100000 * 1024);
}

TEST(SimRun, ValidatePrintsTheEstimateAndRunRefusesOverBudget) {
  fs::path dir = TempDir("estimate");
  fs::create_directories(dir);
  std::ofstream(dir / "big.yaml") << "duration: 1d\naccounts: {a: {}}\nbots: [{group: g, count: 1000}]\n"
                                      "workloads: [{account: a, arrivals: {kind: poisson, rate_per_hour: 100000},"
                                      " duration: 1m}]\n";
  std::ostringstream out, err;
  EXPECT_EQ(ValidateCommand({(dir / "big.yaml").string()}, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("  estimate: 24092"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(" of memory"), std::string::npos) << out.str();
  RunArgs args;
  args.scenario = (dir / "big.yaml").string();
  args.out_dir = (dir / "run").string();
  args.max_memory_bytes = 64 << 20;
  EXPECT_EQ(RunCommand(args, nullptr, out, err), 2);
  EXPECT_NE(err.str().find("big.yaml: the run is estimated to need"), std::string::npos) << err.str();
  EXPECT_FALSE(fs::exists(dir / "run"));
}

TEST(SimRun, CommandsReturnTheContractedExitCodes) {
  fs::path dir = TempDir("cmd");
  fs::create_directories(dir);
  std::ofstream(dir / "bad.yaml") << "duration: 1h\nbots: 3\n";
  std::ostringstream out, err;
  EXPECT_EQ(ValidateCommand({(dir / "bad.yaml").string()}, out, err), 2);
  EXPECT_NE(err.str().find("bad.yaml:1:1: accounts: required key is missing"), std::string::npos) << err.str();
  std::ofstream(dir / "good.yaml") << "duration: 10m\naccounts: {a: {charge_rate: [1]}}\nbots: [{group: g, count: 1}]\n"
                                       "workloads: [{account: a, arrivals: {kind: list, times: [1m]}, duration: 1m}]\n";
  EXPECT_EQ(ValidateCommand({(dir / "good.yaml").string()}, out, err), 0);
  RunArgs args;
  args.scenario = (dir / "good.yaml").string();
  args.out_dir = (dir / "run").string();
  args.outputs = "tasks,summary";
  EXPECT_EQ(RunCommand(args, nullptr, out, err), 0) << err.str();
  EXPECT_TRUE(fs::exists(dir / "run" / "tasks.csv"));
  EXPECT_FALSE(fs::exists(dir / "run" / "events.csv"));
  EXPECT_NE(out.str().find("fleet utilisation"), std::string::npos) << out.str();
  args.outputs = "tasks,pdf";
  EXPECT_EQ(RunCommand(args, nullptr, out, err), 2);
}

}  // namespace
}  // namespace qsim::sim
