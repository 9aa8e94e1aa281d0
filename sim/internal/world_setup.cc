// The coordinator's wiring (the scheduler and its channel, the bots, the
// periodic dispatcher activities, the fault drivers) and the run itself.
// Event order is part of the output: Setup schedules in a fixed order, and
// each activity keeps one pending event that schedules the next.
#include <algorithm>
#include <cmath>

#include "sim/internal/sample.h"
#include "runfolder/csv.h"
#include "sim/internal/world.h"

namespace qsim::sim {

World::World(const Scenario& scenario, uint64_t seed, const Outputs& outputs, const std::string& out_dir)
    : scenario_(scenario),
      seed_(seed),
      outputs_(outputs),
      out_dir_(out_dir),
      end_(kStart + scenario.duration),
      engine_(seed, kStart),
      tasks_(scenario.accounts.size(), kStart + scenario.warmup),
      attribution_(scenario, tasks_),
      recorder_(scenario, tasks_, attribution_),
      audit_(scenario.accounts),
      workload_(scenario, engine_, tasks_, *this) {
  // The delays scheduled once per poll: each gets its own event FIFO.
  engine_.UseFifoFor(scenario.dispatcher.batch_window);
  for (const auto& w : scenario.workloads) any_from_assignment_ |= w.arrivals.duration_from_assignment;
  for (const auto& group : scenario.bots) engine_.UseFifoFor(group.poll_interval, &World::WarmPoll);
}

World::~World() = default;

// The scheduler with the scenario's accounts, the reconciler host around it,
// and the fault decorators around that.
Status World::ConnectScheduler() {
  Scheduler scheduler = Scheduler::New(kStart, scenario_.policy);
  for (const AccountSpec& a : scenario_.accounts) {
    QSIM_RETURN_IF_ERROR(scheduler.AddAccount(a.id, a.config, InitialBalance(a)).WithContext("accounts." + a.id));
  }
  if (!initial_runs_.empty()) {
    StatusOr<Scheduler> restored = WithInitialRuns(scheduler);
    if (!restored.ok()) return restored.status();
    scheduler = std::move(restored).value();
  }
  host_ = std::make_unique<ReconcilerHost>(std::move(scheduler), this, this);
  faults_ = BuildFaultStack(host_.get(), scenario_.faults, engine_);
  channel_ = faults_.top;
  return Status::Ok();
}

// Every bot of every group, polling first at a random phase of its poll
// interval (`bots/group=G/phase`), and the groups' label changes.
void World::CreateBots() {
  const Scenario& s = scenario_;
  group_bots_.resize(s.bots.size());
  for (uint32_t g = 0; g < s.bots.size(); ++g) {
    const BotGroupSpec& spec = s.bots[g];
    RandomStream& phase = engine_.Stream("bots/group=" + spec.name + "/phase");
    // Scheduled before the bots' first polls, which it must precede when a
    // phase is 0; a group present from 0 schedules nothing (as before).
    const bool late = spec.joins_at > Duration::zero();
    if (late) engine_.Schedule(kStart + spec.joins_at, [this, g] { JoinGroup(g); });
    for (int64_t i = 0; i < spec.count; ++i) {
      uint32_t b = static_cast<uint32_t>(bots_.size());
      Bot& bot = bots_.emplace_back();
      reports_.emplace_back().id = BotName(spec.name, spec.count, i);
      report_hash_.push_back(HashId(reports_.back().id));
      bot.report = b;
      bot_at_.push_back(b);
      bot.group = g;
      bot.base = spec.labels;
      bot.prov = spec.provisionable_labels;
      RecomputeBotLabels(b);
      if (late) {  // absent until it joins: silent, and its absence counts as unavailable time
        bot.silent = bot.absent = true;
        bot.unavailable_since = kStart;
      }
      bot_index_.emplace(BotId(b), b);
      attribution_.AddBot(BotLabels(b), late ? BotClass::kDead : BotClass::kIdle);
      group_bots_[g].push_back(b);
      // Bots start polling spread over one poll interval after they join, as
      // a fleet does.
      Duration offset = Micros(static_cast<int64_t>(phase.UniformInt(0, ToMicros(spec.poll_interval) - 1)));
      bots_[b].poll = engine_.After(spec.joins_at + offset, MemberCall<&World::PollDue>(this, b));
    }
    for (const LabelChange& c : spec.label_changes) {
      if (c.at > s.duration) continue;
      engine_.Schedule(kStart + c.at, [this, g, &c] { ApplyLabelChange(g, c); });
    }
    if (spec.leaves_at && *spec.leaves_at < s.duration) {
      engine_.Schedule(kStart + *spec.leaves_at, [this, g] { LeaveGroup(g); });
    }
  }
  in_flush_.assign(bots_.size(), 0);
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

// The dispatcher's periodic reads and re-sends, and sampling from time 0.
void World::ScheduleDispatcher() {
  SchedulePeriodic(scenario_.dispatcher.cancellation_poll_interval, &World::PollCancellations);
  SchedulePeriodic(scenario_.dispatcher.renotify_interval, &World::Renotify);
  engine_.Schedule(kStart, [this] { TakeSample(); });
  SchedulePeriodic(scenario_.sample_interval, &World::TakeSample);
}

void World::ScheduleOutages(const OutageSpec& spec, bool kill, const std::string& stream) {
  for (const ScheduledOutage& so : spec.scheduled) {
    if (so.at > scenario_.duration) continue;
    uint32_t g = 0;
    while (scenario_.bots[g].name != so.group) ++g;  // ValidateScenario: the group exists
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
  // Random outages: per group, exponential gaps at the group's rate, each
  // hitting a random member (`STREAM/group=G`).
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
        Duration gap = GapFromSeconds(rng->Exponential(mean_s));
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

void World::ScheduleRestarts() {
  const FaultsSpec& f = scenario_.faults;
  std::vector<Duration> restarts = f.restart_at;
  if (f.restart_every > Duration::zero()) {
    for (Duration t = f.restart_every; t <= scenario_.duration; t += f.restart_every) restarts.push_back(t);
  }
  for (Duration t : restarts) {
    if (t <= scenario_.duration) engine_.Schedule(kStart + t, [this] { Restart(); });
  }
}

Status World::Setup() {
  PlanInitialRuns();
  QSIM_RETURN_IF_ERROR(ConnectScheduler());
  CreateBots();
  StartInitialRuns();
  SyncAccounts();
  if (scenario_.faults.task_error_probability > 0) task_error_rng_ = &engine_.Stream("faults/task_errors");
  workload_.Start();
  ScheduleDispatcher();
  ScheduleOutages(scenario_.faults.bot_deaths, true, "faults/bot_deaths");
  ScheduleOutages(scenario_.faults.bot_flaps, false, "faults/bot_flaps");
  ScheduleRestarts();
  return Status::Ok();
}

// Closes the books at the end time: what is still silent or busy counts up
// to the end.
void World::CloseBooks() {
  recorder_.ChangeInSystem(engine_.now(), 0);
  attribution_.Finish(end_);
  for (uint32_t b = 0; b < bots_.size(); ++b) {
    Bot& bot = bots_[b];
    // A run that ended while its bot was silent was busy until then.
    bool ran_out = bot.task >= 0 && !bot.task_killed && bot.deferred == Deferred::kRunDone;
    if (bot.silent) {
      Time from = bot.unavailable_since == kNever && ran_out ? bot.deferred_time : bot.unavailable_since;
      if (from != kNever) recorder_.AddUnavailable(b, from, end_);
    }
    if (bot.task >= 0 && !bot.task_killed) {
      recorder_.AddBusy(b, tasks_[bot.task].account, tasks_[bot.task].claim, ran_out ? bot.deferred_time : end_);
    }
  }
  CheckBalances();
  CheckAccounting();
  CheckBotTime();
}

Status World::Run(const RunOptions& options, RunResult* result) {
  QSIM_RETURN_IF_ERROR(recorder_.Open(out_dir_, outputs_));
  if (outputs_.taskevents && !out_dir_.empty()) {
    auto w = TaskEventWriter::Open(out_dir_ + "/" + std::string(runfolder::kTaskEventsFile), scenario_.name);
    if (!w.ok()) return w.status();
    taskevents_ = std::move(w).value();
  }
  QSIM_RETURN_IF_ERROR(Setup());
  // The progress line and the stop request are served every 2^16 events
  // (a few milliseconds of simulation), off the per-event path.
  std::function<bool()> every_so_often;
  if (options.progress || options.stop_requested) {
    uint64_t calls = 0;
    every_so_often = [this, &options, calls]() mutable {
      if (options.progress && ++calls % 4 == 0) {
        options.progress(Since(engine_.now()), scenario_.duration, engine_.events_run());
      }
      return !(options.stop_requested && options.stop_requested());
    };
  }
  if (!engine_.RunUntil(end_, every_so_often, 1 << 16)) {
    return FailedPrecondition("stopped on request at simulated time " +
                              runfolder::FormatMicros(ToMicros(Since(engine_.now()))) + "s (" +
                              std::to_string(engine_.events_run()) + " events)");
  }
  CloseBooks();
  result->task_waits = attribution_.TakeSplits();  // moved, not copied: ~20 bytes a task
  recorder_.BuildResult(seed_, engine_.events_run(), bots_.size(), options.keep_task_results, result);
  if (options.progress) options.progress(scenario_.duration, scenario_.duration, engine_.events_run());
  QSIM_RETURN_IF_ERROR(recorder_.WriteOutputs(*result));
  if (!options.keep_task_results) result->task_waits = {};
  return taskevents_ ? taskevents_->Close() : Status::Ok();
}

}  // namespace qsim::sim
