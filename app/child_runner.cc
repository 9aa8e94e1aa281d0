#include "app/child_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "app/stop_signals.h"
#include "runfolder/files.h"
#include "sim/scenario.h"

extern char** environ;

namespace qsim::app {
namespace {

// Starts one run; returns its pid, or the errno of the failed start.
StatusOr<pid_t> Spawn(const std::string& qsim_binary, const reports::SimRun& run, const std::string& log_path) {
  std::vector<std::string> args = {qsim_binary, "run", "--quiet", "--no-report"};
  if (run.seed) {
    args.push_back("--seed");
    args.push_back(std::to_string(*run.seed));
  }
  if (!run.outputs.empty()) {
    args.push_back("--outputs");
    args.push_back(run.outputs);
  }
  args.push_back("--out");
  args.push_back(run.out_dir);
  args.push_back(run.scenario_path);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Each child leads its own process group, so that a terminal's Ctrl-C
  // reaches only qsim, which forwards it (stop_signals.h) and waits.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, qsim_binary.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return IoError(qsim_binary + ": cannot start: " + std::strerror(rc));
  return pid;
}

// Records why a run never started where LogTail will find it.
void LogStartFailure(const std::string& log_path, const Status& why) {
  runfolder::WriteTextFile(log_path, why.message() + "\n").IgnoreError();
}

std::vector<reports::SimRunResult> RunAll(const std::string& qsim_binary, const std::vector<reports::SimRun>& runs,
                                          int parallel) {
  parallel = std::max(1, parallel);
  std::vector<reports::SimRunResult> results(runs.size());
  std::map<pid_t, size_t> running;
  size_t next = 0;
  bool forwarded = false;
  while (next < runs.size() || !running.empty()) {
    if (int signal = StopSignal(); signal != 0 && !forwarded) {
      // Start nothing more, pass the signal on to every running child once
      // (a second one would end it at once, stop_signals.h), and wait.
      next = runs.size();
      for (const auto& [pid, index] : running) ::kill(-pid, signal);
      forwarded = true;
    }
    while (next < runs.size() && static_cast<int>(running.size()) < parallel) {
      size_t i = next++;
      std::string out_dir = runs[i].out_dir;
      while (out_dir.size() > 1 && out_dir.back() == '/') out_dir.pop_back();
      results[i].log_path = out_dir + ".log";
      Status made = runfolder::MakeDirectories(runs[i].out_dir);
      if (!made.ok()) {
        LogStartFailure(results[i].log_path, made);
        continue;
      }
      StatusOr<pid_t> pid = Spawn(qsim_binary, runs[i], results[i].log_path);
      if (!pid.ok()) {
        LogStartFailure(results[i].log_path, pid.status());
        continue;
      }
      running[*pid] = i;
      AddChildGroup(*pid);
    }
    if (running.empty()) continue;
    // Polled rather than blocking, so that a stop signal arriving just
    // before the wait is seen within a few milliseconds.
    int status = 0;
    pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done == 0) {
      ::usleep(5000);
      continue;
    }
    if (done < 0) {
      if (errno == EINTR) continue;
      break;  // no children left that we know of: nothing more to wait for
    }
    auto it = running.find(done);
    if (it == running.end()) continue;
    results[it->second].exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    RemoveChildGroup(done);
    running.erase(it);
  }
  if (int signal = StopSignal(); signal != 0) {
    // Every child has stopped; what was asked of the command cannot be done.
    std::cerr << "qsim: stopped by signal " << signal << "; the runs it had started stopped too and their "
              << "folders say incomplete in run.json\n";
    std::exit(128 + signal);
  }
  return results;
}

}  // namespace

reports::SimRunner ChildProcessRunner(std::string qsim_binary) {
  return [binary = std::move(qsim_binary)](const std::vector<reports::SimRun>& runs, int parallel) {
    return RunAll(binary, runs, parallel);
  };
}

std::string SelfExecutable(const std::string& fallback) {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? fallback : self.string();
}

reports::ScenarioValidator InProcessValidator() {
  return [](const std::string& path) { return sim::LoadScenarioFile(path).status(); };
}

}  // namespace qsim::app
