// The scheduler's worker bookkeeping (docs/scheduler-internals.md, "Worker
// bookkeeping"): tombstones of departed workers, the expiry of idle workers
// through the stale list, and the id hash. Each is checked against a model
// of what the spec says the state holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "proto/state.pb.h"
#include "scheduler/internal/id_index.h"
#include "scheduler/internal/state.h"
#include "scheduler/scheduler.h"

namespace qsim {
namespace {

constexpr Time kT0 = TimeFromMicros(1700000000000000);

// What docs/scheduler.md says of an idle worker: its labels (as a set) and
// its confirmed time.
struct ModelWorker {
  LabelSet labels;
  Time confirmed;
};
using Model = std::map<std::string, ModelWorker>;

void ExpectStateIs(const Scheduler& s, const Model& model, const std::string& where) {
  std::vector<WorkerView> views = s.Workers();
  ASSERT_EQ(views.size(), model.size()) << where;
  ASSERT_EQ(s.NumWorkers(), model.size()) << where;
  auto m = model.begin();
  for (const WorkerView& v : views) {
    ASSERT_EQ(v.id, m->first) << where << ": workers in id order";
    EXPECT_EQ(v.labels, m->second.labels) << where << " " << v.id;
    EXPECT_EQ(v.confirmed_time, m->second.confirmed) << where << " " << v.id;
    ++m;
  }
}

// Idle workers take unlabelled requests in id order: the idle sets (ordered
// by the ranks the tombstones keep) must give exactly the model's order.
void ExpectIdleOrder(Scheduler& s, const Model& model, Time t, const std::string& where) {
  for (size_t i = 0; i < model.size(); ++i) {
    RequestSpec r{"order-" + std::to_string(1000000 + i), "", {}, {}, t + Micros(static_cast<int64_t>(i)), {}};
    ASSERT_TRUE(s.AddRequest(r, t, nullptr).ok());
  }
  std::vector<SchedulerAssignment> out = s.RunOnce(nullptr);
  ASSERT_EQ(out.size(), model.size()) << where;
  auto m = model.begin();
  for (const SchedulerAssignment& a : out) EXPECT_EQ(a.worker, (m++)->first) << where;
}

// Workers leave (an inconsistent report, a run reported absent, expiry) and
// come back, with the same labels or others, many more times than there are
// workers, so the tombstones are revived and also dropped in bulk.
TEST(WorkerBookkeeping, DeparturesAndReturnsKeepExactlyTheSpecsWorkers) {
  const uint32_t seed = 16;
  std::mt19937 rng(seed);
  Policy policy;
  policy.bot_expiration = Seconds(300);
  Scheduler s = Scheduler::New(kT0, policy);
  const std::vector<LabelSet> label_choices = {
      {}, {"os:linux", "pool:ci"}, {"pool:ci", "os:linux"}, {"os:mac"}, {"cpu:32", "os:linux", "pool:ci"}};
  Model model;
  Time now = kT0;
  int request_number = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
    const std::string id = "bot-" + std::to_string(rng() % 700);
    switch (rng() % 8) {
      case 0: {  // the spec's inconsistent-worker rule removes it (if known)
        ASSERT_TRUE(s.NotifyTaskRunning("no-such-task", id, now, nullptr).ok());
        model.erase(id);
        break;
      }
      case 1: {  // the first idle worker in id order runs a request reported absent: removed
        if (model.empty()) break;
        const std::string r = "task-" + std::to_string(request_number++);
        ASSERT_TRUE(s.AddRequest(RequestSpec{r, "", {}, {}, now, {}}, now, nullptr).ok());
        std::vector<SchedulerAssignment> out = s.RunOnce(nullptr);
        ASSERT_EQ(out.size(), 1u) << where;
        EXPECT_EQ(out[0].worker, model.begin()->first) << where;
        ASSERT_TRUE(s.NotifyTaskAbsent(r, now, nullptr).ok());
        model.erase(model.begin());
        break;
      }
      case 2: {  // time passes; idle workers unconfirmed for 300 s expire
        now += Seconds(static_cast<int64_t>(rng() % 90));
        s.UpdateTime(now);
        for (auto it = model.begin(); it != model.end();) {
          it = it->second.confirmed < now - policy.bot_expiration ? model.erase(it) : std::next(it);
        }
        break;
      }
      default: {  // a poll, usually with the labels it had
        LabelSet labels = label_choices[rng() % 10 < 8 ? 1 : rng() % label_choices.size()];
        ASSERT_TRUE(s.MarkIdle(id, labels, now, nullptr).ok());
        model[id] = ModelWorker{MakeLabelSet(labels), now};
        break;
      }
    }
    if (step % 97 == 0) ExpectStateIs(s, model, where);
  }
  ExpectStateIs(s, model, "end");
  auto restored = Scheduler::NewFromProto(s.ToProto());
  ASSERT_TRUE(restored.ok());
  ExpectStateIs(*restored, model, "restored");
  ExpectIdleOrder(s, model, now, "idle order");
}

// Every idle worker unconfirmed for longer than the expiration is removed at
// the first UpdateTime after, and no other: checked at every step while
// workers poll at different rates, stop polling and start again.
TEST(WorkerBookkeeping, ExpiryRemovesExactlyTheExpiredIdleWorkers) {
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    std::mt19937 rng(seed);
    Policy policy;
    policy.bot_expiration = Seconds(60 * static_cast<int64_t>(seed));
    Scheduler s = Scheduler::New(kT0, policy);
    Model model;
    std::vector<int64_t> interval_s(300);
    for (int64_t& i : interval_s) i = 10 + static_cast<int64_t>(rng() % 200);  // some beyond the expiration
    Time now = kT0;
    for (int step = 0; step < 3000; ++step) {
      now += Seconds(1 + static_cast<int64_t>(rng() % 7));
      s.UpdateTime(now);
      for (auto it = model.begin(); it != model.end();) {
        it = it->second.confirmed < now - policy.bot_expiration ? model.erase(it) : std::next(it);
      }
      ExpectStateIs(s, model, "seed " + std::to_string(seed) + " step " + std::to_string(step));
      for (int polls = 0; polls < 5; ++polls) {
        const size_t bot = rng() % interval_s.size();
        const std::string id = "w" + std::to_string(bot);
        auto it = model.find(id);
        // Polls no more often than its interval; a late poll re-adds it.
        if (it != model.end() && now - it->second.confirmed < Seconds(interval_s[bot])) continue;
        // Sometimes the report is older than now (a delayed message).
        const Time t = now - Seconds(static_cast<int64_t>(rng() % 3 == 0 ? rng() % 30 : 0));
        ASSERT_TRUE(s.MarkIdle(id, {"pool"}, t, nullptr).ok());
        if (it == model.end()) {
          model[id] = ModelWorker{{"pool"}, t};
        } else {
          it->second.confirmed = std::max(it->second.confirmed, t);
        }
      }
    }
  }
}

}  // namespace
}  // namespace qsim

namespace qsim::internal {
namespace {

struct Named {
  IdIndexHook index_hook;
  std::string id;
};

// FindHashed (the prefetching callers' lookup) finds exactly what Find does,
// through the growths of the table, and the prefetch hints are harmless on
// empty and full buckets alike.
TEST(IdIndexLookup, FindHashedAgreesWithFindThroughGrowth) {
  IdIndex<Named> index;
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back((i % 3 == 0 ? "linux-small-" : "t") + std::to_string(i));
    auto n = std::make_unique<Named>();
    n->id = ids.back();
    index.Insert(std::move(n));
    for (int j = std::max(0, i - 3); j <= i + 3; ++j) {
      const std::string probe = (j % 3 == 0 ? "linux-small-" : "t") + std::to_string(j);
      const uint64_t h = IdIndex<Named>::HashOf(probe);
      index.PrefetchBucket(h);
      index.PrefetchFirst(h);
      Named* found = index.FindHashed(probe, h);
      ASSERT_EQ(found, index.Find(probe)) << probe;
      ASSERT_EQ(found != nullptr, j <= i) << probe;
      if (found) {
        EXPECT_EQ(found->id, probe);
      }
    }
  }
  EXPECT_EQ(index.size(), 1000u);
  Named* gone = index.Find("t1");
  index.Remove(*gone);  // back to the caller, which frees it
  EXPECT_EQ(index.FindHashed("t1", IdIndex<Named>::HashOf("t1")), nullptr);
}

// A WorkerSet reuses the nodes of workers that left: through random joins
// and leaves it holds exactly the workers a plain set would, in rank order,
// and a copy holds the same ones.
TEST(WorkerSetNodes, ReusedNodesKeepExactlyTheMembersInRankOrder) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 200; ++i) {
    workers.push_back(std::make_unique<Worker>());
    workers.back()->rank = static_cast<uint64_t>(1000 - 3 * i);  // not in creation order
  }
  WorkerSet set;
  std::map<uint64_t, Worker*> expected;
  std::mt19937 rng(7);
  for (int step = 0; step < 5000; ++step) {
    Worker* w = workers[rng() % workers.size()].get();
    if (expected.count(w->rank)) {
      set.erase(w);
      expected.erase(w->rank);
    } else {
      set.insert(w);
      expected[w->rank] = w;
    }
    if (step % 97 == 0) {
      std::vector<Worker*> want;
      for (const auto& [rank, x] : expected) want.push_back(x);
      const std::vector<Worker*> got(set.begin(), set.end());
      ASSERT_EQ(got, want) << "step " << step;
      const WorkerSet copy = set;
      EXPECT_EQ(std::vector<Worker*>(copy.begin(), copy.end()), want);
    }
  }
  EXPECT_EQ(set.size(), expected.size());
}

}  // namespace
}  // namespace qsim::internal
