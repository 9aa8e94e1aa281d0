// Sampling the scenario's duration distributions from a named stream.
#pragma once

#include "sim/engine.h"
#include "sim/scenario.h"

namespace qsim::sim {

// One sample of `d` in whole microseconds (>= 0). Constant and empirical
// distributions with one value draw nothing from `rng`.
Duration Sample(const DurationDist& d, RandomStream& rng);

// The gap to a random event `seconds` ahead, rounded to the microsecond and
// kept within [1us, kMaxAnyDuration] (sim/limits.h), so that now + gap cannot
// overflow however small the rate that drew it.
Duration GapFromSeconds(double seconds);

}  // namespace qsim::sim
