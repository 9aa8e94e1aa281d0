// Micro-benchmarks of the scheduler's three costly steps, on states made by
// the profiler workload generators (workload.h): matching idle workers
// against queued requests, UpdateTime over many running workers, and a pass
// that only prioritises (no idle worker).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "bench/workload.h"

namespace qsim::bench {
namespace {

// Aborting is right here: a benchmark of a state that could not be built
// would measure nothing.
Scheduler MustBuild(const LargePassWorkload& w) {
  StatusOr<Scheduler> s = BuildLargePassState(w, 1);
  if (!s.ok()) {
    std::cerr << "scheduler_bench: " << s.status().message() << "\n";
    std::abort();
  }
  return std::move(s).value();
}

// One free-bucket pass of a fresh workload-2 state: workers x tasks pairs,
// almost all failing, as in the reference's large pass. A pass marks what it
// examined, so each iteration gets a new state, built outside the timing.
void BM_MatchIdleWorkers(benchmark::State& state) {
  LargePassWorkload w = ReferenceLargePassWorkload();
  w.workers = static_cast<int>(state.range(0));
  w.tasks = static_cast<int>(state.range(1));
  std::optional<Scheduler> s;
  size_t assignments = 0;
  for (auto _ : state) {
    state.PauseTiming();
    s.reset();
    s.emplace(MustBuild(w));
    state.ResumeTiming();
    assignments = s->RunOnce(nullptr).size();
    benchmark::DoNotOptimize(assignments);
  }
  state.counters["assignments"] = static_cast<double>(assignments);
  state.counters["pairs/s"] = benchmark::Counter(
      static_cast<double>(w.workers) * w.tasks * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MatchIdleWorkers)
    ->Args({200, 10000})
    ->Args({1000, 20000})
    ->Unit(benchmark::kMillisecond);

// UpdateTime charging and crediting with every worker busy. The labels are
// chosen so that every task fits every worker: one pass fills the fleet.
void BM_UpdateTimeManyRunning(benchmark::State& state) {
  LargePassWorkload w;
  w.shape.accounts = 20;
  w.shape.charge_rate_max = 10;
  w.shape.charge_time = 10;
  w.shape.label_corpus_size = 4;
  w.shape.provisionable_labels = 1;
  w.shape.labels_per_worker = 60;  // 60 draws from 4 labels: all of them
  w.shape.labels_per_task = 2;
  w.policy.disable_preemption = true;
  w.workers = static_cast<int>(state.range(0));
  w.tasks = 2 * w.workers;
  Scheduler s = MustBuild(w);
  Time t = WorkloadStartTime() + Minutes(1);
  s.UpdateTime(t);  // balances up to their caps, so some runs are paid
  s.RunOnce(nullptr);
  for (auto _ : state) {
    t += Seconds(1);
    s.UpdateTime(t);
  }
  state.counters["running"] = static_cast<double>(s.NumRunning());
  state.counters["workers/s"] = benchmark::Counter(
      static_cast<double>(s.NumRunning()) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_UpdateTimeManyRunning)->Arg(1000)->Arg(5000)->Unit(benchmark::kMicrosecond);

// A pass with no idle worker: every request is prioritised by its account's
// balance, the levels ordered and every request marked examined. The state
// is the same after each pass, so it is built once.
void BM_PrioritiseNothingMatches(benchmark::State& state) {
  LargePassWorkload w;
  w.shape = ReferenceProfilerWorkload().shape;
  w.shape.disable_free_tasks = false;
  w.workers = 0;
  w.tasks = static_cast<int>(state.range(0));
  Scheduler s = MustBuild(w);
  s.UpdateTime(WorkloadStartTime() + Minutes(1));
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.RunOnce(nullptr).size());
  }
  state.counters["requests/s"] = benchmark::Counter(
      static_cast<double>(w.tasks) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PrioritiseNothingMatches)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace qsim::bench

BENCHMARK_MAIN();
