#include "sim/internal/sample.h"

#include <cmath>

namespace qsim::sim {

namespace {
Duration FromSeconds(double s) {
  if (!(s > 0)) return Duration::zero();
  // Durations beyond ~292k years would overflow; no scenario means that.
  if (s > 9.0e12) s = 9.0e12;
  return Micros(std::llround(s * 1e6));
}
double ToSeconds(Duration d) { return static_cast<double>(ToMicros(d)) / 1e6; }
}  // namespace

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
