#include "production/calibrate.h"

#include <gtest/gtest.h>

#include "production/fit.h"
#include "production/import.h"
#include "production/run_log.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim::production {
namespace {

ObservedTask Task(const std::string& id, const std::string& account, int64_t enqueue_s, std::optional<int64_t> wait_s,
                  int preemptions = 0) {
  ObservedTask t;
  t.id = id;
  t.account = account;
  t.enqueue_us = enqueue_s * 1000000;
  if (wait_s) {
    t.first_assigned_us = t.enqueue_us + *wait_s * 1000000;
    t.run_us = 100 * 1000000;
  }
  t.preemptions = preemptions;
  t.assignments = wait_s ? 1 + preemptions : 0;
  return t;
}

ObservedLog Log(int64_t wait_scale) {
  ObservedLog log;
  log.start_us = 0;
  log.end_us = 10000000000LL;
  for (int i = 0; i < 100; ++i) {
    log.tasks.push_back(Task("a" + std::to_string(i), "ci", i, i * wait_scale, i % 10 == 0));
  }
  log.tasks.push_back(Task("never", "ci", 5, std::nullopt));
  for (int i = 0; i < 10; ++i) log.tasks.push_back(Task("b" + std::to_string(i), "web", i, 1));
  log.bots = {{"b1", {"os:linux"}, 0, 10000000000LL}};
  return log;
}

TEST(Calibrate, MeasuresEachAccountAndTheFleet) {
  StatusOr<Calibration> c = Calibrate(Log(1), "log", {Log(1)}, {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->rows.size(), 3u);
  const CalibrationRow& ci = c->rows[0];
  EXPECT_EQ(ci.account, "ci");
  EXPECT_EQ(ci.log.tasks, 101);
  EXPECT_EQ(ci.log.assigned, 100);
  EXPECT_EQ(ci.log.preemptions, 10);
  EXPECT_EQ(ci.log.assignments, 110);
  EXPECT_EQ(*ci.log.p50, 49);  // nearest rank of 0..99
  EXPECT_EQ(*ci.log.p90, 89);
  EXPECT_EQ(*ci.log.p99, 98);
  EXPECT_EQ(*ci.ks, 0);
  EXPECT_FALSE(ci.seed_ks.has_value());
  EXPECT_NEAR(ci.log.busy_share, 100.0 / 110, 1e-12);
  EXPECT_EQ(c->rows[2].account, "*");
  // 110 runs of 100 s over one bot present for 10,000 s.
  EXPECT_NEAR(c->log_utilisation, 1.1, 1e-12);
}

TEST(Calibrate, DistanceGrowsWithTheDifference) {
  StatusOr<Calibration> same = Calibrate(Log(1), "log", {Log(1), Log(1)}, {"ci"});
  StatusOr<Calibration> slower = Calibrate(Log(1), "log", {Log(3)}, {"ci"});
  ASSERT_TRUE(same.ok() && slower.ok());
  ASSERT_EQ(same->rows.size(), 1u);  // narrowed to ci, no fleet row
  EXPECT_EQ(*same->rows[0].seed_ks, 0);
  EXPECT_EQ(same->rows[0].sim.tasks, 101);  // a mean per run
  // Waits 0..99 against 0, 3, ..., 297: the CDFs part by 2/3 at 99.
  EXPECT_NEAR(*slower->rows[0].ks, 0.66, 0.01);
}

TEST(Calibrate, UnknownAccountIsAnError) {
  StatusOr<Calibration> c = Calibrate(Log(1), "prod.jsonl", {Log(1)}, {"nope"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--accounts: account \"nope\" has no task in prod.jsonl (it has: ci, web)"),
            std::string::npos)
      << c.status().message();
}

TEST(Calibrate, TextAndPageShowTheRows) {
  StatusOr<Calibration> c = Calibrate(Log(1), "log", {Log(2)}, {});
  ASSERT_TRUE(c.ok());
  std::string text = CalibrationText(*c);
  EXPECT_NE(text.find("account"), std::string::npos);
  EXPECT_NE(text.find("fleet utilisation: log 110.0%, simulated 110.0%"), std::string::npos) << text;
  std::string html = CalibrationHtml(*c, "log", {"r1"});
  EXPECT_NE(html.find("id=\"cdf-0\""), std::string::npos);
  EXPECT_NE(html.find("id=\"cdf-2\""), std::string::npos);
  EXPECT_EQ(html, CalibrationHtml(*c, "log", {"r1"}));
}

// The issue's check: fit a scenario to a log from a known scenario, run the
// fit on fresh seeds and calibrate: the waits agree (KS below 0.1, and
// within 0.05 of the seeds' own spread), while a deliberately wrong
// scenario (the fitted one with half the bots) is far off (KS above 0.5).
const char* kKnown = R"(
name: known
duration: 2d
outputs: [tasks, summary]
accounts:
  build: {charge_rate: [20], max_charge_seconds: 3600}
  tests: {charge_rate: [5], max_charge_seconds: 3600}
bots:
  - {group: linux, count: 30, labels: ["os:linux"]}
workloads:
  - account: build
    base_labels: ["os:linux"]
    arrivals: {kind: schedule, rate_per_hour: 200, diurnal_amplitude: 0.3}
    duration: {dist: lognormal, median: 3m, sigma: 0.6}
  - account: tests
    base_labels: ["os:linux"]
    arrivals: {kind: poisson, rate_per_hour: 150}
    duration: {dist: lognormal, median: 2m, sigma: 0.4}
)";

TEST(Calibrate, FittedScenarioIsCloseAndAWrongOneIsFar) {
  qsim::testing::ScopedTempDir dir("calibrate-fit");
  StatusOr<sim::Scenario> known = sim::ParseScenario(kKnown, "known.yaml", dir.path());
  ASSERT_TRUE(known.ok()) << known.status().message();
  // The log: the run's production TaskEvent rows (--outputs taskevents).
  sim::RunOptions options;
  options.out_dir = dir.Path("log");
  options.outputs = sim::Outputs{};
  options.outputs->taskevents = true;
  ASSERT_TRUE(sim::RunScenario(*known, 1, options).ok());
  options.outputs.reset();
  Warnings warnings;
  StatusOr<ObservedLog> log = ReadTaskEventLog(dir.Path("log/taskevents.jsonl"), ReadOptions{}, &warnings);
  ASSERT_TRUE(log.ok()) << log.status().message();
  // The accounts' configuration, as `--config` would give it.
  log->accounts = ObservedLogFromRunFolder(dir.Path("log"))->accounts;
  StatusOr<Fit> fit = FitScenario(*log, "log", FitOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  std::vector<ObservedLog> fitted, wrong;
  for (uint64_t seed : {2, 3}) {
    options.out_dir = dir.Path("fitted-" + std::to_string(seed));
    ASSERT_TRUE(sim::RunScenario(fit->scenario, seed, options).ok());
    fitted.push_back(*ObservedLogFromRunFolder(options.out_dir));
  }
  sim::Scenario half = fit->scenario;
  half.bots[0].count /= 2;
  options.out_dir = dir.Path("wrong");
  ASSERT_TRUE(sim::RunScenario(half, 2, options).ok());
  wrong.push_back(*ObservedLogFromRunFolder(options.out_dir));
  StatusOr<Calibration> good = Calibrate(*log, "log", fitted, {});
  StatusOr<Calibration> bad = Calibrate(*log, "log", wrong, {});
  ASSERT_TRUE(good.ok() && bad.ok());
  ASSERT_EQ(good->rows.size(), 3u);
  for (const CalibrationRow& r : good->rows) {
    ASSERT_TRUE(r.ks && r.seed_ks) << r.account;
    EXPECT_LT(*r.ks, 0.1) << r.account << "\n" << CalibrationText(*good);
    EXPECT_LT(*r.ks, *r.seed_ks + 0.05) << r.account << "\n" << CalibrationText(*good);
    EXPECT_NEAR(r.sim.tasks, r.log.tasks, 0.05 * r.log.tasks) << r.account;
  }
  EXPECT_NEAR(good->sim_utilisation, good->log_utilisation, 0.05);
  for (const CalibrationRow& r : bad->rows) EXPECT_GT(*r.ks, 0.5) << r.account << "\n" << CalibrationText(*bad);
}

// A run read through its TaskEvent log (--outputs taskevents, import.h) and
// read as a run folder (run_log.h) is one and the same log to calibrate and
// fit: every count and wait equal, KS 0, the same workloads and fleet.
TEST(Calibrate, ARunsTaskEventLogAndItsRunFolderAgree) {
  qsim::testing::ScopedTempDir dir("calibrate-self");
  // Two accounts, one of them bursting into the free bucket and preempted:
  // preemption chains are in both views.
  StatusOr<sim::Scenario> known = sim::LoadScenarioFile(qsim::testing::SourceDir() + "/scenarios/two-teams.yaml");
  ASSERT_TRUE(known.ok()) << known.status().message();
  known->duration = Hours(3);
  // Keep the bursts inside the shortened run (validation refuses later ones).
  for (auto& workload : known->workloads) {
    std::erase_if(workload.arrivals.bursts, [&](const auto& b) { return b.at >= known->duration; });
  }
  sim::RunOptions options;
  options.out_dir = dir.Path("run");
  options.outputs = sim::Outputs{};
  options.outputs->taskevents = true;
  Status ran = sim::RunScenario(*known, 1, options).status();
  ASSERT_TRUE(ran.ok()) << ran.message();
  Warnings warnings;
  StatusOr<ObservedLog> events = ReadTaskEventLog(dir.Path("run/taskevents.jsonl"), ReadOptions{}, &warnings);
  ASSERT_TRUE(events.ok()) << events.status().message();
  StatusOr<ObservedLog> folder = ObservedLogFromRunFolder(dir.Path("run"));
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  StatusOr<Calibration> c = Calibrate(*events, "taskevents.jsonl", {*folder}, {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->rows.size(), 3u);
  int64_t preemptions = 0;
  for (const CalibrationRow& r : c->rows) {
    EXPECT_EQ(r.log.tasks, r.sim.tasks) << r.account;
    EXPECT_EQ(r.log.assignments, r.sim.assignments) << r.account;
    EXPECT_EQ(r.log.preemptions, r.sim.preemptions) << r.account;
    EXPECT_EQ(r.log.waits, r.sim.waits) << r.account;
    EXPECT_NEAR(r.log.busy_share, r.sim.busy_share, 1e-9) << r.account;
    EXPECT_EQ(*r.ks, 0) << r.account;
    if (r.account == "*") preemptions = static_cast<int64_t>(r.log.preemptions);
  }
  EXPECT_GT(preemptions, 0) << CalibrationText(*c);
  EXPECT_NEAR(c->log_utilisation, c->sim_utilisation, 1e-9);
  // The fits agree but for the accounts (the log alone has no configuration).
  StatusOr<Fit> from_events = FitScenario(*events, "log", FitOptions{});
  StatusOr<Fit> from_folder = FitScenario(*folder, "log", FitOptions{});
  ASSERT_TRUE(from_events.ok() && from_folder.ok());
  from_events->scenario.accounts = from_folder->scenario.accounts;
  EXPECT_EQ(sim::WriteResolvedScenario(from_events->scenario), sim::WriteResolvedScenario(from_folder->scenario));
}

// Without events.csv a run folder's bots are present as their groups are
// (joins_at to leaves_at), not for the whole run.
TEST(Calibrate, ARunFolderWithoutEventsKeepsEachGroupsPresence) {
  qsim::testing::ScopedTempDir dir("calibrate-presence");
  StatusOr<sim::Scenario> s = sim::ParseScenario(R"(
duration: 3h
accounts: {ci: {charge_rate: [1]}}
bots:
  - {group: stay, count: 1}
  - {group: rack, count: 2, joins_at: 1h, leaves_at: 2h}
workloads: [{account: ci, arrivals: {kind: poisson, rate_per_hour: 10}, duration: 1m}]
)",
                                                 "p.yaml", ".");
  ASSERT_TRUE(s.ok()) << s.status().message();
  sim::RunOptions options;
  options.out_dir = dir.Path("run");
  options.outputs = sim::Outputs{.timeseries = false, .events = false, .taskevents = false};
  ASSERT_TRUE(sim::RunScenario(*s, 1, options).ok());
  StatusOr<ObservedLog> folder = ObservedLogFromRunFolder(dir.Path("run"));
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  ASSERT_EQ(folder->bots.size(), 3u);
  constexpr int64_t kHourUs = 3600LL * 1000000;
  for (const ObservedBot& b : folder->bots) {
    const bool rack = b.id.rfind("rack-", 0) == 0;
    EXPECT_EQ(b.first_seen_us - kRunEpochUs, rack ? kHourUs : 0) << b.id;
    EXPECT_EQ(b.last_seen_us - kRunEpochUs, rack ? 2 * kHourUs : 3 * kHourUs) << b.id;
  }
}

}  // namespace
}  // namespace qsim::production
