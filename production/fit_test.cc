#include "production/fit.h"

#include <cmath>
#include <sstream>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <gtest/gtest.h>

#include "production/commands.h"
#include "production/import.h"
#include "production/run_log.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim::production {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kHourUs = 3600000000LL;

// The profile the synthetic logs are drawn from: a day curve peaking at 14h
// (mean exactly 1 over 24 whole hours) and quiet weekends (mean 1).
double TrueHour(int h) { return 1 + 0.5 * std::cos(2 * kPi * (h - 14) / 24.0); }
const double kTrueDay[7] = {1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.5};

// Poisson arrivals of rate * TrueHour * kTrueDay for `hours` hours from a
// start `offset` past Monday 00:00 (exponential gaps at the peak rate,
// thinned), plus `burst` tasks spread over two minutes at `burst_at`.
std::vector<Duration> SyntheticArrivals(double rate, int64_t hours, Duration offset, Duration burst_at, int burst,
                                        uint32_t seed) {
  boost::random::mt19937 rng(seed);
  boost::random::exponential_distribution<double> gap(rate * 1.5 * 1.2 / 3600.0);
  boost::random::uniform_real_distribution<double> u(0, 1);
  std::vector<Duration> out;
  for (double t = gap(rng); t < hours * 3600.0; t += gap(rng)) {
    int64_t hour = (static_cast<int64_t>(t * 1e6) + ToMicros(offset)) / kHourUs;
    double r = rate * TrueHour(static_cast<int>(hour % 24)) * kTrueDay[hour / 24 % 7];
    if (u(rng) * rate * 1.5 * 1.2 < r) out.push_back(Micros(static_cast<int64_t>(t * 1e6)));
  }
  for (int k = 0; k < burst; ++k) out.push_back(burst_at + Micros(120000000LL * k / burst));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FitArrivals, RecoversHourAndWeekdayFactorsAndABurst) {
  const Duration offset = Hours(2 * 24 + 13);  // a Wednesday, 13:00
  const Duration burst_at = Hours(3 * 24 + 7) + Minutes(2);
  std::vector<Duration> arrivals = SyntheticArrivals(200, 14 * 24, offset, burst_at, 300, 7);
  ArrivalFit fit = FitArrivals(arrivals, Hours(14 * 24), offset, FitOptions{});
  // Tolerances: each hour factor rests on 14 hours of ~200 tasks (2-3%
  // standard error), each weekday factor on 48 hours (1%).
  EXPECT_NEAR(fit.rate_per_hour, 200, 200 * 0.03);
  ASSERT_EQ(fit.hour_factors.size(), 24u);
  ASSERT_EQ(fit.weekday_factors.size(), 7u);
  for (int h = 0; h < 24; ++h) EXPECT_NEAR(fit.hour_factors[h], TrueHour(h), 0.1 * TrueHour(h)) << "hour " << h;
  for (int d = 0; d < 7; ++d) EXPECT_NEAR(fit.weekday_factors[d], kTrueDay[d], 0.05 * kTrueDay[d]) << "day " << d;
  ASSERT_EQ(fit.bursts.size(), 1u);
  EXPECT_NEAR(static_cast<double>(fit.bursts[0].count), 300, 30);
  EXPECT_LE(std::abs(ToMicros(fit.bursts[0].at - burst_at)), ToMicros(Minutes(5)));
  EXPECT_LE(fit.bursts[0].over, Minutes(5));
}

TEST(FitArrivals, FlatPoissonHasNoBursts) {
  std::vector<Duration> arrivals;
  boost::random::mt19937 rng(3);
  boost::random::exponential_distribution<double> gap(100 / 3600.0);
  for (double t = gap(rng); t < 48 * 3600.0; t += gap(rng)) arrivals.push_back(Micros(static_cast<int64_t>(t * 1e6)));
  ArrivalFit fit = FitArrivals(arrivals, Hours(48), Duration::zero(), FitOptions{});
  EXPECT_TRUE(fit.bursts.empty());
  EXPECT_NEAR(fit.rate_per_hour, 100, 6);
  // Two weekdays covered: they average 1, the other five stay at 1.
  EXPECT_NEAR(fit.weekday_factors[0] + fit.weekday_factors[1], 2, 1e-3);
  for (int d = 2; d < 7; ++d) EXPECT_EQ(fit.weekday_factors[d], 1);
}

std::vector<Duration> LognormalRuns(double median_s, double sigma, int n, uint32_t seed) {
  boost::random::mt19937 rng(seed);
  boost::random::lognormal_distribution<double> dist(std::log(median_s), sigma);
  std::vector<Duration> runs;
  for (int i = 0; i < n; ++i) runs.push_back(Micros(std::max<int64_t>(1, std::llround(dist(rng) * 1e6))));
  return runs;
}

TEST(FitDurations, RecoversALognormal) {
  DurationFit fit = FitDurations(LognormalRuns(300, 0.7, 5000, 11), FitOptions{});
  // Standard errors at n = 5000: 1% of the median, 0.007 of sigma.
  ASSERT_TRUE(fit.lognormal);
  EXPECT_EQ(fit.dist.kind, sim::DurationDist::Kind::kLognormal);
  EXPECT_NEAR(static_cast<double>(ToMicros(fit.dist.median)) / 1e6, 300, 300 * 0.04);
  EXPECT_NEAR(fit.dist.sigma, 0.7, 0.03);
  EXPECT_LT(fit.ks, 0.03);
}

TEST(FitDurations, TwoModesAreEmpirical) {
  std::vector<Duration> runs = LognormalRuns(30, 0.1, 2000, 5);
  std::vector<Duration> slow = LognormalRuns(3000, 0.1, 2000, 6);
  runs.insert(runs.end(), slow.begin(), slow.end());
  DurationFit fit = FitDurations(runs, FitOptions{});
  EXPECT_FALSE(fit.lognormal);
  EXPECT_GT(fit.ks, 0.1);
  ASSERT_EQ(fit.dist.kind, sim::DurationDist::Kind::kEmpirical);
  ASSERT_EQ(fit.dist.values.size(), 200u);
  EXPECT_LT(fit.dist.values[50], Seconds(60));
  EXPECT_GT(fit.dist.values[150], Seconds(1000));
  // Forced lognormal still reports how badly it fits.
  FitOptions forced;
  forced.durations = FitOptions::Durations::kLognormal;
  EXPECT_TRUE(FitDurations(runs, forced).lognormal);
}

ObservedTask Task(const std::string& id, const std::string& account, int64_t enqueue_s, int64_t run_s,
                  std::vector<std::string> base = {"os:linux"}) {
  ObservedTask t;
  t.id = id;
  t.account = account;
  t.enqueue_us = enqueue_s * 1000000;
  t.base_labels = std::move(base);
  t.first_assigned_us = t.enqueue_us + 1000000;
  t.completed_us = *t.first_assigned_us + run_s * 1000000;
  t.run_us = run_s * 1000000;
  return t;
}

ObservedLog SmallLog() {
  ObservedLog log;
  log.start_us = 1000000;
  log.end_us = 7200000000LL;
  for (int i = 0; i < 60; ++i) log.tasks.push_back(Task("a" + std::to_string(i), "ci", 10 + 60 * i, 30 + i));
  for (int i = 0; i < 20; ++i) log.tasks.push_back(Task("b" + std::to_string(i), "", 20 + 180 * i, 60, {"os:mac"}));
  std::sort(log.tasks.begin(), log.tasks.end(),
            [](const ObservedTask& a, const ObservedTask& b) { return a.enqueue_us < b.enqueue_us; });
  log.bots = {{"b1", {"os:linux", "pool:ci"}, 0, 7200000000LL},
              {"b2", {"os:linux", "pool:ci"}, 0, 3600000000LL},
              {"b3", {"os:linux", "pool:ci"}, 3700000000LL, 7200000000LL},
              {"m1", {"os:mac"}, 0, 7200000000LL}};
  log.accounts = {{"ci", {10, 5}, 3600, 0, false, true}};
  return log;
}

TEST(FitScenario, BuildsAValidScenarioFromASmallLog) {
  StatusOr<Fit> fit = FitScenario(SmallLog(), "small.jsonl", FitOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  const sim::Scenario& s = fit->scenario;
  EXPECT_EQ(s.duration, Hours(2));  // 00:00 to 02:00 of 1970-01-01
  EXPECT_EQ(fit->week_offset, Hours(3 * 24));  // a Thursday
  ASSERT_EQ(s.accounts.size(), 2u);
  EXPECT_EQ(s.accounts[0].id, "ci");
  EXPECT_EQ(s.accounts[0].config.charge_rate[1], 5);
  EXPECT_EQ(s.accounts[1].id, kNoAccount);
  EXPECT_EQ(s.accounts[1].config.charge_rate[0], 0);
  // Linux bots: all three named, though b2 leaves before b3 arrives.
  ASSERT_EQ(s.bots.size(), 2u);
  EXPECT_EQ(s.bots[0].count, 3);
  EXPECT_EQ(fit->groups[0].most_at_once, 2);
  ASSERT_EQ(fit->warnings.size(), 2u);
  EXPECT_NE(fit->warnings[1].find("1 bots are never seen at the same time"), std::string::npos) << fit->warnings[1];
  EXPECT_EQ(s.bots[0].labels, (std::vector<std::string>{"os:linux", "pool:ci"}));
  EXPECT_EQ(s.bots[1].count, 1);
  ASSERT_EQ(s.workloads.size(), 2u);
  EXPECT_EQ(s.workloads[0].account, "ci");
  EXPECT_NEAR(s.workloads[0].arrivals.rate_per_hour, 30, 0.5);
  EXPECT_EQ(s.workloads[0].arrivals.week_offset, Hours(3 * 24));
  // Fewer than 50 runs in the workload of no-account: the log's runs.
  EXPECT_EQ(fit->workloads[1].durations_from, "log");
  EXPECT_EQ(fit->workloads[0].durations_from, "workload");
}

TEST(FitScenario, OutputIsDeterministicAndLoadsBack) {
  StatusOr<Fit> a = FitScenario(SmallLog(), "small.jsonl", FitOptions{});
  StatusOr<Fit> b = FitScenario(SmallLog(), "small.jsonl", FitOptions{});
  ASSERT_TRUE(a.ok() && b.ok());
  std::string text = FitScenarioYaml(*a, "small.jsonl");
  EXPECT_EQ(text, FitScenarioYaml(*b, "small.jsonl"));
  StatusOr<sim::Scenario> loaded = sim::ParseScenario(text, "fitted.yaml", ".");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(sim::WriteResolvedScenario(*loaded), sim::WriteResolvedScenario(a->scenario));
}

TEST(FitScenario, RefusesWhatAScenarioCannotHold) {
  ObservedLog log = SmallLog();
  log.tasks[0].account = "has space";
  StatusOr<Fit> fit = FitScenario(log, "x.jsonl", FitOptions{});
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("x.jsonl: task a0: account \"has space\""), std::string::npos)
      << fit.status().message();
  log = SmallLog();
  log.bots[0].dimensions.push_back("a;b");
  fit = FitScenario(log, "x.jsonl", FitOptions{});
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("bot b1: dimensions: label \"a;b\""), std::string::npos);
  log = SmallLog();
  log.tasks.clear();
  EXPECT_FALSE(FitScenario(log, "x.jsonl", FitOptions{}).ok());
  log = SmallLog();
  for (ObservedTask& t : log.tasks) t.run_us.reset();
  fit = FitScenario(log, "x.jsonl", FitOptions{});
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("no task completed"), std::string::npos);
}

// The known generative scenario of the end-to-end test: one account, two
// label sets (2:1), a weekly profile and a burst, lognormal durations.
const char* kKnownScenario = R"(
name: known
duration: 4d
outputs: [tasks, summary]
accounts:
  build: {charge_rate: [20], max_charge_seconds: 3600}
bots:
  - {group: linux, count: 40, labels: ["os:linux", "pool:ci"]}
  - {group: mac, count: 20, labels: ["os:mac", "pool:ci"]}
workloads:
  - name: linux
    account: build
    base_labels: ["os:linux"]
    arrivals:
      kind: schedule
      rate_per_hour: 240
      hour_factors: [0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8, 1, 1.2, 1.4, 1.4, 1.4, 1.4, 1.4, 1.4, 1.4, 1.2, 1, 1, 0.8, 0.8, 0.6, 0.6, 0.6]
      weekday_factors: [1.2, 0.8, 1, 1, 1, 1, 1]
      week_offset: 0s
      bursts: [{at: 30h, count: 400, over: 2m}]
    duration: {dist: lognormal, median: 4m, sigma: 0.5}
  - name: mac
    account: build
    base_labels: ["os:mac"]
    arrivals:
      kind: schedule
      rate_per_hour: 120
      hour_factors: [0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8, 1, 1.2, 1.4, 1.4, 1.4, 1.4, 1.4, 1.4, 1.4, 1.2, 1, 1, 0.8, 0.8, 0.6, 0.6, 0.6]
      weekday_factors: [1.2, 0.8, 1, 1, 1, 1, 1]
      week_offset: 0s
    duration: {dist: lognormal, median: 4m, sigma: 0.5}
)";

const double kKnownHours[24] = {0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8, 1, 1.2, 1.4, 1.4, 1.4,
                                1.4, 1.4, 1.4, 1.4, 1.2, 1, 1, 0.8, 0.8, 0.6, 0.6, 0.6};

TEST(FitScenario, RecoversAKnownScenarioFromItsRun) {
  qsim::testing::ScopedTempDir dir("fit-known");
  StatusOr<sim::Scenario> known = sim::ParseScenario(kKnownScenario, "known.yaml", dir.path());
  ASSERT_TRUE(known.ok()) << known.status().message();
  // The log: the run's production TaskEvent rows (--outputs taskevents).
  sim::RunOptions options;
  options.out_dir = dir.Path("run");
  options.outputs = sim::Outputs{};
  options.outputs->taskevents = true;
  ASSERT_TRUE(sim::RunScenario(*known, 1, options).ok());
  Warnings warnings;
  StatusOr<ObservedLog> log = ReadTaskEventLog(dir.Path("run/taskevents.jsonl"), ReadOptions{}, &warnings);
  ASSERT_TRUE(log.ok()) << log.status().message();
  StatusOr<Fit> fit = FitScenario(*log, "run", FitOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  const sim::Scenario& s = fit->scenario;
  EXPECT_EQ(s.duration, Hours(96));
  EXPECT_EQ(fit->week_offset, Duration::zero());
  ASSERT_EQ(fit->accounts.size(), 1u);
  const ArrivalFit& a = fit->accounts[0].arrivals;
  // The account's rate is 360/h times the profile; weekdays Monday to
  // Thursday are covered, and their factors average 1 over those four days
  // (1.2, 0.8, 1, 1 already do). Tolerance: 12% per hour of day (4 hours of
  // ~360 tasks each behind every factor: 2.6% standard error), 5% per day.
  for (int h = 0; h < 24; ++h) {
    EXPECT_NEAR(a.rate_per_hour * a.hour_factors[h], 360 * kKnownHours[h], 0.12 * 360 * kKnownHours[h]) << h;
  }
  const double days[4] = {1.2, 0.8, 1, 1};
  for (int d = 0; d < 4; ++d) EXPECT_NEAR(a.weekday_factors[d], days[d], 0.05 * days[d]) << d;
  ASSERT_EQ(a.bursts.size(), 1u);
  EXPECT_NEAR(static_cast<double>(a.bursts[0].count), 400, 40);
  EXPECT_LE(std::abs(ToMicros(a.bursts[0].at - Hours(30))), ToMicros(Minutes(5)));
  // Label mix 2:1, the burst on the linux workload.
  ASSERT_EQ(s.workloads.size(), 2u);
  EXPECT_EQ(s.workloads[0].base_labels, std::vector<std::string>{"os:linux"});
  EXPECT_NEAR(fit->workloads[0].share, 2.0 / 3, 0.02);
  EXPECT_EQ(s.workloads[0].arrivals.bursts.size(), 1u);
  EXPECT_TRUE(s.workloads[1].arrivals.bursts.empty());
  // Durations: thousands of runs each; median within 4%, sigma within 0.03.
  for (const WorkloadFit& w : fit->workloads) {
    ASSERT_TRUE(w.durations.lognormal) << w.name << " ks " << w.durations.ks;
    EXPECT_NEAR(static_cast<double>(ToMicros(w.durations.dist.median)) / 1e6, 240, 240 * 0.04) << w.name;
    EXPECT_NEAR(w.durations.dist.sigma, 0.5, 0.03) << w.name;
  }
  // The fleet: both groups with their exact counts and labels.
  ASSERT_EQ(s.bots.size(), 2u);
  EXPECT_EQ(s.bots[0].count, 40);
  EXPECT_EQ(s.bots[0].labels, (std::vector<std::string>{"os:linux", "pool:ci"}));
  EXPECT_EQ(s.bots[1].count, 20);
}

TEST(FitCommand, WritesTheSameBytesOnRerunAndTheScenarioRuns) {
  qsim::testing::ScopedTempDir dir("fit-command");
  StatusOr<sim::Scenario> known = sim::ParseScenario(kKnownScenario, "known.yaml", dir.path());
  ASSERT_TRUE(known.ok()) << known.status().message();
  sim::RunOptions options;
  options.out_dir = dir.Path("run");
  ASSERT_TRUE(sim::RunScenario(*known, 1, options).ok());
  std::ostringstream out, err;
  FitArgs args;
  args.log = dir.Path("run");
  args.out = dir.Path("a.yaml");
  ASSERT_EQ(FitCommand(args, out, err), 0) << err.str();
  args.out = dir.Path("b.yaml");
  ASSERT_EQ(FitCommand(args, out, err), 0) << err.str();
  std::string a = qsim::testing::ReadFile(dir.Path("a.yaml"));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, qsim::testing::ReadFile(dir.Path("b.yaml")));
  EXPECT_NE(out.str().find("workload"), std::string::npos);
  StatusOr<sim::Scenario> fitted = sim::LoadScenarioFile(dir.Path("a.yaml"));
  ASSERT_TRUE(fitted.ok()) << fitted.status().message();
  options.out_dir = dir.Path("fitted-run");
  EXPECT_TRUE(sim::RunScenario(*fitted, 2, options).ok());
}

TEST(FitCommand, SnapshotWorkersJoinTheFleet) {
  ObservedLog log = SmallLog();
  StateSnapshot snapshot;
  StateSnapshot::Worker* known = snapshot.add_idle_workers();  // named by the log already
  known->set_bot_id("b1");
  known->add_labels("os:linux");
  for (const char* id : {"z2", "a0"}) {  // never took a task
    StateSnapshot::Worker* w = snapshot.add_idle_workers();
    w->set_bot_id(id);
    w->add_labels("pool:ci");
    w->add_labels("os:linux");
  }
  EXPECT_EQ(AddSnapshotWorkers(snapshot, &log), 2);
  ASSERT_EQ(log.bots.size(), 6u);
  EXPECT_EQ(log.bots.front().id, "a0");  // still by id
  EXPECT_EQ(log.bots.front().first_seen_us, log.start_us);
  StatusOr<Fit> fit = FitScenario(log, "small.jsonl", FitOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  EXPECT_EQ(fit->scenario.bots[0].count, 5);  // b1, b2, b3 and the two idle ones
}

}  // namespace
}  // namespace qsim::production
