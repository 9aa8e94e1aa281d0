// Durations as scenarios write them ("30s", "1.5m", "2h", "500ms", a bare
// number of seconds): one parser for every reader of a scenario file (the
// loader, and the reports reading a run's resolved scenario).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "base/time.h"

namespace qsim {

// Parses "[-]digits[.digits][unit]" into microseconds exactly. A bare number
// is seconds. nullopt when malformed, overflowing or finer than 1 us.
inline std::optional<Duration> ParseDurationText(std::string_view s) {
  bool neg = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  size_t int_begin = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  std::string_view int_part = s.substr(int_begin, i - int_begin);
  std::string_view frac_part;
  if (i < s.size() && s[i] == '.') {
    size_t fb = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    frac_part = s.substr(fb, i - fb);
  }
  if (int_part.empty() && frac_part.empty()) return std::nullopt;
  std::string_view unit = s.substr(i);
  int64_t scale;
  if (unit.empty() || unit == "s") scale = 1000000;
  else if (unit == "us") scale = 1;
  else if (unit == "ms") scale = 1000;
  else if (unit == "m") scale = 60LL * 1000000;
  else if (unit == "h") scale = 3600LL * 1000000;
  else if (unit == "d") scale = 86400LL * 1000000;
  else return std::nullopt;
  if (int_part.size() > 12 || frac_part.size() > 12) return std::nullopt;
  int64_t whole = 0;
  for (char c : int_part) whole = whole * 10 + (c - '0');
  int64_t frac = 0, denom = 1;
  for (char c : frac_part) {
    frac = frac * 10 + (c - '0');
    denom *= 10;
  }
  if (whole > std::numeric_limits<int64_t>::max() / scale) return std::nullopt;
  // frac * scale can reach 1e12 * 8.64e10: use 128-bit arithmetic.
  __int128 f = static_cast<__int128>(frac) * scale;
  if (f % denom != 0) return std::nullopt;
  __int128 us = static_cast<__int128>(whole) * scale + f / denom;
  if (us > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return Micros(neg ? -static_cast<int64_t>(us) : static_cast<int64_t>(us));
}

}  // namespace qsim
