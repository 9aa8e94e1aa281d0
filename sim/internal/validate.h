// The semantic checks of a Scenario, section by section: every value in its
// range, every name it refers to defined, nothing that would make a run
// misbehave. ValidateScenario (scenario.h) runs them all; the YAML loader
// runs each right after reading its section, and turns the problem's key path
// into the file, line and column of that key. Internal to sim/.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "sim/scenario.h"

namespace qsim::sim {

// What is wrong, and where: `path` is the scenario key path as the YAML has
// it ("workloads[0].arrivals.rate_per_hour", "accounts.build.charge_rate[1]").
struct Problem {
  std::string path;
  std::string message;
};
using Check = std::optional<Problem>;  // nullopt: nothing wrong

// Why `name` cannot name a scenario, account, bot group or workload, or "".
// Names reach file names and CSV cells: [A-Za-z0-9._-], at most 100
// characters, no leading '.', no "..".
std::string NameProblem(const std::string& name);
// Why a label or tag cannot be used, or "": no ';' or ',' (they separate
// labels in the run folder), no control characters.
std::string LabelProblem(const std::string& label);

// name, seed, duration, warmup, sample_interval.
Check CheckRunLength(const Scenario& s);
Check CheckPolicy(const Policy& p);
// Account i, and that it follows account i-1 in id order (ids are unique).
Check CheckAccount(const Scenario& s, size_t i);
// Group i, and that no group before it has its name.
Check CheckBotGroup(const Scenario& s, size_t i);
// Workload i: its accounts are among s.accounts, its name is not among the
// workloads before it. REQUIRES: s.accounts passed CheckAccount (sorted).
Check CheckWorkload(const Scenario& s, size_t i);
// A task log row running at time 0 (ReplayTask::running_on, non-empty): it
// arrives at 0 and its bot exists and holds its base labels (the group's
// labels and provisionable labels at the start). `path` names the field.
Check RunningOnProblem(const std::vector<BotGroupSpec>& groups, const ReplayTask& t, const std::string& path);
// Every running_on of every workload: RunningOnProblem, and one task per bot.
Check CheckRunningOn(const Scenario& s);
Check CheckDispatcher(const DispatcherSpec& d);
// The faults; the scheduled outages' groups are among s.bots.
Check CheckFaults(const Scenario& s);

// The limits of docs/limits.md (sim/limits.h): run length, seed, bot and
// task counts, intervals relative to the duration, outage and restart counts.
// REQUIRES: the checks above passed (values in range).
Check CheckLimits(const Scenario& s);

// Every check above in that order, and that there is at least one account and
// one bot group: the first problem found.
Check FindProblem(const Scenario& s);

}  // namespace qsim::sim
