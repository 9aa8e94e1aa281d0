// How qsim sets up glibc's malloc at start-up. Outputs never depend on
// any of it; only speed does (docs/performance.md, "Round 5" and "Round 6").
//
// Transparent huge pages for qsim's heap. A large fleet's per-poll reads
// land all over a heap of hundreds of megabytes: with 4 KB pages most of
// them also miss the TLB, and every page's first touch is a fault. glibc's
// malloc asks the kernel for huge pages only when told so at start-up (the
// tunable glibc.malloc.hugetlb=1), so qsim starts itself again once with
// that tunable set.
//
// Freed memory kept. A pass builds and drops vectors of megabytes, a deep
// queue more; by default glibc serves those from fresh mappings and hands
// freed memory at the heap's top back to the kernel, so the next pass pays
// the page faults (and, with huge pages, the zeroing of 2 MB pages) again.
// qsim keeps what it freed for reuse: a simulation is a batch job whose
// peak, not its valley, sets what it needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qsim::app {

// The GLIBC_TUNABLES value to start again with, given the current one
// (nullopt: unset), or nullopt to go on as is: when the current value
// already names glibc.malloc.hugetlb, whatever it says (a user's
// glibc.malloc.hugetlb=0 opts out).
std::optional<std::string> TunablesWithHugePages(std::optional<std::string_view> current);

// Replaces the process with itself (same pid, arguments and environment,
// plus the tunable) when TunablesWithHugePages says to, the kernel offers
// transparent huge pages, and the process is not under valgrind (whose
// client would leave it). Returns, changing nothing, where any of that does
// not hold or the exec fails.
void RestartWithHugePages(char** argv);

// One mallopt setting: the tunable a user would name in GLIBC_TUNABLES, the
// mallopt parameter, the value.
struct MallocOption {
  std::string_view tunable;
  int parameter;
  int value;
};

// The settings that keep freed memory (trim threshold 256 MiB, top pad
// 16 MiB, mmap threshold 32 MiB, glibc's largest), less any the current
// GLIBC_TUNABLES value names: a user's own choice stands.
std::vector<MallocOption> HeapRetentionOptions(std::optional<std::string_view> tunables);

// Applies HeapRetentionOptions for this process's GLIBC_TUNABLES; returns
// the tunables' names of those applied, comma-separated ("none" if none).
std::string RetainFreedHeap();

}  // namespace qsim::app
