#include "sim/internal/sample.h"

#include <algorithm>
#include <cmath>

#include "sim/limits.h"

namespace qsim::sim {

namespace {
Duration FromSeconds(double s) {
  if (!(s > 0)) return Duration::zero();
  // A draw is capped like every scenario duration (sim/limits.h), so that
  // now + draw stays far from the int64 limit; no scenario means that much.
  double max_s = static_cast<double>(ToMicros(kMaxAnyDuration)) / 1e6;
  if (s > max_s) s = max_s;
  return Micros(std::llround(s * 1e6));
}
double ToSeconds(Duration d) { return static_cast<double>(ToMicros(d)) / 1e6; }
}  // namespace

Duration GapFromSeconds(double seconds) {
  double max_us = static_cast<double>(ToMicros(kMaxAnyDuration));
  double us = seconds * 1e6;
  if (!(us < max_us)) return kMaxAnyDuration;  // also NaN
  return Micros(std::max<int64_t>(1, std::llround(us)));
}

Duration Sample(const DurationDist& d, RandomStream& rng) {
  switch (d.kind) {
    case DurationDist::Kind::kConstant:
      return d.value;
    case DurationDist::Kind::kExponential:
      return FromSeconds(rng.Exponential(ToSeconds(d.mean)));
    case DurationDist::Kind::kLognormal:
      return FromSeconds(rng.Lognormal(std::log(ToSeconds(d.median)), d.sigma));
    case DurationDist::Kind::kUniform:
      if (d.max == d.min) return d.min;
      return d.min + Micros(static_cast<int64_t>(rng.UniformInt(0, static_cast<uint64_t>(ToMicros(d.max - d.min)))));
    case DurationDist::Kind::kEmpirical:
      if (d.values.size() == 1) return d.values[0];
      return d.values[rng.UniformInt(0, d.values.size() - 1)];
  }
  return Duration::zero();
}

}  // namespace qsim::sim
