// The simulated clock's fixed points. Internal to sim/.
#pragma once

#include <cstdint>

#include "base/time.h"

namespace qsim::sim {

// "Did not happen" for a task's times.
inline constexpr Time kNever = TimeFromMicros(INT64_MIN);
// Simulated time 0: a fixed, realistic epoch (2023-11-14), so no time
// computed by the scheduler sits at the Unix epoch's special values.
inline constexpr Time kStart = TimeFromMicros(1700000000LL * 1000000);

// The offset of `t` from the scenario start, as the outputs print it.
inline Duration Since(Time t) { return t - kStart; }

}  // namespace qsim::sim
