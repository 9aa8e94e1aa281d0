// Wait attribution (docs/waits.md): every task's reasons add up to its wait
// exactly, for every shipped scenario, and small runs built to produce each
// reason do produce it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "runfolder/columns.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim::sim {
namespace {

namespace fs = std::filesystem;
using runfolder::kWaitReasons;

size_t Reason(std::string_view name) {
  return static_cast<size_t>(std::find(kWaitReasons.begin(), kWaitReasons.end(), name) - kWaitReasons.begin());
}

RunResult MustRun(const Scenario& s) {
  StatusOr<RunResult> r = RunScenario(s, s.seed, RunOptions{});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : RunResult{};
}

// The sum rule of docs/waits.md, and the per-account totals of waits.csv
// against the tasks' own splits.
void ExpectAddsUp(const Scenario& s, const RunResult& r, const std::string& what) {
  int64_t run_end = ToMicros(s.duration);
  std::vector<AccountSummary> totals(r.summary.size());
  for (const TaskResult& t : r.tasks) {
    const TaskWaits::Split wait_us = r.task_waits.Get(static_cast<size_t>(t.id));
    int64_t sum = std::accumulate(wait_us.begin(), wait_us.end(), int64_t{0});
    int64_t until = t.start >= Duration::zero() ? ToMicros(t.start)
                    : t.end >= Duration::zero() ? ToMicros(t.end)
                                                : run_end;
    ASSERT_EQ(sum, until - ToMicros(t.enqueue)) << what << ": t" << t.id;
    for (int64_t us : wait_us) ASSERT_GE(us, 0) << what << ": t" << t.id;
    if (t.enqueue < s.warmup) continue;
    for (size_t k = 0; k < r.summary.size(); ++k) {
      if (r.summary[k].account != t.account && r.summary[k].account != "*") continue;
      for (size_t i = 0; i < kWaitReasons.size(); ++i) {
        totals[k].reason_us[i] += wait_us[i];
        totals[k].reason_tasks[i] += wait_us[i] > 0 ? 1 : 0;
      }
    }
  }
  for (size_t k = 0; k < r.summary.size(); ++k) {
    EXPECT_EQ(totals[k].reason_us, r.summary[k].reason_us) << what << ": " << r.summary[k].account;
    EXPECT_EQ(totals[k].reason_tasks, r.summary[k].reason_tasks) << what << ": " << r.summary[k].account;
  }
  EXPECT_EQ(r.summary.back().invariant_violations, 0) << what;
}

TEST(WaitAttribution, EveryShippedScenarioAddsUp) {
  int runs = 0;
  for (const std::string folder : {"scenarios", "scenarios/smoke"}) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(testing::SourceDir() + "/" + folder)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      StatusOr<Scenario> s = LoadScenarioFile(f.string());
      ASSERT_TRUE(s.ok()) << s.status().message();
      ExpectAddsUp(*s, MustRun(*s), f.string());
      ++runs;
    }
  }
  EXPECT_GE(runs, 10);
}

Scenario Parse(const std::string& text) {
  StatusOr<Scenario> s = ParseScenario(text, "test.yaml", ".");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : Scenario{};
}

// One account `a` and one bot group `g` of `bots` os:linux bots; `extra` is
// appended (workloads, faults, policy).
Scenario Small(const std::string& account, const std::string& group, const std::string& extra) {
  return Parse("duration: 4h\nwarmup: 0s\nsample_interval: 10m\naccounts:\n  a: " + account + "\nbots:\n  - " +
               group + "\n" + extra);
}

const AccountSummary& Fleet(const RunResult& r) { return r.summary.back(); }

TEST(WaitAttribution, PaidTasksBehindBusyBotsWaitForCapacity) {
  Scenario s = Small("{charge_rate: [5], max_charge_seconds: 3600}",
                     "{group: g, count: 1, labels: [\"os:linux\"], poll_interval: 10s}",
                     "workloads:\n  - {account: a, base_labels: [\"os:linux\"], arrivals: {kind: poisson, "
                     "rate_per_hour: 12}, duration: {dist: constant, value: 10m}}\n");
  RunResult r = MustRun(s);
  ExpectAddsUp(s, r, "capacity");
  EXPECT_GT(Fleet(r).reason_us[Reason("capacity")], Fleet(r).reason_us[Reason("not_polled")]);
  EXPECT_EQ(Fleet(r).reason_us[Reason("quota")], 0);
}

TEST(WaitAttribution, FreeBucketTasksWaitForQuota) {
  Scenario s = Small("{charge_rate: [0], max_charge_seconds: 60}",
                     "{group: g, count: 1, labels: [\"os:linux\"], poll_interval: 10s}",
                     "workloads:\n  - {account: a, base_labels: [\"os:linux\"], arrivals: {kind: poisson, "
                     "rate_per_hour: 12}, duration: {dist: constant, value: 10m}}\n");
  RunResult r = MustRun(s);
  ExpectAddsUp(s, r, "quota");
  EXPECT_GT(Fleet(r).reason_us[Reason("quota")], Fleet(r).reason_us[Reason("capacity")]);
}

TEST(WaitAttribution, SlowPollsWithIdleBotsAreNotPolled) {
  Scenario s = Small("{charge_rate: [5], max_charge_seconds: 3600}",
                     "{group: g, count: 5, labels: [\"os:linux\"], poll_interval: 10m}",
                     "workloads:\n  - {account: a, base_labels: [\"os:linux\"], arrivals: {kind: poisson, "
                     "rate_per_hour: 4}, duration: {dist: constant, value: 1m}}\n");
  RunResult r = MustRun(s);
  ExpectAddsUp(s, r, "not_polled");
  int64_t total = std::accumulate(Fleet(r).reason_us.begin(), Fleet(r).reason_us.end(), int64_t{0});
  // The rest is dispatch: the scheduler may assign a task to any idle bot
  // it knows, which takes it when it next polls.
  EXPECT_GT(Fleet(r).reason_us[Reason("not_polled")] + Fleet(r).reason_us[Reason("dispatch")], total * 9 / 10);
  EXPECT_GT(Fleet(r).reason_us[Reason("not_polled")], Fleet(r).reason_us[Reason("dispatch")]);
}

// Every bot dies at 1h and comes back at 2h: the tasks then running are
// lost (lost_runs), and the tasks that arrive meanwhile have no bot.
TEST(WaitAttribution, DeadFleetMeansNoBotAndKilledRunsAreLost) {
  Scenario s = Small("{charge_rate: [5], max_charge_seconds: 3600}",
                     "{group: g, count: 3, labels: [\"os:linux\"], poll_interval: 10s}",
                     "workloads:\n  - {account: a, base_labels: [\"os:linux\"], arrivals: {kind: poisson, "
                     "rate_per_hour: 30}, duration: {dist: constant, value: 10m}}\n"
                     "faults:\n  bot_deaths: {scheduled: [{at: 1h, group: g, count: 3, downtime: 1h}]}\n");
  RunResult r = MustRun(s);
  ExpectAddsUp(s, r, "no_bot");
  EXPECT_GT(Fleet(r).reason_us[Reason("no_bot")], 0);
  EXPECT_GT(Fleet(r).reason_us[Reason("lost_runs")], 0);
  for (const TaskResult& t : r.tasks) {
    // Enqueued while every bot was dead: at least until they return.
    if (t.enqueue > Hours(1) + Minutes(5) && t.enqueue < Hours(2) - Minutes(5)) {
      EXPECT_GE(r.task_waits.Get(static_cast<size_t>(t.id))[Reason("no_bot")], ToMicros(Hours(2) - t.enqueue) - 1) << "t" << t.id;
    }
  }
}

TEST(WaitAttribution, ProvisioningIsProvision) {
  Scenario s = Small("{charge_rate: [5], max_charge_seconds: 3600}",
                     "{group: g, count: 2, labels: [\"os:linux\"], poll_interval: 10s, provision_time: 2m}",
                     "workloads:\n  - {account: a, base_labels: [\"os:linux\"], provisionable_labels: "
                     "[\"image:a\"], arrivals: {kind: poisson, rate_per_hour: 6}, duration: {dist: constant, "
                     "value: 1m}}\n");
  RunResult r = MustRun(s);
  ExpectAddsUp(s, r, "provision");
  int provisioned = 0;
  for (const TaskResult& t : r.tasks) {
    if (!t.provision_needed || t.start < Duration::zero()) continue;
    ++provisioned;
    EXPECT_EQ(r.task_waits.Get(static_cast<size_t>(t.id))[Reason("provision")], ToMicros(Minutes(2))) << "t" << t.id;
  }
  EXPECT_GT(provisioned, 0);
}

// Per-label limits of one task per pool: the second task waits next to
// idle bots, held back by the limit.
TEST(WaitAttribution, PerLabelLimitsThrottle) {
  Scenario s = Small("{charge_rate: [5], max_charge_seconds: 3600, per_label_task_limits: {\"pool:\": 1}}",
                     "{group: g, count: 4, labels: [\"os:linux\", \"pool:x\"], poll_interval: 10s}",
                     "workloads:\n  - {account: a, base_labels: [\"os:linux\"], arrivals: {kind: poisson, "
                     "rate_per_hour: 12}, duration: {dist: constant, value: 10m}}\n"
                     "policy: {enforce_per_label_limits: true}\n");
  RunResult r = MustRun(s);
  ExpectAddsUp(s, r, "throttled");
  EXPECT_GT(Fleet(r).reason_us[Reason("throttled")], Fleet(r).reason_us[Reason("capacity")]);
}

// docs/waits.md's two-team finding: the same-pass preemption chain leaves
// ci's requests forgotten; preempt_once_per_worker shrinks that share.
TEST(WaitAttribution, SamePassChainIsForgottenAndTheSwitchShrinksIt) {
  StatusOr<Scenario> s = LoadScenarioFile(testing::SourceDir() + "/scenarios/two-teams.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto forgotten_share = [](const AccountSummary& a) {
    int64_t total = std::accumulate(a.reason_us.begin(), a.reason_us.end(), int64_t{0});
    return total > 0 ? static_cast<double>(a.reason_us[Reason("forgotten")]) / static_cast<double>(total) : 0.0;
  };
  RunResult with_chain = MustRun(*s);
  ASSERT_EQ(with_chain.summary[0].account, "ci");
  const AccountSummary& ci = with_chain.summary[0];
  EXPECT_GT(ci.same_pass_reassignments, 0);
  EXPECT_GT(ci.forgotten, 0);
  EXPECT_GT(ci.re_adds, 0);
  EXPECT_GT(forgotten_share(ci), 0.5);
  s->policy.preempt_once_per_worker = true;
  RunResult once = MustRun(*s);
  ExpectAddsUp(*s, once, "preempt_once");
  EXPECT_LT(forgotten_share(once.summary[0]), forgotten_share(ci) / 2);
}

}  // namespace
}  // namespace qsim::sim
