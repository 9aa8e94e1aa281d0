#include "sim/internal/workload.h"

#include <algorithm>
#include <cmath>

#include "base/check.h"
#include "sim/internal/sample.h"

namespace qsim::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The largest factor of a weekly profile's list; 1 for an empty (flat) one.
double MaxFactor(const std::vector<double>& factors) {
  double m = factors.empty() ? 1.0 : 0.0;
  for (double f : factors) m = std::max(m, f);
  return m;
}

// The arrival rate of a schedule at scenario time `t`, per hour. The diurnal
// term is computed exactly as before weekly profiles existed, so runs of
// scenarios without one draw the same arrivals.
double RateAt(const ArrivalSpec& a, Duration t) {
  double rate = a.rate_per_hour;
  if (a.diurnal_amplitude > 0) {
    double days = static_cast<double>(ToMicros(t - a.diurnal_peak)) / 86400e6;
    rate = a.rate_per_hour * (1 + a.diurnal_amplitude * std::cos(2 * kPi * days));
  }
  int64_t hours = (ToMicros(t) + ToMicros(a.week_offset)) / 3600000000LL;
  if (!a.hour_factors.empty()) rate *= a.hour_factors[static_cast<size_t>(hours % 24)];
  if (!a.weekday_factors.empty()) rate *= a.weekday_factors[static_cast<size_t>((hours / 24) % 7)];
  return rate;
}

}  // namespace

Workload::Workload(const Scenario& scenario, Engine& engine, TaskTable& tasks, ArrivalSink& sink)
    : scenario_(scenario), engine_(engine), tasks_(tasks), sink_(sink), end_(kStart + scenario.duration) {
  for (uint32_t a = 0; a < scenario.accounts.size(); ++a) account_index_[scenario.accounts[a].id] = a;
  // Per-task streams are looked up once here, not per task.
  cancel_rngs_.assign(scenario.workloads.size(), nullptr);
  for (uint32_t w = 0; w < scenario.workloads.size(); ++w) {
    if (scenario.workloads[w].cancel_fraction > 0) {
      cancel_rngs_[w] = &engine.Stream("cancel/workload=" + scenario.workloads[w].name);
    }
  }
  sources_.resize(scenario.workloads.size());
  replay_next_.assign(scenario.workloads.size(), 0);
}

uint32_t Workload::AccountIndex(const std::string& id) const {
  auto it = account_index_.find(id);
  QSIM_CHECK(it != account_index_.end(), "account \"%s\" is not defined (ValidateScenario lets none through)",
             id.c_str());
  return it->second;
}

std::optional<Duration> Workload::DrawCancel(uint32_t w) {
  const WorkloadSpec& spec = scenario_.workloads[w];
  if (spec.cancel_fraction > 0 && cancel_rngs_[w]->Bernoulli(spec.cancel_fraction)) return spec.cancel_after;
  return std::nullopt;
}

void Workload::Start() {
  for (uint32_t w = 0; w < scenario_.workloads.size(); ++w) {
    const WorkloadSpec& spec = scenario_.workloads[w];
    RandomStream* arrivals = &engine_.Stream("arrivals/workload=" + spec.name);
    RandomStream* durations = &engine_.Stream("durations/workload=" + spec.name);
    Arrival shape;
    shape.workload = w;
    shape.account = spec.account.empty() ? 0 : AccountIndex(spec.account);
    shape.base = tasks_.InternLabels(spec.base_labels);
    shape.prov = tasks_.InternLabels(spec.provisionable_labels);
    if (spec.arrivals.kind == ArrivalSpec::Kind::kReplay) {
      StartReplay(w);
    } else {
      StartRandom(w, shape, arrivals, durations);
    }
  }
}

void Workload::StartRandom(uint32_t w, const Arrival& shape, RandomStream* arrivals, RandomStream* durations) {
  const ArrivalSpec& a = scenario_.workloads[w].arrivals;
  // Poisson, or a schedule: a diurnal curve, a weekly profile and bursts.
  bool profiled = !a.hour_factors.empty() || !a.weekday_factors.empty();
  double peak_rate = a.rate_per_hour * (1 + a.diurnal_amplitude) * MaxFactor(a.hour_factors) *
                     MaxFactor(a.weekday_factors);
  sources_[w] = RandomSource{shape, &a, arrivals, durations, peak_rate, profiled};
  if (a.kind == ArrivalSpec::Kind::kList) {
    for (Duration t : a.times) {
      if (t <= scenario_.duration) engine_.Schedule(kStart + t, MemberCall<&Workload::Create>(this, w));
    }
    return;
  }
  // Thinning: candidates at the peak rate, each kept with probability
  // rate(t) / peak, all from the workload's own stream. One pending event
  // per workload: each candidate schedules the next.
  if (peak_rate > 0) ArmCandidate(w);
  for (const Burst& burst : a.bursts) {
    for (int64_t k = 0; k < burst.count; ++k) {
      // over * k overflows 64 bits for long spans of large bursts.
      Duration at = burst.at + Micros(static_cast<int64_t>(static_cast<__int128>(ToMicros(burst.over)) * k /
                                                           std::max<int64_t>(burst.count, 1)));
      if (at > scenario_.duration) break;
      engine_.Schedule(kStart + at, MemberCall<&Workload::Create>(this, w));
    }
  }
}

void Workload::Create(uint32_t w) {
  const RandomSource& s = sources_[w];
  Arrival arrival = s.shape;
  arrival.duration = std::max(Micros(1), Sample(scenario_.workloads[w].duration, *s.durations));
  sink_.Arrive(arrival);
}

void Workload::ArmCandidate(uint32_t w) {
  const RandomSource& s = sources_[w];
  Duration gap = GapFromSeconds(s.arrivals->Exponential(3600.0 / s.peak_rate));
  if (engine_.now() + gap > end_) return;
  engine_.After(gap, MemberCall<&Workload::Candidate>(this, w));
}

void Workload::Candidate(uint32_t w) {
  const RandomSource& s = sources_[w];
  bool keep = true;
  if (s.spec->diurnal_amplitude > 0 || s.profiled) {
    keep = s.arrivals->Uniform01() * s.peak_rate < RateAt(*s.spec, engine_.now() - kStart);
  }
  if (keep) Create(w);
  ArmCandidate(w);
}

// One pending event at a time walks the log (sorted by enqueue time).
void Workload::StartReplay(uint32_t w) { ArmReplay(w); }

void Workload::ArmReplay(uint32_t w) {
  const std::vector<ReplayTask>& rows = scenario_.workloads[w].arrivals.replay;
  size_t& i = replay_next_[w];
  // A task running at time 0 is started by the world, not arrived.
  while (i < rows.size() && !rows[i].running_on.empty()) ++i;
  if (i >= rows.size() || rows[i].enqueue > scenario_.duration) return;
  engine_.Schedule(kStart + rows[i].enqueue, MemberCall<&Workload::ReplayArrive>(this, w));
}

void Workload::ReplayArrive(uint32_t w) {
  const ReplayTask& r = scenario_.workloads[w].arrivals.replay[replay_next_[w]];
  sink_.Arrive({w, AccountIndex(r.account), tasks_.InternLabels(r.base_labels),
                tasks_.InternLabels(r.provisionable_labels), r.duration});
  ++replay_next_[w];
  ArmReplay(w);
}

}  // namespace qsim::sim
