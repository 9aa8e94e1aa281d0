// The coordinator's run-time behaviour: tasks at the dispatcher, the
// dispatcher answering polls, bots running tasks, and bots' outages. The
// wiring is in world_setup.cc.
#include "sim/internal/world.h"

#include <algorithm>

#include "base/check.h"
#include "sim/internal/provision.h"

namespace qsim::sim {

// How many bots ahead the flush loops ask for a bot's state.
constexpr size_t kFlushAhead = 8;

std::string World::At() const { return "t=" + FormatMicros(ToMicros(Since(engine_.now()))) + ": "; }

// ---------------------------------------------------------------- tasks at the dispatcher

void World::Arrive(const Arrival& a) {
  uint32_t id = tasks_.Add(engine_.now(), a.workload, a.account, a.base, a.prov, a.duration);
  attribution_.Arrived(id, engine_.now());
  recorder_.ChangeInSystem(engine_.now(), +1);
  NotifyWaiting(id);
  if (std::optional<Duration> after = workload_.DrawCancel(a.workload)) {
    engine_.After(*after, MemberCall<&World::CancelTask>(this, id));
  }
  const FaultsSpec& f = scenario_.faults;
  if (f.task_error_probability > 0 && task_error_rng_->Bernoulli(f.task_error_probability)) {
    engine_.After(f.task_error_after, MemberCall<&World::RaiseTaskError>(this, id));
  }
  RequestFlushIfParked();
}

void World::NotifyWaiting(uint32_t id) { channel_->NotifyTaskWaiting(WaitingRequest(id)); }

const reconciler::TaskWaitingRequest& World::WaitingRequest(uint32_t id) {
  const Task& t = tasks_[id];
  // Assigning into the one reused request keeps its strings' and vectors'
  // buffers, so notifying allocates nothing once they have grown.
  // Fields equal to the last notification's (same account, label sets,
  // workload) are not assigned again: nothing but this function writes them.
  reconciler::TaskWaitingRequest& r = waiting_request_;
  WaitingKey& k = waiting_key_;
  if (k.account != t.account) r.account = scenario_.accounts[k.account = t.account].id;
  if (k.base_labels != t.base_labels) r.base_labels = tasks_.labels(k.base_labels = t.base_labels);
  if (k.prov_labels != t.prov_labels) r.provisionable_labels = tasks_.labels(k.prov_labels = t.prov_labels);
  if (k.workload != t.workload) r.tags = workload_.tags(k.workload = t.workload);
  r.enqueue_time = t.enqueue;
  FormatTaskName(id, &r.request);
  r.time = engine_.now();
  return r;
}

void World::EndTask(uint32_t id, Outcome outcome, Time end) {
  attribution_.Ended(id, end);
  tasks_.End(id, outcome, end);
  recorder_.ChangeInSystem(engine_.now(), -1);
}

// A running task goes back to the queue and the scheduler hears of it again.
void World::RequeueTask(uint32_t id) {
  tasks_.Requeue(id);
  attribution_.RunLost(id, engine_.now());
  NotifyWaiting(id);
}

void World::CancelTask(uint32_t id) {
  if (tasks_[id].state != TaskState::kPending) return;  // only queued tasks are cancelled
  EndTask(id, Outcome::kCancelled, engine_.now());
  channel_->NotifyTaskAbsent({TaskName(id), "", engine_.now()});
}

void World::RaiseTaskError(uint32_t id) {
  if (tasks_[id].state != TaskState::kPending) return;
  channel_->AddTaskError(TaskName(id), "simulated task error");
}

void World::PollCancellations() {
  Time now = engine_.now();
  for (const reconciler::Cancellation& c : channel_->Cancellations()) {
    int64_t task = tasks_.Parse(c.request);
    if (task < 0) continue;
    uint32_t id = static_cast<uint32_t>(task);
    Task& t = tasks_[id];
    if (!c.worker.empty()) {
      // An abort: only if that bot really runs that task (else it is stale).
      auto it = bot_index_.find(c.worker);
      if (it == bot_index_.end()) continue;
      Bot& bot = bots_[it->second];
      if (bot.task == task && !bot.aborting && !bot.silent && t.state == TaskState::kRunning) {
        Abort(it->second, AbortReason::kPreempt);
      }
      continue;
    }
    // A task error: the dispatcher cancels the task.
    if (t.state == TaskState::kPending) {
      EndTask(id, Outcome::kFailed, now);
      channel_->NotifyTaskAbsent({c.request, "", now});
    } else if (t.state == TaskState::kRunning) {
      Bot& bot = bots_[t.bot];
      if (!bot.aborting && !bot.silent) Abort(static_cast<uint32_t>(t.bot), AbortReason::kError);
    } else {
      channel_->NotifyTaskAbsent({c.request, "", now});  // clears the stale error
    }
  }
}

// Every task pending at the dispatcher, as one batch (see WaitingBatch).
class World::RenotifyBatch final : public WaitingBatch {
 public:
  explicit RenotifyBatch(World& world) : world_(world) {}
  size_t size() const override { return world_.renotify_ids_.size(); }
  Time time() const override { return world_.engine_.now(); }
  std::string_view name(size_t i) const override {
    const TaskNameBuffer& n = world_.renotify_names_[i];
    return std::string_view(n.chars, n.size);
  }
  const reconciler::TaskWaitingRequest& Request(size_t i) override {
    return world_.WaitingRequest(world_.renotify_ids_[i]);
  }

 private:
  World& world_;
};

void World::Renotify() {
  // Nothing a notification sets off changes which tasks are pending, so the
  // ids can be listed first.
  renotify_ids_.clear();
  tasks_.ForEachPending([this](uint32_t id) { renotify_ids_.push_back(id); });
  renotify_names_.resize(renotify_ids_.size());
  for (size_t i = 0; i < renotify_ids_.size(); ++i) {
    TaskNameBuffer& n = renotify_names_[i];
    n.size = static_cast<uint8_t>(FormatTaskName(renotify_ids_[i], n.chars));
  }
  RenotifyBatch batch(*this);
  channel_->NotifyTasksWaiting(batch, 0, batch.size());
}

// ---------------------------------------------------------------- the dispatcher answering polls

void World::Poll(uint32_t b) {
  Bot& bot = bots_[b];
  if (bot.silent || bot.state != BotState::kIdle) return;
  if (bot.leaving) return Retire(b);  // every path back to idle polls: a leaving bot goes here
  engine_.Cancel(&bot.poll);
  bot.state = BotState::kPolling;
  SyncBot(b);
  batch_.push_back(b);
  RequestFlush();
}

// An idle bot polls again after its group's poll interval.
void World::SchedulePoll(uint32_t b) {
  bots_[b].poll = engine_.After(scenario_.bots[bots_[b].group].poll_interval, MemberCall<&World::PollDue>(this, b));
}

void World::PollDue(uint32_t b) {
  bots_[b].poll = {};
  Poll(b);
}

void World::WarmPoll(const Call& call) {
  if (call.fn == MemberCall<&World::PollDue>(static_cast<World*>(nullptr), 0).fn) {
    __builtin_prefetch(&static_cast<const World*>(call.ctx)->bots_[call.arg]);
  }
}

void World::RequestFlush() {
  if (flush_pending_) return;
  flush_pending_ = true;
  engine_.After(scenario_.dispatcher.batch_window, MemberCall<&World::FlushDue>(this, 0));
}

// With long polls, new work wakes the parked bots.
void World::RequestFlushIfParked() {
  if (scenario_.dispatcher.long_poll && !parked_.empty()) RequestFlush();
}

void World::FlushDue(uint32_t) { Flush(); }

void World::Flush() {
  flush_pending_ = false;
  still_parked_.clear();
  CollectFlushBots();
  if (!flush_bots_.empty()) {
    refunded_accounts_.clear();
    AnswerFlushBots();
    FollowRefunds();
  }
  std::sort(still_parked_.begin(), still_parked_.end());
  parked_.swap(still_parked_);
  for (const reconciler::TaskAbsentRequest& r : after_flush_) channel_->NotifyTaskAbsent(r);
  after_flush_.clear();
}

// The batch's polling bots, then the parked ones, each once.
void World::CollectFlushBots() {
  flush_bots_.clear();
  for (uint32_t b : batch_) {
    if (bots_[b].state == BotState::kPolling && !bots_[b].silent && !in_flush_[b]) {
      in_flush_[b] = 1;
      flush_bots_.push_back(b);
    }
  }
  batch_.clear();
  for (uint32_t b : parked_) {
    Bot& bot = bots_[b];
    if (!bot.parked || bot.silent || bot.state != BotState::kIdle) {
      bot.parked = false;
      continue;
    }
    if (!in_flush_[b]) {
      in_flush_[b] = 1;
      flush_bots_.push_back(b);
    }
  }
}

// One AssignTasks call; assigned bots claim their tasks, the others poll
// again later (or stay parked).
void World::AnswerFlushBots() {
  std::vector<reconciler::Assignment> assignments = AssignFlushBots();
  uint32_t next = 0;
  for (const reconciler::Assignment& a : assignments) {
    const int64_t b = FlushBotNamed(a.worker, &next);
    int64_t task = tasks_.Parse(a.request);
    if (b < 0 || !in_flush_[b] || task < 0) {
      recorder_.Violation(At() + "assignment of " + a.request + " to a worker that did not ask: " + a.worker);
      continue;
    }
    in_flush_[b] = 2;  // answered
    Claim(static_cast<uint32_t>(b), static_cast<uint32_t>(task));
  }
  for (size_t i = 0; i < flush_bots_.size(); ++i) {
    if (i + kFlushAhead < flush_bots_.size()) __builtin_prefetch(&bots_[flush_bots_[i + kFlushAhead]]);
    const uint32_t b = flush_bots_[i];
    Bot& bot = bots_[b];
    bool answered = in_flush_[b] == 2;
    in_flush_[b] = 0;
    if (answered) continue;
    if (bot.state == BotState::kPolling) {
      bot.state = BotState::kIdle;
      SchedulePoll(b);
    }
    if (scenario_.dispatcher.long_poll && bot.state == BotState::kIdle && !bot.parked) bot.parked = true;
    if (bot.parked) still_parked_.push_back(b);
    SyncBot(b);
  }
  SyncAccounts();
}

// A preemption refund may lift a balance above its cap: that is the one
// allowed way, so the audit's allowance follows it.
void World::FollowRefunds() {
  for (uint32_t acc : refunded_accounts_) {
    if (auto bal = host_->scheduler().GetBalance(scenario_.accounts[acc].id)) audit_.Refunded(acc, *bal);
  }
}

int64_t World::FlushBotNamed(const std::string& worker, uint32_t* next) const {
  // Comparing stored hashes reads one array; a hash table lookup would read
  // a node and its key from memory.
  const uint64_t hash = HashId(worker);
  const uint32_t n = static_cast<uint32_t>(flush_bots_.size());
  for (uint32_t i = *next; i < n; ++i) {
    const uint32_t slot = flush_base_ + i;
    if (report_hash_[slot] == hash && SameId(reports_[slot].id, worker)) {
      *next = i + 1;
      return bot_at_[slot];
    }
  }
  auto it = bot_index_.find(worker);
  return it == bot_index_.end() ? -1 : it->second;
}

std::vector<reconciler::Assignment> World::AssignFlushBots() {
  const uint32_t n = static_cast<uint32_t>(flush_bots_.size());
  // The flush's reports go where its first bot's is, so that bots polling
  // together stay together: an idle bot polls in the same company every
  // poll interval, and then nothing moves.
  flush_base_ = std::min(bots_[flush_bots_[0]].report, static_cast<uint32_t>(reports_.size()) - n);
  const uint32_t base = flush_base_;
  // Slots base..base+i-1 hold the bots already placed, so neither the slot
  // b goes to nor the one it leaves is one of theirs. A large fleet's bots
  // are reads from memory: each is asked for ahead (speed only, as in
  // AnswerFlushBots), and, once its line is likely in, the report it leaves
  // and the bot whose place it takes, which PlaceReport reads.
  for (uint32_t i = 0; i < n; ++i) {
    if (i + kFlushAhead < n) {
      __builtin_prefetch(&bots_[flush_bots_[i + kFlushAhead]]);
      __builtin_prefetch(&bots_[bot_at_[base + i + kFlushAhead]]);
    }
    if (i + kFlushAhead / 2 < n) {
      const uint32_t from = bots_[flush_bots_[i + kFlushAhead / 2]].report;
      __builtin_prefetch(&reports_[from]);
      __builtin_prefetch(&report_hash_[from]);
    }
    PlaceReport(flush_bots_[i], base + i);
  }
  return channel_->AssignTasks(engine_.now(), std::span<const reconciler::IdleWorker>(reports_.data() + base, n));
}

void World::PlaceReport(uint32_t b, uint32_t slot) {
  const uint32_t from = bots_[b].report;
  if (from == slot) return;
  const uint32_t other = bot_at_[slot];
  reports_[slot].id.swap(reports_[from].id);
  reports_[slot].labels.swap(reports_[from].labels);
  std::swap(report_hash_[slot], report_hash_[from]);
  bots_[b].report = slot;
  bot_at_[slot] = b;
  bots_[other].report = from;
  bot_at_[from] = other;
}

void World::Claim(uint32_t b, uint32_t id) {
  Bot& bot = bots_[b];
  Task& t = tasks_[id];
  Time now = engine_.now();
  if (bot.task >= 0) {
    recorder_.Violation(At() + "bot " + BotId(b) + " given " + TaskName(id) + " while running " + TaskName(bot.task),
                        static_cast<int32_t>(t.account));
    return;
  }
  if (t.state != TaskState::kPending) {
    // The claim fails: the dispatcher, the authority, tells the scheduler
    // what it knows, and the bot polls again later.
    if (t.state == TaskState::kRunning) {
      channel_->NotifyTaskRunning({TaskName(id), BotId(static_cast<uint32_t>(t.bot)), now});
    } else {
      channel_->NotifyTaskAbsent({TaskName(id), "", now});
    }
    bot.state = BotState::kIdle;
    SchedulePoll(b);
    return;
  }
  const LabelSet& want = tasks_.labels(t.prov_labels);
  bool provision = !HasAll(bot.prov, want);
  tasks_.Claim(id, static_cast<int32_t>(b), now);
  attribution_.Claimed(id, now, provision);
  engine_.Cancel(&bot.poll);
  bot.parked = false;
  bot.state = BotState::kBusy;
  bot.task = static_cast<int32_t>(id);
  SyncBot(b);
  channel_->NotifyTaskRunning({TaskName(id), BotId(b), now});
  if (provision) {
    t.provision_needed = true;
    bot.run = engine_.After(scenario_.bots[bot.group].provision_time, MemberCall<&World::ProvisionDone>(this, b));
  } else {
    StartExecution(b);
  }
}

// ---------------------------------------------------------------- a bot's run of a task

void World::RecomputeBotLabels(uint32_t b) {
  const Bot& bot = bots_[b];
  std::vector<std::string> all = bot.base;
  all.insert(all.end(), bot.prov.begin(), bot.prov.end());
  reports_[bots_[b].report].labels = MakeLabelSet(std::move(all));
}

void World::ProvisionDone(uint32_t b) {
  Bot& bot = bots_[b];
  bot.run = {};
  bot.prov = Provision(bot.prov, tasks_.labels(tasks_[bot.task].prov_labels));
  RecomputeBotLabels(b);
  attribution_.SetBotLabels(b, BotLabels(b), engine_.now());
  StartExecution(b);
}

void World::StartExecution(uint32_t b) {
  Bot& bot = bots_[b];
  Task& t = tasks_[bot.task];
  t.start = engine_.now();
  if (!attribution_.Started(bot.task, t.start)) {
    recorder_.Violation(At() + TaskName(bot.task) + "'s wait reasons do not add up to its wait",
                        static_cast<int32_t>(t.account));
  }
  Duration run = t.duration;
  if (any_from_assignment_ && scenario_.workloads[t.workload].arrivals.duration_from_assignment &&
      static_cast<size_t>(bot.task) < assigned_at_.size() && assigned_at_[bot.task] != kNever) {
    // The log measured from the assignment: the bot's pick-up delay and any
    // provisioning are inside the duration already.
    run = std::max(Duration::zero(), assigned_at_[bot.task] + t.duration - t.start);
  }
  bot.run = engine_.After(run, MemberCall<&World::RunDone>(this, b));
}

void World::RunDone(uint32_t b) {
  Bot& bot = bots_[b];
  bot.run = {};
  if (bot.silent) {
    bot.deferred = Deferred::kRunDone;
    bot.deferred_time = engine_.now();
    return;
  }
  FinishRun(b, Outcome::kCompleted, engine_.now());
}

void World::ReleaseBot(uint32_t b, Time busy_end) {
  Bot& bot = bots_[b];
  Task& t = tasks_[bot.task];
  recorder_.AddBusy(b, t.account, t.claim, busy_end);
  t.claim = kNever;
  // Its task gone while the bot is silent: it is unavailable from now on.
  if (bot.silent && bot.unavailable_since == kNever) bot.unavailable_since = busy_end;
  bot.task = -1;
  bot.aborting = false;
  bot.deferred = Deferred::kNone;
  engine_.Cancel(&bot.run);
  bot.state = BotState::kIdle;
  SyncBot(b);
}

void World::FinishRun(uint32_t b, Outcome outcome, Time end) {
  Bot& bot = bots_[b];
  uint32_t id = static_cast<uint32_t>(bot.task);
  EndTask(id, outcome, end);
  ReleaseBot(b, end);
  channel_->NotifyTaskAbsent({TaskName(id), BotId(b), engine_.now()});
  Poll(b);  // a bot asks for more work as soon as it is done
}

void World::Abort(uint32_t b, AbortReason reason) {
  Bot& bot = bots_[b];
  bot.aborting = true;
  bot.abort_reason = reason;
  engine_.Cancel(&bot.run);
  bot.run = engine_.After(scenario_.bots[bot.group].abort_time, MemberCall<&World::AbortDone>(this, b));
}

void World::AbortDone(uint32_t b) {
  Bot& bot = bots_[b];
  bot.run = {};
  Time now = engine_.now();
  if (bot.silent) {
    bot.deferred = Deferred::kAbortDone;
    bot.deferred_time = now;
    return;
  }
  uint32_t id = static_cast<uint32_t>(bot.task);
  Task& t = tasks_[id];
  if (bot.abort_reason == AbortReason::kError) {
    FinishRun(b, Outcome::kFailed, now);
    return;
  }
  ++t.times_preempted;
  t.wasted += now - t.claim;
  if (scenario_.dispatcher.preempted == DispatcherSpec::Preempted::kRequeue) {
    ReleaseBot(b, now);
    RequeueTask(id);
    Poll(b);
    RequestFlushIfParked();
  } else {
    EndTask(id, Outcome::kPreempted, now);
    ReleaseBot(b, now);
    // Reported after the bot's next poll: an absent report drops the
    // worker's pending queue, which holds the preempting task.
    after_flush_.push_back({TaskName(id), BotId(b), now});
    Poll(b);
  }
}

// ---------------------------------------------------------------- outages

void World::Outage(uint32_t b, Duration downtime, bool kill) {
  Bot& bot = bots_[b];
  if (bot.silent) return;
  Time now = engine_.now();
  bot.silent = true;
  bot.parked = false;
  engine_.Cancel(&bot.poll);
  if (bot.state == BotState::kPolling) bot.state = BotState::kIdle;  // Flush skips it
  if (kill && bot.task >= 0) {
    // The task dies with the bot; busy time stops now. The dispatcher only
    // learns of it by the death timeout, or when the bot comes back.
    Task& t = tasks_[bot.task];
    recorder_.AddBusy(b, t.account, t.claim, now);
    t.claim = now;
    engine_.Cancel(&bot.run);
    bot.task_killed = true;
    bot.aborting = false;
  }
  // A flapping bot that keeps running its task stays busy and available;
  // otherwise the silent bot is unavailable.
  bot.unavailable_since = bot.task < 0 || bot.task_killed ? now : kNever;
  SyncBot(b);
  bot.detect = engine_.After(scenario_.dispatcher.bot_death_timeout, MemberCall<&World::DetectDeadDue>(this, b));
  bot.ret = engine_.After(downtime, MemberCall<&World::ReturnDue>(this, b));
}

void World::TaskLost(uint32_t id) {
  Task& t = tasks_[id];
  Time now = engine_.now();
  uint32_t b = static_cast<uint32_t>(t.bot);
  ReleaseBot(b, bots_[b].task_killed ? t.claim : now);
  bots_[b].task_killed = false;
  ++t.deaths;
  if (t.deaths <= scenario_.dispatcher.bot_death_retries) {
    RequeueTask(id);
    RequestFlushIfParked();
  } else {
    EndTask(id, Outcome::kLost, now);
    channel_->NotifyTaskAbsent({TaskName(id), BotId(b), now});
  }
}

void World::DetectDeadDue(uint32_t b) {
  bots_[b].detect = {};
  DetectDead(b);
}

void World::ReturnDue(uint32_t b) {
  bots_[b].ret = {};
  Return(b);
}

void World::DetectDead(uint32_t b) {
  Bot& bot = bots_[b];
  // The dispatcher gives up on the bot: its task is reported lost, and the
  // bot, when it returns, is told to drop it.
  if (bot.task >= 0) TaskLost(static_cast<uint32_t>(bot.task));
}

void World::Return(uint32_t b) {
  Bot& bot = bots_[b];
  Time now = engine_.now();
  // A run that ended while the bot was silent ends its busy time then.
  if (bot.unavailable_since == kNever && bot.task >= 0 && bot.deferred == Deferred::kRunDone) {
    bot.unavailable_since = bot.deferred_time;
  }
  if (bot.unavailable_since != kNever) recorder_.AddUnavailable(b, bot.unavailable_since, now);
  bot.unavailable_since = kNever;
  bot.silent = false;
  SyncBot(b);
  engine_.Cancel(&bot.detect);
  if (bot.task >= 0) {
    if (bot.task_killed) {
      TaskLost(static_cast<uint32_t>(bot.task));  // the bot reports its task died
    } else if (bot.deferred == Deferred::kRunDone) {
      FinishRun(b, Outcome::kCompleted, bot.deferred_time);
      return;
    } else if (bot.deferred == Deferred::kAbortDone) {
      bot.deferred = Deferred::kNone;
      AbortDone(b);
      return;
    } else {
      return;  // still working on its task
    }
  }
  bot.state = BotState::kIdle;
  Poll(b);
}

void World::ApplyLabelChange(uint32_t group, const LabelChange& change) {
  for (uint32_t b : group_bots_[group]) {
    Bot& bot = bots_[b];
    bot.base = change.labels;
    if (change.provisionable_labels) bot.prov = *change.provisionable_labels;
    RecomputeBotLabels(b);
    attribution_.SetBotLabels(b, BotLabels(b), engine_.now());
  }
}

// ---------------------------------------------------------------- bots' presence

void World::JoinGroup(uint32_t group) {
  Time now = engine_.now();
  for (uint32_t b : group_bots_[group]) {
    Bot& bot = bots_[b];
    recorder_.AddUnavailable(b, bot.unavailable_since, now);
    bot.unavailable_since = kNever;
    bot.silent = bot.absent = false;
    SyncBot(b);  // its first poll is already scheduled (CreateBots)
  }
}

// An idle bot leaves now; a busy one finishes its run (or has it aborted,
// or lost) first, and a silent one when it returns: each then polls, and
// Poll retires it. An assignment a leaving bot never took times out in the
// reconciler's worker queue, as a dead bot's does.
void World::LeaveGroup(uint32_t group) {
  for (uint32_t b : group_bots_[group]) {
    Bot& bot = bots_[b];
    bot.leaving = true;
    if (bot.silent || bot.task >= 0) continue;
    if (bot.state == BotState::kPolling) bot.state = BotState::kIdle;  // Flush skips it
    Retire(b);
  }
}

void World::Retire(uint32_t b) {
  Bot& bot = bots_[b];
  bot.silent = bot.absent = true;
  bot.parked = false;
  engine_.Cancel(&bot.poll);
  bot.unavailable_since = engine_.now();
  SyncBot(b);
}

void World::Restart() {
  Status s = host_->Restart();
  if (!s.ok()) recorder_.Violation("t=" + FormatMicros(ToMicros(Since(engine_.now()))) + ": " + s.message());
}

// ---------------------------------------------------------------- events, samples and checks

// Scheduler events move a pending task between the scheduler's queue, an
// assignment and being forgotten (docs/waits.md); events about a task the
// dispatcher runs or has ended change nothing there.
void World::OnEvent(const TaskEvent& e) {
  int64_t task = tasks_.Parse(e.task);
  std::string_view cause;
  if (task >= 0) {
    uint32_t id = static_cast<uint32_t>(task);
    Task& t = tasks_[id];
    Time now = engine_.now();
    bool pending = t.state == TaskState::kPending;
    switch (e.type) {
      case EventType::kEnqueued:
        cause = attribution_.Enqueued(id, now) ? "first" : "re_add";
        break;
      case EventType::kAssigned:
        t.assigned_priority = static_cast<int8_t>(e.priority);
        if (t.first_assigned == kNever) t.first_assigned = e.time;
        attribution_.Assigned(id, now);
        if (any_from_assignment_) {
          if (assigned_at_.size() <= static_cast<size_t>(task)) assigned_at_.resize(tasks_.size(), kNever);
          assigned_at_[static_cast<size_t>(task)] = e.time;
        }
        break;
      case EventType::kUnassigned:
        ++t.times_unassigned;
        // Back in the queue as it was, unless older than max_queue_age (§4).
        if (pending && now - t.enqueue > scenario_.policy.max_queue_age) attribution_.Forgotten(id, now, false);
        else attribution_.BackInQueue(id, now);
        break;
      case EventType::kPreempted:
        refunded_accounts_.insert(t.account);
        cause = pending ? "same_pass" : "running";
        if (pending) attribution_.Forgotten(id, now, true);
        break;
      case EventType::kCompleted:
        attribution_.Forgotten(id, now, false);  // a pending task's request is dropped
        break;
      default:
        break;
    }
  }
  if (recorder_.writes_events()) recorder_.WriteEvent(e, cause);
  if (taskevents_) taskevents_->Write(e);
}

void World::ReportLibraryError(Time t, const std::string& what, const Status& status) {
  recorder_.Violation("t=" + FormatMicros(ToMicros(Since(t))) + ": the library refused " + what + ": " +
                      status.message());
}

void World::SyncBot(uint32_t b) {
  const Bot& bot = bots_[b];
  BotClass c = bot.silent                        ? BotClass::kDead
               : bot.task >= 0                   ? BotClass::kBusy
               : bot.state == BotState::kPolling ? BotClass::kPolling
                                                 : BotClass::kIdle;
  attribution_.SetBotClass(b, c, engine_.now());
}

void World::SyncAccounts() {
  const Scheduler& s = host_->scheduler();
  s.BestPriorities(&best_priorities_);
  // Every account of the scenario has a balance, in the same (id) order.
  QSIM_CHECK(best_priorities_.size() == scenario_.accounts.size(), "%zu balances for %zu accounts",
             best_priorities_.size(), scenario_.accounts.size());
  for (uint32_t a = 0; a < scenario_.accounts.size(); ++a) {
    attribution_.SetAccountFree(a, best_priorities_[a] == kFreeBucket, engine_.now());
  }
}

void World::TakeSample() {
  for (uint32_t b = 0; b < bots_.size(); ++b) SyncBot(b);  // a safety net: every change already synced
  CheckBalances();
  CheckBotTime();
  if (!recorder_.writes_timeseries()) return;
  BotCounts counts;
  for (const Bot& bot : bots_) {
    if (bot.absent) continue;  // not in the fleet: neither idle, busy nor dead
    if (bot.silent) ++counts.dead;
    else if (bot.task >= 0) ++counts.busy;
    else ++counts.idle;
  }
  recorder_.WriteSample(engine_.now(), host_->scheduler(), counts);
}

void World::CheckBotTime() {
  int64_t window = recorder_.WindowUpTo(engine_.now());
  int64_t busy = 0, unavailable = 0;
  for (uint32_t b = 0; b < bots_.size(); ++b) {
    int64_t bb = recorder_.bot_busy_us(b), bu = recorder_.bot_unavailable_us(b);
    busy += bb;
    unavailable += bu;
    if (bb + bu > window) {
      recorder_.Violation(At() + "bot " + BotId(b) + " was busy " + FormatMicros(bb) + "s and unavailable " +
                          FormatMicros(bu) + "s within a window of " + FormatMicros(window) + "s");
    }
  }
  int64_t available = static_cast<int64_t>(bots_.size()) * window - unavailable;
  if (busy > available) {
    recorder_.Violation(At() + "the fleet was busy " + FormatMicros(busy) + "s of " + FormatMicros(available) +
                        "s available bot time");
  }
}

void World::CheckBalances() { audit_.Check(engine_.now(), host_->scheduler().Balances(), recorder_); }

// Every task accounted for exactly once: the task table agrees with its
// queue and with the bots, and each bot holding a task is busy with it.
void World::CheckAccounting() {
  std::string at = At();
  tasks_.Audit(
      at, [this](int32_t bot) { return bots_[bot].task; },
      [this](const std::string& message, int32_t account) { recorder_.Violation(message, account); });
  for (uint32_t b = 0; b < bots_.size(); ++b) {
    const Bot& bot = bots_[b];
    if (bot.task >= 0 && (tasks_[bot.task].state != TaskState::kRunning || tasks_[bot.task].bot != static_cast<int32_t>(b))) {
      recorder_.Violation(at + "bot " + BotId(b) + " holds " + TaskName(bot.task) + ", which is not running on it",
                          static_cast<int32_t>(tasks_[bot.task].account));
    }
    if (bot.task >= 0 && bot.state != BotState::kBusy) {
      recorder_.Violation(at + "bot " + BotId(b) + " holds a task but is not busy");
    }
  }
}

}  // namespace qsim::sim
