// Fuzz target: the persistent state loaders on arbitrary bytes (format in
// state_input.h). Bytes that parse as protobuf reach
// Scheduler::NewFromProto and reconciler::State::NewFromProto; a state they
// accept must write itself back and restore again, and must take a few
// ordinary calls (a pass, an idle worker, acks, absences, cancellations)
// with statuses for whatever is inconsistent, never an abort or undefined
// behaviour.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "fuzz/fuzz_target.h"
#include "fuzz/state_input.h"
#include "proto/state.pb.h"
#include "reconciler/reconciler.h"
#include "reconciler/restart.h"
#include "scheduler/events.h"
#include "scheduler/scheduler.h"

namespace {

// A time a little after `t`, without overflowing.
qsim::Time Later(qsim::Time t, int64_t us) {
  const int64_t now = qsim::ToMicros(t);
  return qsim::TimeFromMicros(now <= std::numeric_limits<int64_t>::max() - us ? now + us : now);
}

void Exercise(qsim::Scheduler& scheduler, qsim::reconciler::State& state) {
  qsim::RecordingEventSink sink;
  qsim::Time t = Later(scheduler.last_update(), 1'000'000);

  std::vector<qsim::reconciler::IdleWorker> idle = {{"fuzz-worker", {}}};
  for (const qsim::WorkerView& w : scheduler.Workers()) {
    if (!w.run) idle.push_back({w.id, std::vector<std::string>(w.labels.begin(), w.labels.end())});
    if (idle.size() >= 8) break;
  }
  auto assigned = state.AssignTasks(scheduler, t, &sink, idle);
  if (assigned.ok()) {
    for (const auto& a : *assigned) (void)state.NotifyTaskRunning(scheduler, &sink, {a.request, a.worker, t});
  }
  t = Later(t, 1'000'000);
  (void)state.NotifyTaskWaiting(scheduler, &sink,
                                {"fuzz-account", {}, {}, t, "fuzz-request", {"fuzz"}, t});
  for (const qsim::WorkerView& w : scheduler.Workers()) {
    if (w.run) {
      (void)state.NotifyTaskRunning(scheduler, &sink, {w.run->request, w.id, t});
      (void)state.NotifyTaskAbsent(scheduler, &sink, {w.run->request, w.id, t});
      break;
    }
  }
  for (const std::string& r : scheduler.QueuedRequests()) {
    (void)state.AddTaskError(r, "fuzz");
    break;
  }
  (void)scheduler.RunOnce(&sink);
  (void)state.Cancellations();
  (void)scheduler.Balances();
  t = Later(t, 11 * 60 * 1'000'000LL);  // past the worker-queue timeout
  (void)state.AssignTasks(scheduler, t, &sink, idle);
  FUZZ_REQUIRE(qsim::reconciler::RestartThroughBytes(scheduler, state).ok(),
               "a state the library ran does not restart through bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Protobuf logs every string field with invalid UTF-8 it parses; quiet.
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  const auto [scheduler_bytes, reconciler_bytes] =
      qsim::fuzz::SplitStateInput(std::string_view(reinterpret_cast<const char*>(data), size));
  qsim::proto::SchedulerSnapshot snapshot;
  qsim::proto::ReconcilerState reconciler_state;
  if (!snapshot.ParseFromArray(scheduler_bytes.data(), static_cast<int>(scheduler_bytes.size()))) return 0;
  if (!reconciler_state.ParseFromArray(reconciler_bytes.data(), static_cast<int>(reconciler_bytes.size()))) return 0;

  qsim::StatusOr<qsim::Scheduler> scheduler = qsim::Scheduler::NewFromProto(snapshot);
  qsim::StatusOr<qsim::reconciler::State> state = qsim::reconciler::State::NewFromProto(reconciler_state);
  if (!scheduler.ok() || !state.ok()) return 0;

  // What was accepted writes itself back and is accepted again.
  FUZZ_REQUIRE(qsim::Scheduler::NewFromProto(scheduler->ToProto()).ok(), "a restored scheduler does not restore");
  FUZZ_REQUIRE(qsim::reconciler::State::NewFromProto(state->ToProto()).ok(), "a restored state does not restore");

  Exercise(*scheduler, *state);
  return 0;
}
