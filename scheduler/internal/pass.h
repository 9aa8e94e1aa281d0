// One scheduling pass (docs/scheduler.md §5).
#pragma once

#include <vector>

#include "scheduler/internal/state.h"

namespace qsim::internal {

std::vector<SchedulerAssignment> RunPass(Scheduler::Impl& s, EventSink* events);

}  // namespace qsim::internal
