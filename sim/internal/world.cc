#include "sim/internal/world.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/check.h"
#include "sim/internal/sample.h"

namespace qsim::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Sets each provisionable label's key (the part before ':') to the task's
// value, keeping the bot's other keys: provisioning installs what the task
// asked for and leaves the rest alone.
LabelSet Provision(const LabelSet& have, const LabelSet& want) {
  auto key = [](const std::string& l) { return std::string_view(l).substr(0, l.find(':')); };
  std::vector<std::string> out;
  for (const std::string& h : have) {
    bool replaced = std::any_of(want.begin(), want.end(), [&](const std::string& w) { return key(w) == key(h); });
    if (!replaced) out.push_back(h);
  }
  out.insert(out.end(), want.begin(), want.end());
  return MakeLabelSet(std::move(out));
}

bool HasAll(const LabelSet& have, const LabelSet& want) {
  return std::includes(have.begin(), have.end(), want.begin(), want.end());
}

// Writes "t%08u" into *out without printf: names are formatted for every
// notification, and nine characters fit the string's inline buffer.
void FormatTaskName(uint32_t id, std::string* out) {
  char digits[10];
  char* end = std::to_chars(digits, digits + sizeof digits, id).ptr;
  size_t n = static_cast<size_t>(end - digits);
  out->assign(1, 't');
  if (n < 8) out->append(8 - n, '0');
  out->append(digits, n);
}

}  // namespace

World::World(const Scenario& scenario, uint64_t seed, const Outputs& outputs, const std::string& out_dir)
    : scenario_(scenario),
      seed_(seed),
      outputs_(outputs),
      out_dir_(out_dir),
      end_(kStart + scenario.duration),
      window_start_(kStart + scenario.warmup),
      engine_(seed, kStart) {
  // The delays scheduled once per poll: each gets its own event FIFO.
  engine_.UseFifoFor(scenario.dispatcher.batch_window);
  for (const auto& group : scenario.bots) engine_.UseFifoFor(group.poll_interval);
}

World::~World() = default;

// ---------------------------------------------------------------- setup

uint32_t World::InternLabels(const LabelSet& labels) {
  auto [it, inserted] = label_index_.emplace(labels, static_cast<uint32_t>(label_sets_.size()));
  if (inserted) label_sets_.push_back(labels);
  return it->second;
}

void World::RecomputeBotLabels(Bot& bot) {
  std::vector<std::string> all = bot.base;
  all.insert(all.end(), bot.prov.begin(), bot.prov.end());
  bot.all = MakeLabelSet(std::move(all));
}

void World::SchedulePeriodic(Duration interval, void (World::*fn)()) {
  // Each firing schedules the next, so there is one pending event per
  // periodic activity.
  struct Tick {
    World* w;
    Duration interval;
    void (World::*fn)();
    void Fire() const {
      (w->*fn)();
      Tick next = *this;
      if (w->engine_.now() + interval <= w->end_) w->engine_.After(interval, [next] { next.Fire(); });
    }
  };
  Tick first{this, interval, fn};
  engine_.After(interval, [first] { first.Fire(); });
}

Status World::Setup() {
  const Scenario& s = scenario_;
  Scheduler scheduler = Scheduler::New(kStart, s.policy);
  for (const AccountSpec& a : s.accounts) {
    AccountState st;
    st.id = a.id;
    std::vector<float> initial(kNumPriorities, 0);
    for (int p = 0; p < kNumPriorities; ++p) {
      st.cap[p] = a.config.charge_rate[p] * a.config.max_charge_seconds;
      st.charge_sum += a.config.charge_rate[p];
      initial[p] = a.initial_full ? st.cap[p] : (p < static_cast<int>(a.initial_balance.size()) ? a.initial_balance[p] : 0);
      st.allowance[p] = std::max(st.cap[p], initial[p]);
    }
    QSIM_RETURN_IF_ERROR(scheduler.AddAccount(a.id, a.config, initial).WithContext("accounts." + a.id));
    account_index_[a.id] = static_cast<uint32_t>(accounts_.size());
    accounts_.push_back(std::move(st));
  }
  host_ = std::make_unique<ReconcilerHost>(std::move(scheduler), this, this);
  channel_ = host_.get();
  const FaultsSpec& f = s.faults;
  // Decorators wrap in a fixed order; each draws from its own stream.
  if (f.lost_ack_probability > 0) {
    decorators_.push_back(std::make_unique<LostAcks>(channel_, f.lost_ack_probability, &engine_.Stream("faults/lost_acks")));
    channel_ = decorators_.back().get();
  }
  if (f.lost_assignment_probability > 0) {
    decorators_.push_back(std::make_unique<LostAssignments>(channel_, f.lost_assignment_probability,
                                                            &engine_.Stream("faults/lost_assignments")));
    channel_ = decorators_.back().get();
  }
  if (f.delay_probability > 0) {
    decorators_.push_back(std::make_unique<DelayedNotifications>(channel_, &engine_, f.delay_probability, f.delay,
                                                                 &engine_.Stream("faults/delayed_notifications")));
    channel_ = decorators_.back().get();
  }

  // Bots.
  group_bots_.resize(s.bots.size());
  for (uint32_t g = 0; g < s.bots.size(); ++g) {
    const BotGroupSpec& spec = s.bots[g];
    RandomStream& phase = engine_.Stream("bots/group=" + spec.name + "/phase");
    int width = std::max<int>(5, static_cast<int>(std::to_string(spec.count).size()));
    for (int64_t i = 0; i < spec.count; ++i) {
      uint32_t b = static_cast<uint32_t>(bots_.size());
      Bot bot;
      std::string num = std::to_string(i + 1);
      bot.id = spec.name + "-" + std::string(width - num.size(), '0') + num;
      bot.group = g;
      bot.base = spec.labels;
      bot.prov = spec.provisionable_labels;
      RecomputeBotLabels(bot);
      bot_index_.emplace(bot.id, b);
      bots_.push_back(std::move(bot));
      group_bots_[g].push_back(b);
      // Bots start polling spread over one poll interval, as a fleet does.
      Duration offset = Micros(static_cast<int64_t>(phase.UniformInt(0, ToMicros(spec.poll_interval) - 1)));
      bots_[b].poll = engine_.After(offset, [this, b] { bots_[b].poll = {}; Poll(b); });
    }
    for (const LabelChange& c : spec.label_changes) {
      if (c.at > s.duration) continue;
      engine_.Schedule(kStart + c.at, [this, g, &c] { ApplyLabelChange(g, c); });
    }
  }
  in_flush_.assign(bots_.size(), 0);

  // Workloads. Per-task streams are looked up once here, not per task.
  cancel_rngs_.assign(s.workloads.size(), nullptr);
  for (uint32_t w = 0; w < s.workloads.size(); ++w) {
    if (s.workloads[w].cancel_fraction > 0) cancel_rngs_[w] = &engine_.Stream("cancel/workload=" + s.workloads[w].name);
  }
  if (f.task_error_probability > 0) task_error_rng_ = &engine_.Stream("faults/task_errors");
  for (uint32_t w = 0; w < s.workloads.size(); ++w) ScheduleArrivals(w);

  // Dispatcher activities and sampling.
  SchedulePeriodic(s.dispatcher.cancellation_poll_interval, &World::PollCancellations);
  SchedulePeriodic(s.dispatcher.renotify_interval, &World::Renotify);
  engine_.Schedule(kStart, [this] { TakeSample(); });
  SchedulePeriodic(s.sample_interval, &World::TakeSample);

  // Faults that act on bots and on the scheduler.
  ScheduleOutages(f.bot_deaths, true, "faults/bot_deaths");
  ScheduleOutages(f.bot_flaps, false, "faults/bot_flaps");
  std::vector<Duration> restarts = f.restart_at;
  if (f.restart_every > Duration::zero()) {
    for (Duration t = f.restart_every; t <= s.duration; t += f.restart_every) restarts.push_back(t);
  }
  for (Duration t : restarts) {
    if (t <= s.duration) engine_.Schedule(kStart + t, [this] { Restart(); });
  }
  return Status::Ok();
}

void World::ScheduleOutages(const OutageSpec& spec, bool kill, const std::string& stream) {
  for (const ScheduledOutage& so : spec.scheduled) {
    if (so.at > scenario_.duration) continue;
    uint32_t g = 0;
    while (scenario_.bots[g].name != so.group) ++g;
    engine_.Schedule(kStart + so.at, [this, g, &so, kill] {
      int64_t left = so.count;
      for (uint32_t b : group_bots_[g]) {
        if (left == 0) break;
        if (bots_[b].silent) continue;
        Outage(b, so.downtime, kill);
        --left;
      }
    });
  }
  if (spec.rate_per_bot_day <= 0) return;
  for (uint32_t g = 0; g < scenario_.bots.size(); ++g) {
    RandomStream* rng = &engine_.Stream(stream + "/group=" + scenario_.bots[g].name);
    double mean_s = 86400.0 / (spec.rate_per_bot_day * static_cast<double>(group_bots_[g].size()));
    struct Next {
      World* w;
      uint32_t g;
      RandomStream* rng;
      double mean_s;
      const OutageSpec* spec;
      bool kill;
      void Arm() const {
        Duration gap = Micros(std::max<int64_t>(1, std::llround(rng->Exponential(mean_s) * 1e6)));
        if (w->engine_.now() + gap > w->end_) return;
        Next self = *this;
        w->engine_.After(gap, [self] {
          const auto& members = self.w->group_bots_[self.g];
          uint32_t b = members[self.rng->UniformInt(0, members.size() - 1)];
          Duration downtime = Sample(self.spec->downtime, *self.rng);
          if (!self.w->bots_[b].silent) self.w->Outage(b, downtime, self.kill);
          self.Arm();
        });
      }
    };
    Next{this, g, rng, mean_s, &spec, kill}.Arm();
  }
}

void World::ScheduleArrivals(uint32_t w) {
  const WorkloadSpec& spec = scenario_.workloads[w];
  const ArrivalSpec& a = spec.arrivals;
  RandomStream* arrivals = &engine_.Stream("arrivals/workload=" + spec.name);
  RandomStream* durations = &engine_.Stream("durations/workload=" + spec.name);
  uint32_t account = spec.account.empty() ? 0 : account_index_.at(spec.account);
  uint32_t base = InternLabels(spec.base_labels);
  uint32_t prov = InternLabels(spec.provisionable_labels);
  auto make = [this, w, account, base, prov, durations] {
    Duration d = std::max(Micros(1), Sample(scenario_.workloads[w].duration, *durations));
    CreateTask(w, account, base, prov, d);
  };
  switch (a.kind) {
    case ArrivalSpec::Kind::kPoisson:
    case ArrivalSpec::Kind::kSchedule: {
      double peak_rate = a.rate_per_hour * (1 + a.diurnal_amplitude);
      if (peak_rate > 0) {
        // Thinning: candidates at the peak rate, each kept with probability
        // rate(t) / peak, all from the workload's own stream.
        struct Next {
          World* w;
          const ArrivalSpec* a;
          RandomStream* rng;
          double peak_rate;
          decltype(make) create;
          void Arm() const {
            Duration gap = Micros(std::max<int64_t>(1, std::llround(rng->Exponential(3600.0 / peak_rate) * 1e6)));
            if (w->engine_.now() + gap > w->end_) return;
            Next self = *this;
            w->engine_.After(gap, [self] {
              bool keep = true;
              if (self.a->diurnal_amplitude > 0) {
                double t = static_cast<double>(ToMicros(self.w->engine_.now() - kStart - self.a->diurnal_peak)) / 86400e6;
                double rate = self.a->rate_per_hour * (1 + self.a->diurnal_amplitude * std::cos(2 * kPi * t));
                keep = self.rng->Uniform01() * self.peak_rate < rate;
              }
              if (keep) self.create();
              self.Arm();
            });
          }
        };
        Next{this, &a, arrivals, peak_rate, make}.Arm();
      }
      for (const Burst& burst : a.bursts) {
        for (int64_t k = 0; k < burst.count; ++k) {
          Duration at = burst.at + Micros(burst.count > 0 ? ToMicros(burst.over) * k / burst.count : 0);
          if (at > scenario_.duration) break;
          engine_.Schedule(kStart + at, make);
        }
      }
      break;
    }
    case ArrivalSpec::Kind::kList:
      for (Duration t : a.times) {
        if (t <= scenario_.duration) engine_.Schedule(kStart + t, make);
      }
      break;
    case ArrivalSpec::Kind::kReplay: {
      // One pending event at a time walks the (sorted) log.
      struct Next {
        World* w;
        uint32_t workload;
        size_t i;
        void Arm() const {
          const auto& rows = w->scenario_.workloads[workload].arrivals.replay;
          if (i >= rows.size() || rows[i].enqueue > w->scenario_.duration) return;
          Next self = *this;
          w->engine_.Schedule(kStart + rows[i].enqueue, [self] {
            const ReplayTask& r = self.w->scenario_.workloads[self.workload].arrivals.replay[self.i];
            self.w->CreateTask(self.workload, self.w->account_index_.at(r.account), self.w->InternLabels(r.base_labels),
                               self.w->InternLabels(r.provisionable_labels), r.duration);
            Next next = self;
            ++next.i;
            next.Arm();
          });
        }
      };
      Next{this, w, 0}.Arm();
      break;
    }
  }
}

// ---------------------------------------------------------------- workload

std::string World::TaskName(uint32_t id) const {
  std::string name;
  FormatTaskName(id, &name);
  return name;
}

int64_t World::ParseTaskName(const std::string& name) const {
  if (name.size() < 2 || name[0] != 't') return -1;
  uint32_t id = 0;
  auto r = std::from_chars(name.data() + 1, name.data() + name.size(), id);
  if (r.ec != std::errc() || r.ptr != name.data() + name.size() || id >= tasks_.size()) return -1;
  return id;
}

void World::CreateTask(uint32_t workload, uint32_t account, uint32_t base, uint32_t prov, Duration duration) {
  uint32_t id = static_cast<uint32_t>(tasks_.size());
  Task t;
  t.enqueue = engine_.now();
  t.duration = duration;
  t.account = account;
  t.workload = workload;
  t.base_labels = base;
  t.prov_labels = prov;
  t.measured = t.enqueue >= window_start_;
  tasks_.push_back(t);
  pending_.Insert(id);
  ++accounts_[account].pending;
  ChangeInSystem(+1);
  NotifyWaiting(id);

  const WorkloadSpec& w = scenario_.workloads[workload];
  if (w.cancel_fraction > 0 && cancel_rngs_[workload]->Bernoulli(w.cancel_fraction)) {
    engine_.After(w.cancel_after, [this, id] { CancelTask(id); });
  }
  const FaultsSpec& f = scenario_.faults;
  if (f.task_error_probability > 0 && task_error_rng_->Bernoulli(f.task_error_probability)) {
    engine_.After(f.task_error_after, [this, id] { RaiseTaskError(id); });
  }
  if (scenario_.dispatcher.long_poll && !parked_.empty()) RequestFlush();
}

void World::NotifyWaiting(uint32_t id) {
  const Task& t = tasks_[id];
  // Assigning into the one reused request keeps its strings' and vectors'
  // buffers, so notifying allocates nothing once they have grown.
  reconciler::TaskWaitingRequest& r = waiting_request_;
  r.account = accounts_[t.account].id;
  r.base_labels = label_sets_[t.base_labels];
  r.provisionable_labels = label_sets_[t.prov_labels];
  r.enqueue_time = t.enqueue;
  FormatTaskName(id, &r.request);
  r.tags = scenario_.workloads[t.workload].tags;
  r.time = engine_.now();
  channel_->NotifyTaskWaiting(r);
}

void World::EndTask(Task& t, uint32_t id, Outcome outcome, Time end) {
  if (t.state == TaskState::kPending) {
    pending_.Erase(id);
    --accounts_[t.account].pending;
  }
  t.state = TaskState::kDone;
  t.outcome = outcome;
  t.end = end;
  t.bot = -1;
  ChangeInSystem(-1);
}

void World::CancelTask(uint32_t id) {
  Task& t = tasks_[id];
  if (t.state != TaskState::kPending) return;  // only queued tasks are cancelled
  EndTask(t, id, Outcome::kCancelled, engine_.now());
  channel_->NotifyTaskAbsent({TaskName(id), "", engine_.now()});
}

void World::RaiseTaskError(uint32_t id) {
  if (tasks_[id].state != TaskState::kPending) return;
  channel_->AddTaskError(TaskName(id), "simulated task error");
}

// ---------------------------------------------------------------- dispatcher

void World::Poll(uint32_t b) {
  Bot& bot = bots_[b];
  if (bot.silent || bot.state != BotState::kIdle) return;
  engine_.Cancel(&bot.poll);
  bot.state = BotState::kPolling;
  batch_.push_back(b);
  RequestFlush();
}

void World::RequestFlush() {
  if (flush_pending_) return;
  flush_pending_ = true;
  engine_.After(scenario_.dispatcher.batch_window, [this] { Flush(); });
}

void World::Flush() {
  flush_pending_ = false;
  flush_bots_.clear();
  for (uint32_t b : batch_) {
    if (bots_[b].state == BotState::kPolling && !bots_[b].silent && !in_flush_[b]) {
      in_flush_[b] = 1;
      flush_bots_.push_back(b);
    }
  }
  batch_.clear();
  std::vector<uint32_t> still_parked;
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
  if (!flush_bots_.empty()) {
    refunded_accounts_.clear();
    std::vector<reconciler::Assignment> assignments = AssignFlushBots();
    for (const reconciler::Assignment& a : assignments) {
      auto it = bot_index_.find(a.worker);
      int64_t task = ParseTaskName(a.request);
      if (it == bot_index_.end() || !in_flush_[it->second] || task < 0) {
        Violation("t=" + FormatMicros(ToMicros(Since(engine_.now()))) + ": assignment of " + a.request +
                  " to a worker that did not ask: " + a.worker);
        continue;
      }
      in_flush_[it->second] = 2;  // answered
      Claim(it->second, static_cast<uint32_t>(task));
    }
    for (uint32_t b : flush_bots_) {
      Bot& bot = bots_[b];
      bool answered = in_flush_[b] == 2;
      in_flush_[b] = 0;
      if (answered) continue;
      if (bot.state == BotState::kPolling) {
        bot.state = BotState::kIdle;
        bot.poll = engine_.After(scenario_.bots[bot.group].poll_interval, [this, b] { bots_[b].poll = {}; Poll(b); });
      }
      if (scenario_.dispatcher.long_poll && bot.state == BotState::kIdle && !bot.parked) bot.parked = true;
      if (bot.parked) still_parked.push_back(b);
    }
    if (!refunded_accounts_.empty()) {
      // A preemption refund may lift a balance above its cap: that is the
      // one allowed way, so the allowance follows it.
      for (uint32_t acc : refunded_accounts_) {
        if (auto bal = host_->scheduler().GetBalance(accounts_[acc].id)) {
          for (int p = 0; p < kNumPriorities; ++p) {
            accounts_[acc].allowance[p] = std::max(accounts_[acc].allowance[p], (*bal)[p]);
          }
        }
      }
    }
  }
  std::sort(still_parked.begin(), still_parked.end());
  parked_ = std::move(still_parked);
  for (const reconciler::TaskAbsentRequest& r : after_flush_) channel_->NotifyTaskAbsent(r);
  after_flush_.clear();
}

std::vector<reconciler::Assignment> World::AssignFlushBots() {
  size_t n = flush_bots_.size();
  if (flush_workers_.size() < n) flush_workers_.resize(n);
  // Each bot's id and labels are lent, not copied: swapped into its slot for
  // the call and swapped back before anything else can look at the bots
  // (what AssignTasks calls back, OnEvent and ReportLibraryError, never reads
  // a bot). Copying meant a cold read of every id's heap buffer per poll.
  for (size_t i = 0; i < n; ++i) SwapReport(flush_bots_[i], i);
  std::vector<reconciler::Assignment> assignments =
      channel_->AssignTasks(engine_.now(), std::span<const reconciler::IdleWorker>(flush_workers_.data(), n));
  for (size_t i = 0; i < n; ++i) SwapReport(flush_bots_[i], i);
  return assignments;
}

void World::SwapReport(uint32_t b, size_t slot) {
  bots_[b].id.swap(flush_workers_[slot].id);
  bots_[b].all.swap(flush_workers_[slot].labels);
}

void World::Claim(uint32_t b, uint32_t id) {
  Bot& bot = bots_[b];
  Task& t = tasks_[id];
  Time now = engine_.now();
  if (bot.task >= 0) {
    Violation("t=" + FormatMicros(ToMicros(Since(now))) + ": bot " + bot.id + " given " + TaskName(id) +
                  " while running " + TaskName(bot.task),
              t.account);
    return;
  }
  if (t.state != TaskState::kPending) {
    // The claim fails: the dispatcher, the authority, tells the scheduler
    // what it knows, and the bot polls again later.
    if (t.state == TaskState::kRunning) {
      channel_->NotifyTaskRunning({TaskName(id), bots_[t.bot].id, now});
    } else {
      channel_->NotifyTaskAbsent({TaskName(id), "", now});
    }
    bot.state = BotState::kIdle;
    bot.poll = engine_.After(scenario_.bots[bot.group].poll_interval, [this, b] { bots_[b].poll = {}; Poll(b); });
    return;
  }
  pending_.Erase(id);
  --accounts_[t.account].pending;
  t.state = TaskState::kRunning;
  t.bot = static_cast<int32_t>(b);
  t.claim = now;
  t.start_priority = t.assigned_priority;
  engine_.Cancel(&bot.poll);
  bot.parked = false;
  bot.state = BotState::kBusy;
  bot.task = static_cast<int32_t>(id);
  channel_->NotifyTaskRunning({TaskName(id), bot.id, now});
  const LabelSet& want = label_sets_[t.prov_labels];
  if (!HasAll(bot.prov, want)) {
    t.provision_needed = true;
    bot.run = engine_.After(scenario_.bots[bot.group].provision_time, [this, b] { ProvisionDone(b); });
  } else {
    StartExecution(b);
  }
}

void World::ProvisionDone(uint32_t b) {
  Bot& bot = bots_[b];
  bot.run = {};
  bot.prov = Provision(bot.prov, label_sets_[tasks_[bot.task].prov_labels]);
  RecomputeBotLabels(bot);
  StartExecution(b);
}

void World::StartExecution(uint32_t b) {
  Bot& bot = bots_[b];
  Task& t = tasks_[bot.task];
  t.start = engine_.now();
  bot.run = engine_.After(t.duration, [this, b] { RunDone(b); });
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
  AddBusy(t.account, t.claim, busy_end);
  t.claim = kNever;
  bot.task = -1;
  bot.aborting = false;
  bot.deferred = Deferred::kNone;
  engine_.Cancel(&bot.run);
  bot.state = BotState::kIdle;
}

void World::FinishRun(uint32_t b, Outcome outcome, Time end) {
  Bot& bot = bots_[b];
  uint32_t id = static_cast<uint32_t>(bot.task);
  EndTask(tasks_[id], id, outcome, end);
  ReleaseBot(b, end);
  channel_->NotifyTaskAbsent({TaskName(id), bot.id, engine_.now()});
  Poll(b);  // a bot asks for more work as soon as it is done
}

void World::Abort(uint32_t b, AbortReason reason) {
  Bot& bot = bots_[b];
  bot.aborting = true;
  bot.abort_reason = reason;
  engine_.Cancel(&bot.run);
  bot.run = engine_.After(scenario_.bots[bot.group].abort_time, [this, b] { AbortDone(b); });
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
    t.state = TaskState::kPending;
    t.bot = -1;
    pending_.Insert(id);
    ++accounts_[t.account].pending;
    NotifyWaiting(id);
    Poll(b);
    if (scenario_.dispatcher.long_poll && !parked_.empty()) RequestFlush();
  } else {
    EndTask(t, id, Outcome::kPreempted, now);
    ReleaseBot(b, now);
    // Reported after the bot's next poll: an absent report drops the
    // worker's pending queue, which holds the preempting task.
    after_flush_.push_back({TaskName(id), bot.id, now});
    Poll(b);
  }
}

void World::PollCancellations() {
  Time now = engine_.now();
  for (const reconciler::Cancellation& c : channel_->Cancellations()) {
    int64_t task = ParseTaskName(c.request);
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
      EndTask(t, id, Outcome::kFailed, now);
      channel_->NotifyTaskAbsent({c.request, "", now});
    } else if (t.state == TaskState::kRunning) {
      Bot& bot = bots_[t.bot];
      if (!bot.aborting && !bot.silent) Abort(static_cast<uint32_t>(t.bot), AbortReason::kError);
    } else {
      channel_->NotifyTaskAbsent({c.request, "", now});  // clears the stale error
    }
  }
}

void World::Renotify() {
  pending_.ForEach([this](uint32_t id) { NotifyWaiting(id); });
}

// ---------------------------------------------------------------- outages

void World::Outage(uint32_t b, Duration downtime, bool kill) {
  Bot& bot = bots_[b];
  if (bot.silent) return;
  Time now = engine_.now();
  bot.silent = true;
  bot.silent_since = now;
  bot.parked = false;
  engine_.Cancel(&bot.poll);
  if (bot.state == BotState::kPolling) bot.state = BotState::kIdle;  // Flush skips it
  if (kill && bot.task >= 0) {
    // The task dies with the bot; busy time stops now. The dispatcher only
    // learns of it by the death timeout, or when the bot comes back.
    Task& t = tasks_[bot.task];
    AddBusy(t.account, t.claim, now);
    t.claim = now;
    engine_.Cancel(&bot.run);
    bot.task_killed = true;
    bot.aborting = false;
  }
  bot.detect = engine_.After(scenario_.dispatcher.bot_death_timeout, [this, b] {
    bots_[b].detect = {};
    DetectDead(b);
  });
  bot.ret = engine_.After(downtime, [this, b] {
    bots_[b].ret = {};
    Return(b);
  });
}

void World::TaskLost(uint32_t id) {
  Task& t = tasks_[id];
  Time now = engine_.now();
  uint32_t b = static_cast<uint32_t>(t.bot);
  ReleaseBot(b, bots_[b].task_killed ? t.claim : now);
  bots_[b].task_killed = false;
  ++t.deaths;
  if (t.deaths <= scenario_.dispatcher.bot_death_retries) {
    t.state = TaskState::kPending;
    t.bot = -1;
    pending_.Insert(id);
    ++accounts_[t.account].pending;
    NotifyWaiting(id);
    if (scenario_.dispatcher.long_poll && !parked_.empty()) RequestFlush();
  } else {
    EndTask(t, id, Outcome::kLost, now);
    channel_->NotifyTaskAbsent({TaskName(id), bots_[b].id, now});
  }
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
  AddSilent(bot.silent_since, now);
  bot.silent = false;
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
    RecomputeBotLabels(bot);
  }
}

void World::Restart() {
  Status s = host_->Restart();
  if (!s.ok()) Violation("t=" + FormatMicros(ToMicros(Since(engine_.now()))) + ": " + s.message());
}

// ---------------------------------------------------------------- events and metrics

void World::OnEvent(const TaskEvent& e) {
  int64_t task = ParseTaskName(e.task);
  if (task >= 0) {
    Task& t = tasks_[task];
    switch (e.type) {
      case EventType::kAssigned:
        t.assigned_priority = static_cast<int8_t>(e.priority);
        if (t.first_assigned == kNever) t.first_assigned = e.time;
        break;
      case EventType::kUnassigned:
        ++t.times_unassigned;
        break;
      case EventType::kPreempted:
        refunded_accounts_.insert(t.account);
        break;
      default:
        break;
    }
  }
  if (!events_csv_) return;
  CsvWriter& w = *events_csv_;
  w.Micros(ToMicros(Since(e.time))).Raw(EventTypeName(e.type)).Field(e.task).Field(e.worker).Field(e.account);
  std::string detail;
  switch (e.type) {
    case EventType::kAssigned:
      w.Field(e.priority);
      detail = e.preempted_task;
      break;
    case EventType::kPreempted:
      w.Field(e.priority);
      detail = e.preempting_task;
      break;
    case EventType::kReprioritized:
      w.Field(e.new_priority);
      detail = std::to_string(e.old_priority) + "->" + std::to_string(e.new_priority);
      break;
    case EventType::kCompleted:
      w.Empty();
      detail = CompletedReasonName(e.reason);
      break;
    default:
      w.Empty();
      break;
  }
  w.Field(detail);
  w.EndRow();
}

void World::ReportLibraryError(Time t, const std::string& what, const Status& status) {
  Violation("t=" + FormatMicros(ToMicros(Since(t))) + ": the library refused " + what + ": " + status.message());
}

void World::Violation(const std::string& message, int32_t account) {
  if (violations_.size() < 1000) violations_.push_back(message);
  if (account >= 0) ++accounts_[account].violations;
  ++fleet_violations_;
}

void World::AddBusy(uint32_t account, Time from, Time to) {
  from = std::max(from, window_start_);
  to = std::min(to, end_);
  if (to > from) accounts_[account].busy_us += ToMicros(to - from);
}

void World::AddSilent(Time from, Time to) {
  from = std::max(from, window_start_);
  to = std::min(to, end_);
  if (to > from) silent_us_ += ToMicros(to - from);
}

void World::ChangeInSystem(int delta) {
  Time now = engine_.now();
  if (now > window_start_) {
    Time from = std::max(area_last_, window_start_);
    if (now > from) area_ += static_cast<double>(in_system_) * static_cast<double>(ToMicros(now - from)) / 1e6;
  }
  area_last_ = now;
  in_system_ += delta;
}

void World::CheckBalances() {
  std::map<std::string, Balance> balances = host_->scheduler().Balances();
  for (AccountState& a : accounts_) {
    auto it = balances.find(a.id);
    if (it == balances.end()) continue;
    for (int p = 0; p < kNumPriorities; ++p) {
      float b = it->second[p];
      float allowed = a.allowance[p];
      if (b > allowed + 1e-6f * std::max(1.0f, std::fabs(allowed))) {
        Violation("t=" + FormatMicros(ToMicros(Since(engine_.now()))) + ": account " + a.id + " balance[" +
                      std::to_string(p) + "] = " + FormatNumber(b) + " exceeds its cap " + FormatNumber(a.cap[p]) +
                      " beyond refunds (" + FormatNumber(allowed) + ")",
                  static_cast<int32_t>(&a - accounts_.data()));
      }
      // Above the cap, a balance can only fall until the next refund.
      a.allowance[p] = std::max(a.cap[p], std::min(allowed, b));
    }
  }
}

void World::CheckAccounting() {
  std::string at = "t=" + FormatMicros(ToMicros(Since(engine_.now()))) + ": ";
  size_t pending = 0;
  for (uint32_t id = 0; id < tasks_.size(); ++id) {
    const Task& t = tasks_[id];
    switch (t.state) {
      case TaskState::kPending:
        ++pending;
        if (!pending_.Contains(id)) Violation(at + TaskName(id) + " is pending but not in the queue", t.account);
        break;
      case TaskState::kRunning:
        if (t.bot < 0 || bots_[t.bot].task != static_cast<int32_t>(id)) {
          Violation(at + TaskName(id) + " is running but no bot holds it", t.account);
        }
        break;
      case TaskState::kDone:
        if (t.outcome == Outcome::kUnfinished) Violation(at + TaskName(id) + " ended without an outcome", t.account);
        break;
    }
  }
  if (pending != pending_.size()) Violation(at + "the pending set holds tasks that are not pending");
  for (const Bot& bot : bots_) {
    if (bot.task >= 0 && (tasks_[bot.task].state != TaskState::kRunning || tasks_[bot.task].bot != &bot - bots_.data())) {
      Violation(at + "bot " + bot.id + " holds " + TaskName(bot.task) + ", which is not running on it",
                tasks_[bot.task].account);
    }
    if (bot.task >= 0 && bot.state != BotState::kBusy) Violation(at + "bot " + bot.id + " holds a task but is not busy");
  }
}

void World::TakeSample() {
  CheckBalances();
  if (!timeseries_csv_) return;
  const Scheduler& s = host_->scheduler();
  std::string time = FormatMicros(ToMicros(Since(engine_.now())));
  std::vector<std::array<int64_t, kNumPriorities + 1>> queued(accounts_.size()), running(accounts_.size());
  std::map<std::string, Balance> balances = s.Balances();
  for (uint32_t a = 0; a < accounts_.size(); ++a) {
    auto it = balances.find(accounts_[a].id);
    Priority p = it == balances.end() ? kFreeBucket : BestPriority(it->second);
    queued[a].fill(0);
    running[a].fill(0);
    queued[a][p] = accounts_[a].pending;
  }
  for (const WorkerView& w : s.Workers()) {
    if (!w.run) continue;
    int64_t task = ParseTaskName(w.run->request);
    if (task < 0) continue;
    ++running[tasks_[task].account][std::clamp(w.run->priority, 0, kFreeBucket)];
  }
  CsvWriter& out = *timeseries_csv_;
  for (uint32_t a = 0; a < accounts_.size(); ++a) {
    for (const char* series : {"queued", "running"}) {
      const auto& v = series[0] == 'q' ? queued[a] : running[a];
      for (int p = 0; p <= kFreeBucket; ++p) {
        out.Raw(time).Raw(series).Field(accounts_[a].id).Field(p).Field(v[p]);
        out.EndRow();
      }
    }
    auto it = balances.find(accounts_[a].id);
    for (int p = 0; p < kNumPriorities; ++p) {
      out.Raw(time).Raw("balance").Field(accounts_[a].id).Field(p).Float(it == balances.end() ? 0.0 : it->second[p]);
      out.EndRow();
    }
  }
  int64_t idle = 0, busy = 0, dead = 0;
  for (const Bot& bot : bots_) {
    if (bot.silent) ++dead;
    else if (bot.task >= 0) ++busy;
    else ++idle;
  }
  out.Raw(time).Raw("bots_idle").Empty().Empty().Field(idle);
  out.EndRow();
  out.Raw(time).Raw("bots_busy").Empty().Empty().Field(busy);
  out.EndRow();
  out.Raw(time).Raw("bots_dead").Empty().Empty().Field(dead);
  out.EndRow();
}

// ---------------------------------------------------------------- the run

Status World::Run(const RunOptions& options, RunResult* result) {
  if (!out_dir_.empty()) {
    if (outputs_.events) {
      auto w = CsvWriter::Open(out_dir_ + "/" + std::string(runfolder::kEventsFile));
      if (!w.ok()) return w.status();
      events_csv_ = std::move(w).value();
      events_csv_->Header(runfolder::kEventsColumns);
    }
    if (outputs_.timeseries) {
      auto w = CsvWriter::Open(out_dir_ + "/" + std::string(runfolder::kTimeseriesFile));
      if (!w.ok()) return w.status();
      timeseries_csv_ = std::move(w).value();
      timeseries_csv_->Header(runfolder::kTimeseriesColumns);
    }
  }
  QSIM_RETURN_IF_ERROR(Setup());
  std::function<void()> progress;
  if (options.progress) {
    progress = [this, &options] {
      options.progress(Since(engine_.now()), scenario_.duration, engine_.events_run());
    };
  }
  engine_.RunUntil(end_, progress, 1 << 18);

  // Close the books at the end time.
  ChangeInSystem(0);
  for (Bot& bot : bots_) {
    if (bot.silent) AddSilent(bot.silent_since, end_);
    if (bot.task >= 0 && !bot.task_killed) AddBusy(tasks_[bot.task].account, tasks_[bot.task].claim, end_);
  }
  CheckBalances();
  CheckAccounting();
  BuildResult(result);
  if (options.progress) options.progress(scenario_.duration, scenario_.duration, engine_.events_run());
  return WriteOutputs(result);
}

}  // namespace qsim::sim
