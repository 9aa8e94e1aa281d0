// A restart of the scheduler service: both states written to their protobuf
// bytes, the live objects dropped, and new ones read back from the bytes, as
// a restarted service reads its state from storage. The one way the
// simulator's restart fault, the trace replayer's `roundtrip` op and the
// round-trip tests do it.
#pragma once

#include "base/status.h"
#include "reconciler/reconciler.h"
#include "scheduler/scheduler.h"

namespace qsim::reconciler {

// On success `scheduler` and `state` are the restored objects. On error
// (DataLoss: the bytes could not be written or read back) both are left as
// they were.
Status RestartThroughBytes(Scheduler& scheduler, State& state);

}  // namespace qsim::reconciler
