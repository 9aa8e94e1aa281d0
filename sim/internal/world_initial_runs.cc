// The tasks a replay log names as running at time 0 (`running_on`, the
// running tasks of a state snapshot that `qsim import` read): the scheduler
// starts from a state in which each runs on its bot, as a restarted
// scheduler learns its runs (NewFromProto), and the dispatcher's side has
// each claimed and started at 0 with a wait of 0 (docs/production-data.md).
#include <algorithm>

#include "base/check.h"
#include "proto/state.pb.h"
#include "sim/internal/provision.h"
#include "sim/internal/world.h"

namespace qsim::sim {

namespace {

uint32_t AccountIndex(const Scenario& s, const std::string& id) {
  auto it = std::lower_bound(s.accounts.begin(), s.accounts.end(), id,
                             [](const AccountSpec& a, const std::string& key) { return a.id < key; });
  QSIM_CHECK(it != s.accounts.end() && it->id == id, "account \"%s\" is not defined", id.c_str());
  return static_cast<uint32_t>(it - s.accounts.begin());
}

}  // namespace

void World::PlanInitialRuns() {
  const Scenario& s = scenario_;
  std::vector<uint32_t> first_bot(s.bots.size(), 0);  // bots are numbered group after group
  for (size_t g = 1; g < s.bots.size(); ++g) first_bot[g] = first_bot[g - 1] + static_cast<uint32_t>(s.bots[g - 1].count);
  for (uint32_t w = 0; w < s.workloads.size(); ++w) {
    const std::vector<ReplayTask>& rows = s.workloads[w].arrivals.replay;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].running_on.empty()) continue;
      std::optional<std::pair<uint32_t, int64_t>> found = FindBot(s.bots, rows[i].running_on);
      QSIM_CHECK(found.has_value(), "running_on \"%s\" names no bot (ValidateScenario lets none through)",
                 rows[i].running_on.c_str());
      const BotGroupSpec& group = s.bots[found->first];
      InitialRun run;
      run.workload = w;
      run.row = i;
      run.bot = first_bot[found->first] + static_cast<uint32_t>(found->second);
      run.bot_id = rows[i].running_on;
      // As Claim would: provisioned only if the bot lacks what the task asks.
      const LabelSet& want = rows[i].provisionable_labels;
      run.bot_prov = HasAll(group.provisionable_labels, want) ? group.provisionable_labels
                                                              : Provision(group.provisionable_labels, want);
      LabelSet all = group.labels;
      all.insert(all.end(), run.bot_prov.begin(), run.bot_prov.end());
      run.bot_labels = MakeLabelSet(std::move(all));
      initial_runs_.push_back(std::move(run));
    }
  }
}

// Each run as a restored scheduler holds it (docs/scheduler.md §1): the
// worker confirmed and modified at the start; its request enqueued and
// confirmed at the start, never examined; at its account's best priority,
// where the start's pass would place it (the first pass may move it with
// its reprioritising); no cost yet.
StatusOr<Scheduler> World::WithInitialRuns(const Scheduler& scheduler) {
  std::vector<Priority> best;
  scheduler.BestPriorities(&best);
  QSIM_CHECK(best.size() == scenario_.accounts.size(), "%zu balances for %zu accounts", best.size(),
             scenario_.accounts.size());
  proto::SchedulerSnapshot snapshot = scheduler.ToProto();
  const int64_t start = ToMicros(kStart);
  for (uint32_t k = 0; k < initial_runs_.size(); ++k) {
    InitialRun& run = initial_runs_[k];
    const WorkloadSpec& workload = scenario_.workloads[run.workload];
    const ReplayTask& r = workload.arrivals.replay[run.row];
    run.priority = best[AccountIndex(scenario_, r.account)];
    proto::Worker* w = snapshot.mutable_state()->add_workers();
    w->set_id(run.bot_id);
    for (const std::string& l : run.bot_labels) w->add_labels(l);
    w->set_confirmed_us(start);
    w->set_modified_us(start);
    proto::Run* pr = w->mutable_run();
    pr->set_priority(run.priority);
    for (int p = 0; p < kNumPriorities; ++p) pr->add_cost(0);
    proto::Request* q = pr->mutable_request();
    q->set_id(TaskName(k));
    q->set_account(r.account);
    for (const std::string& l : r.base_labels) q->add_base_labels(l);
    for (const std::string& l : r.provisionable_labels) q->add_provisionable_labels(l);
    q->set_enqueue_us(start);
    q->set_confirmed_us(start);
    q->set_examined_us(0);
    for (const std::string& t : workload.tags) q->add_tags(t);
  }
  StatusOr<Scheduler> restored = Scheduler::NewFromProto(snapshot);
  if (!restored.ok()) return restored.status().WithContext("the runs at time 0");
  return restored;
}

void World::StartInitialRuns() {
  const Time now = engine_.now();
  for (uint32_t k = 0; k < initial_runs_.size(); ++k) {
    const InitialRun& run = initial_runs_[k];
    const ReplayTask& r = scenario_.workloads[run.workload].arrivals.replay[run.row];
    const uint32_t id = tasks_.Add(now, run.workload, AccountIndex(scenario_, r.account),
                                   tasks_.InternLabels(r.base_labels), tasks_.InternLabels(r.provisionable_labels),
                                   r.duration);
    QSIM_CHECK(id == k, "initial run %u got task id %u", k, id);
    attribution_.Arrived(id, now);
    recorder_.ChangeInSystem(now, +1);
    Task& t = tasks_[id];
    // Assigned before the start, as far as the run knows at it.
    t.first_assigned = now;
    t.assigned_priority = static_cast<int8_t>(run.priority);
    const uint32_t b = run.bot;
    Bot& bot = bots_[b];
    if (bot.prov != run.bot_prov) {
      bot.prov = run.bot_prov;
      RecomputeBotLabels(b);
      attribution_.SetBotLabels(b, BotLabels(b), now);
    }
    tasks_.Claim(id, static_cast<int32_t>(b), now);
    attribution_.Claimed(id, now, false);
    engine_.Cancel(&bot.poll);  // busy: it polls when its run ends
    bot.state = BotState::kBusy;
    bot.task = static_cast<int32_t>(id);
    SyncBot(b);
    t.start = now;
    if (!attribution_.Started(id, now)) {
      recorder_.Violation(At() + TaskName(id) + "'s wait reasons do not add up to its wait",
                          static_cast<int32_t>(t.account));
    }
    // The run goes on for the logged rest of it, from 0 (not from an
    // assignment: the scheduler made none).
    bot.run = engine_.After(r.duration, MemberCall<&World::RunDone>(this, b));
  }
}

}  // namespace qsim::sim
