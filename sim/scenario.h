// A simulation scenario: what scenarios/README.md documents, as values. The
// loader fills every default, so a Scenario is always complete; WriteResolved
// writes it back as YAML that loads to the same Scenario. A Scenario built in
// C++ is checked by ValidateScenario (RunScenario does so first).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "scheduler/types.h"

namespace qsim::sim {

// A distribution of durations. Samples are whole microseconds.
struct DurationDist {
  enum class Kind { kConstant, kExponential, kLognormal, kUniform, kEmpirical };
  Kind kind = Kind::kConstant;
  Duration value{};   // constant
  Duration mean{};    // exponential
  Duration median{};  // lognormal: exp(mu)
  double sigma = 0;   // lognormal: sigma of the underlying normal
  Duration min{}, max{};         // uniform
  std::vector<Duration> values;  // empirical: each equally likely
};

struct AccountSpec {
  std::string id;
  AccountConfig config;
  // Balance at the start; empty = every level at its cap ("full").
  std::vector<float> initial_balance;
  bool initial_full = true;
};

struct Burst {
  Duration at{};
  int64_t count = 0;
  Duration over{};  // the burst's tasks are spread evenly over this span
};

// One task of a replayed task log.
struct ReplayTask {
  Duration enqueue{};
  std::string account;
  LabelSet base_labels;
  LabelSet provisionable_labels;
  Duration duration{};
  // The bot (BotName) this task runs on at time 0, or "": a task a state
  // snapshot lists as running (`qsim import`). Such a task has enqueue 0,
  // starts at 0 on that bot without a pass, and runs `duration` from 0.
  std::string running_on;
};

struct ArrivalSpec {
  enum class Kind { kPoisson, kSchedule, kList, kReplay };
  Kind kind = Kind::kPoisson;
  double rate_per_hour = 0;       // poisson, schedule (base rate)
  double diurnal_amplitude = 0;   // schedule: rate * (1 + A cos(2 pi (t - peak) / 24h))
  Duration diurnal_peak = Hours(14);
  std::vector<Burst> bursts;      // schedule
  // schedule: optional weekly profile, multiplying the rate above. Empty: flat.
  // hour_factors[h] applies in hour h of the day (24 values), weekday_factors[d]
  // on day d of the week, Monday first (7 values); the scenario clock's t = 0
  // is `week_offset` past Monday 00:00 (so 0 starts the run on a Monday at
  // midnight, the same midnight diurnal_peak counts from).
  std::vector<double> hour_factors;
  std::vector<double> weekday_factors;
  Duration week_offset{};
  std::vector<Duration> times;    // list
  std::string file;               // replay: the path as written
  std::string resolved_file;      // replay: the path opened
  std::vector<ReplayTask> replay; // replay: loaded rows, by enqueue time
  // replay: a row's duration_s runs from the scheduler's assignment of the
  // task's last run (what a production log measures: `qsim import`), not
  // from the bot starting it; the YAML key `duration_from: assignment`.
  bool duration_from_assignment = false;
};

struct WorkloadSpec {
  std::string name;
  std::string account;  // "" only for replay (the log names accounts)
  LabelSet base_labels;
  LabelSet provisionable_labels;
  std::vector<std::string> tags;
  ArrivalSpec arrivals;
  DurationDist duration;
  double cancel_fraction = 0;   // of tasks cancelled if still pending after cancel_after
  Duration cancel_after = Minutes(30);
};

struct LabelChange {
  Duration at{};
  LabelSet labels;
  std::optional<LabelSet> provisionable_labels;
};

struct BotGroupSpec {
  std::string name;
  int64_t count = 0;
  LabelSet labels;
  LabelSet provisionable_labels;  // the state at start (e.g. the installed image)
  Duration poll_interval = Seconds(10);
  Duration provision_time{};
  Duration abort_time = Seconds(5);
  std::vector<LabelChange> label_changes;
  // Presence (scenarios/README.md, "Bots joining and leaving"): the group's
  // bots exist for the scheduler from `joins_at`; at `leaves_at` (none:
  // never) each stops polling once it has no task, as a bot that dies and
  // never returns. 0 <= joins_at < leaves_at <= duration.
  Duration joins_at{};
  std::optional<Duration> leaves_at;
};

struct DispatcherSpec {
  enum class Preempted { kRequeue, kFail };
  Duration batch_window = Seconds(1);
  bool long_poll = false;
  Duration cancellation_poll_interval = Seconds(10);
  Duration renotify_interval = Minutes(1);
  Duration bot_death_timeout = Minutes(5);
  Preempted preempted = Preempted::kRequeue;
  int64_t bot_death_retries = 1;
};

struct ScheduledOutage {
  Duration at{};
  std::string group;
  int64_t count = 0;
  Duration downtime{};
};

// Bot deaths (task killed) or flaps (bot silent, task survives).
struct OutageSpec {
  double rate_per_bot_day = 0;
  DurationDist downtime;
  std::vector<ScheduledOutage> scheduled;
};

struct FaultsSpec {
  double lost_ack_probability = 0;
  double lost_assignment_probability = 0;
  double delay_probability = 0;
  DurationDist delay;
  double task_error_probability = 0;
  Duration task_error_after = Seconds(30);
  OutageSpec bot_deaths;
  OutageSpec bot_flaps;
  std::vector<Duration> restart_at;
  Duration restart_every{};  // 0 = none
};

struct Outputs {
  bool timeseries = true;
  bool events = true;
  bool taskevents = false;  // taskevents.jsonl: production TaskEvent rows (off unless asked for)
};

struct Scenario {
  std::string name;
  std::string description;
  std::string source_path;  // the file it was loaded from ("" if from text)
  uint64_t seed = 1;
  Duration duration = Hours(24);
  Duration warmup{};
  Duration sample_interval = Minutes(5);
  Outputs outputs;
  Policy policy;
  std::vector<AccountSpec> accounts;  // sorted by id
  std::vector<BotGroupSpec> bots;
  std::vector<WorkloadSpec> workloads;
  DispatcherSpec dispatcher;
  FaultsSpec faults;
  std::string expect_yaml;  // top-level `expect:` as flow YAML, "" if absent (reports owns it)
  std::string gate_yaml;    // top-level `gate:`, likewise
};

// Every semantic rule of a scenario: values in their ranges (no negative
// rates or durations, probabilities in [0, 1], ...), at least one account
// and one bot group, accounts sorted by id and unique, label sets sorted,
// names unique, and every name a workload or fault refers to (account, bot
// group) defined. Errors read "key.path: message", e.g.
// "faults.bot_deaths.scheduled[0].group: bot group \"x\" is not defined under
// bots" (prefixed by "source_path: " when it is set).
Status ValidateScenario(const Scenario& scenario);

// Loads and validates a scenario (syntax and types here, then the rules of
// ValidateScenario). Errors read "file:line:column: key.path: message".
StatusOr<Scenario> LoadScenarioFile(const std::string& path);
// Same, from text; `file` names it in errors and `base_dir` resolves replay files.
StatusOr<Scenario> ParseScenario(const std::string& text, const std::string& file,
                                 const std::string& base_dir);

// The strict-YAML pass the loader runs before building any node: at most the
// scenario file size limit, one document, no anchors or aliases (an alias
// bomb), no key repeated within a mapping. For other readers of scenario-like
// YAML (overlays) to run before YAML::Load. Errors read
// "file:line:column: key.path: message".
Status CheckStrictYaml(const std::string& text, const std::string& file);

// The simulator's name of bot `index` (from 0) of a group of `count` bots:
// "<group>-NNNNN", the number from 1, zero-padded to at least 5 digits.
std::string BotName(const std::string& group, int64_t count, int64_t index);
// The group and index of the bot named `name`, or nullopt if no bot of
// `groups` has that name.
std::optional<std::pair<uint32_t, int64_t>> FindBot(const std::vector<BotGroupSpec>& groups, const std::string& name);

// The scenario with every default written out; loads back to an equal Scenario.
std::string WriteResolvedScenario(const Scenario& scenario);

// "90s", "10m", "1500ms": the largest unit that divides the duration.
std::string FormatDuration(Duration d);
// A duration as a scenario writes one ("30s", "1.5m", "2h", "500ms", a bare
// number of seconds); nullopt when malformed or finer than 1 us.
std::optional<Duration> ParseDuration(std::string_view text);

}  // namespace qsim::sim
