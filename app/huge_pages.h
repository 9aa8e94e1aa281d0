// Transparent huge pages for qsim's heap. A large fleet's per-poll reads
// land all over a heap of hundreds of megabytes: with 4 KB pages most of
// them also miss the TLB, and every page's first touch is a fault. glibc's
// malloc asks the kernel for huge pages only when told so at start-up (the
// tunable glibc.malloc.hugetlb=1), so qsim starts itself again once with
// that tunable set. Outputs do not depend on it; only speed does
// (docs/performance.md, "Round 5").
#pragma once

#include <optional>
#include <string>
#include <string_view>

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

}  // namespace qsim::app
