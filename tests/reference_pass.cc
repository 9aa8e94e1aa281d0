// The reference pass: docs/scheduler.md read line by line. See reference_pass.h.
// Section numbers (§N) are docs/scheduler.md's.
#include "tests/reference_pass.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

namespace qsim::reference {
namespace {

// ---------------------------------------------------------------- snapshot form

Request ReadRequest(const proto::Request& in) {
  return Request{in.id(),
                 in.account(),
                 MakeLabelSet({in.base_labels().begin(), in.base_labels().end()}),
                 MakeLabelSet({in.provisionable_labels().begin(), in.provisionable_labels().end()}),
                 TimeFromMicros(in.enqueue_us()),
                 TimeFromMicros(in.confirmed_us()),
                 TimeFromMicros(in.examined_us()),
                 {in.tags().begin(), in.tags().end()}};
}

void WriteRequest(const Request& r, proto::Request& out) {
  out.set_id(r.id);
  out.set_account(r.account);
  for (const auto& l : r.base_labels) out.add_base_labels(l);
  for (const auto& l : r.provisionable_labels) out.add_provisionable_labels(l);
  out.set_enqueue_us(ToMicros(r.enqueue_time));
  out.set_confirmed_us(ToMicros(r.confirmed_time));
  out.set_examined_us(ToMicros(r.examined_time));
  for (const auto& t : r.tags) out.add_tags(t);
}

template <typename Field>
Balance ReadBalance(const Field& values) {
  Balance b{};
  for (int i = 0; i < values.size() && i < kNumPriorities; ++i) b[i] = values.Get(i);
  return b;
}

Policy ReadPolicy(const proto::Policy& in) {
  Policy p;
  if (in.has_disable_preemption()) p.disable_preemption = in.disable_preemption();
  if (in.has_bot_expiration_us()) p.bot_expiration = Micros(in.bot_expiration_us());
  if (in.has_worker_queue_timeout_us()) p.worker_queue_timeout = Micros(in.worker_queue_timeout_us());
  if (in.has_max_queue_age_us()) p.max_queue_age = Micros(in.max_queue_age_us());
  if (in.has_promote_threshold()) p.promote_threshold = in.promote_threshold();
  if (in.has_demote_threshold()) p.demote_threshold = in.demote_threshold();
  if (in.has_enforce_fanout()) p.enforce_fanout = in.enforce_fanout();
  if (in.has_enforce_per_label_limits()) p.enforce_per_label_limits = in.enforce_per_label_limits();
  if (in.has_skip_stale_pairs()) p.skip_stale_pairs = in.skip_stale_pairs();
  if (in.has_preempt_once_per_worker()) p.preempt_once_per_worker = in.preempt_once_per_worker();
  if (in.has_match_sort_cutoff()) p.match_sort_cutoff = in.match_sort_cutoff();
  return p;
}

void WritePolicy(const Policy& p, proto::Policy& out) {
  out.set_disable_preemption(p.disable_preemption);
  out.set_bot_expiration_us(ToMicros(p.bot_expiration));
  out.set_worker_queue_timeout_us(ToMicros(p.worker_queue_timeout));
  out.set_max_queue_age_us(ToMicros(p.max_queue_age));
  out.set_promote_threshold(p.promote_threshold);
  out.set_demote_threshold(p.demote_threshold);
  out.set_enforce_fanout(p.enforce_fanout);
  out.set_enforce_per_label_limits(p.enforce_per_label_limits);
  out.set_skip_stale_pairs(p.skip_stale_pairs);
  out.set_preempt_once_per_worker(p.preempt_once_per_worker);
  out.set_match_sort_cutoff(p.match_sort_cutoff);
}

// ---------------------------------------------------------------- small rules

bool Includes(const LabelSet& have, const LabelSet& want) {
  return std::includes(have.begin(), have.end(), want.begin(), want.end());
}

// §1: news about a worker stamped before this is stale.
Time LatestConfirmed(const Worker& w) {
  if (!w.run) return w.confirmed_time;
  return std::max(w.confirmed_time, w.run->request.confirmed_time);
}

// §5 / §7: a level's list order.
bool ListOrder(const Request& a, const Request& b) {
  return std::tie(a.examined_time, a.enqueue_time, a.id) < std::tie(b.examined_time, b.enqueue_time, b.id);
}

TaskEvent RequestEvent(const State& s, EventType type, Time t, const Request& r) {
  TaskEvent e;
  e.type = type;
  e.time = t;
  e.task = r.id;
  e.account = r.account;
  if (auto it = s.balances.find(r.account); it != s.balances.end()) e.account_balance = it->second;
  e.task_base_labels = r.base_labels;
  e.task_provisionable_labels = r.provisionable_labels;
  return e;
}

TaskEvent WorkerEvent(const State& s, EventType type, Time t, const Request& r, const Worker& w) {
  TaskEvent e = RequestEvent(s, type, t, r);
  e.worker = w.id;
  e.worker_labels = w.labels;
  if (w.run) e.cost = w.run->cost;
  return e;
}

void Emit(EventSink* events, const TaskEvent& e) {
  if (events) events->OnEvent(e);
}

Worker* RunningWorkerOf(State& s, const std::string& request) {
  for (auto& [id, w] : s.workers) {
    if (w.run && w.run->request.id == request) return &w;
  }
  return nullptr;
}

// ---------------------------------------------------------------- the pass (§5)

class Pass {
 public:
  Pass(State& s, EventSink* events) : s_(s), events_(events) {}

  std::vector<SchedulerAssignment> Run() {
    if (s_.policy.enforce_fanout || s_.policy.enforce_per_label_limits) {
      for (const auto& [id, w] : s_.workers) {
        if (w.run) Count(w.run->request, w, +1);
      }
    }
    Prioritise();
    for (Priority p = 0; p < kNumPriorities; ++p) {
      MatchIdle(p);
      Reprioritise(p);
      if (!s_.policy.disable_preemption) Preempt(p);
      MoveThrottled(p);
    }
    MatchIdle(kFreeBucket);
    for (const std::string& id : listed_) {
      if (auto it = s_.queued.find(id); it != s_.queued.end()) it->second.examined_time = s_.last_update;
    }
    return std::move(out_);
  }

 private:
  struct Match {
    size_t index;  // into the level's list
    bool provision;
  };

  bool FreeAllowed(const std::string& account) const {
    auto it = s_.accounts.find(account);
    return it == s_.accounts.end() || !it->second.disable_free_tasks;
  }

  void Prioritise() {
    for (const auto& [id, r] : s_.queued) {
      auto balance = s_.balances.find(r.account);
      Priority p = balance == s_.balances.end() ? kFreeBucket : BestPriority(balance->second);
      if (p != kFreeBucket && FanoutExhausted(r)) p = kFreeBucket;
      if (p == kFreeBucket && !FreeAllowed(r.account)) continue;
      listed_.push_back(id);
      lists_[p].push_back(r);
    }
    for (auto& list : lists_) std::sort(list.begin(), list.end(), ListOrder);
  }

  bool Placed(const Request& r) const { return placed_.count(r.id) > 0; }

  // §5, a worker's match list at level p.
  std::vector<Match> MatchList(Priority p, const Worker& w) const {
    std::vector<Match> out;
    const std::vector<Request>& list = lists_[p];
    for (size_t i = 0; i < list.size(); ++i) {
      const Request& r = list[i];
      if (s_.policy.skip_stale_pairs && r.examined_time > w.modified_time) break;
      if (Placed(r) || !Includes(w.labels, r.base_labels)) continue;
      out.push_back(Match{i, Includes(w.labels, r.provisionable_labels)});
    }
    if (static_cast<int64_t>(out.size()) < s_.policy.match_sort_cutoff) {
      std::stable_sort(out.begin(), out.end(), [&](const Match& a, const Match& b) {
        return list[a.index].base_labels.size() > list[b.index].base_labels.size();
      });
    }
    return out;
  }

  void MatchIdle(Priority p) {
    std::vector<std::string> idle;
    for (const auto& [id, w] : s_.workers) {
      if (!w.run) idle.push_back(id);
    }
    if (idle.empty() || lists_[p].empty()) return;
    std::vector<std::vector<Match>> matches;
    for (const std::string& id : idle) matches.push_back(MatchList(p, s_.workers.at(id)));
    for (bool provision_step : {true, false}) {
      for (size_t i = 0; i < idle.size(); ++i) {
        Worker& w = s_.workers.at(idle[i]);
        if (w.run) continue;
        for (const Match& m : matches[i]) {
          const Request& r = lists_[p][m.index];
          if (Placed(r) || (provision_step && !m.provision) || Blocked(r, w, p)) continue;
          Place(p, w, r.id, m.provision);
          break;
        }
      }
    }
  }

  Request TakeQueued(const std::string& id) {
    auto it = s_.queued.find(id);
    Request r = std::move(it->second);
    s_.queued.erase(it);
    placed_.insert(id);
    return r;
  }

  void Place(Priority p, Worker& w, const std::string& id, bool provision_match) {
    w.run = reference::Run{TakeQueued(id), p, Balance{}};
    Count(w.run->request, w, +1);
    out_.push_back(SchedulerAssignment{AssignmentType::kIdleWorker, w.id, id, "", p, s_.last_update,
                                       !provision_match});
    TaskEvent e = WorkerEvent(s_, EventType::kAssigned, s_.last_update, w.run->request, w);
    e.priority = p;
    e.provision_required = !provision_match;
    Emit(events_, e);
  }

  // The account's running workers at levels [lo, hi], in worker-id order.
  std::vector<Worker*> RunsOf(const std::string& account, Priority lo, Priority hi) {
    std::vector<Worker*> out;
    for (auto& [id, w] : s_.workers) {
      if (w.run && w.run->request.account == account && w.run->priority >= lo && w.run->priority <= hi) {
        out.push_back(&w);
      }
    }
    return out;
  }

  void Reprioritise(Priority p) {
    for (auto& [account, balance] : s_.balances) {
      const AccountConfig& config = s_.accounts.at(account);
      const float b = balance[p];
      const bool demote = b < s_.policy.demote_threshold;
      const bool promote = b > s_.policy.promote_threshold;
      if (!demote && !promote) continue;
      const size_t at_p = RunsOf(account, p, p).size();
      const size_t below = RunsOf(account, p + 1, kFreeBucket).size();
      const float room = config.charge_rate[p] - static_cast<float>(at_p);
      std::vector<Worker*> moving;
      Priority to = p;
      if (demote && room < 0) {
        moving = RunsOf(account, p, p);
        std::stable_sort(moving.begin(), moving.end(),
                         [](const Worker* a, const Worker* c) { return BalanceLess(a->run->cost, c->run->cost); });
        moving.resize(std::min(moving.size(), static_cast<size_t>(std::ceil(-static_cast<double>(room)))));
        to = p + 1;
      } else if (promote && room > 0 && below > 0) {
        moving = RunsOf(account, p + 1, kFreeBucket);
        std::stable_sort(moving.begin(), moving.end(),
                         [](const Worker* a, const Worker* c) { return BalanceLess(c->run->cost, a->run->cost); });
        moving.resize(std::min(moving.size(), static_cast<size_t>(std::ceil(static_cast<double>(room)))));
      }
      for (Worker* w : moving) {
        TaskEvent e = WorkerEvent(s_, EventType::kReprioritized, s_.last_update, w->run->request, *w);
        e.old_priority = w->run->priority;
        e.new_priority = to;
        Emit(events_, e);
        w->run->priority = to;
      }
    }
  }

  void Preempt(Priority p) {
    const std::vector<Request>& list = lists_[p];
    if (std::all_of(list.begin(), list.end(), [&](const Request& r) { return Placed(r); })) return;
    std::set<std::string> banned;
    std::vector<Worker*> candidates;
    for (auto& [id, w] : s_.workers) {
      if (!w.run || w.run->priority <= p) continue;
      banned.insert(w.run->request.account);
      candidates.push_back(&w);
    }
    if (banned.empty()) return;
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Worker* a, const Worker* b) { return BalanceLess(a->run->cost, b->run->cost); });
    for (Worker* w : candidates) {
      for (const Match& m : MatchList(p, *w)) {
        const Request& r = list[m.index];
        if (Placed(r) || banned.count(r.account) || Blocked(r, *w, p)) continue;
        auto balance = s_.balances.find(r.account);
        if (!BalanceLess(w->run->cost, balance == s_.balances.end() ? Balance{} : balance->second)) continue;
        PreemptWith(p, *w, r.id, m.provision);
        if (s_.policy.preempt_once_per_worker) break;
      }
    }
  }

  void PreemptWith(Priority p, Worker& w, const std::string& id, bool provision_match) {
    const Balance cost = w.run->cost;
    const Request& incoming = s_.queued.at(id);
    const std::string victim = w.run->request.id;
    TaskEvent assigned = WorkerEvent(s_, EventType::kAssigned, s_.last_update, incoming, w);
    assigned.priority = p;
    assigned.preempting = true;
    assigned.provision_required = !provision_match;
    assigned.preempted_task = victim;
    assigned.preemption_cost = cost;
    Emit(events_, assigned);
    TaskEvent preempted = WorkerEvent(s_, EventType::kPreempted, s_.last_update, w.run->request, w);
    preempted.priority = w.run->priority;
    preempted.preempting_task = id;
    preempted.preempting_account = incoming.account;
    preempted.preempting_priority = p;
    Emit(events_, preempted);
    out_.push_back(SchedulerAssignment{AssignmentType::kPreemptWorker, w.id, id, victim, p, s_.last_update,
                                       !provision_match});
    if (auto refund = s_.balances.find(w.run->request.account); refund != s_.balances.end()) {
      for (int i = 0; i < kNumPriorities; ++i) refund->second[i] += cost[i];
    }
    if (auto charge = s_.balances.find(incoming.account); charge != s_.balances.end()) {
      for (int i = 0; i < kNumPriorities; ++i) charge->second[i] -= cost[i];
    }
    Count(w.run->request, w, -1);  // the victim is forgotten
    w.run = reference::Run{TakeQueued(id), p, cost};
    Count(w.run->request, w, +1);
  }

  void MoveThrottled(Priority p) {
    if (!s_.policy.enforce_fanout) return;
    std::vector<Request> kept;
    for (Request& r : lists_[p]) {
      if (!Placed(r) && FanoutExhausted(r) && FreeAllowed(r.account)) {
        lists_[kFreeBucket].push_back(std::move(r));
      } else {
        kept.push_back(std::move(r));
      }
    }
    lists_[p] = std::move(kept);
    std::sort(lists_[kFreeBucket].begin(), lists_[kFreeBucket].end(), ListOrder);
  }

  // --- the historic switches (docs/historic-switches.md) ---

  static std::string FanoutGroup(const Request& r) {
    std::set<std::string> all(r.base_labels.begin(), r.base_labels.end());
    all.insert(r.provisionable_labels.begin(), r.provisionable_labels.end());
    std::string key = r.account;
    for (const auto& l : all) key += "\n" + l;
    return key;
  }

  bool FanoutExhausted(const Request& r) const {
    if (!s_.policy.enforce_fanout) return false;
    auto config = s_.accounts.find(r.account);
    if (config == s_.accounts.end() || config->second.max_fanout <= 0) return false;
    auto it = group_running_.find(FanoutGroup(r));
    return (it == group_running_.end() ? 0 : it->second) >= config->second.max_fanout;
  }

  // Every run counts, whatever its level, under every label of its worker
  // that starts with a limited prefix.
  void Count(const Request& r, const Worker& w, int delta) {
    if (s_.policy.enforce_fanout) group_running_[FanoutGroup(r)] += delta;
    if (!s_.policy.enforce_per_label_limits) return;
    auto config = s_.accounts.find(r.account);
    if (config == s_.accounts.end()) return;
    for (const auto& [prefix, limit] : config->second.per_label_task_limits) {
      for (const std::string& label : w.labels) {
        if (label.compare(0, prefix.size(), prefix) == 0) value_running_[{r.account, prefix, label}] += delta;
      }
    }
  }

  bool Blocked(const Request& r, const Worker& w, Priority p) const {
    if (p != kFreeBucket && FanoutExhausted(r)) return true;
    if (!s_.policy.enforce_per_label_limits) return false;
    auto config = s_.accounts.find(r.account);
    if (config == s_.accounts.end()) return false;
    for (const auto& [prefix, limit] : config->second.per_label_task_limits) {
      for (const std::string& label : w.labels) {
        if (label.compare(0, prefix.size(), prefix) != 0) continue;
        auto it = value_running_.find({r.account, prefix, label});
        if ((it == value_running_.end() ? 0 : it->second) >= limit) return true;
      }
    }
    return false;
  }

  State& s_;
  EventSink* events_;
  std::vector<SchedulerAssignment> out_;
  std::vector<Request> lists_[kNumPriorities + 1];  // copies, as prioritised
  std::vector<std::string> listed_;
  std::set<std::string> placed_;
  std::map<std::string, int64_t> group_running_;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> value_running_;
};

}  // namespace

// ---------------------------------------------------------------- State / Reconciler

State State::FromProto(const proto::SchedulerSnapshot& snapshot) {
  State s;
  s.policy = ReadPolicy(snapshot.config().policy());
  for (const auto& a : snapshot.config().accounts()) {
    AccountConfig c;
    c.charge_rate = ReadBalance(a.charge_rate());
    c.max_charge_seconds = a.max_charge_seconds();
    c.max_fanout = a.max_fanout();
    for (const auto& l : a.per_label_task_limits()) c.per_label_task_limits[l.prefix()] = l.limit();
    c.disable_free_tasks = a.disable_free_tasks();
    c.description = a.description();
    s.accounts[a.id()] = c;
    s.balances[a.id()] = Balance{};
  }
  const proto::SchedulerState& state = snapshot.state();
  for (const auto& b : state.balances()) s.balances[b.account()] = ReadBalance(b.balance());
  s.last_update = TimeFromMicros(state.last_update_us());
  for (const auto& q : state.queued()) s.queued[q.id()] = ReadRequest(q);
  for (const auto& in : state.workers()) {
    Worker w{in.id(), MakeLabelSet({in.labels().begin(), in.labels().end()}), TimeFromMicros(in.confirmed_us()),
             TimeFromMicros(in.modified_us()), std::nullopt};
    if (in.has_run()) w.run = Run{ReadRequest(in.run().request()), in.run().priority(), ReadBalance(in.run().cost())};
    s.workers[in.id()] = std::move(w);
  }
  return s;
}

proto::SchedulerSnapshot State::ToProto() const {
  proto::SchedulerSnapshot snapshot;
  proto::SchedulerConfig& config = *snapshot.mutable_config();
  for (const auto& [id, c] : accounts) {
    proto::AccountConfig& a = *config.add_accounts();
    a.set_id(id);
    for (float r : c.charge_rate) a.add_charge_rate(r);
    a.set_max_charge_seconds(c.max_charge_seconds);
    a.set_max_fanout(c.max_fanout);
    for (const auto& [prefix, limit] : c.per_label_task_limits) {
      proto::LabelLimit& l = *a.add_per_label_task_limits();
      l.set_prefix(prefix);
      l.set_limit(limit);
    }
    a.set_disable_free_tasks(c.disable_free_tasks);
    a.set_description(c.description);
  }
  WritePolicy(policy, *config.mutable_policy());
  proto::SchedulerState& state = *snapshot.mutable_state();
  state.set_last_update_us(ToMicros(last_update));
  for (const auto& [id, r] : queued) WriteRequest(r, *state.add_queued());
  for (const auto& [id, w] : workers) {
    proto::Worker& out = *state.add_workers();
    out.set_id(w.id);
    for (const auto& l : w.labels) out.add_labels(l);
    out.set_confirmed_us(ToMicros(w.confirmed_time));
    out.set_modified_us(ToMicros(w.modified_time));
    if (!w.run) continue;
    proto::Run& run = *out.mutable_run();
    WriteRequest(w.run->request, *run.mutable_request());
    run.set_priority(w.run->priority);
    for (float c : w.run->cost) run.add_cost(c);
  }
  for (const auto& [account, b] : balances) {
    proto::AccountBalance& out = *state.add_balances();
    out.set_account(account);
    for (float v : b) out.add_balance(v);
  }
  return snapshot;
}

Reconciler Reconciler::FromProto(const proto::ReconcilerState& state) {
  Reconciler r;
  for (const auto& q : state.worker_queues()) {
    r.queues[q.worker()] = WorkerQueue{q.task_to_assign(), q.task_to_abort(), TimeFromMicros(q.enqueue_us())};
  }
  for (const auto& e : state.task_errors()) r.task_errors[e.request()] = e.message();
  return r;
}

proto::ReconcilerState Reconciler::ToProto() const {
  proto::ReconcilerState out;
  for (const auto& [worker, q] : queues) {
    proto::WorkerQueue& w = *out.add_worker_queues();
    w.set_worker(worker);
    w.set_task_to_assign(q.assign);
    w.set_task_to_abort(q.abort);
    w.set_enqueue_us(ToMicros(q.enqueued));
  }
  for (const auto& [request, message] : task_errors) {
    proto::TaskError& e = *out.add_task_errors();
    e.set_request(request);
    e.set_message(message);
  }
  return out;
}

// ---------------------------------------------------------------- §2, §4, §5, §6

void UpdateTime(State& s, Time t) {
  if (t < s.last_update) return;
  const int64_t us = ToMicros(t - s.last_update);
  const double seconds = static_cast<double>(us / 1000000) + static_cast<double>((us % 1000000) * 1000) / 1e9;
  const float dt = static_cast<float>(seconds);
  std::map<std::string, std::array<int32_t, kNumPriorities>> runs;  // account -> paid runs per level
  for (auto& [id, w] : s.workers) {
    if (!w.run || w.run->priority == kFreeBucket) continue;
    w.run->cost[w.run->priority] += dt;
    ++runs[w.run->request.account][w.run->priority];
  }
  for (auto it = s.balances.begin(); it != s.balances.end();) {
    it = s.accounts.count(it->first) ? std::next(it) : s.balances.erase(it);
  }
  for (const auto& [account, config] : s.accounts) {
    Balance& balance = s.balances[account];
    const std::array<int32_t, kNumPriorities> n = runs[account];
    for (int p = 0; p < kNumPriorities; ++p) {
      float v = balance[p] - dt * static_cast<float>(n[p]);
      const float cap = config.charge_rate[p] * config.max_charge_seconds;
      if (v < cap) {
        v += dt * config.charge_rate[p];
        v = std::min(v, cap);
      }
      balance[p] = v;
    }
  }
  s.last_update = t;
  const Time cutoff = s.last_update - s.policy.bot_expiration;
  for (auto it = s.workers.begin(); it != s.workers.end();) {
    const bool expired = !it->second.run && it->second.confirmed_time < cutoff;
    it = expired ? s.workers.erase(it) : std::next(it);
  }
}

std::vector<SchedulerAssignment> RunOnce(State& s, EventSink* events) { return Pass(s, events).Run(); }

void MarkIdle(State& s, const std::string& worker, const LabelSet& labels, Time t, EventSink* events) {
  auto it = s.workers.find(worker);
  if (it == s.workers.end()) {
    s.workers[worker] = Worker{worker, MakeLabelSet(labels), t, s.last_update, std::nullopt};
    return;
  }
  Worker& w = it->second;
  if (t < LatestConfirmed(w)) return;
  if (LabelSet set = MakeLabelSet(labels); set != w.labels) {
    w.labels = std::move(set);
    w.modified_time = s.last_update;
  }
  w.confirmed_time = std::max(w.confirmed_time, t);
  if (!w.run) return;
  w.modified_time = s.last_update;
  TaskEvent e = WorkerEvent(s, EventType::kCompleted, t, w.run->request, w);
  e.reason = CompletedReason::kBotIdle;
  Emit(events, e);
  w.run.reset();
}

bool Unassign(State& s, const std::string& request, const std::string& worker, Time t, EventSink* events) {
  Worker* w = RunningWorkerOf(s, request);
  if (!w || w->id != worker) return false;
  Emit(events, WorkerEvent(s, EventType::kUnassigned, t, w->run->request, *w));
  Request r = std::move(w->run->request);
  s.workers.erase(worker);
  if (t - r.enqueue_time <= s.policy.max_queue_age) s.queued[r.id] = std::move(r);
  return true;
}

std::vector<Answer> AssignTasks(State& s, Reconciler& rec, Time t, const std::vector<Poll>& polls,
                                EventSink* events) {
  for (auto it = rec.queues.begin(); it != rec.queues.end();) {
    if (t - it->second.enqueued < s.policy.worker_queue_timeout) {
      ++it;
      continue;
    }
    Unassign(s, it->second.assign, it->first, t, events);
    it = rec.queues.erase(it);
  }
  UpdateTime(s, t);
  for (const Poll& poll : polls) {
    auto q = rec.queues.find(poll.worker);
    if (q != rec.queues.end()) {
      const Worker* runner = RunningWorkerOf(s, q->second.assign);
      if (runner && runner->id == poll.worker) continue;
    }
    MarkIdle(s, poll.worker, poll.labels, t, events);
    if (q != rec.queues.end()) rec.queues.erase(q);
  }
  for (const SchedulerAssignment& a : RunOnce(s, events)) {
    rec.queues[a.worker] = WorkerQueue{a.request, a.task_to_abort, a.time};
  }
  std::vector<Answer> answers;
  for (const Poll& poll : polls) {
    auto q = rec.queues.find(poll.worker);
    if (q == rec.queues.end()) continue;
    const Request* r = nullptr;
    if (auto queued = s.queued.find(q->second.assign); queued != s.queued.end()) r = &queued->second;
    if (const Worker* runner = RunningWorkerOf(s, q->second.assign)) r = &runner->run->request;
    const std::set<std::string> have(poll.labels.begin(), poll.labels.end());
    const bool provision_required =
        r && !std::all_of(r->provisionable_labels.begin(), r->provisionable_labels.end(),
                          [&](const std::string& l) { return have.count(l) > 0; });
    answers.push_back(Answer{poll.worker, q->second.assign, provision_required});
  }
  return answers;
}

}  // namespace qsim::reference
