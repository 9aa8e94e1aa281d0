// `qsim fit`: a generative scenario from an observed log (observed.h). The
// choices, documented in docs/production-data.md ("Fit"):
//
// - The scenario's clock starts at the log's first event rounded down to the
//   minute and runs to its last event rounded up to the minute.
// - Arrivals, per account: a rate that is a base rate times an hour-of-day
//   factor (24) times a weekday factor (7), the Poisson log-linear model
//   fitted by iterative proportional fitting on hourly counts (each factor
//   list averages 1 over the hours and days the log covers; uncovered ones
//   are 1), plus bursts: runs of `burst_bin` bins whose count exceeds the
//   smooth model's expectation m by more than 5 sqrt(m) + 3 and is at least
//   twice m, with at least `min_burst` tasks above m in all. A burst's tasks
//   above the expectation are taken out of the hourly counts and the model
//   refitted (three rounds), so a burst does not inflate its hour. Each
//   factor rests on the hours of the log that fall on it: a one-day log
//   gives every hour factor one hour of counts, noisy for a sparse account.
// - Label mixes: one workload per (account, base labels, provisionable
//   labels) seen, with the account's rate times that label set's share of
//   its tasks; each burst goes to the label set most common inside it.
// - Durations (completed runs, assignment to completion): per workload when
//   it has at least `min_runs_per_workload` of them, else the account's
//   pooled runs (else every run of the log). Lognormal by maximum
//   likelihood when its Kolmogorov-Smirnov distance to the runs is at most
//   max(0.05, 1.63 / sqrt(n)) (not rejected at the 1% level, or close
//   enough to be harmless); otherwise empirical, `empirical_points` values
//   at evenly spaced quantiles. Medians and values are rounded to whole
//   seconds from 100 s and whole milliseconds from 1 s (at most 0.5%).
// - Bots: one group per distinct (first-seen) dimension set, with every bot
//   the log names, present for the whole run: a log names a bot only when
//   it takes a task, so it cannot tell an idle bot from a gone one (as
//   `qsim import`). A warning counts the bots never seen at the same time as
//   all others of their group. A dimension whose key (text before ':') some
//   task names among its provisionable labels is a provisionable label of
//   the group.
// - Policy: disable_preemption and bot_expiration from the log's
//   configuration; every other switch at its default.
// - Accounts: the log's, with their configuration; an inferred account
//   (no configuration) gets charge_rate [1] and max_charge_seconds 3600
//   and a warning (as `qsim import`); tasks naming no account go to account
//   `no-account`, with no quota.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "production/observed.h"
#include "sim/scenario.h"

namespace qsim::production {

struct FitOptions {
  std::string name = "fitted";  // the scenario's name
  Duration burst_bin = Minutes(5);
  int64_t min_burst = 10;
  enum class Durations { kAuto, kLognormal, kEmpirical };
  Durations durations = Durations::kAuto;
  int64_t min_runs_per_workload = 50;
  int64_t empirical_points = 200;
};

// The account id tasks without one are charged to.
inline constexpr const char* kNoAccount = "no-account";

// The arrival model of one stream of arrival times.
struct ArrivalFit {
  double rate_per_hour = 0;          // base rate
  std::vector<double> hour_factors;  // 24
  std::vector<double> weekday_factors;  // 7, Monday first
  std::vector<sim::Burst> bursts;    // at: from the scenario start
  int64_t tasks = 0;
  int64_t burst_tasks = 0;  // of them, counted in bursts
};

// REQUIRES: arrivals sorted, each in [0, span); span > 0; 0 <= week_offset < 7d.
// `arrivals` are times from the scenario start; the start lies `week_offset`
// past a Monday 00:00.
ArrivalFit FitArrivals(const std::vector<Duration>& arrivals, Duration span, Duration week_offset,
                       const FitOptions& options);

struct DurationFit {
  sim::DurationDist dist;
  int64_t runs = 0;
  double mu = 0, sigma = 0;  // the lognormal fit, whichever was chosen
  double ks = 0;             // its KS distance to the runs
  bool lognormal = false;    // the lognormal was chosen
};

// REQUIRES: !runs.empty(); every run > 0.
DurationFit FitDurations(std::vector<Duration> runs, const FitOptions& options);

struct WorkloadFit {
  std::string name, account;
  std::vector<std::string> base_labels, provisionable_labels;
  int64_t tasks = 0;
  double share = 0;  // of the account's tasks
  DurationFit durations;
  std::string durations_from;  // "workload", "account" or "log"
};

struct AccountFit {
  std::string id;
  bool inferred = false;
  ArrivalFit arrivals;
};

struct BotGroupFit {
  std::string name;
  std::vector<std::string> dimensions;
  int64_t count = 0;         // bots the log names
  int64_t most_at_once = 0;  // most of them between their first and last rows at once
};

struct Fit {
  sim::Scenario scenario;  // valid (ValidateScenario)
  Duration week_offset{};
  std::vector<AccountFit> accounts;
  std::vector<WorkloadFit> workloads;
  std::vector<BotGroupFit> groups;
  std::vector<std::string> warnings;
};

// Errors (InvalidArgument, naming `log_name`): a log without tasks or bots,
// or with no completed run to fit durations to; an id or label a scenario
// cannot hold.
StatusOr<Fit> FitScenario(const ObservedLog& log, const std::string& log_name, const FitOptions& options);

// The scenario file: a comment naming the log and the fit's figures, then
// the resolved scenario (loads back to fit.scenario).
std::string FitScenarioYaml(const Fit& fit, const std::string& log_name);

// The table `qsim fit` prints: per account its rate, bursts and per
// workload its duration model and goodness of fit; then the bot groups.
// (The warnings are the caller's to print, on stderr.)
std::string FitSummaryText(const Fit& fit);

}  // namespace qsim::production
