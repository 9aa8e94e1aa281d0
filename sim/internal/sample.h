// Sampling the scenario's duration distributions from a named stream.
#pragma once

#include "sim/engine.h"
#include "sim/scenario.h"

namespace qsim::sim {

// One sample of `d` in whole microseconds (>= 0). Constant and empirical
// distributions with one value draw nothing from `rng`.
Duration Sample(const DurationDist& d, RandomStream& rng);

}  // namespace qsim::sim
