// Picking a readable unit for a span of simulated seconds.
#pragma once

#include <string>

namespace qsim::reports {

struct TimeScale {
  double divisor;    // seconds per unit
  std::string unit;  // "s", "min", "h" or "d"
};

// The largest of s/min/h/d in which `max_seconds` is at least 3 units.
inline TimeScale ChooseTimeScale(double max_seconds) {
  if (max_seconds >= 3 * 86400.0) return {86400.0, "d"};
  if (max_seconds >= 3 * 3600.0) return {3600.0, "h"};
  if (max_seconds >= 3 * 60.0) return {60.0, "min"};
  return {1.0, "s"};
}

}  // namespace qsim::reports
