// The coordinator of one run: the dispatcher, the bots and their outages,
// which share the bots' state, wired to the parts with narrow interfaces:
//   TaskTable   (task_table.h)  every task's record and its state transitions
//   Workload    (workload.h)    the arrival processes; hands tasks to Arrive
//   Recorder    (recorder.h)    what is written and measured
//   BalanceAudit (balance_audit.h) the balance invariant
// and to the real scheduler and reconciler through a Channel with the fault
// decorators of sim/faults/ (ReconcilerHost, BuildFaultStack). Internal to sim/.
//
// Ownership: World owns everything of the run; nothing is static. It must
// not move once constructed (the parts and the events hold its address).
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/short_id.h"
#include "reconciler/reconciler.h"
#include "sim/engine.h"
#include "sim/faults/faults.h"
#include "sim/internal/balance_audit.h"
#include "sim/internal/channel.h"
#include "sim/internal/reconciler_host.h"
#include "sim/internal/recorder.h"
#include "sim/internal/task_table.h"
#include "sim/internal/wait_attribution.h"
#include "sim/internal/taskevent_writer.h"
#include "sim/internal/workload.h"
#include "sim/scenario.h"
#include "sim/sim.h"

namespace qsim::sim {

class World final : public EventSink, public ErrorReporter, public ArrivalSink {
 public:
  // REQUIRES: ValidateScenario(scenario) is ok; `scenario` outlives the world.
  World(const Scenario& scenario, uint64_t seed, const Outputs& outputs, const std::string& out_dir);
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs the whole scenario and fills `result`. Errors: the output folder
  // cannot be written, or the scheduler refused the scenario's accounts.
  Status Run(const RunOptions& options, RunResult* result);

  void OnEvent(const TaskEvent& event) override;
  void ReportLibraryError(Time t, const std::string& what, const Status& status) override;
  void Arrive(const Arrival& arrival) override;

 private:
  enum class AbortReason : uint8_t { kPreempt, kError };
  enum class BotState : uint8_t { kIdle, kPolling, kBusy };
  enum class Deferred : uint8_t { kNone, kRunDone, kAbortDone };

  // A bot's state; its id and labels are in reports_. Aligned to a cache
  // line so that what a poll and a flush read (its flags, task, group and
  // timers) is in its first line.
  struct alignas(64) Bot {
    BotState state = BotState::kIdle;
    bool parked = false;       // long poll: waiting to be answered when work appears
    bool silent = false;       // dead, flapping or absent: unreachable
    // Not in the fleet: before its group's joins_at or after it left (and
    // silent then too). Leaving is a death with no return: the same
    // silence, never undone.
    bool absent = false;
    bool leaving = false;      // its group has left: it goes once it has no task
    bool task_killed = false;  // a death killed its task; the dispatcher does not know yet
    bool aborting = false;
    AbortReason abort_reason = AbortReason::kPreempt;
    int32_t task = -1;
    uint32_t group = 0;
    uint32_t report = 0;  // its place in reports_
    EventHandle poll;
    EventHandle run, detect, ret;
    LabelSet base, prov;
    Deferred deferred = Deferred::kNone;  // a report the bot could not send while silent
    Time deferred_time{};
    // Silent without a task it is still running, since then (kNever: not
    // unavailable). Recorder::AddUnavailable explains the accounting.
    Time unavailable_since = kNever;
  };

  // A task of a replay log running at time 0 (ReplayTask::running_on).
  struct InitialRun {
    uint32_t workload = 0;
    size_t row = 0;  // in the workload's replay rows
    uint32_t bot = 0;
    std::string bot_id;
    LabelSet bot_prov;    // the bot's provisionable labels once provisioned for the task
    LabelSet bot_labels;  // all its labels then, as the scheduler's worker has them
    Priority priority = 0;
  };

  // --- wiring (world_setup.cc), in the order Setup runs them
  // The tasks running at time 0, in workload then row order; they get the
  // task ids 0, 1, ... (world_initial_runs.cc).
  void PlanInitialRuns();
  Status ConnectScheduler();
  // The scheduler `scheduler` restored with initial_runs_ as its runs, the
  // way a restarted scheduler learns its runs (world_initial_runs.cc).
  StatusOr<Scheduler> WithInitialRuns(const Scheduler& scheduler);
  void CreateBots();
  // Each initial run claimed and started at time 0 on its bot, which is busy
  // from then on (world_initial_runs.cc).
  void StartInitialRuns();
  void SchedulePeriodic(Duration interval, void (World::*fn)());
  void ScheduleDispatcher();
  void ScheduleOutages(const OutageSpec& spec, bool kill, const std::string& stream);
  void ScheduleRestarts();
  Status Setup();
  void CloseBooks();

  // --- tasks at the dispatcher
  void NotifyWaiting(uint32_t id);
  // The NotifyTaskWaiting request for task `id`, in waiting_request_.
  const reconciler::TaskWaitingRequest& WaitingRequest(uint32_t id);
  void CancelTask(uint32_t id);
  void RaiseTaskError(uint32_t id);
  void EndTask(uint32_t id, Outcome outcome, Time end);
  void RequeueTask(uint32_t id);

  // --- the dispatcher answering polls
  void Poll(uint32_t b);
  // The timer events (engine Calls): each clears the bot's handle first.
  void PollDue(uint32_t b);
  // The poll FIFOs' Engine::Warm: asks for a polling bot's state ahead.
  static void WarmPoll(const Call& call);
  void FlushDue(uint32_t unused);
  void DetectDeadDue(uint32_t b);
  void ReturnDue(uint32_t b);
  void SchedulePoll(uint32_t b);
  void RequestFlush();
  void RequestFlushIfParked();
  void Flush();
  void CollectFlushBots();
  void AnswerFlushBots();
  void FollowRefunds();
  // Offers the bots in flush_bots_ to the scheduler as idle workers; their
  // reports are then reports_[flush_base_ + i], in flush order.
  std::vector<reconciler::Assignment> AssignFlushBots();
  // The bot an assignment of this flush names, found from `*next` on in the
  // flush's reports (the reconciler answers in the order it was asked) or
  // else in bot_index_; -1 if none has that id.
  int64_t FlushBotNamed(const std::string& worker, uint32_t* next) const;
  // Moves bot b's report to reports_[slot], and the report there to b's
  // old place.
  void PlaceReport(uint32_t b, uint32_t slot);
  const std::string& BotId(uint32_t b) const { return reports_[bots_[b].report].id; }
  // Base and provisioned labels, sorted: what the bot reports when polling.
  const LabelSet& BotLabels(uint32_t b) const { return reports_[bots_[b].report].labels; }
  void Claim(uint32_t b, uint32_t task_id);
  void PollCancellations();
  void Renotify();

  // --- a bot's run of a task
  void ProvisionDone(uint32_t b);
  void StartExecution(uint32_t b);
  void RunDone(uint32_t b);
  void Abort(uint32_t b, AbortReason reason);
  void AbortDone(uint32_t b);
  void FinishRun(uint32_t b, Outcome outcome, Time end);
  void ReleaseBot(uint32_t b, Time busy_end);
  void RecomputeBotLabels(uint32_t b);
  // Tells the wait attribution what bot b can do now (after any change of
  // its state, task or silence).
  void SyncBot(uint32_t b);
  // The accounts' best priorities as the last pass saw them.
  void SyncAccounts();

  // --- bots' outages
  void Outage(uint32_t b, Duration downtime, bool kill);
  void DetectDead(uint32_t b);
  void Return(uint32_t b);
  void TaskLost(uint32_t id);
  void ApplyLabelChange(uint32_t group, const LabelChange& change);
  // --- bots' presence (scenarios/README.md, "Bots joining and leaving")
  void JoinGroup(uint32_t group);
  void LeaveGroup(uint32_t group);
  // A leaving bot with no task stops polling for good.
  void Retire(uint32_t b);
  void Restart();

  // --- checks and samples
  void TakeSample();
  void CheckBalances();
  void CheckAccounting();
  // Busy <= available for every bot, and for the fleet: each bot's busy and
  // unavailable time within the window add up to at most the window so far.
  void CheckBotTime();
  std::string At() const;  // "t=<now>: "

  const Scenario& scenario_;
  uint64_t seed_;
  Outputs outputs_;
  std::string out_dir_;
  Time end_{};

  Engine engine_;
  TaskTable tasks_;
  WaitAttribution attribution_;
  Recorder recorder_;
  std::unique_ptr<TaskEventWriter> taskevents_;  // null unless outputs_.taskevents
  // Replay with `duration_from: assignment`: when each task's current run
  // was assigned, by task id (empty when no workload asks for it).
  bool any_from_assignment_ = false;
  std::vector<Time> assigned_at_;
  BalanceAudit audit_;
  Workload workload_;
  std::unique_ptr<ReconcilerHost> host_;
  FaultStack faults_;
  Channel* channel_ = nullptr;  // faults_.top: the outermost decorator, or host_
  std::vector<InitialRun> initial_runs_;  // by task id

  RandomStream* task_error_rng_ = nullptr;  // null when no task errors are drawn
  // Scratch for NotifyWaiting, reused so its buffers are. The channel takes
  // it by reference and copies whatever it keeps.
  reconciler::TaskWaitingRequest waiting_request_;
  // What waiting_request_'s account, labels and tags were taken from
  // (kNone: not yet), so that NotifyWaiting copies them only on a change.
  struct WaitingKey {
    static constexpr uint32_t kNone = UINT32_MAX;
    uint32_t account = kNone, base_labels = kNone, prov_labels = kNone, workload = kNone;
  };
  WaitingKey waiting_key_;
  class RenotifyBatch;
  // Renotify's scratch: the pending tasks' ids and names.
  struct TaskNameBuffer {
    char chars[kMaxTaskName];
    uint8_t size;
  };
  std::vector<uint32_t> renotify_ids_;
  std::vector<TaskNameBuffer> renotify_names_;
  std::vector<Bot> bots_;
  std::vector<std::vector<uint32_t>> group_bots_;
  // Bot index by bot id: lookups only, so order never escapes. Hashed and
  // compared with base/short_id.h (one assignment of every flush looks its
  // bot up here; std::hash's byte loop cost several times as much).
  struct BotIdHash {
    size_t operator()(std::string_view id) const { return static_cast<size_t>(HashId(id)); }
  };
  struct SameBotId {
    bool operator()(std::string_view a, std::string_view b) const { return SameId(a, b); }
  };
  std::unordered_map<std::string, uint32_t, BotIdHash, SameBotId> bot_index_;

  // Poll batching.
  bool flush_pending_ = false;
  std::vector<uint32_t> batch_;
  std::vector<uint32_t> parked_;
  std::vector<uint32_t> still_parked_;  // Flush's scratch
  std::vector<uint32_t> flush_bots_;
  // Every bot's id and labels, as AssignTasks takes them, in an order that
  // AssignFlushBots permutes: Bot::report is a bot's place in reports_ and
  // bot_at_ its inverse (a permutation). A flush moves its bots' reports
  // into one run, in flush order, so the call takes a slice of reports_ and
  // nothing is copied; bots that poll together stay in place.
  std::vector<reconciler::IdleWorker> reports_;
  std::vector<uint64_t> report_hash_;  // HashId of each report's id, beside it
  uint32_t flush_base_ = 0;
  std::vector<uint32_t> bot_at_;
  std::vector<uint8_t> in_flush_;
  std::vector<reconciler::TaskAbsentRequest> after_flush_;
  std::set<uint32_t> refunded_accounts_;
  std::vector<Priority> best_priorities_;  // SyncAccounts' scratch
};

}  // namespace qsim::sim
