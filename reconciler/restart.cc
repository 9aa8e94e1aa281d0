#include "reconciler/restart.h"

#include <string>
#include <utility>

#include "proto/state.pb.h"

namespace qsim::reconciler {

Status RestartThroughBytes(Scheduler& scheduler, State& state) {
  std::string scheduler_bytes;
  std::string state_bytes;
  if (!scheduler.ToProto().SerializeToString(&scheduler_bytes)) {
    return DataLoss("restart: the scheduler state does not serialize");
  }
  if (!state.ToProto().SerializeToString(&state_bytes)) {
    return DataLoss("restart: the reconciler state does not serialize");
  }
  proto::SchedulerSnapshot snapshot;
  proto::ReconcilerState reconciler_state;
  if (!snapshot.ParseFromString(scheduler_bytes)) {
    return DataLoss("restart: the scheduler bytes do not parse back");
  }
  if (!reconciler_state.ParseFromString(state_bytes)) {
    return DataLoss("restart: the reconciler bytes do not parse back");
  }
  StatusOr<Scheduler> restored_scheduler = Scheduler::NewFromProto(snapshot);
  if (!restored_scheduler.ok()) return restored_scheduler.status().WithContext("restart: scheduler");
  StatusOr<State> restored_state = State::NewFromProto(reconciler_state);
  if (!restored_state.ok()) return restored_state.status().WithContext("restart: reconciler");
  scheduler = std::move(restored_scheduler).value();
  state = std::move(restored_state).value();
  return Status::Ok();
}

}  // namespace qsim::reconciler
