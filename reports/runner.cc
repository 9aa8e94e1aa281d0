#include "reports/runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>

#include "reports/csv.h"

extern char** environ;

namespace qsim::reports {

Status MakeDirectories(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return InvalidArgument(dir + ": cannot create directory: " + error.message());
  return Status::Ok();
}

namespace {

// Starts one run; returns its pid or -1.
pid_t Spawn(const std::string& qsim_binary, const SimRun& run, const std::string& log_path) {
  std::vector<std::string> args = {qsim_binary, "run", "--quiet", "--no-report"};
  if (run.seed) {
    args.push_back("--seed");
    args.push_back(std::to_string(*run.seed));
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
  pid_t pid = -1;
  int rc = posix_spawn(&pid, qsim_binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace

std::vector<SimRunResult> RunSimulations(const std::string& qsim_binary, const std::vector<SimRun>& runs,
                                         int parallel) {
  parallel = std::max(1, parallel);
  std::vector<SimRunResult> results(runs.size());
  std::map<pid_t, size_t> running;
  size_t next = 0;
  while (next < runs.size() || !running.empty()) {
    while (next < runs.size() && static_cast<int>(running.size()) < parallel) {
      size_t i = next++;
      std::string out_dir = runs[i].out_dir;
      while (out_dir.size() > 1 && out_dir.back() == '/') out_dir.pop_back();
      results[i].log_path = out_dir + ".log";
      if (!MakeDirectories(runs[i].out_dir).ok()) continue;
      pid_t pid = Spawn(qsim_binary, runs[i], results[i].log_path);
      if (pid > 0) running[pid] = i;
    }
    if (running.empty()) continue;
    int status = 0;
    pid_t done = ::waitpid(-1, &status, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      break;  // no children left that we know of: nothing more to wait for
    }
    auto it = running.find(done);
    if (it == running.end()) continue;
    results[it->second].exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    running.erase(it);
  }
  return results;
}

std::string LogTail(const std::string& log_path, int max_lines) {
  StatusOr<std::string> text = ReadTextFile(log_path);
  if (!text.ok()) return "(no log)";
  std::string s = *text;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  size_t pos = s.size();
  for (int i = 0; i < max_lines && pos != std::string::npos && pos > 0; ++i) {
    pos = s.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? s : s.substr(pos + 1);
}

}  // namespace qsim::reports
