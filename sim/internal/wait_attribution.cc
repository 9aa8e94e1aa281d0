#include "sim/internal/wait_attribution.h"

#include <algorithm>
#include <numeric>

namespace qsim::sim {

namespace {

bool Holds(const LabelSet& have, const LabelSet& want) {
  return std::includes(have.begin(), have.end(), want.begin(), want.end());
}

}  // namespace

WaitAttribution::WaitAttribution(const Scenario& scenario, const TaskTable& tasks)
    : tasks_(tasks),
      accounts_(scenario.accounts.size()),
      limits_(scenario.policy.enforce_fanout || scenario.policy.enforce_per_label_limits),
      free_(accounts_, 0),
      no_free_tasks_(accounts_, 0),
      counts_(accounts_) {
  for (size_t a = 0; a < accounts_; ++a) no_free_tasks_[a] = scenario.accounts[a].config.disable_free_tasks ? 1 : 0;
}

// ---------------------------------------------------------------- the fleet

uint32_t WaitAttribution::ProfileOf(const LabelSet& labels) {
  auto [it, added] = profile_of_.emplace(labels, static_cast<uint32_t>(profiles_.size()));
  if (added) {
    Profile& p = profiles_.emplace_back();
    p.labels = labels;
    for (uint32_t l = 0; l < tracked_.size(); ++l) {
      if (tracked_[l] && Holds(labels, tasks_.labels(l))) p.sets.push_back(l);
    }
  }
  return it->second;
}

void WaitAttribution::AddBot(const LabelSet& labels, BotClass c) {
  if (!limits_ && c == BotClass::kPolling) c = BotClass::kIdle;  // as SetBotClass
  const uint32_t p = ProfileOf(labels);
  bot_class_.push_back(c);
  bot_profile_.push_back(p);
  for (uint32_t l : profiles_[p].sets) Count(l, c, +1);
}

// Starts counting the bots that hold `label_set` (a task's base labels).
void WaitAttribution::Track(uint32_t label_set) {
  if (label_set < tracked_.size() && tracked_[label_set]) return;
  if (label_set >= tracked_.size()) {
    tracked_.resize(label_set + 1, 0);
    label_counts_.resize(label_set + 1);
    label_accounts_.resize(label_set + 1);
    cohorts_.resize((label_set + 1) * accounts_);
  }
  tracked_[label_set] = 1;
  const LabelSet& want = tasks_.labels(label_set);
  std::vector<uint8_t> holds(profiles_.size(), 0);
  for (uint32_t p = 0; p < profiles_.size(); ++p) {
    if (!Holds(profiles_[p].labels, want)) continue;
    holds[p] = 1;
    profiles_[p].sets.push_back(label_set);
  }
  for (uint32_t b = 0; b < bot_class_.size(); ++b) {
    if (holds[bot_profile_[b]]) Count(label_set, bot_class_[b], +1);
  }
}

void WaitAttribution::Count(uint32_t l, BotClass c, int64_t delta) {
  LabelCounts& n = label_counts_[l];
  if (c == BotClass::kDead) return;
  n.alive += delta;
  if (c == BotClass::kPolling) n.polling += delta;
  if (c == BotClass::kIdle) n.idle += delta;
}

void WaitAttribution::ChangeBotClass(uint32_t b, BotClass c, Time now) {
  BotClass old = bot_class_[b];
  bot_class_[b] = c;
  for (uint32_t l : profiles_[bot_profile_[b]].sets) {
    LabelCounts before = label_counts_[l];
    Count(l, old, -1);
    Count(l, c, +1);
    const LabelCounts& after = label_counts_[l];
    // The reason depends only on which counts are zero.
    if ((before.alive > 0) != (after.alive > 0) || (before.polling > 0) != (after.polling > 0) ||
        (before.idle > 0) != (after.idle > 0)) {
      RefreshLabelSet(l, now);
    }
  }
}

void WaitAttribution::SetBotLabels(uint32_t b, const LabelSet& labels, Time now) {
  if (profiles_[bot_profile_[b]].labels == labels) return;
  BotClass c = bot_class_[b];
  SetBotClass(b, BotClass::kDead, now);  // out of every count...
  bot_profile_[b] = ProfileOf(labels);
  SetBotClass(b, c, now);  // ...and back into the new label sets' counts
}

void WaitAttribution::SetAccountFree(uint32_t account, bool free, Time now) {
  if ((free_[account] != 0) == free) return;
  free_[account] = free ? 1 : 0;
  for (uint32_t l = 0; l < tracked_.size(); ++l) {
    if (tracked_[l]) Refresh(l, account, now);
  }
}

// docs/waits.md, "Queued time": the first rule that applies.
WaitReason WaitAttribution::CohortReason(uint32_t l, uint32_t account) const {
  const LabelCounts& n = label_counts_[l];
  bool free = free_[account] != 0;
  if (n.alive == 0) return kNoBot;
  if (free && no_free_tasks_[account]) return kQuota;
  if (n.polling > 0) return kNotPolled;
  if (n.idle > 0) return limits_ ? (free ? kQuota : kThrottled) : kNotPolled;
  return free ? kQuota : kCapacity;
}

void WaitAttribution::Refresh(uint32_t l, uint32_t account, Time now) {
  Cohort& c = cohorts_[l * accounts_ + account];
  if (c.queued == 0) return;  // no task's share spans the time until one enters
  uint8_t r = CohortReason(l, account);
  if (r == c.reason) return;
  c.clock[c.reason] += ToMicros(now - c.since);
  c.since = now;
  c.reason = r;
}

void WaitAttribution::RefreshLabelSet(uint32_t l, Time now) {
  for (uint32_t a : label_accounts_[l]) Refresh(l, a, now);
}

// ---------------------------------------------------------------- a task's phases

void WaitAttribution::Close(uint32_t id, Time now) {
  TaskWait& w = waits_[id];
  if (w.phase == Phase::kNone) {  // not waiting: no slot, nothing to add
    w.since = now;
    return;
  }
  WaitSplit& acc = live_[w.slot];
  int64_t elapsed = ToMicros(now - w.since);
  switch (w.phase) {
    case Phase::kNone: break;
    case Phase::kForgotten:
      acc[kForgotten] += elapsed;
      if (elapsed > 0 && tasks_[id].measured) ++counts_[tasks_[id].account].forgotten;
      break;
    case Phase::kQueued: {
      Cohort& c = cohorts_[w.cohort];
      for (int r = 0; r < kNumQueuedReasons; ++r) acc[r] += c.clock[r];
      acc[c.reason] += ToMicros(now - c.since);
      --c.queued;
      break;
    }
    case Phase::kDispatch: acc[kDispatch] += elapsed; break;
    case Phase::kProvision: acc[kProvision] += elapsed; break;
    case Phase::kRunning: acc[kLostRuns] += elapsed; break;
  }
  w.since = now;
}

void WaitAttribution::Enter(uint32_t id, Phase next, Time now) {
  Close(id, now);
  TaskWait& w = waits_[id];
  w.phase = next;
  if (next != Phase::kQueued) return;
  // Entering the queue: subtract the cohort's clocks now, add them back on
  // leaving (Close), so the task gets exactly their growth in between.
  Cohort& c = cohorts_[w.cohort];
  if (c.queued == 0) {
    c.reason = CohortReason(static_cast<uint32_t>(w.cohort / accounts_), static_cast<uint32_t>(w.cohort % accounts_));
  }
  c.clock[c.reason] += ToMicros(now - c.since);
  c.since = now;
  ++c.queued;
  WaitSplit& acc = live_[w.slot];
  for (int r = 0; r < kNumQueuedReasons; ++r) acc[r] -= c.clock[r];
}

void WaitAttribution::Arrived(uint32_t id, Time now) {
  if (waits_.size() <= id) waits_.resize(id + 1);
  const Task& t = tasks_[id];
  Track(t.base_labels);
  std::vector<uint32_t>& users = label_accounts_[t.base_labels];
  if (std::find(users.begin(), users.end(), t.account) == users.end()) users.push_back(t.account);
  TaskWait& w = waits_[id];
  w.cohort = static_cast<uint32_t>(t.base_labels * accounts_ + t.account);
  w.since = now;
  w.phase = Phase::kForgotten;
  if (free_slots_.empty()) {
    w.slot = static_cast<uint32_t>(live_.size());
    live_.emplace_back();
  } else {
    w.slot = free_slots_.back();
    free_slots_.pop_back();
    live_[w.slot] = WaitSplit{};
  }
}

bool WaitAttribution::Enqueued(uint32_t id, Time now) {
  TaskWait& w = waits_[id];
  bool first = !w.enqueued;
  w.enqueued = true;
  if (!first && tasks_[id].measured) ++counts_[tasks_[id].account].re_adds;
  BackInQueue(id, now);
  return first;
}

void WaitAttribution::BackInQueue(uint32_t id, Time now) {
  if (tasks_[id].state == TaskState::kPending && waits_[id].phase != Phase::kQueued) Enter(id, Phase::kQueued, now);
}

void WaitAttribution::Assigned(uint32_t id, Time now) {
  if (tasks_[id].state == TaskState::kPending) Enter(id, Phase::kDispatch, now);
}

void WaitAttribution::Forgotten(uint32_t id, Time now, bool same_pass) {
  if (same_pass && tasks_[id].measured) ++counts_[tasks_[id].account].same_pass;
  if (tasks_[id].state == TaskState::kPending && waits_[id].phase != Phase::kForgotten) {
    Enter(id, Phase::kForgotten, now);
  }
}

void WaitAttribution::Claimed(uint32_t id, Time now, bool provision) {
  Enter(id, provision ? Phase::kProvision : Phase::kDispatch, now);
}

bool WaitAttribution::Started(uint32_t id, Time now) {
  Enter(id, Phase::kRunning, now);
  at_last_start_.erase(id);
  const WaitSplit& acc = live_[waits_[id].slot];
  return std::accumulate(acc.begin(), acc.end(), int64_t{0}) == ToMicros(now - tasks_[id].enqueue);
}

void WaitAttribution::RunLost(uint32_t id, Time now) {
  // A run that had started: the wait so far ends at that start (what wait_s
  // measures) unless the task starts again.
  if (waits_[id].phase == Phase::kRunning) at_last_start_[id] = live_[waits_[id].slot];
  Enter(id, Phase::kForgotten, now);  // until the scheduler hears of it again
}

void WaitAttribution::Ended(uint32_t id, Time now) {
  // A run that ends (completed, failed, lost for good) is not waiting.
  if (waits_[id].slot == kNoSlot) return;  // ended before
  if (waits_[id].phase != Phase::kRunning) Close(id, now);
  waits_[id].phase = Phase::kNone;
  Store(id);
}

// The split is final: nothing after Ended (or Finish) changes it.
void WaitAttribution::Store(uint32_t id) {
  TaskWait& w = waits_[id];
  auto it = at_last_start_.find(id);
  if (it != at_last_start_.end()) {
    done_.Set(id, it->second);
    at_last_start_.erase(it);
  } else {
    done_.Set(id, live_[w.slot]);
  }
  free_slots_.push_back(w.slot);
  w.slot = kNoSlot;
}

void WaitAttribution::Finish(Time end) {
  for (uint32_t id = 0; id < waits_.size(); ++id) {
    if (waits_[id].phase != Phase::kNone && waits_[id].phase != Phase::kRunning) Ended(id, end);
    if (waits_[id].slot != kNoSlot) Store(id);  // still running
  }
  // Only the stored splits are read from now on.
  waits_ = {};
  live_ = {};
  free_slots_ = {};
}

}  // namespace qsim::sim
