// Property: under any combination of the policy switches (docs/scheduler.md §9), with
// random max_fanout and per_label_task_limits,
//  1. restoring the scheduler and reconciler from their protobuf bytes
//     (reconciler::RestartThroughBytes) before every call changes no output:
//     assignments, events, cancellations and the states themselves;
//  2. every placement respects the historic limits, checked against a simple
//     model of them (docs/historic-switches.md): a paid placement of a fanout
//     group finds fewer than max_fanout of the group's tasks running, free or
//     paid; a placement of an account's task on a worker finds, for every
//     limited prefix and every value the worker holds under it, fewer than
//     the limit of the account's tasks running on workers holding that value.
//
// Seeded; a failure names its seed. Runs a few seconds by default; longer on
// demand:  QSIM_PROPERTY_SESSIONS=5000 [QSIM_PROPERTY_SEED=N] switches_property_test
#include <gtest/gtest.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cstdlib>
#include <google/protobuf/util/message_differencer.h>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "proto/state.pb.h"
#include "reconciler/reconciler.h"
#include "reconciler/restart.h"

namespace qsim {
namespace {

using google::protobuf::util::MessageDifferencer;
using reconciler::IdleWorker;

constexpr Time kStart = TimeFromMicros(1700000000000000);
const std::vector<std::string> kPrefixes = {"os:", "pool:", "gpu:"};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string Describe(const TaskEvent& e) {
  std::ostringstream out;
  out << EventTypeName(e.type) << " t=" << ToMicros(e.time) << " task=" << e.task << " worker=" << e.worker
      << " account=" << e.account << " p=" << e.priority << " pre=" << e.preempting
      << " prov=" << e.provision_required << " victim=" << e.preempted_task << " by=" << e.preempting_task
      << " old=" << e.old_priority << " new=" << e.new_priority << " reason=" << CompletedReasonName(e.reason)
      << " other=" << e.other_task << "/" << e.other_bot << " cost=";
  for (float c : e.cost) out << c << ",";
  for (float c : e.preemption_cost) out << c << ",";
  if (e.account_balance) {
    out << " balance=";
    for (float b : *e.account_balance) out << b << ",";
  }
  return out.str();
}

struct Twin {
  Scheduler scheduler = Scheduler::New(kStart);
  reconciler::State state = reconciler::State::New();
  RecordingEventSink sink;
};

// The historic limits as the docs state them, replayed over one AssignTasks
// call's events from the runs before it. Runs are keyed by worker.
class LimitModel {
 public:
  struct RunInfo {
    std::string account;
    std::string group;  // fanout group: account and all request labels
    LabelSet worker_labels;
  };

  LimitModel(const Scheduler& s) : s_(s) {
    for (const WorkerView& w : s.Workers()) {
      if (!w.run) continue;
      std::optional<RequestView> r = s.GetRequest(w.run->request);
      if (!r) continue;
      Add(w.id, RunInfo{r->account, Group(r->account, r->base_labels, r->provisionable_labels), w.labels});
    }
  }

  // Returns "" or what was violated.
  std::string OnEvent(const TaskEvent& e) {
    switch (e.type) {
      case EventType::kAssigned: {
        RunInfo run{e.account, Group(e.account, e.task_base_labels, e.task_provisionable_labels), e.worker_labels};
        // The pass checks the limits before it takes the victim off the worker.
        std::string violation = Check(run, e.priority);
        if (e.preempting) Remove(e.worker);
        Add(e.worker, run);
        return violation.empty() ? "" : violation + " at " + Describe(e);
      }
      case EventType::kCompleted:
      case EventType::kUnassigned:
        if (!e.worker.empty()) Remove(e.worker);
        return "";
      default:  // PREEMPTED: handled with its ASSIGNED; the others move nothing
        return "";
    }
  }

 private:
  static std::string Group(const std::string& account, const LabelSet& base, const LabelSet& provisionable) {
    std::set<std::string> all(base.begin(), base.end());
    all.insert(provisionable.begin(), provisionable.end());
    std::string key = account;
    for (const auto& l : all) key += "\n" + l;
    return key;
  }

  std::string Check(const RunInfo& run, Priority p) const {
    std::optional<AccountConfig> config = s_.GetAccountConfig(run.account);
    if (!config) return "";
    const Policy& policy = s_.policy();
    if (policy.enforce_fanout && p != kFreeBucket && config->max_fanout > 0) {
      auto it = group_running_.find(run.group);
      if (it != group_running_.end() && it->second >= config->max_fanout) {
        return "fanout: group already runs " + std::to_string(it->second);
      }
    }
    if (policy.enforce_per_label_limits) {
      for (const auto& [prefix, limit] : config->per_label_task_limits) {
        for (const std::string& label : run.worker_labels) {
          if (label.compare(0, prefix.size(), prefix) != 0) continue;
          auto it = value_running_.find({run.account, prefix, label});
          if (it != value_running_.end() && it->second >= limit) {
            return "per-label limit " + prefix + "=" + std::to_string(limit) + ": " + label + " already runs " +
                   std::to_string(it->second);
          }
        }
      }
    }
    return "";
  }

  void Count(const RunInfo& run, int delta) {
    group_running_[run.group] += delta;
    std::optional<AccountConfig> config = s_.GetAccountConfig(run.account);
    if (!config) return;
    for (const auto& [prefix, limit] : config->per_label_task_limits) {
      for (const std::string& label : run.worker_labels) {
        if (label.compare(0, prefix.size(), prefix) == 0) value_running_[{run.account, prefix, label}] += delta;
      }
    }
  }
  void Add(const std::string& worker, const RunInfo& run) {
    runs_[worker] = run;
    Count(run, +1);
  }
  void Remove(const std::string& worker) {
    auto it = runs_.find(worker);
    if (it == runs_.end()) return;
    Count(it->second, -1);
    runs_.erase(it);
  }

  const Scheduler& s_;
  std::map<std::string, RunInfo> runs_;
  std::map<std::string, int> group_running_;
  std::map<std::tuple<std::string, std::string, std::string>, int> value_running_;
};

class Session {
 public:
  explicit Session(uint64_t seed) : rng_(seed) {}

  int Pick(int n) { return boost::random::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Coin() { return Pick(2) == 1; }
  std::string Id(const char* prefix, int n) { return prefix + std::to_string(Pick(n)); }

  Policy RandomPolicy() {
    Policy p;
    p.disable_preemption = Pick(4) == 0;
    p.bot_expiration = Seconds(60 * (1 + Pick(20)));
    p.worker_queue_timeout = Minutes(1 + Pick(15));
    p.max_queue_age = Hours(1 + Pick(48));
    p.promote_threshold = static_cast<float>(Pick(3) * 300);
    p.demote_threshold = -static_cast<float>(Pick(3) * 300);
    p.enforce_fanout = Coin();
    p.enforce_per_label_limits = Coin();
    p.skip_stale_pairs = Pick(4) != 0;
    p.preempt_once_per_worker = Coin();
    const int64_t cutoffs[] = {50000, 1, 2, 4};
    p.match_sort_cutoff = cutoffs[Pick(4)];
    return p;
  }

  AccountConfig RandomAccount() {
    AccountConfig c;
    for (auto& r : c.charge_rate) r = 0.25f * static_cast<float>(Pick(9));
    c.max_charge_seconds = static_cast<float>(60 * (1 + Pick(60)));
    c.disable_free_tasks = Pick(5) == 0;
    c.max_fanout = Pick(3) == 0 ? 0 : Pick(4);
    for (const std::string& prefix : kPrefixes) {
      if (Pick(3) == 0) c.per_label_task_limits[prefix] = Pick(4);
    }
    return c;
  }

  // A bot's labels: sometimes several values of one key.
  std::vector<std::string> RandomWorkerLabels() {
    std::vector<std::string> labels{Id("os:", 3), Id("pool:", 2)};
    if (Pick(3) == 0) labels.push_back(Id("os:", 3));
    if (Pick(2)) labels.push_back(Id("gpu:", 2));
    if (Pick(3) == 0) labels.push_back(Id("gpu:", 2));
    labels.push_back(Id("img:", 3));
    return labels;
  }

  void Start(Twin& a, Twin& b) {
    const Policy p = RandomPolicy();
    a.scheduler.SetPolicy(p);
    b.scheduler.SetPolicy(p);
    for (int i = 0; i < 3; ++i) {
      const AccountConfig c = RandomAccount();
      std::vector<float> initial(Pick(6));
      for (auto& v : initial) v = static_cast<float>(Pick(2000)) - 500;
      ASSERT_TRUE(a.scheduler.AddAccount("acct" + std::to_string(i), c, initial).ok());
      ASSERT_TRUE(b.scheduler.AddAccount("acct" + std::to_string(i), c, initial).ok());
    }
  }

  // One random call applied to both twins; `a` is checked against the model.
  void Step(Twin& a, Twin& b, int step) {
    now_ += Micros(Pick(3) == 0 ? 0 : boost::random::uniform_int_distribution<int64_t>(1, 90000000)(rng_));
    // Some calls are stamped in the past, as late messages are.
    const Time t = Pick(10) == 0 ? now_ - Seconds(Pick(300)) : now_;
    const int op = Pick(100);
    std::string out_a, out_b;
    auto both = [&](auto&& call) {
      out_a = call(a);
      out_b = call(b);
    };
    if (op < 3) {
      const AccountConfig c = RandomAccount();
      std::vector<float> initial(Pick(6));
      for (auto& v : initial) v = static_cast<float>(Pick(2000)) - 500;
      const std::string acct = Id("acct", 4);
      both([&](Twin& x) { return std::to_string(x.scheduler.AddAccount(acct, c, initial).ok()); });
    } else if (op < 4) {
      const std::string acct = Id("acct", 4);
      both([&](Twin& x) { return std::to_string(x.scheduler.DeleteAccount(acct).ok()); });
    } else if (op < 6) {
      const Policy p = RandomPolicy();
      both([&](Twin& x) {
        x.scheduler.SetPolicy(p);
        return std::string();
      });
    } else if (op < 40) {
      reconciler::TaskWaitingRequest r;
      r.account = Pick(10) == 0 ? "" : Id("acct", 5);
      if (Pick(2)) r.base_labels.push_back(Id("os:", 3));
      if (Pick(3) == 0) r.base_labels.push_back(Id("gpu:", 2));
      if (Pick(2)) r.provisionable_labels.push_back(Id("img:", 3));
      r.request = Id("t", 60);
      r.enqueue_time = t - Seconds(Pick(4) == 0 ? 60 * 60 * 47 : Pick(600));
      r.tags = {"tag" + std::to_string(Pick(3))};
      r.time = t;
      both([&](Twin& x) { return std::to_string(x.state.NotifyTaskWaiting(x.scheduler, &x.sink, r).ok()); });
    } else if (op < 68) {
      std::vector<IdleWorker> workers;
      for (int i = Pick(5); i > 0; --i) workers.push_back(IdleWorker{Id("bot", 12), RandomWorkerLabels()});
      const size_t seen = a.sink.events.size();
      LimitModel model(a.scheduler);
      both([&](Twin& x) {
        auto got = x.state.AssignTasks(x.scheduler, t, &x.sink, workers);
        std::string s;
        if (!got.ok()) return got.status().message();
        for (const auto& g : *got) s += g.worker + "<-" + g.request + (g.provision_required ? "+" : "") + ";";
        return s;
      });
      for (size_t i = seen; i < a.sink.events.size(); ++i) {
        const std::string violation = model.OnEvent(a.sink.events[i]);
        ASSERT_TRUE(violation.empty()) << "step " << step << ": " << violation;
      }
    } else if (op < 82) {
      reconciler::TaskRunningRequest r{Id("t", 60), Id("bot", 12), t};
      both([&](Twin& x) { return std::to_string(x.state.NotifyTaskRunning(x.scheduler, &x.sink, r).ok()); });
    } else if (op < 93) {
      reconciler::TaskAbsentRequest r{Id("t", 60), Id("bot", 12), t};
      both([&](Twin& x) { return std::to_string(x.state.NotifyTaskAbsent(x.scheduler, &x.sink, r).ok()); });
    } else if (op < 96) {
      const std::string req = Id("t", 60);
      both([&](Twin& x) { return std::to_string(x.state.AddTaskError(req, "boom").ok()); });
    } else {
      both([&](Twin& x) {
        std::string s;
        for (const auto& c : x.state.Cancellations()) s += c.worker + "/" + c.request + "/" + c.error + ";";
        return s;
      });
    }
    ASSERT_EQ(out_a, out_b) << "step " << step << " op " << op;
  }

 private:
  boost::random::mt19937_64 rng_;
  Time now_ = kStart;
};

// Runs one session; returns the number of assignments it made.
int RunSession(uint64_t seed, int steps) {
  Twin plain, restored;
  Session session(seed);
  session.Start(plain, restored);
  if (::testing::Test::HasFatalFailure()) return 0;
  int assigned = 0;
  for (int step = 0; step < steps; ++step) {
    Status restarted = reconciler::RestartThroughBytes(restored.scheduler, restored.state);
    EXPECT_TRUE(restarted.ok()) << restarted.message();
    if (!restarted.ok()) return assigned;
    session.Step(plain, restored, step);
    if (::testing::Test::HasFatalFailure()) return assigned;
    EXPECT_EQ(plain.sink.events.size(), restored.sink.events.size()) << "step " << step;
    if (plain.sink.events.size() != restored.sink.events.size()) return assigned;
    for (size_t i = 0; i < plain.sink.events.size(); ++i) {
      EXPECT_EQ(Describe(plain.sink.events[i]), Describe(restored.sink.events[i])) << "step " << step;
      if (Describe(plain.sink.events[i]) != Describe(restored.sink.events[i])) return assigned;
      assigned += plain.sink.events[i].type == EventType::kAssigned;
    }
    plain.sink.events.clear();
    restored.sink.events.clear();
    // Semantic comparison: protobuf maps have no canonical byte order.
    const bool same_scheduler = MessageDifferencer::Equals(plain.scheduler.ToProto(), restored.scheduler.ToProto());
    const bool same_state = MessageDifferencer::Equals(plain.state.ToProto(), restored.state.ToProto());
    EXPECT_TRUE(same_scheduler && same_state) << "step " << step << ": states differ";
    if (!same_scheduler || !same_state) return assigned;
  }
  return assigned;
}

TEST(SwitchesProperty, RestartThroughBytesChangesNothingAndHistoricLimitsHold) {
  const uint64_t sessions = EnvOr("QSIM_PROPERTY_SESSIONS", 40);
  const uint64_t first_seed = EnvOr("QSIM_PROPERTY_SEED", 1);
  const int steps = static_cast<int>(EnvOr("QSIM_PROPERTY_STEPS", 250));
  int64_t assigned = 0;
  for (uint64_t seed = first_seed; seed < first_seed + sessions; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun: QSIM_PROPERTY_SEED=" + std::to_string(seed) +
                 " QSIM_PROPERTY_SESSIONS=1)");
    assigned += RunSession(seed, steps);
    if (HasFailure()) return;
  }
  // The sessions must have exercised the scheduler, or the test proves nothing.
  EXPECT_GT(assigned, static_cast<int64_t>(sessions) * 5);
}

}  // namespace
}  // namespace qsim
