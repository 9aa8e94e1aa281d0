// Why each task waited: splits every task's wait into the reasons of
// docs/waits.md, online, as the run goes. Internal to sim/.
//
// A waiting task is always in one phase: forgotten (pending at the
// dispatcher, not in the scheduler), queued (in the scheduler's queue),
// dispatch (assigned, not yet claimed), provision, or running. Each phase
// change adds the time since the last one to the phase's reason. Queued time
// is split further by the state of the fleet and of the task's account; that
// state is shared by every task of one (base label set, account) "cohort", so
// each cohort keeps one clock per queued reason and a task's share is the
// difference of its cohort's clocks between entering and leaving the queue:
// O(1) per task transition, O(accounts) when a label set's idle, polling or
// alive bot count crosses zero.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "base/time.h"
#include "runfolder/columns.h"
#include "scheduler/types.h"
#include "sim/internal/task_table.h"
#include "sim/scenario.h"
#include "sim/task_waits.h"

namespace qsim::sim {

// In the order of runfolder::kWaitReasons.
enum WaitReason : uint8_t {
  kNotPolled,
  kCapacity,
  kQuota,
  kThrottled,
  kNoBot,
  kForgotten,
  kDispatch,
  kProvision,
  kLostRuns,
  kNumWaitReasons
};
inline constexpr int kNumQueuedReasons = 5;  // kNotPolled .. kNoBot: the split of queued time
static_assert(kNumWaitReasons == runfolder::kWaitReasons.size());
static_assert(std::tuple_size_v<TaskWaits::Split> == kNumWaitReasons);

using WaitSplit = TaskWaits::Split;  // microseconds by reason

// What a bot can do for a queued task right now.
enum class BotClass : uint8_t { kDead, kBusy, kPolling, kIdle };

// Per-account counts over measured tasks (enqueued after the warm-up).
struct WaitCounts {
  int64_t same_pass = 0;  // PREEMPTED events whose victim had not started
  int64_t forgotten = 0;  // forgotten intervals of positive length
  int64_t re_adds = 0;    // ENQUEUED events after a task's first
};

class WaitAttribution {
 public:
  // `scenario` and `tasks` must outlive this.
  WaitAttribution(const Scenario& scenario, const TaskTable& tasks);

  // --- the fleet
  // Bot `bots()` (the next index), with its labels (base and provisioned).
  void AddBot(const LabelSet& labels, BotClass c);
  // Inline: called on every poll and every empty answer, where it is
  // almost always a no-op.
  void SetBotClass(uint32_t bot, BotClass c, Time now) {
    // Without fanout or per-label limits a polling and an idle bot mean the
    // same (not_polled), so every poll and every empty answer is a no-op here.
    if (!limits_ && c == BotClass::kPolling) c = BotClass::kIdle;
    if (bot_class_[bot] != c) ChangeBotClass(bot, c, now);
  }
  void SetBotLabels(uint32_t bot, const LabelSet& labels, Time now);
  // The account's best priority is the free bucket (true) or a paid one,
  // as the scheduler's last pass saw it.
  void SetAccountFree(uint32_t account, bool free, Time now);

  // --- one task's phases (see docs/waits.md)
  void Arrived(uint32_t id, Time now);  // pending, not yet in the scheduler
  // ENQUEUED: returns true for the task's first.
  bool Enqueued(uint32_t id, Time now);
  // Back in the scheduler's queue without an ENQUEUED (UNASSIGNED).
  void BackInQueue(uint32_t id, Time now);
  void Assigned(uint32_t id, Time now);
  // Dropped by the scheduler while pending; `same_pass` for a preempted
  // victim that had not started.
  void Forgotten(uint32_t id, Time now, bool same_pass);
  void Claimed(uint32_t id, Time now, bool provision);
  // Execution starts. Returns false when the split does not add up to
  // now - enqueue (an invariant violation).
  bool Started(uint32_t id, Time now);
  // The run ended without completing and the task is pending again.
  void RunLost(uint32_t id, Time now);
  void Ended(uint32_t id, Time now);
  bool in_scheduler_queue(uint32_t id) const { return waits_[id].phase == Phase::kQueued; }

  // Closes every open phase at the run's end and frees the per-task phase
  // state; only the splits remain.
  void Finish(Time end);
  // After Finish: the split of the task's wait (see docs/waits.md).
  WaitSplit split(uint32_t id) const { return done_.Get(id); }
  // After Finish: every task's split, moved out (split() then reads zeros).
  TaskWaits TakeSplits() { return std::move(done_); }
  const WaitCounts& counts(uint32_t account) const { return counts_[account]; }

 private:
  enum class Phase : uint8_t { kNone, kForgotten, kQueued, kDispatch, kProvision, kRunning };
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  // 24 bytes a task, for every task of the run; the split itself is in
  // live_ only while the task can still wait, then in done_.
  struct TaskWait {
    Time since{};
    uint32_t cohort = 0;
    uint32_t slot = kNoSlot;  // in live_
    Phase phase = Phase::kNone;
    bool enqueued = false;  // an ENQUEUED was seen
  };
  struct LabelCounts {
    int64_t alive = 0, polling = 0, idle = 0;
  };
  struct Cohort {
    std::array<int64_t, kNumQueuedReasons> clock{};
    Time since{};
    int64_t queued = 0;
    uint8_t reason = kNoBot;
  };

  // SetBotClass when the class changes (`c` already mapped).
  void ChangeBotClass(uint32_t bot, BotClass c, Time now);
  void Track(uint32_t label_set);
  void Count(uint32_t label_set, BotClass c, int64_t delta);
  WaitReason CohortReason(uint32_t label_set, uint32_t account) const;
  void Refresh(uint32_t label_set, uint32_t account, Time now);
  void RefreshLabelSet(uint32_t label_set, Time now);
  // Adds the time since the last change to the current phase's reason and
  // enters `next`.
  void Close(uint32_t id, Time now);
  void Enter(uint32_t id, Phase next, Time now);
  // Moves the task's final split to done_ and frees its slot.
  void Store(uint32_t id);

  const TaskTable& tasks_;
  size_t accounts_;
  bool limits_;  // fanout or per-label limits are enforced
  std::vector<uint8_t> free_, no_free_tasks_;  // by account
  std::vector<WaitCounts> counts_;             // by account
  std::vector<TaskWait> waits_;                // by task
  // The splits of tasks not yet ended, in slots reused once a task ends:
  // as many as tasks in the system at once, not as tasks in the run.
  std::vector<WaitSplit> live_;
  std::vector<uint32_t> free_slots_;
  TaskWaits done_;  // the final splits
  std::map<uint32_t, WaitSplit> at_last_start_;  // tasks whose last run was lost after it started
  // The fleet: each bot's class and profile. A profile is one set of labels
  // some bot has, with the tracked label sets it holds (in no order that
  // matters: each label set's counts and cohorts are its own). Bots share
  // profiles, so a class change reads one small shared list, not a list of
  // the bot's own from memory.
  struct Profile {
    LabelSet labels;
    std::vector<uint32_t> sets;
  };
  uint32_t ProfileOf(const LabelSet& labels);
  std::vector<BotClass> bot_class_;
  std::vector<uint32_t> bot_profile_;
  std::vector<Profile> profiles_;
  std::map<LabelSet, uint32_t> profile_of_;
  std::vector<uint8_t> tracked_;        // by label set
  std::vector<LabelCounts> label_counts_;  // by label set
  // By label set, the accounts that ever had a task with it: the only
  // cohorts a change of its counts can concern.
  std::vector<std::vector<uint32_t>> label_accounts_;
  std::vector<Cohort> cohorts_;          // by label set * accounts + account
};

}  // namespace qsim::sim
