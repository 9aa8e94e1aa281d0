// Writes seed inputs for the state fuzz target (state_input.h) into a
// folder: the states of a small scheduler + reconciler after each step of a
// short scenario (accounts, waiting tasks, assignments, acks, a preemption,
// a task error), as the state round trip writes them. Run by tools/fuzz.
// Usage: make_state_seeds DIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "fuzz/state_input.h"
#include "proto/state.pb.h"
#include "reconciler/reconciler.h"
#include "scheduler/events.h"
#include "scheduler/scheduler.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_state_seeds DIR\n";
    return 2;
  }
  using namespace qsim;
  const std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  int written = 0;
  Time t = TimeFromMicros(1'700'000'000'000'000);
  Scheduler scheduler = Scheduler::New(t);
  reconciler::State state = reconciler::State::New();
  RecordingEventSink sink;
  auto save = [&] {
    std::string s, r;
    if (!scheduler.ToProto().SerializeToString(&s) || !state.ToProto().SerializeToString(&r)) return false;
    std::ofstream out(dir / ("state-" + std::to_string(written++) + ".bin"), std::ios::binary);
    out << fuzz::JoinStateInput(s, r);
    return static_cast<bool>(out);
  };
  bool ok = save();
  AccountConfig high;
  high.charge_rate = {1, 0.5f, 0, 0, 0};
  high.max_charge_seconds = 3600;
  AccountConfig low;
  ok = ok && scheduler.AddAccount("high", high, std::vector<float>{100}).ok() &&
       scheduler.AddAccount("low", low).ok() && save();
  for (int i = 0; i < 4 && ok; ++i) {
    t += Seconds(1);
    ok = state.NotifyTaskWaiting(scheduler, &sink,
                                 {i < 2 ? "low" : "high", {"os:linux"}, {"gpu"}, t, "R" + std::to_string(i), {"t"}, t})
             .ok();
  }
  ok = ok && save();
  std::vector<reconciler::IdleWorker> workers = {{"W1", {"os:linux"}}, {"W2", {"os:linux", "gpu"}}};
  t += Seconds(1);
  auto assigned = state.AssignTasks(scheduler, t, &sink, workers);
  ok = ok && assigned.ok() && save();
  if (ok) {
    for (const auto& a : *assigned) ok = ok && state.NotifyTaskRunning(scheduler, &sink, {a.request, a.worker, t}).ok();
  }
  ok = ok && state.AddTaskError("R3", "bad task").ok() && save();
  t += Minutes(5);
  ok = ok && state.AssignTasks(scheduler, t, &sink, workers).ok() && save();
  t += Minutes(11);
  ok = ok && state.AssignTasks(scheduler, t, &sink, {}).ok() && save();
  if (!ok) {
    std::cerr << "make_state_seeds: the seed scenario failed\n";
    return 1;
  }
  std::cout << "make_state_seeds: wrote " << written << " seeds to " << dir.string() << "\n";
  return 0;
}
