#include "bench/bench_commands.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/workload.h"

namespace qsim::bench {
namespace {

// Timing the benchmark is the point of this file, so it reads the process's
// monotonic clock; the workloads and the scheduler never do.
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

// User + system CPU time of this process so far: steadier than wall time
// on a shared machine.
double CpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

// What malloc was started with (qsim asks for huge pages, app/malloc_setup.h).
std::string MallocTunables() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables && *tunables ? tunables : "none";
}

// Peak resident set size of this process, in MiB (Linux reports KiB).
long PeakMemoryMiB() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  return usage.ru_maxrss / 1024;
}

// The profiler workload's final state, left for the process's exit to
// reclaim (RunProfilerBench); held here so a leak checker sees it reachable.
Scheduler* state_left_to_exit = nullptr;

class PassTimer final : public PassObserver {
 public:
  void BeforePass(int) override { start_ = Clock::now(); }
  void AfterPass(int, size_t) override { total_s_ += SecondsSince(start_); }
  double total_s() const { return total_s_; }

 private:
  Clock::time_point start_;
  double total_s_ = 0;
};

}  // namespace

int RunProfilerBench(uint64_t seed, std::string_view malloc_options, std::ostream& out) {
  const ProfilerWorkload w = ReferenceProfilerWorkload();
  PassTimer timer;
  const Clock::time_point start = Clock::now();
  StatusOr<ProfilerResult> result = RunProfilerWorkload(w, seed, &timer);
  const double wall_s = SecondsSince(start);
  // The process ends right after this report, and its heap with it: freeing
  // 100,000 requests one by one first (about a tenth of the run) is work the
  // reference's process never does, so the state is left to the exit.
  if (result.ok()) state_left_to_exit = result->final_state.release();
  if (!result.ok()) {
    out << "bench profiler: " << result.status().message() << "\n";
    return 1;
  }
  out << "workload=profiler\n"
      << "seed=" << seed << "\n"
      << "iterations=" << w.iterations << "\n"
      << "wall_s=" << FormatSeconds(wall_s) << "\n"
      << "cpu_s=" << FormatSeconds(CpuSeconds()) << "\n"
      << "run_once_total_s=" << FormatSeconds(timer.total_s()) << "\n"
      << "assignments=" << result->assignments << "\n"
      << "workers=" << result->workers << "\n"
      << "running=" << result->running << "\n"
      << "queued=" << result->queued << "\n"
      << "peak_rss_mib=" << PeakMemoryMiB() << "\n"
      << "malloc_tunables=" << MallocTunables() << "\n"
      << "malloc_options=" << malloc_options << "\n";
  return 0;
}

int RunLargePassBench(uint64_t seed, std::string_view malloc_options, std::ostream& out) {
  const LargePassWorkload w = ReferenceLargePassWorkload();
  const Clock::time_point build_start = Clock::now();
  StatusOr<Scheduler> state = BuildLargePassState(w, seed);
  const double build_s = SecondsSince(build_start);
  if (!state.ok()) {
    out << "bench large-pass: " << state.status().message() << "\n";
    return 1;
  }
  const Clock::time_point pass_start = Clock::now();
  const double pass_cpu_start = CpuSeconds();
  const size_t assignments = state->RunOnce(nullptr).size();
  const double pass_cpu_s = CpuSeconds() - pass_cpu_start;
  const double pass_s = SecondsSince(pass_start);
  out << "workload=large-pass\n"
      << "seed=" << seed << "\n"
      << "workers=" << w.workers << "\n"
      << "tasks=" << w.tasks << "\n"
      << "build_s=" << FormatSeconds(build_s) << "\n"
      << "pass_s=" << FormatSeconds(pass_s) << "\n"
      << "pass_cpu_s=" << FormatSeconds(pass_cpu_s) << "\n"
      << "assignments=" << assignments << "\n"
      << "running=" << state->NumRunning() << "\n"
      << "queued=" << state->NumQueued() << "\n"
      << "peak_rss_mib=" << PeakMemoryMiB() << "\n"
      << "malloc_tunables=" << MallocTunables() << "\n"
      << "malloc_options=" << malloc_options << "\n";
  return 0;
}

}  // namespace qsim::bench
