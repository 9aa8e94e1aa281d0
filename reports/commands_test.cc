// compare, sweep/merge and check end to end, against the real simulator
// (the application's runner starts the qsim binary built from this tree for
// each scenario), and with fake runners for the failure paths.
#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/child_runner.h"
#include "reports/check.h"
#include "reports/compare.h"
#include "reports/report.h"
#include "reports/runner.h"
#include "reports/sweep.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"

namespace qsim::reports {
namespace {

const std::string kQsim = QSIM_BINARY;
const std::string kSmoke = std::string(QSIM_SOURCE_DIR) + "/scenarios/smoke";

class ReportsCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "qsim-commands-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  void Write(const std::string& name, const std::string& text) const {
    ASSERT_TRUE(runfolder::WriteTextFile(Path(name), text).ok());
  }
  std::string Read(const std::string& path) const {
    StatusOr<std::string> text = runfolder::ReadTextFile(path);
    EXPECT_TRUE(text.ok()) << path;
    return text.ok() ? *text : "";
  }
  CompareOptions Compare(const std::string& out) const {
    CompareOptions o;
    o.baseline = kSmoke + "/quickstart.yaml";
    o.seeds = 8;
    o.jobs = 2;
    o.out_dir = Path(out);
    o.runner = app::ChildProcessRunner(kQsim);
    return o;
  }

  std::string dir_;
};

TEST_F(ReportsCommands, ReportReadsARealRunFolder) {
  std::vector<SimRunResult> results =
      app::ChildProcessRunner(kQsim)({{kSmoke + "/preemption.yaml", std::nullopt, Path("run")}}, 1);
  ASSERT_EQ(results[0].exit_code, 0) << LogTail(results[0].log_path);
  EXPECT_FALSE(std::filesystem::exists(Path("run/report.html")));  // --no-report
  StatusOr<std::string> page = BuildRunReport(Path("run"));
  ASSERT_TRUE(page.ok()) << page.status().message();
  for (const char* id : {"queued", "running", "bots", "balance-0", "balance-1", "wait-cdf", "preemptions"}) {
    EXPECT_NE(page->find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(page->find("not written"), std::string::npos);
  EXPECT_NE(page->find(">interactive (" ), std::string::npos);
}

TEST_F(ReportsCommands, CompareScenarioWithItselfHasNoRegressionAndZeroDeltas) {
  CompareOptions o = Compare("self");
  o.candidate = o.baseline;
  std::ostringstream out, err;
  ASSERT_EQ(RunCompareCommand(o, out, err), 0) << err.str() << out.str();
  EXPECT_NE(out.str().find("verdict: no regression"), std::string::npos) << out.str();
  // The runs are read and removed: only compare's own files stay.
  EXPECT_FALSE(std::filesystem::exists(Path("self/baseline/seed-1")));
  EXPECT_FALSE(std::filesystem::exists(Path("self/baseline")));
  StatusOr<runfolder::CsvTable> csv = runfolder::ReadCsvFile(Path("self/compare.csv"));
  ASSERT_TRUE(csv.ok()) << csv.status().message();
  ASSERT_FALSE(csv->rows.empty());
  int delta = csv->Column("change"), verdict = csv->Column("verdict"), pairs = csv->Column("n");
  for (const auto& row : csv->rows) {
    EXPECT_EQ(row[delta], "0") << row[0] << " " << row[1];
    EXPECT_NE(row[verdict], "REGRESSION");
    EXPECT_EQ(row[pairs], "8");
  }
  EXPECT_NE(Read(Path("self/compare.json")).find("\"regression\": false"), std::string::npos);
  std::string html = Read(Path("self/compare.html"));
  EXPECT_NE(html.find("id=\"compare-wait-cdf\""), std::string::npos);
}

TEST_F(ReportsCommands, CompareAgainstHalfTheBotsDetectsWaitRegressions) {
  // Lists are replaced by an overlay: the whole bots list, with 10 not 20.
  Write("half.yaml",
        "bots:\n  - group: linux\n    count: 10\n    labels: [\"os:linux\", \"pool:ci\"]\n    poll_interval: 10s\n");
  CompareOptions o = Compare("half");
  o.variant = Path("half.yaml");
  std::ostringstream out, err;
  ASSERT_EQ(RunCompareCommand(o, out, err), 1) << err.str() << out.str();
  StatusOr<runfolder::CsvTable> csv = runfolder::ReadCsvFile(Path("half/compare.csv"));
  ASSERT_TRUE(csv.ok());
  int regressions = 0;
  for (const auto& row : csv->rows) {
    if (row[csv->Column("verdict")] == "REGRESSION") {
      ++regressions;
      EXPECT_EQ(row[0], "*");
      EXPECT_EQ(row[1].rfind("wait_", 0), 0u) << row[1];
    }
  }
  EXPECT_GE(regressions, 2) << out.str();
  // The merged candidate scenario is kept for inspection.
  EXPECT_NE(Read(Path("half/candidate.yaml")).find("count: 10"), std::string::npos);
}

TEST_F(ReportsCommands, CompareRejectsBadInput) {
  CompareOptions o = Compare("bad");
  std::ostringstream out, err;
  EXPECT_EQ(RunCompareCommand(o, out, err), 2);  // neither candidate nor variant
  Write("broken.yaml", "bots: [\n");
  o.variant = Path("broken.yaml");
  EXPECT_EQ(RunCompareCommand(o, out, err), 2);
  EXPECT_NE(err.str().find("broken.yaml:2:1"), std::string::npos) << err.str();
}

TEST_F(ReportsCommands, CompareWithThreeSeedsIsInconclusiveAndSeedsAutoDecides) {
  CompareOptions o = Compare("three");
  o.candidate = o.baseline;
  o.seeds = 3;
  std::ostringstream out, err;
  EXPECT_EQ(RunCompareCommand(o, out, err), kExitInconclusive) << err.str() << out.str();
  EXPECT_NE(out.str().find("verdict: INCONCLUSIVE"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("pairs would decide it"), std::string::npos) << out.str();

  o.out_dir = Path("auto");
  o.auto_seeds = true;
  o.seeds = 6;  // the round
  o.max_seeds = 24;
  std::ostringstream auto_out, auto_err;
  EXPECT_EQ(RunCompareCommand(o, auto_out, auto_err), 0) << auto_err.str() << auto_out.str();
  EXPECT_NE(auto_out.str().find("--seeds auto: looks"), std::string::npos) << auto_out.str();
  nlohmann::json json = nlohmann::json::parse(Read(Path("auto/compare.json")));
  EXPECT_EQ(json["verdict"], "ok");
  EXPECT_FALSE(json["looks"].empty());
  EXPECT_LE(json["seeds"].get<int>(), 24);
}

TEST_F(ReportsCommands, CompareFormatsFiltersAndLabels) {
  Write("half.yaml",
        "bots:\n  - group: linux\n    count: 10\n    labels: [\"os:linux\", \"pool:ci\"]\n    poll_interval: 10s\n");
  CompareOptions o = Compare("fmt");
  o.variant = Path("half.yaml");
  o.format = CompareFormat::kJson;
  o.names = "twenty,ten";
  o.filter.metrics = {"wait_p99_s"};
  o.filter.accounts = {"ci"};
  std::ostringstream out, err;
  EXPECT_EQ(RunCompareCommand(o, out, err), 1) << err.str();
  nlohmann::json json = nlohmann::json::parse(out.str());  // stdout is exactly the JSON
  EXPECT_EQ(json["baseline_name"], "twenty");
  EXPECT_EQ(json["exit_status"], 1);
  for (const auto& row : json["rows"]) {
    bool asked = row["account"] == "ci" && row["metric"] == "wait_p99_s";
    EXPECT_TRUE(asked || row["gate"] != "") << row.dump();
    EXPECT_EQ(row["baseline"]["values"].size(), 8u);
  }

  o.format = CompareFormat::kCsv;
  o.out_dir = Path("fmt-csv");
  std::ostringstream csv_out, csv_err;
  EXPECT_EQ(RunCompareCommand(o, csv_out, csv_err), 1) << csv_err.str();
  StatusOr<runfolder::CsvTable> csv = runfolder::ParseCsv(csv_out.str(), "stdout");
  ASSERT_TRUE(csv.ok()) << csv.status().message();
  EXPECT_EQ(csv->header, CompareFullCsvHeader());

  o.format = CompareFormat::kMarkdown;
  o.out_dir = Path("fmt-md");
  std::ostringstream md_out, md_err;
  EXPECT_EQ(RunCompareCommand(o, md_out, md_err), 1) << md_err.str();
  EXPECT_NE(md_out.str().find("| account | metric | twenty median [min, max] | ten median [min, max] |"),
            std::string::npos)
      << md_out.str();

  o.filter.accounts = {"nobody"};
  o.out_dir = Path("fmt-bad");
  std::ostringstream bad_out, bad_err;
  EXPECT_EQ(RunCompareCommand(o, bad_out, bad_err), 2);
  EXPECT_NE(bad_err.str().find("no account \"nobody\""), std::string::npos) << bad_err.str();
  EXPECT_FALSE(std::filesystem::exists(Path("fmt-bad/baseline")));  // refused before running
}

TEST_F(ReportsCommands, KeptRunsCompareAgainWithSavedAndShowProgress) {
  Write("half.yaml",
        "bots:\n  - group: linux\n    count: 10\n    labels: [\"os:linux\", \"pool:ci\"]\n    poll_interval: 10s\n");
  CompareOptions o = Compare("kept");
  o.variant = Path("half.yaml");
  o.keep_runs = true;
  o.format = CompareFormat::kCsv;
  double now = 0;
  o.progress.wall_seconds = [&now] { return now += 4; };  // 4 s per reading of the clock
  std::ostringstream out, err;
  EXPECT_EQ(RunCompareCommand(o, out, err), 1) << err.str();
  EXPECT_TRUE(std::filesystem::exists(Path("kept/baseline/seed-8/summary.csv")));
  EXPECT_NE(err.str().find("16/16 runs"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("left"), std::string::npos) << err.str();

  CompareOptions saved;
  saved.saved_baseline = Path("kept/baseline");
  saved.saved_candidate = Path("kept/candidate");
  saved.out_dir = Path("again");
  saved.format = CompareFormat::kCsv;
  saved.quiet = true;
  std::ostringstream again, again_err;
  EXPECT_EQ(RunCompareCommand(saved, again, again_err), 1) << again_err.str();
  EXPECT_EQ(again.str(), out.str());  // the same rows, without re-running
  EXPECT_EQ(again_err.str(), "");

  // On a terminal the progress is one line rewritten in place; --quiet
  // silences it.
  CompareOptions live = Compare("live");
  live.candidate = live.baseline;
  live.seeds = 3;
  live.jobs = 1;  // batches of one seed: a line after every 2 runs
  live.progress.wall_seconds = [&now] { return now += 1; };
  live.progress.live = true;
  std::ostringstream live_out, live_err;
  RunCompareCommand(live, live_out, live_err);
  EXPECT_NE(live_err.str().find("\rqsim compare: 2/6 runs"), std::string::npos) << live_err.str();
  EXPECT_NE(live_err.str().find("\rqsim compare: 6/6 runs"), std::string::npos) << live_err.str();
  live.quiet = true;
  live.out_dir = Path("live-quiet");
  std::ostringstream quiet_out, quiet_err;
  RunCompareCommand(live, quiet_out, quiet_err);
  EXPECT_EQ(quiet_err.str(), "");

  // A candidate folder with a seed missing is refused.
  std::filesystem::remove_all(Path("kept/candidate/seed-8"));
  std::ostringstream refused, refused_err;
  EXPECT_EQ(RunCompareCommand(saved, refused, refused_err), 2);
  EXPECT_NE(refused_err.str().find("different seeds"), std::string::npos) << refused_err.str();
}

TEST_F(ReportsCommands, ShardedSweepMergesToTheUnshardedBytes) {
  SweepOptions o;
  o.scenario = kSmoke + "/preemption.yaml";
  o.grid = {"policy.disable_preemption=false,true", "dispatcher.batch_window=1s,5s"};
  o.seeds = 3;
  o.jobs = 2;
  o.runner = app::ChildProcessRunner(kQsim);
  std::ostringstream out, err;
  o.out_dir = Path("full");
  int full_code = RunSweepCommand(o, out, err);
  ASSERT_NE(full_code, 2) << err.str();
  std::vector<std::string> shard_dirs;
  for (int i = 0; i < 3; ++i) {
    o.shard = std::to_string(i) + "/3";
    o.out_dir = Path("shard" + std::to_string(i));
    shard_dirs.push_back(o.out_dir);
    ASSERT_NE(RunSweepCommand(o, out, err), 2) << err.str();
  }
  EXPECT_EQ(RunMergeCommand(shard_dirs, Path("merged"), out, err), full_code) << err.str();
  for (const char* file : {"sweep.csv", "sweep.html", "sweep.meta"}) {
    std::string full = Read(Path("full/") + file);
    EXPECT_FALSE(full.empty());
    EXPECT_TRUE(full == Read(Path("merged/") + file)) << file << " differs";
  }
  // Four points, each with every account x metric row.
  StatusOr<runfolder::CsvTable> csv = runfolder::ReadCsvFile(Path("full/sweep.csv"));
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(csv->rows.front()[0], "0");
  EXPECT_EQ(csv->rows.back()[0], "3");
  EXPECT_EQ(csv->header[1], "policy.disable_preemption");
  // Point 0 is the baseline itself: all deltas are exactly zero.
  for (const auto& row : csv->rows) {
    if (row[0] == "0") {
      EXPECT_EQ(row[csv->Column("delta")], "0") << row[4];
    }
  }
  // Merging an incomplete set is an error.
  EXPECT_EQ(RunMergeCommand({shard_dirs[0], shard_dirs[2]}, Path("partial"), out, err), 2);
  EXPECT_NE(err.str().find("have 2 of 3 shards"), std::string::npos) << err.str();
}

TEST_F(ReportsCommands, CheckPassesOnTheSmokeSet) {
  CheckOptions o;
  o.paths = {kSmoke};
  o.runner = app::ChildProcessRunner(kQsim);
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckCommand(o, out, err), 0) << out.str() << err.str();
  std::string text = out.str();
  EXPECT_EQ(text.find("FAIL "), std::string::npos) << text;
  // The closing line, alone and exact.
  size_t last = text.rfind('\n', text.size() - 2);
  std::string closing = text.substr(last + 1);
  EXPECT_NE(closing.find(" passed, 0 failed\n"), std::string::npos) << closing;
}

TEST_F(ReportsCommands, CheckFailsWhenAnExpectationIsNotMet) {
  std::string base = Read(kSmoke + "/quickstart.yaml");
  size_t cut = base.find("expect:");
  ASSERT_NE(cut, std::string::npos);
  Write("strict.yaml", base.substr(0, cut) +
                           "expect:\n  - {metric: lost, equals: 0}\n  - {metric: completed, account: ci, max: 10}\n");
  CheckOptions o;
  o.paths = {Path("strict.yaml")};
  o.runner = app::ChildProcessRunner(kQsim);
  o.out_dir = Path("runs");
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckCommand(o, out, err), 1);
  EXPECT_NE(out.str().find("PASS " + Path("strict.yaml")), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("FAIL " + Path("strict.yaml")), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("completed[ci]"), std::string::npos);
  EXPECT_NE(out.str().find("\n1 passed, 1 failed\n"), std::string::npos) << out.str();
}

TEST_F(ReportsCommands, CheckRejectsInvalidExpectationsWithTheirPosition) {
  Write("bad.yaml", "name: x\nexpect:\n  - {metric: lost, equals: 0}\n  - {metric: lots, max: 1}\n");
  CheckOptions o;
  o.paths = {Path("bad.yaml")};
  o.runner = app::ChildProcessRunner(kQsim);
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckCommand(o, out, err), 2);
  EXPECT_NE(err.str().find(Path("bad.yaml") + ":4:14: expect[1].metric: unknown metric \"lots\""),
            std::string::npos)
      << err.str();
  EXPECT_EQ(out.str(), "");
}

TEST_F(ReportsCommands, CheckReportsAFailedRun) {
  // Valid expectations, but the scenario itself does not load.
  Write("norun.yaml", "name: x\nbots: 3\nexpect:\n  - {metric: lost, equals: 0}\n");
  CheckOptions o;
  o.paths = {Path("norun.yaml")};
  o.runner = app::ChildProcessRunner(kQsim);
  o.out_dir = Path("runs");
  std::ostringstream out, err;
  // The run's own status (2: its scenario is bad input) is check's status.
  EXPECT_EQ(RunCheckCommand(o, out, err), 2);
  EXPECT_NE(out.str().find("actual run failed (exit 2"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("0 passed, 1 failed"), std::string::npos);
}

// A runner that runs nothing and reports every run as exited with `code`.
SimRunner FailingRunner(int code, const std::string& log_dir) {
  return [code, log_dir](const std::vector<SimRun>& runs, int) {
    std::vector<SimRunResult> results;
    for (size_t i = 0; i < runs.size(); ++i) {
      std::string log = log_dir + "/fake-" + std::to_string(i) + ".log";
      EXPECT_TRUE(runfolder::WriteTextFile(log, "fake run failed\n").ok());
      results.push_back({code, log});
    }
    return results;
  };
}

TEST_F(ReportsCommands, ARunThatCannotStartIsAnEnvironmentFailure) {
  CompareOptions o = Compare("cmp");
  o.variant = kSmoke + "/quickstart.yaml";
  o.runner = FailingRunner(-1, dir_);
  std::ostringstream out, err;
  EXPECT_EQ(RunCompareCommand(o, out, err), 3) << err.str();
  EXPECT_NE(err.str().find("failed (exit -1)"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("fake run failed"), std::string::npos) << err.str();

  CheckOptions c;
  c.paths = {kSmoke + "/quickstart.yaml"};
  c.out_dir = Path("check");
  c.runner = FailingRunner(-1, dir_);
  std::ostringstream cout_, cerr_;
  EXPECT_EQ(RunCheckCommand(c, cout_, cerr_), 3) << cerr_.str();
  EXPECT_NE(cout_.str().find("FAIL "), std::string::npos);
}

TEST_F(ReportsCommands, ARunRejectingItsScenarioIsBadInput) {
  CompareOptions o = Compare("cmp");
  o.variant = kSmoke + "/quickstart.yaml";
  o.runner = FailingRunner(2, dir_);
  std::ostringstream out, err;
  EXPECT_EQ(RunCompareCommand(o, out, err), 2) << err.str();
}

TEST_F(ReportsCommands, AnUnwritableOutputFolderIsAnEnvironmentFailure) {
  Write("file", "not a folder");
  CompareOptions o = Compare("file/cmp");
  o.variant = kSmoke + "/quickstart.yaml";
  std::ostringstream out, err;
  EXPECT_EQ(RunCompareCommand(o, out, err), 3) << err.str();
  EXPECT_NE(err.str().find(Path("file/cmp")), std::string::npos) << err.str();
}

}  // namespace
}  // namespace qsim::reports
