// Everything one run writes and measures: events.csv and timeseries.csv as
// the run goes, busy and silent bot time, the time-average number of tasks
// in the system, invariant violations, and at the end the RunResult with
// tasks.csv and summary.csv. Internal to sim/.
//
// The recorder only reads the task table; what it is told (busy spans,
// violations, events, samples) comes from the coordinator (World).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "scheduler/events.h"
#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "scheduler/scheduler.h"
#include "sim/internal/task_table.h"
#include "sim/internal/wait_attribution.h"
#include "sim/scenario.h"
#include "sim/sim.h"

namespace qsim::sim {

using runfolder::CsvWriter;
using runfolder::FormatMicros;
using runfolder::FormatNumber;

// The fleet at one sampling instant.
struct BotCounts {
  int64_t idle = 0, busy = 0, dead = 0;
};

class Recorder {
 public:
  // `scenario`, `tasks` and `waits` must outlive the recorder.
  Recorder(const Scenario& scenario, const TaskTable& tasks, const WaitAttribution& waits);

  // Opens events.csv and timeseries.csv under `out_dir` as `outputs` asks
  // ("" = write no files) and writes their headers.
  Status Open(const std::string& out_dir, const Outputs& outputs);

  // --- measured within the window after the warm-up
  // Bot `bot` ran a task of `account` over [from, to).
  void AddBusy(uint32_t bot, uint32_t account, Time from, Time to);
  // Bot `bot` was unavailable over [from, to): silent (dead or flapping)
  // without a task it is still running, or absent (before its group joins,
  // after it left), so utilisation counts only bot time present and alive.
  // A flapping bot that keeps running its task is busy and available, so a
  // bot's busy and unavailable spans never overlap, and busy + unavailable
  // <= the window so far, per bot.
  void AddUnavailable(uint32_t bot, Time from, Time to);
  // A bot's busy and unavailable time so far within the window.
  int64_t bot_busy_us(uint32_t bot) const { return bot_busy_us_[bot]; }
  int64_t bot_unavailable_us(uint32_t bot) const { return bot_unavailable_us_[bot]; }
  // The window's length up to `now` (0 before the warm-up ends).
  int64_t WindowUpTo(Time now) const;
  // The number of tasks in the system changes by `delta` at `now`.
  void ChangeInSystem(Time now, int delta);

  // An invariant violation, charged to `account` (-1: to the fleet only).
  void Violation(const std::string& message, int32_t account = -1);

  bool writes_events() const { return events_csv_ != nullptr; }
  bool writes_timeseries() const { return timeseries_csv_ != nullptr; }
  // One events.csv row with its cause (docs/run-folder.md). REQUIRES: writes_events().
  void WriteEvent(const TaskEvent& e, std::string_view cause);
  // The timeseries.csv rows of one sample. REQUIRES: writes_timeseries().
  void WriteSample(Time now, const Scheduler& scheduler, const BotCounts& bots);

  // Fills `result` from the task table and what was measured (its
  // task_waits must already hold the splits: WaitAttribution::TakeSplits),
  // result->tasks only if `keep_tasks`. `bots` is the fleet size, `events`
  // the engine events run.
  void BuildResult(uint64_t seed, uint64_t events, size_t bots, bool keep_tasks, RunResult* result) const;
  // Closes the open files and writes tasks.csv and summary.csv.
  Status WriteOutputs(const RunResult& result);

 private:
  struct AccountMetrics {
    double charge_sum = 0;  // the sum of its charge rates
    int64_t busy_us = 0;
    int64_t violations = 0;
  };

  // tasks.csv, from the task table and result.task_waits (not result.tasks,
  // which the caller may not keep).
  Status WriteTasks(const RunResult& result) const;
  TaskResult ResultOf(uint32_t id) const;
  Status WriteSummary(const RunResult& result) const;
  Status WriteWaits(const RunResult& result) const;
  void AddWaitCounts(size_t k, AccountSummary* s) const;

  const Scenario& scenario_;
  const TaskTable& tasks_;
  const WaitAttribution& waits_;
  Time window_start_;
  Time end_;
  std::string out_dir_;
  std::vector<AccountMetrics> accounts_;
  int64_t in_system_ = 0;
  Time area_last_{};
  double area_ = 0;        // task-seconds in the system within the window
  int64_t unavailable_us_ = 0;  // bot time spent unavailable within the window
  std::vector<int64_t> bot_busy_us_;         // by bot
  std::vector<int64_t> bot_unavailable_us_;  // by bot
  std::vector<std::string> violations_;  // the first 1000
  int64_t fleet_violations_ = 0;
  std::unique_ptr<CsvWriter> events_csv_;
  std::unique_ptr<CsvWriter> timeseries_csv_;
};

// ---------------------------------------------------------------- inline: per-task bookkeeping

inline void Recorder::AddBusy(uint32_t bot, uint32_t account, Time from, Time to) {
  from = std::max(from, window_start_);
  to = std::min(to, end_);
  if (to <= from) return;
  accounts_[account].busy_us += ToMicros(to - from);
  bot_busy_us_[bot] += ToMicros(to - from);
}

inline void Recorder::AddUnavailable(uint32_t bot, Time from, Time to) {
  from = std::max(from, window_start_);
  to = std::min(to, end_);
  if (to <= from) return;
  unavailable_us_ += ToMicros(to - from);
  bot_unavailable_us_[bot] += ToMicros(to - from);
}

inline int64_t Recorder::WindowUpTo(Time now) const {
  return now > window_start_ ? ToMicros(std::min(now, end_) - window_start_) : 0;
}

inline void Recorder::ChangeInSystem(Time now, int delta) {
  if (now > window_start_) {
    Time from = std::max(area_last_, window_start_);
    if (now > from) area_ += static_cast<double>(in_system_) * static_cast<double>(ToMicros(now - from)) / 1e6;
  }
  area_last_ = now;
  in_system_ += delta;
}

}  // namespace qsim::sim
