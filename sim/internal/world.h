// The simulated world of one run: the dispatcher, the bots, the workloads and
// the fault drivers, over one Engine, talking to the real scheduler and
// reconciler through a Channel (with fault decorators). Internal to sim/.
//
// Ownership: World owns everything of the run; nothing is static.
#pragma once

#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "reconciler/reconciler.h"
#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "sim/engine.h"
#include "sim/faults/channel.h"
#include "sim/internal/id_set.h"
#include "sim/scenario.h"
#include "sim/sim.h"

namespace qsim::sim {

using runfolder::CsvWriter;
using runfolder::FormatMicros;
using runfolder::FormatNumber;

inline constexpr Time kNever = TimeFromMicros(INT64_MIN);
// Simulated time 0: a fixed, realistic epoch (2023-11-14), so no time
// computed by the scheduler sits at the Unix epoch's special values.
inline constexpr Time kStart = TimeFromMicros(1700000000LL * 1000000);

class World final : public EventSink, public ErrorReporter {
 public:
  World(const Scenario& scenario, uint64_t seed, const Outputs& outputs, const std::string& out_dir);
  ~World() override;

  // Runs the whole scenario and fills `result`. Errors: the output folder
  // cannot be written, or the scheduler refused the scenario's accounts.
  Status Run(const RunOptions& options, RunResult* result);

  void OnEvent(const TaskEvent& event) override;
  void ReportLibraryError(Time t, const std::string& what, const Status& status) override;

 private:
  enum class TaskState : uint8_t { kPending, kRunning, kDone };
  enum class AbortReason : uint8_t { kPreempt, kError };
  enum class BotState : uint8_t { kIdle, kPolling, kBusy };
  enum class Deferred : uint8_t { kNone, kRunDone, kAbortDone };

  struct Task {
    Time enqueue{}, first_assigned = kNever, start = kNever, end = kNever, claim = kNever;
    Duration duration{};
    Duration wasted{};  // bot time of runs that were preempted
    int32_t bot = -1;
    uint32_t account = 0;
    uint32_t workload = 0;
    uint32_t base_labels = 0, prov_labels = 0;  // indices into label_sets_
    int32_t times_preempted = 0, times_unassigned = 0;
    int16_t deaths = 0;
    int8_t assigned_priority = -1, start_priority = -1;
    bool provision_needed = false;
    bool measured = false;  // enqueued after the warm-up
    TaskState state = TaskState::kPending;
    Outcome outcome = Outcome::kUnfinished;
  };

  struct Bot {
    // What every poll reads comes first, to share a cache line or two.
    std::string id;
    // base and prov, sorted: what the bot reports when polling. `id` and
    // `all` are lent to flush_workers_ for the length of an AssignTasks call.
    std::vector<std::string> all;
    BotState state = BotState::kIdle;
    bool parked = false;       // long poll: waiting to be answered when work appears
    bool silent = false;       // dead or flapping: unreachable
    bool task_killed = false;  // a death killed its task; the dispatcher does not know yet
    bool aborting = false;
    int32_t task = -1;
    uint32_t group = 0;
    EventHandle poll;
    EventHandle run, detect, ret;
    LabelSet base, prov;
    AbortReason abort_reason = AbortReason::kPreempt;
    Deferred deferred = Deferred::kNone;  // a report the bot could not send while silent
    Time deferred_time{};
    Time silent_since{};
  };

  struct AccountState {
    std::string id;
    Balance cap{};
    Balance allowance{};  // cap, raised by preemption refunds
    double charge_sum = 0;
    int64_t busy_us = 0;  // within the measured window
    int64_t violations = 0;
    int64_t pending = 0;
  };

  // --- setup ---
  Status Setup();
  uint32_t InternLabels(const LabelSet& labels);
  void RecomputeBotLabels(Bot& bot);
  void ScheduleArrivals(uint32_t w);
  void ScheduleOutages(const OutageSpec& spec, bool kill, const std::string& stream);
  void SchedulePeriodic(Duration interval, void (World::*fn)());

  // --- workload ---
  void CreateTask(uint32_t workload, uint32_t account, uint32_t base, uint32_t prov, Duration duration);
  void NotifyWaiting(uint32_t id);
  void CancelTask(uint32_t id);
  void RaiseTaskError(uint32_t id);

  // --- dispatcher ---
  void Poll(uint32_t b);
  void RequestFlush();
  void Flush();
  // Offers the bots in flush_bots_ to the scheduler as idle workers.
  std::vector<reconciler::Assignment> AssignFlushBots();
  // Swaps bot b's id and labels with flush_workers_[slot]'s; a second call
  // undoes it.
  void SwapReport(uint32_t b, size_t slot);
  void Claim(uint32_t b, uint32_t task_id);
  void ProvisionDone(uint32_t b);
  void StartExecution(uint32_t b);
  void RunDone(uint32_t b);
  void Abort(uint32_t b, AbortReason reason);
  void AbortDone(uint32_t b);
  void FinishRun(uint32_t b, Outcome outcome, Time end);
  void ReleaseBot(uint32_t b, Time busy_end);
  void PollCancellations();
  void Renotify();
  void TakeSample();
  void EndTask(Task& t, uint32_t id, Outcome outcome, Time end);

  // --- bots' outages ---
  void Outage(uint32_t b, Duration downtime, bool kill);
  void DetectDead(uint32_t b);
  void Return(uint32_t b);
  void TaskLost(uint32_t id);
  void ApplyLabelChange(uint32_t group, const LabelChange& change);
  void Restart();

  // --- metrics and checks ---
  void AddBusy(uint32_t account, Time from, Time to);
  void AddSilent(Time from, Time to);
  void ChangeInSystem(int delta);
  void Violation(const std::string& message, int32_t account = -1);
  void CheckBalances();
  void CheckAccounting();
  std::string TaskName(uint32_t id) const;
  int64_t ParseTaskName(const std::string& name) const;  // -1 if not ours
  Duration Since(Time t) const { return t - kStart; }

  Status WriteOutputs(RunResult* result);
  void BuildResult(RunResult* result);

  const Scenario& scenario_;
  uint64_t seed_;
  Outputs outputs_;
  std::string out_dir_;
  Time end_{};
  Time window_start_{};

  Engine engine_;
  std::unique_ptr<ReconcilerHost> host_;
  std::vector<std::unique_ptr<Channel>> decorators_;
  Channel* channel_ = nullptr;  // the outermost decorator

  std::vector<LabelSet> label_sets_;
  std::map<LabelSet, uint32_t> label_index_;
  std::vector<AccountState> accounts_;
  std::map<std::string, uint32_t> account_index_;
  std::vector<Task> tasks_;
  std::vector<RandomStream*> cancel_rngs_;  // by workload; null when it cancels nothing
  RandomStream* task_error_rng_ = nullptr;   // null when no task errors are drawn
  // Scratch for NotifyWaiting, reused so its buffers are. The channel takes
  // it by reference and copies whatever it keeps.
  reconciler::TaskWaitingRequest waiting_request_;
  IdSet pending_;  // ordered: renotify goes by id
  std::vector<Bot> bots_;
  std::vector<std::vector<uint32_t>> group_bots_;
  std::unordered_map<std::string, uint32_t> bot_index_;  // lookups only; order never escapes

  // Poll batching.
  bool flush_pending_ = false;
  std::vector<uint32_t> batch_;
  std::vector<uint32_t> parked_;
  std::vector<uint32_t> flush_bots_;
  std::vector<reconciler::IdleWorker> flush_workers_;  // AssignFlushBots' slots; empty between calls
  std::vector<uint8_t> in_flush_;
  std::vector<reconciler::TaskAbsentRequest> after_flush_;
  std::set<uint32_t> refunded_accounts_;

  // Metrics.
  int64_t in_system_ = 0;
  Time area_last_{};
  double area_ = 0;  // task-seconds in the system within the window
  int64_t silent_us_ = 0;  // bot time spent silent within the window
  std::vector<std::string> violations_;
  int64_t fleet_violations_ = 0;

  std::unique_ptr<CsvWriter> events_csv_;
  std::unique_ptr<CsvWriter> timeseries_csv_;
  Status output_error_;
};

}  // namespace qsim::sim
