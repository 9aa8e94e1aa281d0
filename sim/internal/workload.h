// The workload of one run: the arrival processes of every workload of the
// scenario (Poisson, diurnal schedules with bursts, fixed lists, replayed task
// logs), drawing from the streams `arrivals/workload=NAME` and
// `durations/workload=NAME`, and the cancellation draws
// (`cancel/workload=NAME`). Internal to sim/.
//
// The workload only decides when tasks arrive and what they are; it hands
// each to an ArrivalSink, which creates and dispatches it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine.h"
#include "sim/internal/task_table.h"
#include "sim/scenario.h"

namespace qsim::sim {

// One new task: of workload `workload`, charged to `account`, with the label
// sets `base` and `prov` (TaskTable::labels indices), running `duration`.
struct Arrival {
  uint32_t workload = 0;
  uint32_t account = 0;
  uint32_t base = 0, prov = 0;
  Duration duration{};
};

class ArrivalSink {
 public:
  // A task arrives now.
  virtual void Arrive(const Arrival& arrival) = 0;

 protected:
  ~ArrivalSink() = default;
};

class Workload {
 public:
  // REQUIRES: ValidateScenario(scenario) is ok. Everything passed must
  // outlive the workload, which must not move once Start has run.
  Workload(const Scenario& scenario, Engine& engine, TaskTable& tasks, ArrivalSink& sink);
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Schedules the arrivals of every workload, in scenario order.
  void Start();

  // For a task of workload `w` just created: how long after its creation it
  // is cancelled if still queued, or nullopt.
  std::optional<Duration> DrawCancel(uint32_t w);
  const std::vector<std::string>& tags(uint32_t w) const { return scenario_.workloads[w].tags; }

 private:
  void StartRandom(uint32_t w, const Arrival& shape, RandomStream* arrivals, RandomStream* durations);
  void StartReplay(uint32_t w);
  // The events (engine Calls, by workload index): a task of the workload's
  // shape arrives; a thinning candidate; the next candidate scheduled; a
  // replay row arrives; the next row scheduled.
  void Create(uint32_t w);
  void Candidate(uint32_t w);
  void ArmCandidate(uint32_t w);
  void ReplayArrive(uint32_t w);
  void ArmReplay(uint32_t w);
  uint32_t AccountIndex(const std::string& id) const;

  const Scenario& scenario_;
  Engine& engine_;
  TaskTable& tasks_;
  ArrivalSink& sink_;
  Time end_;
  std::map<std::string, uint32_t> account_index_;
  std::vector<RandomStream*> cancel_rngs_;  // by workload; null when it cancels nothing
  // A random workload's arrival process, kept here so that its events carry
  // only the workload's index (no std::function a task).
  struct RandomSource {
    Arrival shape;  // the new task but its duration
    const ArrivalSpec* spec = nullptr;
    RandomStream* arrivals = nullptr;
    RandomStream* durations = nullptr;
    double peak_rate = 0;
    bool profiled = false;
  };
  std::vector<RandomSource> sources_;  // by workload (replay ones unused)
  std::vector<size_t> replay_next_;    // by workload: the next replay row to consider
};

}  // namespace qsim::sim
