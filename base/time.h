// Time in qsim: integer microseconds on a private clock that never ticks by
// itself. The library takes "now" as an argument; only the simulator moves a
// virtual clock. Never floating-point seconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace qsim {

// A clock with no now(): time points of it can only be made from numbers.
struct VirtualClock {
  using rep = int64_t;
  using period = std::micro;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<VirtualClock>;
  static constexpr bool is_steady = true;
};

using Duration = VirtualClock::duration;
using Time = VirtualClock::time_point;

constexpr Duration Micros(int64_t n) { return Duration(n); }
constexpr Duration Millis(int64_t n) { return Duration(n * 1000); }
constexpr Duration Seconds(int64_t n) { return Duration(n * 1000000); }
constexpr Duration Minutes(int64_t n) { return Seconds(n * 60); }
constexpr Duration Hours(int64_t n) { return Minutes(n * 60); }

// Microseconds since the Unix epoch.
constexpr Time TimeFromMicros(int64_t us) { return Time(Duration(us)); }
constexpr int64_t ToMicros(Time t) { return t.time_since_epoch().count(); }
constexpr int64_t ToMicros(Duration d) { return d.count(); }

}  // namespace qsim
