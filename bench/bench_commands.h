// The `qsim bench` commands: run a profiler workload (workload.h) once, time
// it with the process's monotonic clock and print the figures as
// `key=value` lines (units in the key), so scripts can compare them with
// PROFILER_WORKLOAD.md (this folder). Each returns an exit status: 0 ok,
// 1 the workload could not be built. `malloc_options` names the malloc
// settings the caller applied (app/malloc_setup.h), printed with the
// GLIBC_TUNABLES the process started with: a timing is read with both.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>

namespace qsim::bench {

// Workload 1 in full: wall and CPU time of the whole run (generation
// included, as the reference times it), time inside RunOnce, assignments over
// all passes, workers, running and queued at the end, peak memory.
int RunProfilerBench(uint64_t seed, std::string_view malloc_options, std::ostream& out);

// Workload 2: builds the large state, then times its one RunOnce (wall and
// CPU), with its assignments and peak memory.
int RunLargePassBench(uint64_t seed, std::string_view malloc_options, std::ostream& out);

}  // namespace qsim::bench
