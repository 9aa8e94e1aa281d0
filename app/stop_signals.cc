#include "app/stop_signals.h"

#include <signal.h>

#include <array>
#include <atomic>

namespace qsim::app {
namespace {

std::atomic<int> g_stop_signal{0};
std::array<std::atomic<pid_t>, 256> g_child_groups{};  // 0 = free slot

static_assert(std::atomic<int>::is_always_lock_free && std::atomic<pid_t>::is_always_lock_free,
              "the signal handler may only touch lock-free atomics");

void OnStopSignal(int signal) {
  int expected = 0;
  if (g_stop_signal.compare_exchange_strong(expected, signal)) return;  // the first: polled
  // The second request: stop now, children too.
  for (std::atomic<pid_t>& group : g_child_groups) {
    pid_t g = group.load();
    if (g > 0) ::kill(-g, SIGKILL);
  }
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

}  // namespace

void InstallStopHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: waitpid returns EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int StopSignal() { return g_stop_signal.load(); }

void AddChildGroup(pid_t group) {
  for (std::atomic<pid_t>& slot : g_child_groups) {
    pid_t free = 0;
    if (slot.compare_exchange_strong(free, group)) return;
  }
}

void RemoveChildGroup(pid_t group) {
  for (std::atomic<pid_t>& slot : g_child_groups) {
    pid_t mine = group;
    if (slot.compare_exchange_strong(mine, 0)) return;
  }
}

}  // namespace qsim::app
