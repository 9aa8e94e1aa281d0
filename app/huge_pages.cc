#include "app/huge_pages.h"

#include <unistd.h>

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

}  // namespace qsim::app
