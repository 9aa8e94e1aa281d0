#include "bench/workload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <compare>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace qsim::bench {
namespace {

bool IsRandomString(const std::string& s) {
  return s.size() == 16 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool IsSortedSet(const std::vector<std::string>& v) {
  return std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end();
}

TEST(Workload, ReferenceParametersAreThoseOfTheDoc) {
  const ProfilerWorkload p = ReferenceProfilerWorkload();
  EXPECT_EQ(p.iterations, 100);
  EXPECT_EQ(p.tasks_per_iteration, 1000);
  EXPECT_EQ(p.workers_per_iteration, 50);
  EXPECT_EQ(p.shape.accounts, 20);
  EXPECT_EQ(p.shape.charge_rate_max, 10);
  EXPECT_EQ(p.shape.charge_time, 10);
  EXPECT_TRUE(p.shape.disable_free_tasks);
  EXPECT_EQ(p.shape.label_corpus_size, 1000);
  EXPECT_EQ(p.shape.provisionable_labels, 50);
  EXPECT_EQ(p.shape.labels_per_worker, 50);
  EXPECT_EQ(p.shape.labels_per_task, 4);
  EXPECT_TRUE(p.policy.disable_preemption);
  EXPECT_EQ(p.policy.bot_expiration, Hours(100));

  const LargePassWorkload l = ReferenceLargePassWorkload();
  EXPECT_EQ(l.workers, 5000);
  EXPECT_EQ(l.tasks, 100000);
  EXPECT_EQ(l.shape.accounts, 20);
  EXPECT_EQ(l.shape.charge_rate_max, 0);
  EXPECT_EQ(l.shape.charge_time, 0);
  EXPECT_FALSE(l.shape.disable_free_tasks);
  EXPECT_EQ(l.shape.label_corpus_size, 1000);
  EXPECT_EQ(l.shape.provisionable_labels, 20);
  EXPECT_EQ(l.shape.labels_per_worker, 50);
  EXPECT_EQ(l.shape.labels_per_task, 5);
  EXPECT_EQ(l.policy, Policy{});
}

TEST(WorkloadGenerator, AccountsFollowTheShape) {
  WorkloadGenerator paid(ReferenceProfilerWorkload().shape, 1);
  ASSERT_EQ(paid.accounts().size(), 20u);
  std::set<float> rates;
  for (size_t i = 0; i < paid.accounts().size(); ++i) {
    const auto& [id, config] = paid.accounts()[i];
    EXPECT_EQ(id, "account" + std::to_string(i));
    EXPECT_EQ(config.max_charge_seconds, 10);
    EXPECT_TRUE(config.disable_free_tasks);
    for (float r : config.charge_rate) {
      EXPECT_GE(r, 0);
      EXPECT_LT(r, 10);
      rates.insert(r);
    }
  }
  EXPECT_GT(rates.size(), 90u) << "100 rates drawn independently should nearly all differ";

  WorkloadGenerator free(ReferenceLargePassWorkload().shape, 1);
  ASSERT_EQ(free.accounts().size(), 20u);
  for (const auto& [id, config] : free.accounts()) {
    EXPECT_EQ(config.charge_rate, Balance{}) << id;
    EXPECT_EQ(config.max_charge_seconds, 0) << id;
    EXPECT_FALSE(config.disable_free_tasks) << id;
  }
}

TEST(WorkloadGenerator, TasksAndWorkersHaveTheDocumentedLabels) {
  const WorkloadShape shape = ReferenceProfilerWorkload().shape;
  WorkloadGenerator gen(shape, 7);
  const std::vector<std::string>& corpus = gen.corpus();
  ASSERT_EQ(corpus.size(), 1000u);
  const std::set<std::string> all(corpus.begin(), corpus.end());
  const std::set<std::string> pool(corpus.begin(), corpus.begin() + shape.provisionable_labels);
  std::set<std::string> accounts;
  for (const auto& a : gen.accounts()) accounts.insert(a.first);

  const Time t = WorkloadStartTime() + Minutes(3);
  size_t base_total = 0;
  for (int i = 0; i < 2000; ++i) {
    RequestSpec r = gen.NextTask(t);
    EXPECT_TRUE(IsRandomString(r.id)) << r.id;
    EXPECT_EQ(r.enqueue_time, t);
    EXPECT_TRUE(accounts.count(r.account)) << r.account;
    ASSERT_GE(r.base_labels.size(), 1u);
    ASSERT_LE(r.base_labels.size(), 4u);
    EXPECT_TRUE(IsSortedSet(r.base_labels));
    for (const auto& l : r.base_labels) EXPECT_TRUE(all.count(l)) << l;
    ASSERT_EQ(r.provisionable_labels.size(), 1u);
    EXPECT_TRUE(pool.count(r.provisionable_labels[0]));
    EXPECT_TRUE(r.tags.empty());
    base_total += r.base_labels.size();
  }
  // 4 draws from 1,000 collapse rarely: about 0.6% of tasks lose a label.
  EXPECT_GT(base_total, 2000u * 4 * 99 / 100);

  size_t worker_total = 0;
  for (int i = 0; i < 1000; ++i) {
    WorkerSpec w = gen.NextWorker();
    EXPECT_TRUE(IsRandomString(w.id)) << w.id;
    ASSERT_LE(w.labels.size(), 51u);
    EXPECT_TRUE(IsSortedSet(w.labels));
    for (const auto& l : w.labels) EXPECT_TRUE(all.count(l)) << l;
    EXPECT_TRUE(std::any_of(w.labels.begin(), w.labels.end(),
                            [&](const std::string& l) { return pool.count(l) > 0; }));
    worker_total += w.labels.size();
  }
  // 50 draws from 1,000 give about 48.8 distinct, plus the pool draw.
  const double mean = worker_total / 1000.0;
  EXPECT_GT(mean, 48.5);
  EXPECT_LT(mean, 50.5);
}

TEST(WorkloadGenerator, OneSeedGivesOneStream) {
  const WorkloadShape shape = ReferenceLargePassWorkload().shape;
  WorkloadGenerator a(shape, 1), b(shape, 1), c(shape, 2);
  EXPECT_EQ(a.corpus(), b.corpus());
  EXPECT_NE(a.corpus(), c.corpus());
  const Time t = WorkloadStartTime();
  for (int i = 0; i < 10; ++i) {
    RequestSpec ra = a.NextTask(t), rb = b.NextTask(t), rc = c.NextTask(t);
    EXPECT_EQ(ra.id, rb.id);
    EXPECT_EQ(ra.base_labels, rb.base_labels);
    EXPECT_EQ(ra.provisionable_labels, rb.provisionable_labels);
    EXPECT_EQ(ra.account, rb.account);
    EXPECT_NE(ra.id, rc.id);
  }
  EXPECT_EQ(a.NextWorker().labels, b.NextWorker().labels);
}

TEST(Workload, SmallProfilerRunHasTheWorkloadSizes) {
  ProfilerWorkload w = ReferenceProfilerWorkload();
  w.iterations = 3;
  w.tasks_per_iteration = 200;
  w.workers_per_iteration = 10;
  // A small corpus, so that some tasks do match.
  w.shape.label_corpus_size = 60;
  w.shape.provisionable_labels = 10;
  w.shape.labels_per_task = 2;
  StatusOr<ProfilerResult> r = RunProfilerWorkload(w, 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->workers, 30u);
  EXPECT_EQ(r->running + r->queued, 600u);
  // Nothing completes or is preempted, so every assignment is still running.
  EXPECT_EQ(r->running, r->assignments);
  EXPECT_GT(r->assignments, 0u);

  StatusOr<ProfilerResult> again = RunProfilerWorkload(w, 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->assignments, r->assignments);
  EXPECT_EQ(again->running, r->running);
}

// The free-bucket pass of a fresh workload-2 state (docs/scheduler.md §5), computed the
// naive way: every request against every worker. Every request is unexamined
// and enqueued at one time, so the level's order is by id; no account pays.
struct NaiveAssignment {
  std::string worker;
  std::string request;
  bool provision_required;
  auto operator<=>(const NaiveAssignment&) const = default;
};

std::ostream& operator<<(std::ostream& os, const NaiveAssignment& a) {
  return os << a.worker << "<-" << a.request << (a.provision_required ? " (provision)" : "");
}

bool Contains(const std::vector<std::string>& set, const std::vector<std::string>& subset) {
  return std::includes(set.begin(), set.end(), subset.begin(), subset.end());
}

std::vector<NaiveAssignment> NaiveFreeBucketPass(std::vector<RequestSpec> tasks,
                                                 std::vector<WorkerSpec> workers) {
  std::sort(tasks.begin(), tasks.end(),
            [](const RequestSpec& a, const RequestSpec& b) { return a.id < b.id; });
  std::sort(workers.begin(), workers.end(),
            [](const WorkerSpec& a, const WorkerSpec& b) { return a.id < b.id; });
  std::vector<std::vector<size_t>> matches(workers.size());
  for (size_t w = 0; w < workers.size(); ++w) {
    for (size_t r = 0; r < tasks.size(); ++r) {
      if (Contains(workers[w].labels, tasks[r].base_labels)) matches[w].push_back(r);
    }
    std::stable_sort(matches[w].begin(), matches[w].end(), [&](size_t a, size_t b) {
      return tasks[a].base_labels.size() > tasks[b].base_labels.size();
    });
  }
  std::vector<bool> placed(tasks.size(), false), busy(workers.size(), false);
  std::vector<NaiveAssignment> out;
  for (bool need_provision : {true, false}) {
    for (size_t w = 0; w < workers.size(); ++w) {
      if (busy[w]) continue;
      for (size_t r : matches[w]) {
        const bool provisioned = Contains(workers[w].labels, tasks[r].provisionable_labels);
        if (placed[r] || (need_provision && !provisioned)) continue;
        placed[r] = busy[w] = true;
        out.push_back({workers[w].id, tasks[r].id, !provisioned});
        break;
      }
    }
  }
  return out;
}

TEST(Workload, SmallLargePassMatchesANaiveMatcher) {
  LargePassWorkload w = ReferenceLargePassWorkload();
  w.workers = 200;
  w.tasks = 4000;
  // With the full 1,000-label corpus a 200 x 4,000 state has no match at
  // all; 200 labels give a few per worker, some none, some with quality 4.
  w.shape.label_corpus_size = 200;
  std::vector<RequestSpec> tasks;
  std::vector<WorkerSpec> workers;
  StatusOr<Scheduler> s = BuildLargePassState(w, 1, &tasks, &workers);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(tasks.size(), 4000u);
  ASSERT_EQ(workers.size(), 200u);
  EXPECT_EQ(s->NumWorkers(), 200u);
  EXPECT_EQ(s->NumQueued(), 4000u);

  const std::vector<NaiveAssignment> expected = NaiveFreeBucketPass(tasks, workers);
  std::vector<NaiveAssignment> got;
  for (const SchedulerAssignment& a : s->RunOnce(nullptr)) {
    EXPECT_EQ(a.type, AssignmentType::kIdleWorker);
    EXPECT_EQ(a.priority, kFreeBucket);
    EXPECT_EQ(a.time, WorkloadStartTime());
    got.push_back({a.worker, a.request, a.provision_required});
  }
  // Not trivial: some workers matched nothing, some needed provisioning.
  EXPECT_GT(expected.size(), 20u);
  EXPECT_LT(expected.size(), 200u);
  EXPECT_TRUE(std::any_of(expected.begin(), expected.end(),
                          [](const NaiveAssignment& a) { return a.provision_required; }));
  // Compared as sets: the spec fixes each decision, not the output's order.
  std::vector<NaiveAssignment> want = expected;
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(s->NumRunning(), expected.size());
}

}  // namespace
}  // namespace qsim::bench
