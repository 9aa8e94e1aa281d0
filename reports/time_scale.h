// Picking a readable unit for a span of simulated seconds, and durations
// written as people read them.
#pragma once

#include <cmath>
#include <cstdio>
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

// `seconds` in the unit people would say, to three significant digits:
// "0 s", "0.35 s", "42 s", "7.5 min", "2.25 h", "3.1 d" (a unit once the
// value reaches 2 of it: 90 s stays "90 s", 150 s is "2.5 min").
// `unit_prefix` goes before the unit ("bot-" gives "12 bot-h").
inline std::string HumanDuration(double seconds, const std::string& unit_prefix = "") {
  if (!std::isfinite(seconds)) return "n/a";
  double magnitude = std::fabs(seconds);
  double divisor = 1;
  const char* unit = "s";
  if (magnitude >= 2 * 86400.0) {
    divisor = 86400.0, unit = "d";
  } else if (magnitude >= 2 * 3600.0) {
    divisor = 3600.0, unit = "h";
  } else if (magnitude >= 2 * 60.0) {
    divisor = 60.0, unit = "min";
  }
  char buffer[48];
  if (seconds == 0) {
    std::snprintf(buffer, sizeof buffer, "0 %s%s", unit_prefix.c_str(), unit);
  } else if (magnitude / divisor >= 1000) {
    // Whole units with thousands separators: "1,990 bot-d", not "1.99e+03".
    std::string digits = std::to_string(static_cast<long long>(std::llround(magnitude / divisor)));
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
    std::snprintf(buffer, sizeof buffer, "%s%s %s%s", seconds < 0 ? "-" : "", digits.c_str(), unit_prefix.c_str(),
                  unit);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3g %s%s", seconds / divisor, unit_prefix.c_str(), unit);
  }
  return buffer;
}

}  // namespace qsim::reports
