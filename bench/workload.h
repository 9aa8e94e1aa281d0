// The two scheduler workloads of the Go reference's profiler
// (PROFILER_WORKLOAD.md in this folder), built by driving qsim::Scheduler
// directly: the iterated simulation (workload 1) and one pass over a large
// static state (workload 2).
//
// One seed gives one workload: a single generator is drawn in the documented
// order (account rates, corpus, then per task: base labels, provisionable
// label, account, id; per worker: labels, provisionable label, id). Exact
// equivalence with Go's math/rand stream is not a goal; sizes, distributions
// and the call sequence are.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/scheduler.h"

namespace qsim::bench {

// Sizes and account settings shared by both workloads (the Go StateParams).
struct WorkloadShape {
  int accounts = 20;
  float charge_rate_max = 0;  // each rate is U[0, 1) * charge_rate_max
  float charge_time = 0;      // max_charge_seconds
  bool disable_free_tasks = false;
  int label_corpus_size = 1000;
  int provisionable_labels = 20;  // the first N corpus entries
  int labels_per_worker = 50;
  int labels_per_task = 5;
};

// Workload 1: `iterations` times, add tasks and workers at T + i minutes,
// UpdateTime, RunOnce.
struct ProfilerWorkload {
  WorkloadShape shape;
  Policy policy;
  int iterations = 0;
  int tasks_per_iteration = 0;
  int workers_per_iteration = 0;
};

// Workload 2: idle workers, then queued tasks, all at T; one RunOnce.
struct LargePassWorkload {
  WorkloadShape shape;
  Policy policy;
  int workers = 0;
  int tasks = 0;
};

// The parameters of the reference's BenchmarkSchedulerSimulation.
ProfilerWorkload ReferenceProfilerWorkload();
// The parameters of the reference profiler tests' large state.
LargePassWorkload ReferenceLargePassWorkload();

// The scheduler time at which both workloads start. Fixed, so that one seed
// gives identical runs.
Time WorkloadStartTime();

struct WorkerSpec {
  std::string id;
  std::vector<std::string> labels;  // a set: sorted, no duplicates
};

// The workload's random stream. Constructing it draws the account rates and
// the label corpus; each NextTask/NextWorker then draws one task or worker.
class WorkloadGenerator {
 public:
  // REQUIRES: shape sizes > 0 (accounts and labels_per_* may be 0),
  // provisionable_labels <= label_corpus_size.
  WorkloadGenerator(const WorkloadShape& shape, uint64_t seed);

  const WorkloadShape& shape() const { return shape_; }
  // account0, account1, ... with their configs, in order.
  const std::vector<std::pair<std::string, AccountConfig>>& accounts() const { return accounts_; }
  const std::vector<std::string>& corpus() const { return corpus_; }

  // A task enqueued at `t`: base labels as a set, one provisionable label.
  RequestSpec NextTask(Time t);
  WorkerSpec NextWorker();
  // 16 uniform lower-case letters.
  std::string RandomString();

 private:
  int UniformIndex(int n);  // uniform in [0, n)

  WorkloadShape shape_;
  std::mt19937_64 rng_;
  std::vector<std::pair<std::string, AccountConfig>> accounts_;
  std::vector<std::string> corpus_;
};

// A scheduler created at `start` holding the generator's accounts (zero
// balances), then given `policy`.
StatusOr<Scheduler> NewWorkloadScheduler(const WorkloadGenerator& gen, Time start,
                                         const Policy& policy);

// Draws `n` tasks and adds them queued at `t`. `added`, if not null,
// receives their specs in order.
Status AddTasks(WorkloadGenerator& gen, Scheduler& s, int n, Time t,
                std::vector<RequestSpec>* added = nullptr);
// Draws `n` workers and marks them idle at `t`.
Status AddWorkers(WorkloadGenerator& gen, Scheduler& s, int n, Time t,
                  std::vector<WorkerSpec>* added = nullptr);

// Hooks around each RunOnce of workload 1, so a caller can time the passes
// (the library itself reads no clock).
class PassObserver {
 public:
  virtual ~PassObserver() = default;
  virtual void BeforePass(int iteration) = 0;
  virtual void AfterPass(int iteration, size_t assignments) = 0;
};

struct ProfilerResult {
  size_t assignments = 0;  // over all passes
  size_t workers = 0;      // at the end
  size_t running = 0;
  size_t queued = 0;
  // The scheduler as the last pass left it.
  std::unique_ptr<Scheduler> final_state;
};

// Runs workload 1 in full.
StatusOr<ProfilerResult> RunProfilerWorkload(const ProfilerWorkload& w, uint64_t seed,
                                             PassObserver* observer = nullptr);

// The state of workload 2, ready for its one RunOnce. `tasks` and `workers`,
// if not null, receive what was added, in order.
StatusOr<Scheduler> BuildLargePassState(const LargePassWorkload& w, uint64_t seed,
                                        std::vector<RequestSpec>* tasks = nullptr,
                                        std::vector<WorkerSpec>* workers = nullptr);

}  // namespace qsim::bench
