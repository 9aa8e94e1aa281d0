#include "bench/workload.h"

#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

namespace qsim::bench {

ProfilerWorkload ReferenceProfilerWorkload() {
  ProfilerWorkload w;
  w.shape.accounts = 20;
  w.shape.charge_rate_max = 10;
  w.shape.charge_time = 10;
  w.shape.disable_free_tasks = true;
  w.shape.label_corpus_size = 1000;
  w.shape.provisionable_labels = 50;
  w.shape.labels_per_worker = 50;
  w.shape.labels_per_task = 4;
  // The reference disables preemption because its preemption pass was never
  // optimised for this size; expiry is pushed out of the 100-minute run.
  w.policy.disable_preemption = true;
  w.policy.bot_expiration = Hours(100);
  w.iterations = 100;
  w.tasks_per_iteration = 1000;
  w.workers_per_iteration = 50;
  return w;
}

LargePassWorkload ReferenceLargePassWorkload() {
  LargePassWorkload w;
  w.shape.accounts = 20;
  w.shape.charge_rate_max = 0;
  w.shape.charge_time = 0;
  w.shape.disable_free_tasks = false;
  w.shape.label_corpus_size = 1000;
  w.shape.provisionable_labels = 20;
  w.shape.labels_per_worker = 50;
  w.shape.labels_per_task = 5;
  w.workers = 5000;
  w.tasks = 100000;
  return w;
}

// 2023-11-14T22:13:20Z.
Time WorkloadStartTime() { return TimeFromMicros(1'700'000'000'000'000); }

WorkloadGenerator::WorkloadGenerator(const WorkloadShape& shape, uint64_t seed)
    : shape_(shape), rng_(seed) {
  boost::random::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int i = 0; i < shape_.accounts; ++i) {
    AccountConfig config;
    // Drawn even when charge_rate_max is 0, so the rest of the stream does
    // not depend on it.
    for (float& rate : config.charge_rate) rate = unit(rng_) * shape_.charge_rate_max;
    config.max_charge_seconds = shape_.charge_time;
    config.disable_free_tasks = shape_.disable_free_tasks;
    accounts_.emplace_back("account" + std::to_string(i), std::move(config));
  }
  corpus_.reserve(shape_.label_corpus_size);
  for (int i = 0; i < shape_.label_corpus_size; ++i) corpus_.push_back(RandomString());
}

int WorkloadGenerator::UniformIndex(int n) {
  return boost::random::uniform_int_distribution<int>(0, n - 1)(rng_);
}

std::string WorkloadGenerator::RandomString() {
  std::string s(16, 'a');
  for (char& c : s) c = static_cast<char>('a' + UniformIndex(26));
  return s;
}

RequestSpec WorkloadGenerator::NextTask(Time t) {
  RequestSpec r;
  std::vector<std::string> base;
  base.reserve(shape_.labels_per_task);
  for (int i = 0; i < shape_.labels_per_task; ++i) {
    base.push_back(corpus_[UniformIndex(shape_.label_corpus_size)]);
  }
  r.base_labels = MakeLabelSet(std::move(base));
  r.provisionable_labels = {corpus_[UniformIndex(shape_.provisionable_labels)]};
  if (shape_.accounts > 0) r.account = accounts_[UniformIndex(shape_.accounts)].first;
  r.id = RandomString();
  r.enqueue_time = t;
  return r;
}

WorkerSpec WorkloadGenerator::NextWorker() {
  std::vector<std::string> labels;
  labels.reserve(shape_.labels_per_worker + 1);
  for (int i = 0; i < shape_.labels_per_worker; ++i) {
    labels.push_back(corpus_[UniformIndex(shape_.label_corpus_size)]);
  }
  labels.push_back(corpus_[UniformIndex(shape_.provisionable_labels)]);
  WorkerSpec w;
  w.labels = MakeLabelSet(std::move(labels));
  w.id = RandomString();
  return w;
}

StatusOr<Scheduler> NewWorkloadScheduler(const WorkloadGenerator& gen, Time start,
                                         const Policy& policy) {
  Scheduler s = Scheduler::New(start);
  for (const auto& [id, config] : gen.accounts()) {
    QSIM_RETURN_IF_ERROR(s.AddAccount(id, config).WithContext("workload account " + id));
  }
  s.SetPolicy(policy);
  return s;
}

Status AddTasks(WorkloadGenerator& gen, Scheduler& s, int n, Time t,
                std::vector<RequestSpec>* added) {
  for (int i = 0; i < n; ++i) {
    RequestSpec r = gen.NextTask(t);
    QSIM_RETURN_IF_ERROR(s.AddRequest(r, t, nullptr).WithContext("workload task " + r.id));
    if (added) added->push_back(std::move(r));
  }
  return Status::Ok();
}

Status AddWorkers(WorkloadGenerator& gen, Scheduler& s, int n, Time t,
                  std::vector<WorkerSpec>* added) {
  for (int i = 0; i < n; ++i) {
    WorkerSpec w = gen.NextWorker();
    QSIM_RETURN_IF_ERROR(
        s.MarkIdle(w.id, w.labels, t, nullptr).WithContext("workload worker " + w.id));
    if (added) added->push_back(std::move(w));
  }
  return Status::Ok();
}

StatusOr<ProfilerResult> RunProfilerWorkload(const ProfilerWorkload& w, uint64_t seed,
                                             PassObserver* observer) {
  const Time start = WorkloadStartTime();
  // The reference creates its accounts before drawing the corpus; the
  // generator's constructor draws both in that order.
  WorkloadGenerator gen(w.shape, seed);
  StatusOr<Scheduler> made = NewWorkloadScheduler(gen, start, w.policy);
  if (!made.ok()) return made.status();
  Scheduler& s = *made;
  ProfilerResult result;
  for (int i = 0; i < w.iterations; ++i) {
    const Time t = start + Minutes(i);
    QSIM_RETURN_IF_ERROR(AddTasks(gen, s, w.tasks_per_iteration, t));
    QSIM_RETURN_IF_ERROR(AddWorkers(gen, s, w.workers_per_iteration, t));
    s.UpdateTime(t);
    if (observer) observer->BeforePass(i);
    const size_t n = s.RunOnce(nullptr).size();
    if (observer) observer->AfterPass(i, n);
    result.assignments += n;
  }
  result.workers = s.NumWorkers();
  result.running = s.NumRunning();
  result.queued = s.NumQueued();
  result.final_state = std::make_unique<Scheduler>(std::move(s));
  return result;
}

StatusOr<Scheduler> BuildLargePassState(const LargePassWorkload& w, uint64_t seed,
                                        std::vector<RequestSpec>* tasks,
                                        std::vector<WorkerSpec>* workers) {
  const Time start = WorkloadStartTime();
  WorkloadGenerator gen(w.shape, seed);
  StatusOr<Scheduler> made = NewWorkloadScheduler(gen, start, w.policy);
  if (!made.ok()) return made.status();
  QSIM_RETURN_IF_ERROR(AddWorkers(gen, *made, w.workers, start, workers));
  QSIM_RETURN_IF_ERROR(AddTasks(gen, *made, w.tasks, start, tasks));
  return made;
}

}  // namespace qsim::bench
