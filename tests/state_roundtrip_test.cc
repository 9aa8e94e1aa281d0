// Property: writing the scheduler and reconciler to protobuf and restoring
// them before every single call changes nothing. Two twins are driven by the
// same seeded random session; one is round-tripped at every step; their
// outputs (assignments, events, cancellations) and states must stay equal.
#include <gtest/gtest.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <google/protobuf/util/message_differencer.h>
#include <map>
#include <set>
#include <sstream>

#include "proto/state.pb.h"
#include "reconciler/reconciler.h"
#include "reconciler/restart.h"

namespace qsim {
namespace {

using google::protobuf::util::MessageDifferencer;
using reconciler::IdleWorker;

std::string Describe(const TaskEvent& e) {
  std::ostringstream out;
  out << EventTypeName(e.type) << " t=" << ToMicros(e.time) << " task=" << e.task << " worker=" << e.worker
      << " account=" << e.account << " p=" << e.priority << " pre=" << e.preempting
      << " prov=" << e.provision_required << " victim=" << e.preempted_task << " by=" << e.preempting_task
      << " old=" << e.old_priority << " new=" << e.new_priority
      << " reason=" << CompletedReasonName(e.reason) << " other=" << e.other_task << "/" << e.other_bot
      << " cost=";
  for (float c : e.cost) out << c << ",";
  if (e.account_balance) {
    out << " balance=";
    for (float b : *e.account_balance) out << b << ",";
  }
  return out.str();
}

struct Twin {
  Scheduler scheduler = Scheduler::New(TimeFromMicros(1700000000000000));
  reconciler::State state = reconciler::State::New();
  RecordingEventSink sink;

  void RoundTrip() {
    Status restarted = reconciler::RestartThroughBytes(scheduler, state);
    ASSERT_TRUE(restarted.ok()) << restarted.message();
  }
};

class Session {
 public:
  explicit Session(uint64_t seed) : rng_(seed) {}

  int Pick(int n) { return boost::random::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string Id(const char* prefix, int n) { return prefix + std::to_string(Pick(n)); }

  // One random call applied to both twins; returns a description of outputs.
  void Step(Twin& a, Twin& b, int step) {
    now_ += Micros(Pick(3) == 0 ? 0 : boost::random::uniform_int_distribution<int64_t>(1, 120000000)(rng_));
    // Some calls are stamped in the past, as late messages are.
    const Time t = Pick(10) == 0 ? now_ - Seconds(Pick(300)) : now_;
    const int op = Pick(100);
    std::string out_a, out_b;
    auto both = [&](auto&& call) {
      out_a = call(a);
      out_b = call(b);
    };
    if (op < 3) {
      AccountConfig c;
      for (auto& r : c.charge_rate) r = 0.25f * Pick(9);
      c.max_charge_seconds = static_cast<float>(60 * (1 + Pick(60)));
      c.disable_free_tasks = Pick(4) == 0;
      std::vector<float> initial(Pick(6));
      for (auto& v : initial) v = static_cast<float>(Pick(2000)) - 1000;
      const std::string acct = Id("acct", 4);
      both([&](Twin& x) { return std::to_string(x.scheduler.AddAccount(acct, c, initial).ok()); });
    } else if (op < 4) {
      Policy p = a.scheduler.policy();
      p.disable_preemption = !p.disable_preemption;
      p.bot_expiration = Seconds(60 * (1 + Pick(20)));
      both([&](Twin& x) {
        x.scheduler.SetPolicy(p);
        return std::string();
      });
    } else if (op < 40) {
      reconciler::TaskWaitingRequest r;
      r.account = Pick(8) == 0 ? "" : Id("acct", 5);
      for (int i = Pick(3); i > 0; --i) r.base_labels.push_back(Id("os:", 3));
      if (Pick(2)) r.provisionable_labels.push_back(Id("img:", 3));
      r.request = Id("t", 60);
      r.enqueue_time = t - Seconds(Pick(3) == 0 ? 60 * 60 * 47 : Pick(600));
      r.tags = {"tag" + std::to_string(Pick(3))};
      r.time = t;
      both([&](Twin& x) { return std::to_string(x.state.NotifyTaskWaiting(x.scheduler, &x.sink, r).ok()); });
    } else if (op < 65) {
      std::vector<IdleWorker> workers;
      std::set<std::string> seen;
      for (int i = Pick(4); i > 0; --i) {
        std::string id = Id("bot", 12);
        if (!seen.insert(id).second) continue;
        IdleWorker w{id, {Id("os:", 3), Id("img:", 3)}};
        workers.push_back(w);
      }
      both([&](Twin& x) {
        auto got = x.state.AssignTasks(x.scheduler, t, &x.sink, workers);
        std::string s;
        if (!got.ok()) return got.status().message();
        for (const auto& g : *got) s += g.worker + "<-" + g.request + (g.provision_required ? "+" : "") + ";";
        return s;
      });
    } else if (op < 80) {
      reconciler::TaskRunningRequest r{Id("t", 60), Id("bot", 12), t};
      both([&](Twin& x) { return std::to_string(x.state.NotifyTaskRunning(x.scheduler, &x.sink, r).ok()); });
    } else if (op < 92) {
      reconciler::TaskAbsentRequest r{Id("t", 60), Id("bot", 12), t};
      both([&](Twin& x) { return std::to_string(x.state.NotifyTaskAbsent(x.scheduler, &x.sink, r).ok()); });
    } else if (op < 95) {
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
  Time now_ = TimeFromMicros(1700000000000000);
};

TEST(StateRoundTrip, RestoringBeforeEveryCallChangesNothing) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Twin plain, restored;
    Session session(seed);
    std::map<EventType, int> seen;
    for (int step = 0; step < 3000; ++step) {
      restored.RoundTrip();
      session.Step(plain, restored, step);
      ASSERT_EQ(plain.sink.events.size(), restored.sink.events.size()) << "step " << step;
      for (size_t i = 0; i < plain.sink.events.size(); ++i) {
        ASSERT_EQ(Describe(plain.sink.events[i]), Describe(restored.sink.events[i])) << "step " << step;
      }
      for (const auto& e : plain.sink.events) ++seen[e.type];
      plain.sink.events.clear();
      restored.sink.events.clear();
    }
    EXPECT_TRUE(MessageDifferencer::Equals(plain.scheduler.ToProto(), restored.scheduler.ToProto()));
    EXPECT_TRUE(MessageDifferencer::Equals(plain.state.ToProto(), restored.state.ToProto()));
    // The session must have exercised the scheduler, or the test proves nothing.
    EXPECT_GT(seen[EventType::kAssigned], 100);
    EXPECT_GT(seen[EventType::kCompleted], 50);
    EXPECT_GT(seen[EventType::kUnassigned], 0);
    EXPECT_GT(seen[EventType::kPreempted] + seen[EventType::kReprioritized], 0);
  }
}

}  // namespace
}  // namespace qsim
