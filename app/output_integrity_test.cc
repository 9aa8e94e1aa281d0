// Output integrity as a user meets it through the qsim binary: a run stopped
// by SIGTERM leaves a folder marked incomplete that readers refuse; a parent
// command stopped by SIGTERM leaves no child running; a rerun never mixes
// two runs' files; merge never overwrites its input or joins overlapping
// shards; an unusable output folder is exit 3 with the path and the reason.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runfolder/files.h"
#include "runfolder/manifest.h"
#include "tests/testing/test_util.h"

extern char** environ;

namespace qsim::app {
namespace {

namespace fs = std::filesystem;

using Ran = testing::CommandResult;

// Runs `qsim ARGS` (the arguments are ours, no quoting needed).
Ran RunQsim(const std::string& args) { return testing::RunCommandLine(std::string(QSIM_BINARY) + " " + args); }

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string Smoke(const std::string& name) { return testing::SourceDir() + "/scenarios/smoke/" + name; }

// The smoke quickstart made to last a century of simulated time: it runs
// until stopped.
std::string WriteLongScenario(const std::string& dir) {
  std::string text;
  std::ifstream in(Smoke("quickstart.yaml"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("duration: 3h", 0) == 0) line = "duration: 365d";  // runs far longer than the test
    if (line.rfind("expect:", 0) == 0) break;
    text += line + "\n";
  }
  text += "expect:\n  - {metric: lost, account: \"*\", equals: 0}\n";
  std::string path = dir + "/long.yaml";
  EXPECT_TRUE(runfolder::WriteTextFile(path, text).ok());
  return path;
}

// Starts `qsim ARGS...` with its output in `log`; returns its pid.
pid_t StartQsim(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> all = {QSIM_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, QSIM_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0);
  return pid;
}

// Waits up to 30 s for `path` to exist.
bool AwaitFile(const std::string& path) {
  for (int i = 0; i < 300; ++i) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The pids of running processes whose command line mentions `needle`.
std::vector<pid_t> ProcessesMentioning(const std::string& needle) {
  std::vector<pid_t> found;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (Contains(cmdline, needle) && std::stoi(name) != getpid()) found.push_back(std::stoi(name));
  }
  return found;
}

int WaitExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -2;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(OutputIntegrity, RunStoppedBySigtermIsMarkedIncompleteAndReportRefusesIt) {
  testing::ScopedTempDir temp("sigterm-run");
  std::string dir = temp.path();
  std::string run = dir + "/run";
  pid_t pid = StartQsim({"run", WriteLongScenario(dir), "--quiet", "--outputs", "tasks,summary,events",
                         "--out", run},
                        dir + "/log");
  ASSERT_TRUE(AwaitFile(run + "/run.json"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // into the event loop
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(pid), 128 + SIGTERM);

  StatusOr<std::optional<runfolder::RunManifest>> manifest = runfolder::ReadManifest(run);
  ASSERT_TRUE(manifest.ok()) << manifest.status().message();
  ASSERT_TRUE(manifest->has_value());
  EXPECT_EQ((*manifest)->status, runfolder::RunStatus::kIncomplete);
  // Nothing half-written: the data files never appeared, their .part files are gone.
  EXPECT_FALSE(fs::exists(run + "/tasks.csv"));
  EXPECT_FALSE(fs::exists(run + "/events.csv"));
  EXPECT_FALSE(fs::exists(run + "/events.csv.part"));

  Ran report = RunQsim("report " + run);
  EXPECT_EQ(report.exit_code, 2) << report.output;
  EXPECT_TRUE(Contains(report.output, run + ": not a complete run folder")) << report.output;
  EXPECT_TRUE(Contains(report.output, "run.json says the run is incomplete")) << report.output;
  EXPECT_FALSE(fs::exists(run + "/report.html"));
}

TEST(OutputIntegrity, CompareStoppedBySigtermStopsItsChildRunsAndWaits) {
  testing::ScopedTempDir temp("sigterm-compare");
  std::string dir = temp.path();
  std::string long_yaml = WriteLongScenario(dir);
  std::string out = dir + "/cmp";
  pid_t pid = StartQsim({"compare", long_yaml, long_yaml, "--seeds", "2", "--jobs", "2", "--out", out},
                        dir + "/log");
  // Wait for a child to have started writing.
  bool started = false;
  for (int i = 0; i < 300 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::error_code ignored;
    for (auto it = fs::recursive_directory_iterator(out, ignored); it != fs::recursive_directory_iterator(); ++it) {
      if (it->path().filename() == "run.json") started = true;
    }
  }
  ASSERT_TRUE(started);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(pid), 128 + SIGTERM);
  // The parent waited for its children: none is left writing.
  EXPECT_EQ(ProcessesMentioning(out).size(), 0u);
  std::ifstream log(dir + "/log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(Contains(text, "stopped by signal 15")) << text;
}

TEST(OutputIntegrity, RerunWithFewerOutputsLeavesNoStaleFile) {
  testing::ScopedTempDir temp("rerun");
  std::string dir = temp.path();
  std::string run = dir + "/run";
  Ran first = RunQsim("run " + Smoke("quickstart.yaml") + " --quiet --outputs tasks,summary,timeseries,events --out " +
                      run);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(fs::exists(run + "/events.csv"));
  Ran second = RunQsim("run " + Smoke("quickstart.yaml") + " --quiet --no-report --outputs tasks,summary --out " + run);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_FALSE(fs::exists(run + "/events.csv"));
  EXPECT_FALSE(fs::exists(run + "/timeseries.csv"));
  EXPECT_FALSE(fs::exists(run + "/report.html"));  // the first run's page charted the first run
  EXPECT_TRUE(runfolder::RequireCompleteRunFolder(run).ok());
  Ran report = RunQsim("report " + run);
  EXPECT_EQ(report.exit_code, 0) << report.output;
}

TEST(OutputIntegrity, RunIntoAFolderHoldingOtherFilesIsRefused) {
  testing::ScopedTempDir temp("foreign");
  std::string dir = temp.path();
  ASSERT_TRUE(runfolder::WriteTextFile(dir + "/notes.txt", "mine").ok());
  Ran ran = RunQsim("run " + Smoke("quickstart.yaml") + " --quiet --out " + dir);
  EXPECT_EQ(ran.exit_code, 2) << ran.output;
  EXPECT_TRUE(Contains(ran.output, "notes.txt")) << ran.output;
  EXPECT_FALSE(fs::exists(dir + "/tasks.csv"));
}

TEST(OutputIntegrity, ReportFlagsAMixedFolder) {
  testing::ScopedTempDir temp("mixed");
  std::string dir = temp.path();
  std::string run = dir + "/run";
  ASSERT_EQ(RunQsim("run " + Smoke("quickstart.yaml") + " --quiet --no-report --outputs tasks,summary --out " + run)
                .exit_code,
            0);
  // An older run's events.csv, as a copy by hand would leave it.
  ASSERT_TRUE(runfolder::WriteTextFile(run + "/events.csv", "time_s,type,task,bot,account,priority,detail\n").ok());
  Ran report = RunQsim("report " + run);
  EXPECT_EQ(report.exit_code, 2) << report.output;
  EXPECT_TRUE(Contains(report.output, "events.csv is not a file of this run")) << report.output;
}

TEST(OutputIntegrity, ReportFlagsTasksThatDisagreeWithTheSummary) {
  testing::ScopedTempDir temp("cut");
  std::string dir = temp.path();
  std::string run = dir + "/run";
  ASSERT_EQ(RunQsim("run " + Smoke("quickstart.yaml") + " --quiet --no-report --out " + run).exit_code, 0);
  StatusOr<std::string> tasks = runfolder::ReadTextFile(run + "/tasks.csv");
  ASSERT_TRUE(tasks.ok());
  // The last row dropped: one measured task fewer than summary.csv counts.
  std::string shorter = tasks->substr(0, tasks->rfind('\n', tasks->size() - 2) + 1);
  ASSERT_TRUE(runfolder::WriteTextFile(run + "/tasks.csv", shorter).ok());
  Ran report = RunQsim("report " + run);
  EXPECT_EQ(report.exit_code, 2) << report.output;
  EXPECT_TRUE(Contains(report.output, "tasks enqueued after the warm-up")) << report.output;
  // Cut mid-row, as an in-place writer interrupted would leave it.
  ASSERT_TRUE(runfolder::WriteTextFile(run + "/tasks.csv", tasks->substr(0, tasks->size() / 2)).ok());
  report = RunQsim("report " + run);
  EXPECT_EQ(report.exit_code, 2) << report.output;
  EXPECT_TRUE(Contains(report.output, run + "/tasks.csv:")) << report.output;
}

TEST(OutputIntegrity, ReportAcceptsAnOldFormatFolderWithAWarning) {
  testing::ScopedTempDir temp("old-format");
  std::string dir = temp.path();
  std::string run = dir + "/run";
  ASSERT_EQ(RunQsim("run " + Smoke("quickstart.yaml") + " --quiet --no-report --out " + run).exit_code, 0);
  fs::remove(run + "/run.json");
  Ran report = RunQsim("report " + run);
  EXPECT_EQ(report.exit_code, 0) << report.output;
  EXPECT_TRUE(Contains(report.output, "warning: " + run + ": no run.json")) << report.output;
}

// Two shards of a sweep over a two-point grid.
void WriteShards(const std::string& dir) {
  for (int i = 0; i < 2; ++i) {
    Ran ran = RunQsim("sweep " + Smoke("quickstart.yaml") +
                      " --grid accounts.ci.max_charge_seconds=1800,3600 --seeds 1 --shard " + std::to_string(i) +
                      "/2 --out " + dir + "/s" + std::to_string(i));
    ASSERT_LE(ran.exit_code, 1) << ran.output;
  }
}

TEST(OutputIntegrity, MergeRefusesToWriteOverItsInputAndOverlappingShards) {
  testing::ScopedTempDir temp("merge");
  std::string dir = temp.path();
  WriteShards(dir);
  StatusOr<std::string> before = runfolder::ReadTextFile(dir + "/s1/summaries.csv");
  ASSERT_TRUE(before.ok());
  Ran into_input = RunQsim("merge " + dir + "/s0 " + dir + "/s1 --out " + dir + "/s0/../s1/");
  EXPECT_EQ(into_input.exit_code, 2) << into_input.output;
  EXPECT_TRUE(Contains(into_input.output, "would overwrite what is being read")) << into_input.output;
  EXPECT_EQ(*runfolder::ReadTextFile(dir + "/s1/summaries.csv"), *before);
  EXPECT_FALSE(fs::exists(dir + "/s1/sweep.csv"));

  // Shard 1 claims shard 0's runs too.
  StatusOr<std::string> s0 = runfolder::ReadTextFile(dir + "/s0/summaries.csv");
  ASSERT_TRUE(s0.ok());
  std::string s0_rows = s0->substr(s0->find('\n') + 1);
  ASSERT_TRUE(runfolder::WriteTextFile(dir + "/s1/summaries.csv", *before + s0_rows).ok());
  Ran overlap = RunQsim("merge " + dir + "/s0 " + dir + "/s1 --out " + dir + "/merged");
  EXPECT_EQ(overlap.exit_code, 2) << overlap.output;
  EXPECT_TRUE(Contains(overlap.output, "overlapping shards")) << overlap.output;
  EXPECT_FALSE(fs::exists(dir + "/merged/sweep.csv"));
}

TEST(OutputIntegrity, UnusableCheckOutIsExitThreeNotAFailedExpectation) {
  testing::ScopedTempDir temp("check-out");
  std::string dir = temp.path();
  ASSERT_TRUE(runfolder::WriteTextFile(dir + "/file", "x").ok());
  Ran ran = RunQsim("check " + Smoke("quickstart.yaml") + " --out " + dir + "/file/runs");
  EXPECT_EQ(ran.exit_code, 3) << ran.output;
  EXPECT_TRUE(Contains(ran.output, dir + "/file/runs")) << ran.output;
  EXPECT_TRUE(Contains(ran.output, "Not a directory")) << ran.output;
  EXPECT_FALSE(Contains(ran.output, "FAIL")) << ran.output;
}

TEST(OutputIntegrity, RunJsonRecordsTheRun) {
  testing::ScopedTempDir temp("manifest");
  std::string dir = temp.path();
  std::string run = dir + "/run";
  ASSERT_EQ(RunQsim("run " + Smoke("quickstart.yaml") + " --quiet --seed 7 --out " + run).exit_code, 0);
  StatusOr<std::optional<runfolder::RunManifest>> m = runfolder::ReadManifest(run);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->status, runfolder::RunStatus::kComplete);
  EXPECT_EQ((*m)->seed, 7u);
  EXPECT_FALSE((*m)->qsim_version.empty());
  EXPECT_EQ((*m)->command_line.at(1), "run");
  EXPECT_EQ((*m)->warmup_us, 15 * 60 * 1000000ll);
  EXPECT_EQ((*m)->files, (std::vector<std::string>{"events.csv", "scenario.resolved.yaml", "summary.csv", "tasks.csv",
                                                    "timeseries.csv", "waits.csv"}));
  StatusOr<std::string> resolved = runfolder::ReadTextFile(run + "/scenario.resolved.yaml");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ((*m)->scenario_hash, runfolder::ScenarioHash(*resolved));
}

}  // namespace
}  // namespace qsim::app
