#include "app/malloc_setup.h"

#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <array>
#include <cstdlib>
#include <fstream>

namespace qsim::app {

namespace {

constexpr std::string_view kHugeTlb = "glibc.malloc.hugetlb";

// "always [madvise] never": huge pages are on offer unless "never" is chosen.
bool KernelOffersHugePages() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (!std::getline(in, modes)) return false;
  return modes.find("[never]") == std::string::npos;
}

bool UnderValgrind() {
  const char* preload = std::getenv("LD_PRELOAD");
  return preload != nullptr && std::string_view(preload).find("vgpreload") != std::string_view::npos;
}

}  // namespace

std::optional<std::string> TunablesWithHugePages(std::optional<std::string_view> current) {
  if (!current || current->empty()) return std::string(kHugeTlb) + "=1";
  if (current->find(kHugeTlb) != std::string_view::npos) return std::nullopt;
  return std::string(*current) + ":" + std::string(kHugeTlb) + "=1";
}

void RestartWithHugePages(char** argv) {
#if defined(__linux__) && defined(__GLIBC__)
  const char* current = std::getenv("GLIBC_TUNABLES");
  std::optional<std::string> tunables =
      TunablesWithHugePages(current ? std::optional<std::string_view>(current) : std::nullopt);
  if (!tunables || UnderValgrind() || !KernelOffersHugePages()) return;
  // The binary's own path, not /proc/self/exe: the process is named after
  // the file it was started from, and `ps`, `top` and `pkill qsim` should
  // keep seeing qsim.
  std::array<char, 4096> path{};
  const ssize_t n = readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (n <= 0 || static_cast<size_t>(n) >= path.size() - 1) return;
  if (access(path.data(), X_OK) != 0) return;  // replaced or deleted since it started
  if (setenv("GLIBC_TUNABLES", tunables->c_str(), 1) != 0) return;
  execv(path.data(), argv);
  // The exec failed (no /proc, say): go on without, as we were.
  if (current) {
    setenv("GLIBC_TUNABLES", current, 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
#else
  (void)argv;
#endif
}

std::vector<MallocOption> HeapRetentionOptions(std::optional<std::string_view> tunables) {
  std::vector<MallocOption> options;
#if defined(__GLIBC__)
  constexpr int kMiB = 1 << 20;
  for (const MallocOption& o : {MallocOption{"glibc.malloc.trim_threshold", M_TRIM_THRESHOLD, 256 * kMiB},
                                MallocOption{"glibc.malloc.top_pad", M_TOP_PAD, 16 * kMiB},
                                MallocOption{"glibc.malloc.mmap_threshold", M_MMAP_THRESHOLD, 32 * kMiB}}) {
    if (!tunables || tunables->find(o.tunable) == std::string_view::npos) options.push_back(o);
  }
#else
  (void)tunables;
#endif
  return options;
}

std::string RetainFreedHeap() {
  std::string applied;
#if defined(__GLIBC__)
  const char* current = std::getenv("GLIBC_TUNABLES");
  for (const MallocOption& o :
       HeapRetentionOptions(current ? std::optional<std::string_view>(current) : std::nullopt)) {
    if (mallopt(o.parameter, o.value) != 1) continue;  // refused: malloc's default stays
    if (!applied.empty()) applied += ",";
    applied += o.tunable;
  }
#endif
  return applied.empty() ? "none" : applied;
}

}  // namespace qsim::app
