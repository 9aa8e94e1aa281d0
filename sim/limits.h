// The limits of a run, stated up front (docs/limits.md): what a scenario may
// ask for, and what a run of it is estimated to cost before anything large
// is allocated. ValidateScenario enforces the limits; `qsim validate` prints
// the estimate and `qsim run --max-memory` refuses a run whose estimate
// exceeds its budget.
#pragma once

#include <cstdint>
#include <string>

#include "base/input_file.h"
#include "base/status.h"
#include "base/time.h"
#include "sim/scenario.h"

namespace qsim::sim {

// Every duration in a scenario (and every sampled duration) is at most this,
// so start + any few durations never comes near the int64 microsecond limit.
inline constexpr Duration kMaxAnyDuration = Hours(24 * 36500);
// The simulated span of one run.
inline constexpr Duration kMaxRunDuration = Hours(24 * 3650);
// Seeds, on the command line and in YAML alike: 0 .. 2^63-1.
inline constexpr uint64_t kMaxSeed = static_cast<uint64_t>(INT64_MAX);
inline constexpr int64_t kMaxBots = 1000000;          // all groups together
inline constexpr int64_t kMaxTasks = 20000000;        // estimated arrivals of the whole run
inline constexpr int64_t kMaxEvents = 2000000000;     // estimated engine events of the whole run
// How often a periodic activity may fire over the run: duration / interval.
inline constexpr int64_t kMaxSamples = 1000000;       // sample_interval
inline constexpr int64_t kMaxPeriodicFirings = 10000000;  // renotify, cancellation poll
inline constexpr int64_t kMaxRestarts = 100000;       // scheduler_restarts (at + every)
inline constexpr int64_t kMaxOutages = 10000000;      // expected deaths + flaps
inline constexpr int64_t kMaxListEntries = 10000000;  // any list in a scenario
// Files read before parsing: checked by size, and only regular files.
inline constexpr int64_t kMaxScenarioFileBytes = 4 << 20;
inline constexpr int64_t kMaxReplayFileBytes = 256 << 20;
// The default of `qsim run --max-memory`.
inline constexpr int64_t kDefaultMaxMemoryBytes = int64_t{4} << 30;

// What a run is expected to cost: upper-end estimates from the scenario's
// rates, bursts, lists and bot counts, not promises.
struct RunEstimate {
  int64_t tasks = 0;
  int64_t events = 0;
  int64_t output_bytes = 0;  // the run folder, with the given outputs
  int64_t memory_bytes = 0;  // peak resident memory
};

// REQUIRES: the scenario's values are in range (each section's checks of
// internal/validate.h passed); never overflows for such a scenario.
RunEstimate EstimateRun(const Scenario& scenario, const Outputs& outputs);

// The work a scenario brings against what its fleet can do: the expected
// task arrivals (rates, bursts and lists inside the run, replayed tasks)
// times their mean duration, over the run's bot-time (each group's bots from
// joins_at to leaves_at, the whole duration by default). Above 1 the queues must grow: more work arrives than the fleet
// could run even if it never idled. Ignores failures, preemptions and faults.
struct OfferedLoad {
  double work_bot_seconds = 0;      // expected task-seconds of work arriving
  double capacity_bot_seconds = 0;  // bots x the time each is present
  // peak_load divides by the bots present on average over the run.
  double load() const { return capacity_bot_seconds > 0 ? work_bot_seconds / capacity_bot_seconds : 0; }
  // With a diurnal swing, the load at its peak: every workload at its peak
  // rate, bursts left out; 0 when no workload swings.
  double peak_load = 0;
};
OfferedLoad EstimateOfferedLoad(const Scenario& scenario);

// A seed as written on the command line: decimal digits only, 0 .. 2^63-1
// (the rule the YAML `seed:` follows), so "-1" or "0x10" is an error.
StatusOr<uint64_t> ParseSeed(const std::string& text);

// "4GiB", "512M", "100000" (bytes) -> bytes; error for anything else.
StatusOr<int64_t> ParseBytes(const std::string& text);

}  // namespace qsim::sim
