// compare, sweep/merge and check end to end, against the real simulator
// (the application's runner starts the qsim binary built from this tree for
// each scenario), and with fake runners for the failure paths.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/child_runner.h"
#include "reports/check.h"
#include "reports/compare.h"
#include "reports/report.h"
#include "reports/runner.h"
#include "reports/sweep.h"
#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "tests/testing/test_util.h"

namespace qsim::reports {
namespace {

const std::string kQsim = QSIM_BINARY;
const std::string kSmoke = testing::SourceDir() + "/scenarios/smoke";

class ReportsCommands : public ::testing::Test {
 protected:
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

  testing::ScopedTempDir temp_{"qsim-commands"};
  std::string dir_ = temp_.path();
};

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

TEST_F(ReportsCommands, ReportReadsARealRunFolder) {
  std::vector<SimRunResult> results =
      app::ChildProcessRunner(kQsim)({{kSmoke + "/preemption.yaml", std::nullopt, Path("run")}}, 1);
  ASSERT_EQ(results[0].exit_code, 0) << LogTail(results[0].log_path);
  EXPECT_FALSE(std::filesystem::exists(Path("run/report.html")));  // --no-report
  StatusOr<std::string> page = BuildRunReport(Path("run"));
  ASSERT_TRUE(page.ok()) << page.status().message();
  for (const char* id : {"queued", "running", "bots", "balance-0", "wait-cdf", "preemptions"}) {
    EXPECT_NE(page->find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  // batch has no charge rate: no balance chart, a line saying why.
  EXPECT_EQ(page->find("id=\"balance-1\""), std::string::npos);
  EXPECT_NE(page->find("Account batch has no balance at any paid level"), std::string::npos);
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

// The files a finished sweep (or merge) writes; all must match byte for byte.
const char* const kSweepFiles[] = {"sweep.csv", "sweep.json", "sweep.html", "sweep.meta", "summaries.csv",
                                   "sweep.gates.yaml"};

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
  EXPECT_FALSE(std::filesystem::exists(Path("full/runs")));  // lean: the run folders are gone
  std::vector<std::string> shard_dirs;
  for (int i = 0; i < 3; ++i) {
    o.shard = std::to_string(i) + "/3";
    o.out_dir = Path("shard" + std::to_string(i));
    shard_dirs.push_back(o.out_dir);
    // A shard cannot judge (the baseline is spread over the shards): it exits 0.
    ASSERT_EQ(RunSweepCommand(o, out, err), 0) << err.str();
    EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/sweep.csv"));
  }
  EXPECT_EQ(RunMergeCommand(shard_dirs, Path("merged"), out, err), full_code) << err.str();
  for (const char* file : kSweepFiles) {
    std::string full = Read(Path("full/") + file);
    EXPECT_FALSE(full.empty()) << file;
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
  // The page has a heatmap per metric and line charts against each key.
  std::string html = Read(Path("full/sweep.html"));
  EXPECT_NE(html.find("id=\"sweep-0\""), std::string::npos);
  EXPECT_NE(html.find("id=\"sweep-line-0\""), std::string::npos);
  EXPECT_NE(html.find("against dispatcher.batch_window"), std::string::npos);
  // Merging an incomplete set is an error.
  EXPECT_EQ(RunMergeCommand({shard_dirs[0], shard_dirs[2]}, Path("partial"), out, err), 2);
  EXPECT_NE(err.str().find("have 2 of 3 shards; missing shard 1/3"), std::string::npos) << err.str();
}

// A fake simulator for sweeps: writes a summary.csv whose wait times grow by
// the scenario's `slowdown` key (default 0) plus a little per seed, and keeps
// a log of every run it was asked for.
struct FakeSweepRunner {
  std::shared_ptr<std::vector<SimRun>> log = std::make_shared<std::vector<SimRun>>();

  SimRunner Runner() const {
    return [log = log](const std::vector<SimRun>& runs, int) {
      std::vector<SimRunResult> results;
      for (const SimRun& run : runs) {
        log->push_back(run);
        StatusOr<std::string> text = runfolder::ReadTextFile(run.scenario_path);
        double slowdown = 0;
        size_t at = text.ok() ? text->find("slowdown: ") : std::string::npos;
        if (at != std::string::npos) slowdown = std::stod(text->substr(at + 10));
        double seed = static_cast<double>(run.seed.value_or(1));
        std::string header, ci, fleet;
        for (size_t c = 0; c < runfolder::kSummaryColumns.size(); ++c) {
          std::string column(runfolder::kSummaryColumns[c]);
          header += (c ? "," : "") + column;
          std::string value = "0";
          if (column.rfind("wait_", 0) == 0) value = runfolder::FormatNumber(10 + slowdown + seed * 0.37);
          if (column == "utilisation") value = "0.5";
          ci += (c ? "," : "") + (c == 0 ? std::string("ci") : value);
          fleet += (c ? "," : "") + (c == 0 ? std::string("*") : value);
        }
        EXPECT_TRUE(runfolder::MakeDirectories(run.out_dir).ok());
        EXPECT_TRUE(runfolder::WriteTextFile(run.out_dir + "/summary.csv", header + "\n" + ci + "\n" + fleet + "\n").ok());
        EXPECT_TRUE(runfolder::WriteTextFile(run.out_dir + "/tasks.csv", "task\n").ok());
        EXPECT_TRUE(runfolder::WriteTextFile(run.out_dir + ".log", "fake run\n").ok());
        results.push_back({0, run.out_dir + ".log"});
      }
      return results;
    };
  }
};

class SweepWithFakeRuns : public ReportsCommands {
 protected:
  SweepOptions Sweep(const std::string& out) {
    Write("base.yaml", "name: fake\nslowdown: 0\n");
    SweepOptions o;
    o.scenario = Path("base.yaml");
    o.grid = {"slowdown=0,50", "flavour=a,b"};
    o.seeds = 10;
    o.jobs = 3;
    o.out_dir = Path(out);
    o.runner = fake_.Runner();
    return o;
  }
  FakeSweepRunner fake_;
};

TEST_F(SweepWithFakeRuns, PrintsATableAndNamesTheFailingPointsAndMetrics) {
  SweepOptions o = Sweep("sweep");
  std::ostringstream out, err;
  ASSERT_EQ(RunSweepCommand(o, out, err), 1) << err.str() << out.str();
  std::string text = out.str();
  EXPECT_NE(text.find("point  slowdown  flavour  account  metric"), std::string::npos) << text;
  EXPECT_NE(text.find("verdict: 2 of 4 points regressed"), std::string::npos) << text;
  EXPECT_NE(text.find("REGRESSION point 2 (slowdown=50, flavour=a): wait_p50_s[*], wait_p90_s[*], wait_p99_s[*], "
                      "wait_mean_s[*]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("REGRESSION point 3 (slowdown=50, flavour=b)"), std::string::npos) << text;
  EXPECT_EQ(text.find("REGRESSION point 0"), std::string::npos) << text;
  EXPECT_EQ(text.find("REGRESSION point 1"), std::string::npos) << text;
  // A table row: the point, its values, the medians, the change, its significance and effect.
  EXPECT_NE(text.find("2      50        a        *        wait_p99_s"), std::string::npos) << text;
  EXPECT_NE(text.find("*    worse   REGRESSION"), std::string::npos) << text;
  EXPECT_NE(err.str().find("qsim sweep: regression at point 2 (slowdown=50, flavour=a): wait_p50_s[*]"),
            std::string::npos)
      << err.str();
  std::string json = Read(Path("sweep/sweep.json"));
  EXPECT_NE(json.find("\"regression\": true"), std::string::npos);
  EXPECT_NE(json.find("\"failing_points\": [2, 3]"), std::string::npos) << json.substr(0, 400);
  EXPECT_NE(json.find("{\"point\": 2, \"values\": {\"slowdown\": \"50\", \"flavour\": \"a\"}, \"regression\": true"),
            std::string::npos);
  EXPECT_NE(json.find("\"effect\": \"worse\""), std::string::npos);
  // The heatmap colours: gated regressions dark, unchanged points neutral.
  std::string html = Read(Path("sweep/sweep.html"));
  EXPECT_NE(html.find("fill=\"#b2182b\""), std::string::npos);
  EXPECT_NE(html.find("fill=\"#f7f7f7\""), std::string::npos);
  EXPECT_NE(html.find("not significant</text>"), std::string::npos);  // the legend, not a colour scale
  // Each metric against each key, with intervals (10 seeds have them), one
  // line per value of the other key, the grid values as x ticks.
  EXPECT_NE(html.find("wait_p99_s [*] against slowdown"), std::string::npos);
  EXPECT_NE(html.find("wait_p99_s [ci] against flavour"), std::string::npos);
  EXPECT_NE(html.find("<path class=\"interval\""), std::string::npos);
  EXPECT_NE(html.find(">flavour=a</text>"), std::string::npos);
  EXPECT_NE(html.find("text-anchor=\"middle\">50</text>"), std::string::npos);
}

TEST_F(SweepWithFakeRuns, NoRegressionExitsZeroAndSaysSo) {
  SweepOptions o = Sweep("sweep");
  o.grid = {"flavour=a,b,c"};
  std::ostringstream out, err;
  ASSERT_EQ(RunSweepCommand(o, out, err), 0) << err.str() << out.str();
  EXPECT_NE(out.str().find("verdict: no regression at any of the 3 points"), std::string::npos) << out.str();
  EXPECT_NE(Read(Path("sweep/sweep.json")).find("\"failing_points\": []"), std::string::npos);
}

TEST_F(SweepWithFakeRuns, TheBaselineRunsOnceAcrossShards) {
  SweepOptions o = Sweep("full");
  std::ostringstream out, err;
  int full = RunSweepCommand(o, out, err);
  ASSERT_EQ(full, 1) << err.str();
  const size_t runs_per_sweep = (4 + 1) * 10;
  ASSERT_EQ(fake_.log->size(), runs_per_sweep);
  fake_.log->clear();
  std::vector<std::string> dirs;
  for (int i = 0; i < 4; ++i) {
    o.shard = std::to_string(i) + "/4";
    o.out_dir = Path("shard-" + std::to_string(i));
    dirs.push_back(o.out_dir);
    ASSERT_EQ(RunSweepCommand(o, out, err), 0) << err.str();
  }
  // Each run once over all shards; the baseline's seeds among them once each.
  EXPECT_EQ(fake_.log->size(), runs_per_sweep);
  std::set<std::pair<std::string, uint64_t>> distinct;
  size_t baseline_runs = 0;
  for (const SimRun& run : *fake_.log) {
    distinct.insert({run.scenario_path, *run.seed});
    if (run.scenario_path == o.scenario) ++baseline_runs;
    EXPECT_EQ(run.outputs, "tasks,summary");
    EXPECT_FALSE(std::filesystem::exists(run.out_dir)) << run.out_dir;  // read, then removed
  }
  EXPECT_EQ(baseline_runs, 10u);
  EXPECT_EQ(distinct.size(), runs_per_sweep);
  std::ostringstream merge_out, merge_err;
  ASSERT_EQ(RunMergeCommand({dirs[3], dirs[1], dirs[0], dirs[2]}, Path("merged"), merge_out, merge_err), 1);
  EXPECT_NE(merge_out.str().find("verdict: 2 of 4 points regressed"), std::string::npos) << merge_out.str();
  EXPECT_NE(merge_err.str().find("qsim merge: regression at point 2"), std::string::npos) << merge_err.str();
  for (const char* file : kSweepFiles) {
    EXPECT_TRUE(Read(Path("full/") + file) == Read(Path("merged/") + file)) << file << " differs";
  }
}

TEST_F(SweepWithFakeRuns, KeepRunsKeepsEveryRunWithAllOutputs) {
  SweepOptions o = Sweep("sweep");
  o.grid = {"flavour=a"};
  o.seeds = 2;
  o.keep_runs = true;
  std::ostringstream out, err;
  // Two seeds cannot decide the default gates: not a pass, but every run is kept.
  ASSERT_EQ(RunSweepCommand(o, out, err), kExitInconclusive) << err.str();
  EXPECT_NE(err.str().find("gate undecided (INCONCLUSIVE; more seeds would decide it) at point 0"), std::string::npos)
      << err.str();
  ASSERT_EQ(fake_.log->size(), 4u);
  for (const SimRun& run : *fake_.log) {
    EXPECT_EQ(run.outputs, "");  // the scenario's own selection
    EXPECT_TRUE(std::filesystem::exists(run.out_dir + "/summary.csv")) << run.out_dir;
  }
  EXPECT_TRUE(std::filesystem::exists(Path("sweep/runs/point-0.yaml")));
}

TEST_F(SweepWithFakeRuns, MergeRefusesOverlappingInconsistentAndUnfinishedShards) {
  SweepOptions o = Sweep("s");
  o.seeds = 2;
  std::ostringstream out, err;
  for (int i = 0; i < 2; ++i) {
    o.shard = std::to_string(i) + "/2";
    o.out_dir = Path("s" + std::to_string(i));
    ASSERT_EQ(RunSweepCommand(o, out, err), 0) << err.str();
  }
  o.shard = "1/3";
  o.out_dir = Path("t1");
  ASSERT_EQ(RunSweepCommand(o, out, err), 0);
  o.shard = "1/2";
  o.seeds = 3;
  o.out_dir = Path("u1");
  ASSERT_EQ(RunSweepCommand(o, out, err), 0);

  auto merge = [&](const std::vector<std::string>& dirs) {
    err.str("");
    return RunMergeCommand(dirs, Path("m"), out, err);
  };
  EXPECT_EQ(merge({Path("s0"), Path("s0")}), 2);
  EXPECT_NE(err.str().find("shard 0/2 given twice"), std::string::npos) << err.str();
  EXPECT_EQ(merge({Path("s0"), Path("t1")}), 2);
  EXPECT_NE(err.str().find("the shard counts differ"), std::string::npos) << err.str();
  EXPECT_EQ(merge({Path("s0"), Path("u1")}), 2);
  EXPECT_NE(err.str().find(Path("u1") + ": its sweep.meta describes a different sweep than " + Path("s0")),
            std::string::npos)
      << err.str();
  EXPECT_EQ(merge({Path("s0"), Path("nowhere")}), 2);
  EXPECT_NE(err.str().find(Path("nowhere") + ": no such folder"), std::string::npos) << err.str();

  // A run held by two shards.
  std::string s0 = Read(Path("s0/summaries.csv"));
  std::string first_run = s0.substr(s0.find('\n') + 1);
  first_run = first_run.substr(0, first_run.find('\n') + 1);
  Write("s1/summaries.csv", Read(Path("s1/summaries.csv")) + first_run);
  EXPECT_EQ(merge({Path("s0"), Path("s1")}), 2);
  EXPECT_NE(err.str().find("both hold point baseline seed 1: overlapping shards"), std::string::npos) << err.str();

  // A shard that did not finish has no sweep.meta, its completion marker.
  std::filesystem::remove(Path("s1/sweep.meta"));
  EXPECT_EQ(merge({Path("s0"), Path("s1")}), 2);
  EXPECT_NE(err.str().find(Path("s1") + ": has no sweep.meta: the sweep (shard) that writes it did not finish"),
            std::string::npos)
      << err.str();
}

TEST_F(SweepWithFakeRuns, BadOptionsAreBadInputNamingTheFlag) {
  struct Case {
    void (*change)(SweepOptions&);
    const char* message;
  };
  const Case cases[] = {
      {[](SweepOptions& o) { o.shard = "2/2"; }, "--shard \"2/2\": expected I/N with 0 <= I < N"},
      {[](SweepOptions& o) { o.grid = {"slowdown"}; }, "--grid \"slowdown\": expected KEY=V1,V2,..."},
      {[](SweepOptions& o) { o.grid = {"a=1", "a=2"}; }, "--grid key \"a\" given twice"},
      {[](SweepOptions& o) { o.seeds = 0; }, "--seeds must be between 1 and 10000, got 0"},
      {[](SweepOptions& o) { o.first_seed = (uint64_t{1} << 63) - 1; }, "goes past the largest seed, 2^63-1"},
      {[](SweepOptions& o) { o.jobs = 0; }, "--jobs must be >= 1, got 0"},
      {[](SweepOptions& o) { o.alpha = 1.5; }, "--alpha must be between 0 and 1"},
      {[](SweepOptions& o) { o.gates = "/nonexistent/gates.yaml"; }, "/nonexistent/gates.yaml"},
  };
  for (const Case& c : cases) {
    SweepOptions o = Sweep("bad");
    c.change(o);
    std::ostringstream out, err;
    EXPECT_EQ(RunSweepCommand(o, out, err), 2) << c.message;
    EXPECT_NE(err.str().find(c.message), std::string::npos) << err.str();
  }
  EXPECT_TRUE(fake_.log->empty());
}

TEST_F(SweepWithFakeRuns, ProgressCountsRunsOnTheInjectedClock) {
  SweepOptions o = Sweep("sweep");
  o.grid = {"flavour=a"};
  o.seeds = 6;
  o.jobs = 1;  // batches of 2: 6 batches
  auto now = std::make_shared<double>(0);
  o.progress.wall_seconds = [now] { return *now += 4; };  // each reading is 4 s later
  std::ostringstream out, err;
  ASSERT_EQ(RunSweepCommand(o, out, err), 0) << err.str();
  std::string e = err.str();
  EXPECT_NE(e.find("sweep: 0/12 runs (0%), 4s elapsed\n"), std::string::npos) << e;
  // A line at the start, then at most one per 10 s, then the closing line.
  EXPECT_NE(e.find("sweep: 6/12 runs (50%), 16s elapsed, about 16s left\n"), std::string::npos) << e;
  EXPECT_NE(e.find("sweep: 12/12 runs (100%), 32s elapsed\n"), std::string::npos) << e;
  EXPECT_EQ(e.find("sweep: 2/12"), std::string::npos) << e;
  EXPECT_EQ(e.find("sweep: 4/12"), std::string::npos) << e;
  EXPECT_EQ(e.find("sweep: 12/12 runs (100%), 28s"), std::string::npos) << e;
  // Silent by default.
  o.progress = {};
  std::ostringstream quiet_err;
  ASSERT_EQ(RunSweepCommand(o, out, quiet_err), 0);
  EXPECT_EQ(quiet_err.str().find(" runs ("), std::string::npos) << quiet_err.str();
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

TEST_F(ReportsCommands, CheckWritesJunitWithTheFailuresNamed) {
  std::string base = Read(kSmoke + "/quickstart.yaml");
  Write("strict.yaml", base.substr(0, base.find("expect:")) +
                           "expect:\n  - {metric: lost, equals: 0}\n  - {metric: completed, account: ci, max: 10}\n");
  Write("norun.yaml", "name: x\nbots: 3\nexpect:\n  - {metric: lost, equals: 0}\n");
  CheckOptions o;
  o.paths = {Path("strict.yaml"), Path("norun.yaml")};
  o.runner = app::ChildProcessRunner(kQsim);
  o.out_dir = Path("runs");
  o.junit = Path("junit.xml");
  std::ostringstream out, err;
  EXPECT_EQ(RunCheckCommand(o, out, err), 2);  // the failed run's own status
  boost::property_tree::ptree xml;
  std::istringstream text(Read(Path("junit.xml")));
  ASSERT_NO_THROW(boost::property_tree::read_xml(text, xml)) << text.str();
  const auto& suites = xml.get_child("testsuites");
  EXPECT_EQ(suites.get<int>("<xmlattr>.tests"), 3);
  EXPECT_EQ(suites.get<int>("<xmlattr>.failures"), 1);
  EXPECT_EQ(suites.get<int>("<xmlattr>.errors"), 1);
  std::vector<std::string> names, failures, errors;
  for (const auto& [tag, suite] : suites) {
    if (tag != "testsuite") continue;
    for (const auto& [case_tag, testcase] : suite) {
      if (case_tag != "testcase") continue;
      std::string name = testcase.get<std::string>("<xmlattr>.classname") + " " +
                         testcase.get<std::string>("<xmlattr>.name");
      names.push_back(name);
      if (testcase.count("failure")) failures.push_back(name + ": " + testcase.get<std::string>("failure.<xmlattr>.message"));
      if (testcase.count("error")) errors.push_back(name);
    }
  }
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], Path("strict") + " lost[*] == 0");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].rfind(Path("strict") + " completed[ci] <= 10: expected <= 10, actual ", 0), 0u) << failures[0];
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], Path("norun") + " lost[*] == 0");
  // The failing scenarios' runs are kept for a look.
  EXPECT_TRUE(std::filesystem::exists(Path("runs/0-strict/summary.csv")));
}

TEST_F(ReportsCommands, CheckKeepsRunsOnlyWhenAsked) {
  CheckOptions o;
  o.paths = {kSmoke + "/quickstart.yaml"};
  o.runner = app::ChildProcessRunner(kQsim);
  o.out_dir = Path("lean");
  std::ostringstream out, err;
  ASSERT_EQ(RunCheckCommand(o, out, err), 0) << err.str();
  EXPECT_FALSE(std::filesystem::exists(Path("lean/0-quickstart")));  // passed: removed
  o.out_dir = Path("kept");
  o.keep_runs = true;
  ASSERT_EQ(RunCheckCommand(o, out, err), 0) << err.str();
  EXPECT_TRUE(std::filesystem::exists(Path("kept/0-quickstart/summary.csv")));
  EXPECT_TRUE(std::filesystem::exists(Path("kept/0-quickstart/events.csv")));  // the scenario's full selection
  EXPECT_NE(err.str().find("qsim check: the runs are in " + Path("kept")), std::string::npos) << err.str();
}

TEST_F(ReportsCommands, CheckRejectsBadOptionsNamingThem) {
  CheckOptions o;
  o.paths = {kSmoke + "/quickstart.yaml"};
  o.runner = FailingRunner(0, dir_);
  std::ostringstream out, err;
  o.junit = Path("no/such/folder/junit.xml");
  EXPECT_EQ(RunCheckCommand(o, out, err), 2);
  EXPECT_NE(err.str().find("--junit " + Path("no/such/folder/junit.xml") + ": no folder"), std::string::npos)
      << err.str();
  o.junit = "";
  o.jobs = 0;
  EXPECT_EQ(RunCheckCommand(o, out, err), 2);
  EXPECT_NE(err.str().find("--jobs must be >= 1, got 0"), std::string::npos) << err.str();
  o.jobs = 1;
  o.paths = {Path("missing.yaml")};
  EXPECT_EQ(RunCheckCommand(o, out, err), 2);
  EXPECT_NE(err.str().find(Path("missing.yaml") + ": no such file or folder"), std::string::npos) << err.str();
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
