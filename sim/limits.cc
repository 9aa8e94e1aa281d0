// The run estimate and the limit checks of docs/limits.md. The estimate is
// computed in doubles from values ValidateScenario has bounded, so it cannot
// overflow; the per-item costs were measured on the shipped scenarios
// (docs/limits.md) and rounded up.
#include "sim/limits.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "sim/internal/validate.h"

namespace qsim::sim {

namespace {

// Costs per item, rounded up from measurements (docs/limits.md).
constexpr double kEventsPerTask = 12;
constexpr double kEventsPerOutage = 3;
constexpr double kMemoryBase = 48.0 * (1 << 20);
constexpr double kMemoryPerTask = 1024;
constexpr double kMemoryPerBot = 2048;
constexpr double kTaskRowBytes = 200;  // with the nine wait-reason columns
constexpr double kEventRowBytes = 70;
constexpr double kTaskEventRowBytes = 600;  // a taskevents.jsonl row: every field, lists of labels and balances
constexpr double kEventRowsPerTask = 5;
constexpr double kTimeseriesRowBytes = 32;

constexpr double kMinRate = 1e-6;  // per hour (arrivals) or per bot-day (outages)

double Us(Duration d) { return static_cast<double>(ToMicros(d)); }

// How many times something every `interval` fires within `span`.
double Firings(Duration span, Duration interval) {
  return interval > Duration::zero() ? Us(span) / Us(interval) : 0;
}

int64_t Clamp(double v) {
  if (!(v > 0)) return 0;
  return v >= 9e18 ? INT64_MAX : static_cast<int64_t>(std::ceil(v));
}

// The largest factor of a weekly profile's list; 1 for an empty (flat) one.
double MaxFactor(const std::vector<double>& factors) {
  double m = factors.empty() ? 1.0 : 0.0;
  for (double f : factors) m = std::max(m, f);
  return m;
}

// Tasks a workload brings, at the upper end: the mean plus six standard
// deviations for random arrivals.
double WorkloadTasks(const WorkloadSpec& w, Duration duration) {
  const ArrivalSpec& a = w.arrivals;
  double hours = Us(duration) / 3.6e9;
  switch (a.kind) {
    case ArrivalSpec::Kind::kPoisson:
    case ArrivalSpec::Kind::kSchedule: {
      double mean = a.rate_per_hour * hours * (1 + a.diurnal_amplitude) * MaxFactor(a.hour_factors) *
                    MaxFactor(a.weekday_factors);
      double n = mean + 6 * std::sqrt(mean);
      for (const Burst& b : a.bursts) n += static_cast<double>(b.count);
      return n;
    }
    case ArrivalSpec::Kind::kList:
      return static_cast<double>(a.times.size());
    case ArrivalSpec::Kind::kReplay:
      return static_cast<double>(a.replay.size());
  }
  return 0;
}

// The mean of a task duration distribution, in seconds.
double MeanSeconds(const DurationDist& d) {
  switch (d.kind) {
    case DurationDist::Kind::kConstant: return Us(d.value) / 1e6;
    case DurationDist::Kind::kExponential: return Us(d.mean) / 1e6;
    case DurationDist::Kind::kLognormal: return Us(d.median) / 1e6 * std::exp(d.sigma * d.sigma / 2);
    case DurationDist::Kind::kUniform: return (Us(d.min) + Us(d.max)) / 2e6;
    case DurationDist::Kind::kEmpirical: {
      double sum = 0;
      for (Duration v : d.values) sum += Us(v) / 1e6;
      return d.values.empty() ? 0 : sum / static_cast<double>(d.values.size());
    }
  }
  return 0;
}

double TotalBots(const Scenario& s) {
  double n = 0;
  for (const BotGroupSpec& g : s.bots) n += static_cast<double>(g.count);
  return n;
}

// How long a group's bots are present (joins_at to leaves_at, within the run).
Duration PresentSpan(const BotGroupSpec& g, Duration run) {
  return std::max(Duration::zero(), std::min(g.leaves_at.value_or(run), run) - g.joins_at);
}

// The bots present on average over the run: TotalBots when every group
// stays for the whole run (each group's share is then exactly 1).
double AveragePresentBots(const Scenario& s) {
  double n = 0;
  for (const BotGroupSpec& g : s.bots) {
    double share = s.duration > Duration::zero() ? Us(PresentSpan(g, s.duration)) / Us(s.duration) : 0;
    n += static_cast<double>(g.count) * share;
  }
  return n;
}

double Outages(const Scenario& s, const OutageSpec& o) {
  // Outages strike present bots only (an absent bot is already silent).
  double n = o.rate_per_bot_day * AveragePresentBots(s) * Us(s.duration) / 8.64e10;
  for (const ScheduledOutage& so : o.scheduled) n += static_cast<double>(so.count);
  return n;
}

std::string Count(double v) {
  char buf[32];
  if (v >= 1e15) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.0f", std::ceil(v));
  return buf;
}

// "must be >= D so that the run has at most N of them": the smallest interval
// allowed over `duration`.
Check IntervalAtLeast(const std::string& path, Duration interval, Duration duration, int64_t max_firings,
                      const char* what) {
  if (interval <= Duration::zero() || Firings(duration, interval) <= static_cast<double>(max_firings)) {
    return std::nullopt;
  }
  int64_t min_us = (ToMicros(duration) + max_firings - 1) / max_firings;
  return Problem{path, "must be >= " + FormatDuration(Micros(min_us)) + " for a " + FormatDuration(duration) +
                           " run (at most " + Count(static_cast<double>(max_firings)) + " " + what +
                           "; docs/limits.md), got " + FormatDuration(interval)};
}

}  // namespace

RunEstimate EstimateRun(const Scenario& s, const Outputs& outputs) {
  double tasks = 0;
  for (const WorkloadSpec& w : s.workloads) tasks += WorkloadTasks(w, s.duration);
  double bots = TotalBots(s);
  double events = kEventsPerTask * tasks;
  for (const BotGroupSpec& g : s.bots) {
    events += static_cast<double>(g.count) * Firings(PresentSpan(g, s.duration), g.poll_interval);
  }
  events += Firings(s.duration, s.dispatcher.cancellation_poll_interval);
  events += Firings(s.duration, s.dispatcher.renotify_interval);
  double samples = Firings(s.duration, s.sample_interval) + 1;
  events += samples * (1 + bots);  // a sample visits every bot (counts and the busy <= available check)
  events += kEventsPerOutage * (Outages(s, s.faults.bot_deaths) + Outages(s, s.faults.bot_flaps));
  events += static_cast<double>(s.faults.restart_at.size()) + Firings(s.duration, s.faults.restart_every);

  double output = 4096 + kTaskRowBytes * tasks;
  if (outputs.events) output += kEventRowBytes * kEventRowsPerTask * tasks;
  if (outputs.taskevents) output += kTaskEventRowBytes * kEventRowsPerTask * tasks;
  if (outputs.timeseries) {
    output += kTimeseriesRowBytes * samples * (17 * static_cast<double>(s.accounts.size()) + 3);
  }
  RunEstimate e;
  e.tasks = Clamp(tasks);
  e.events = Clamp(events);
  e.output_bytes = Clamp(output);
  e.memory_bytes = Clamp(kMemoryBase + kMemoryPerTask * tasks + kMemoryPerBot * bots);
  return e;
}

OfferedLoad EstimateOfferedLoad(const Scenario& s) {
  OfferedLoad out;
  const double run_s = Us(s.duration) / 1e6;
  const double present = AveragePresentBots(s);  // bots that joined and have not left
  out.capacity_bot_seconds = present * run_s;
  double peak_rate_work = 0;  // task-seconds per second at the diurnal peak
  bool diurnal = false;
  for (const WorkloadSpec& w : s.workloads) {
    const ArrivalSpec& a = w.arrivals;
    if (a.kind == ArrivalSpec::Kind::kReplay) {
      for (const ReplayTask& t : a.replay) {
        if (t.enqueue < s.duration) out.work_bot_seconds += Us(t.duration) / 1e6;
      }
      continue;
    }
    const double mean = MeanSeconds(w.duration);
    double tasks = a.rate_per_hour * run_s / 3600;
    for (const Burst& b : a.bursts) {
      if (b.at < s.duration) tasks += static_cast<double>(b.count);
    }
    for (Duration t : a.times) tasks += t < s.duration ? 1 : 0;
    out.work_bot_seconds += tasks * mean;
    peak_rate_work += a.rate_per_hour * (1 + a.diurnal_amplitude) / 3600 * mean;
    diurnal = diurnal || a.diurnal_amplitude > 0;
  }
  out.peak_load = diurnal && present > 0 ? peak_rate_work / present : 0;
  return out;
}

Check CheckLimits(const Scenario& s) {
  if (s.duration > kMaxRunDuration) {
    return Problem{"duration", "must be <= " + FormatDuration(kMaxRunDuration) + " (docs/limits.md), got " +
                                   FormatDuration(s.duration)};
  }
  if (Check c = IntervalAtLeast("sample_interval", s.sample_interval, s.duration, kMaxSamples, "samples")) return c;
  if (Check c = IntervalAtLeast("dispatcher.renotify_interval", s.dispatcher.renotify_interval, s.duration,
                                kMaxPeriodicFirings, "re-notifications")) {
    return c;
  }
  if (Check c = IntervalAtLeast("dispatcher.cancellation_poll_interval", s.dispatcher.cancellation_poll_interval,
                                s.duration, kMaxPeriodicFirings, "cancellation polls")) {
    return c;
  }
  double bots = 0;
  for (size_t i = 0; i < s.bots.size(); ++i) {
    bots += static_cast<double>(s.bots[i].count);
    if (bots > static_cast<double>(kMaxBots)) {
      return Problem{"bots[" + std::to_string(i) + "].count",
                     "the bot groups hold " + Count(bots) + " bots up to here, more than the limit of " +
                         Count(static_cast<double>(kMaxBots)) + " (docs/limits.md)"};
    }
    double polls = static_cast<double>(s.bots[i].count) * Firings(s.duration, s.bots[i].poll_interval);
    if (polls > static_cast<double>(kMaxEvents)) {
      return Problem{"bots[" + std::to_string(i) + "].poll_interval",
                     "the group would poll " + Count(polls) + " times, more than the limit of " +
                         Count(static_cast<double>(kMaxEvents)) + " events (docs/limits.md); got " +
                         FormatDuration(s.bots[i].poll_interval)};
    }
  }
  // A rate so small that its mean gap is infinite breaks the exponential
  // draw; anything below these is 0 for any run.
  for (size_t i = 0; i < s.workloads.size(); ++i) {
    double rate = s.workloads[i].arrivals.rate_per_hour;
    if (rate > 0 && rate < kMinRate) {
      return Problem{"workloads[" + std::to_string(i) + "].arrivals.rate_per_hour",
                     "must be 0 or at least 1e-06 (docs/limits.md)"};
    }
  }
  for (const auto& [rate, path] : {std::pair{s.faults.bot_deaths.rate_per_bot_day, "faults.bot_deaths.rate_per_bot_day"},
                                   std::pair{s.faults.bot_flaps.rate_per_bot_day, "faults.bot_flaps.rate_per_bot_day"}}) {
    if (rate > 0 && rate < kMinRate) return Problem{path, "must be 0 or at least 1e-06 (docs/limits.md)"};
  }
  double tasks = 0;
  for (size_t i = 0; i < s.workloads.size(); ++i) {
    double n = WorkloadTasks(s.workloads[i], s.duration);
    tasks += n;
    if (tasks > static_cast<double>(kMaxTasks)) {
      std::string path = "workloads[" + std::to_string(i) + "].arrivals";
      return Problem{path, "the workloads bring an estimated " + Count(tasks) +
                               " tasks up to here, more than the limit of " +
                               Count(static_cast<double>(kMaxTasks)) + " (docs/limits.md)"};
    }
  }
  const FaultsSpec& f = s.faults;
  double restarts = static_cast<double>(f.restart_at.size()) + Firings(s.duration, f.restart_every);
  if (restarts > static_cast<double>(kMaxRestarts)) {
    return Problem{f.restart_every > Duration::zero() ? "faults.scheduler_restarts.every" : "faults.scheduler_restarts.at",
                   "the run would restart the scheduler " + Count(restarts) + " times, more than the limit of " +
                       Count(static_cast<double>(kMaxRestarts)) + " (docs/limits.md)"};
  }
  for (const auto& [o, path] : {std::pair{&f.bot_deaths, "faults.bot_deaths"}, std::pair{&f.bot_flaps, "faults.bot_flaps"}}) {
    double n = Outages(s, *o);
    if (n > static_cast<double>(kMaxOutages)) {
      return Problem{std::string(path) + ".rate_per_bot_day",
                     "the run would see an expected " + Count(n) + " outages, more than the limit of " +
                         Count(static_cast<double>(kMaxOutages)) + " (docs/limits.md)"};
    }
  }
  RunEstimate e = EstimateRun(s, Outputs{false, false});
  if (e.events > kMaxEvents) {
    return Problem{"duration", "the run is estimated at " + Count(static_cast<double>(e.events)) +
                                   " events, more than the limit of " + Count(static_cast<double>(kMaxEvents)) +
                                   " (docs/limits.md)"};
  }
  return std::nullopt;
}

StatusOr<uint64_t> ParseSeed(const std::string& text) {
  bool digits = !text.empty() && text.size() <= 19 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  uint64_t v = 0;
  if (digits) {
    for (char c : text) v = v * 10 + static_cast<uint64_t>(c - '0');  // 19 digits fit in 64 bits
  }
  if (!digits || v > kMaxSeed) {
    return InvalidArgument("expected a decimal integer from 0 to 2^63-1 (9223372036854775807), got \"" + text + "\"");
  }
  return v;
}

StatusOr<int64_t> ParseBytes(const std::string& text) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (n > (INT64_MAX - 9) / 10) return InvalidArgument("\"" + text + "\" is too large");
    n = n * 10 + (text[i++] - '0');
  }
  std::string unit = text.substr(i);
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "KiB") shift = 10;
  else if (unit == "M" || unit == "MiB") shift = 20;
  else if (unit == "G" || unit == "GiB") shift = 30;
  else if (unit == "T" || unit == "TiB") shift = 40;
  if (i == 0 || shift < 0) {
    return InvalidArgument("expected a size such as 4GiB, 512MiB or 1000000 (bytes), got \"" + text + "\"");
  }
  if (n > (INT64_MAX >> shift)) return InvalidArgument("\"" + text + "\" is too large");
  return n << shift;
}

}  // namespace qsim::sim
