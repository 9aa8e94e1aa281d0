// run.json and the run-folder checks: round trips, what a rerun clears and
// refuses, what readers flag, and whole-or-nothing writes with the OS's reason.
#include "runfolder/manifest.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "tests/testing/test_util.h"

namespace qsim::runfolder {
namespace {

namespace fs = std::filesystem;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void Write(const std::string& dir, std::string_view name, const std::string& text) {
  ASSERT_TRUE(WriteTextFile(dir + "/" + std::string(name), text).ok());
}

// A complete little run: one account, two tasks, warm-up 1 s (so one task
// is measured), with run.json listing its files.
RunManifest WriteSmallRun(const std::string& dir, int64_t summary_tasks = 1) {
  Write(dir, kTasksFile,
        "task,account,base_labels,provisionable_labels,enqueue_s,first_assigned_s,start_s,end_s,outcome,wait_s,"
        "times_preempted,times_unassigned,provision_needed,start_priority\n"
        "t00000000,a,,,0.500000,,,,unfinished,,0,0,0,\n"
        "t00000001,a,\"x;y\",,1.000000,,,,unfinished,,0,0,0,\n");
  std::string summary = "account,tasks\na," + std::to_string(summary_tasks) + "\n*," +
                        std::to_string(summary_tasks) + "\n";
  Write(dir, kSummaryFile, summary);
  Write(dir, kResolvedScenarioFile, "name: x\nseed: 1\n");
  RunManifest m;
  m.status = RunStatus::kComplete;
  m.warmup_us = 1000000;
  m.files = {std::string(kResolvedScenarioFile), std::string(kSummaryFile), std::string(kTasksFile)};
  EXPECT_TRUE(WriteManifest(dir, m).ok());
  return m;
}

std::string Problems(const std::string& dir) {
  Status s = RequireCompleteRunFolder(dir);
  return s.ok() ? "" : s.message();
}

TEST(RunManifest, RoundTripsThroughJson) {
  RunManifest m;
  m.status = RunStatus::kComplete;
  m.qsim_version = "a51f559-dirty";
  m.scenario_hash = ScenarioHash("name: x\n");
  m.seed = 18446744073709551615ull;
  m.warmup_us = 900000000;
  m.command_line = {"qsim", "run", "odd \"name\"\\with\ttab\nand line", "--out", "r"};
  m.wall_seconds = 1.25;
  m.files = {"summary.csv", "tasks.csv"};
  StatusOr<RunManifest> back = ParseManifest(ManifestJson(m), "run.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->status, m.status);
  EXPECT_EQ(back->qsim_version, m.qsim_version);
  EXPECT_EQ(back->scenario_hash, m.scenario_hash);
  EXPECT_EQ(back->seed, m.seed);
  EXPECT_EQ(back->warmup_us, m.warmup_us);
  EXPECT_EQ(back->command_line, m.command_line);
  EXPECT_DOUBLE_EQ(back->wall_seconds, m.wall_seconds);
  EXPECT_EQ(back->files, m.files);
}

TEST(RunManifest, MalformedJsonIsAnErrorNamingTheFileAndLine) {
  StatusOr<RunManifest> m = ParseManifest("{\n  \"status\": \"complete\",\n  \"files\": [\"a\"\n", "d/run.json");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.status().message(), "d/run.json:")) << m.status().message();
  m = ParseManifest("{\"status\": \"done\", \"files\": [], \"warmup_us\": 0}", "run.json");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.status().message(), "complete or incomplete")) << m.status().message();
}

TEST(RunManifest, ScenarioHashIgnoresOnlyTheSeedLine) {
  EXPECT_EQ(ScenarioHash("name: x\nseed: 1\nduration: 1h\n"), ScenarioHash("name: x\nseed: 99\nduration: 1h\n"));
  EXPECT_NE(ScenarioHash("name: x\nseed: 1\nduration: 1h\n"), ScenarioHash("name: x\nseed: 1\nduration: 2h\n"));
  EXPECT_EQ(ScenarioHash("").size(), std::string("fnv1a64:").size() + 16);
}

TEST(RunFolderCheck, CompleteFolderPasses) {
  testing::ScopedTempDir temp("complete");
  std::string dir = temp.path();
  WriteSmallRun(dir);
  EXPECT_EQ(Problems(dir), "");
  Write(dir, kReportFile, "<html></html>");  // qsim report's page is allowed
  EXPECT_EQ(Problems(dir), "");
}

TEST(RunFolderCheck, IncompleteRunIsRefused) {
  testing::ScopedTempDir temp("incomplete");
  std::string dir = temp.path();
  RunManifest m = WriteSmallRun(dir);
  m.status = RunStatus::kIncomplete;
  ASSERT_TRUE(WriteManifest(dir, m).ok());
  Status s = RequireCompleteRunFolder(dir);
  EXPECT_EQ(ExitStatusFor(s.code()), 2);
  EXPECT_TRUE(Contains(s.message(), dir + ": not a complete run folder")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "incomplete")) << s.message();
}

TEST(RunFolderCheck, MixedFolderNamesTheStrayAndMissingFiles) {
  testing::ScopedTempDir temp("mixed");
  std::string dir = temp.path();
  WriteSmallRun(dir);
  Write(dir, kEventsFile, "time_s\n");           // an older run's
  Write(dir, "tasks.csv.part", "t00000000,a");   // a write cut short
  fs::remove(dir + "/" + std::string(kResolvedScenarioFile));
  std::string problems = Problems(dir);
  EXPECT_TRUE(Contains(problems, "events.csv is not a file of this run")) << problems;
  EXPECT_TRUE(Contains(problems, "tasks.csv.part is a file cut short")) << problems;
  EXPECT_TRUE(Contains(problems, "scenario.resolved.yaml is listed in run.json but missing")) << problems;
}

TEST(RunFolderCheck, TaskRowsDisagreeingWithTheSummaryAreFlagged) {
  testing::ScopedTempDir temp("mismatch");
  std::string dir = temp.path();
  WriteSmallRun(dir, /*summary_tasks=*/2);
  std::string problems = Problems(dir);
  EXPECT_TRUE(Contains(problems, "has 1 tasks enqueued after the warm-up (2 rows)")) << problems;
  EXPECT_TRUE(Contains(problems, "counts 2 for `*`")) << problems;
}

TEST(RunFolderCheck, FolderWithoutRunJsonIsAcceptedWithAWarning) {
  testing::ScopedTempDir temp("old-format");
  std::string dir = temp.path();
  WriteSmallRun(dir);
  fs::remove(dir + "/run.json");
  std::string warning;
  EXPECT_TRUE(RequireCompleteRunFolder(dir, &warning).ok());
  EXPECT_TRUE(Contains(warning, "no run.json")) << warning;
  EXPECT_EQ(OldFormatWarning(dir), warning);
}

TEST(PrepareRunFolder, ClearsAnEarlierRunsFilesRunJsonLast) {
  testing::ScopedTempDir temp("rerun");
  std::string dir = temp.path();
  WriteSmallRun(dir);
  Write(dir, kEventsFile, "time_s\n");
  Write(dir, kReportFile, "<html></html>");
  Write(dir, "timeseries.csv.part", "cut");
  ASSERT_TRUE(PrepareRunFolder(dir).ok());
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(PrepareRunFolder, ClearsWhatTheEarlierRunJsonListed) {
  testing::ScopedTempDir temp("listed");
  std::string dir = temp.path();
  RunManifest m = WriteSmallRun(dir);
  m.files.push_back("future-output.csv");  // a later qsim's file
  ASSERT_TRUE(WriteManifest(dir, m).ok());
  Write(dir, "future-output.csv", "x\n");
  ASSERT_TRUE(PrepareRunFolder(dir).ok());
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(PrepareRunFolder, RefusesAFolderHoldingOtherFilesAndDeletesNothing) {
  testing::ScopedTempDir temp("foreign");
  std::string dir = temp.path();
  WriteSmallRun(dir);
  Write(dir, "notes.txt", "mine");
  Status s = PrepareRunFolder(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ExitStatusFor(s.code()), 2);
  EXPECT_TRUE(Contains(s.message(), "notes.txt")) << s.message();
  EXPECT_TRUE(fs::exists(dir + "/notes.txt"));
  EXPECT_TRUE(fs::exists(dir + "/tasks.csv"));
}

TEST(PrepareRunFolder, CreatesAMissingFolder) {
  testing::ScopedTempDir temp("parent");
  std::string dir = temp.path() + "/a/b";
  ASSERT_TRUE(PrepareRunFolder(dir).ok());
  EXPECT_TRUE(fs::is_directory(dir));
}

TEST(OutputNotAnInput, SameFolderSpelledDifferentlyIsRefused) {
  testing::ScopedTempDir temp("shards");
  std::string dir = temp.path();
  fs::create_directories(dir + "/s0");
  fs::create_directories(dir + "/s1");
  EXPECT_TRUE(RequireOutputNotAnInput(dir + "/merged", {dir + "/s0", dir + "/s1"}).ok());
  Status s = RequireOutputNotAnInput(dir + "/s1/../s0/", {dir + "/s0", dir + "/s1"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ExitStatusFor(s.code()), 2);
  fs::create_directory_symlink(dir + "/s1", dir + "/link");
  EXPECT_FALSE(RequireOutputNotAnInput(dir + "/link", {dir + "/s0", dir + "/s1"}).ok());
}

TEST(WholeFileWrites, FullDiskNamesThePathAndTheReason) {
  Status s = WriteTextFile("/dev/full", std::string(100000, 'x'));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ExitStatusFor(s.code()), 3);
  EXPECT_TRUE(Contains(s.message(), "/dev/full: write failed: No space left on device")) << s.message();
  StatusOr<std::unique_ptr<CsvWriter>> w = CsvWriter::Open("/dev/full");
  ASSERT_TRUE(w.ok()) << w.status().message();
  (*w)->Field("a").EndRow();
  s = (*w)->Close();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.message(), "/dev/full: write failed: No space left on device")) << s.message();
}

TEST(WholeFileWrites, PathUnderARegularFileNamesThePathAndTheReason) {
  testing::ScopedTempDir temp("under-file");
  std::string dir = temp.path();
  Write(dir, "file", "x");
  Status s = WriteTextFile(dir + "/file/out.csv", "a\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ExitStatusFor(s.code()), 3);
  EXPECT_TRUE(Contains(s.message(), dir + "/file/out.csv")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "Not a directory")) << s.message();
  s = MakeWritableFolder(dir + "/file/sub");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ExitStatusFor(s.code()), 3);
  EXPECT_TRUE(Contains(s.message(), "Not a directory")) << s.message();
}

TEST(WholeFileWrites, AnAbandonedCsvWriterLeavesNoFile) {
  testing::ScopedTempDir temp("abandoned");
  std::string dir = temp.path();
  {
    StatusOr<std::unique_ptr<CsvWriter>> w = CsvWriter::Open(dir + "/t.csv");
    ASSERT_TRUE(w.ok());
    (*w)->Field("a").EndRow();
    EXPECT_TRUE(fs::exists(dir + "/t.csv.part"));
    EXPECT_FALSE(fs::exists(dir + "/t.csv"));
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(WholeFileWrites, ReplacesTheOldFileOnlyWhenTheNewOneIsWhole) {
  testing::ScopedTempDir temp("replace");
  std::string dir = temp.path();
  Write(dir, "f.txt", "old");
  ASSERT_TRUE(WriteTextFile(dir + "/f.txt", "new").ok());
  StatusOr<std::string> text = ReadTextFile(dir + "/f.txt");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "new");
  EXPECT_FALSE(fs::exists(dir + "/f.txt.part"));
}

TEST(RunManifest, ACompleteRunRecordsItsFileSizesAndReadersNoticeAFileCutSince) {
  testing::ScopedTempDir temp("sizes");
  std::string dir = temp.path();
  WriteSmallRun(dir);
  StatusOr<std::optional<RunManifest>> read = ReadManifest(dir);
  ASSERT_TRUE(read.ok() && *read) << read.status().message();
  EXPECT_EQ((*read)->file_bytes.size(), 3u);
  EXPECT_EQ((*read)->file_bytes.at(std::string(kResolvedScenarioFile)), 16);
  EXPECT_TRUE(RequireRecordedSizes(dir).ok());
  // Cut inside the last field: every row still reads, the size does not.
  fs::resize_file(fs::path(dir) / kResolvedScenarioFile, 15);
  Status cut = RequireRecordedSizes(dir);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.code(), StatusCode::kDataLoss);
  EXPECT_NE(cut.message().find("scenario.resolved.yaml is 15 bytes but run.json says the run wrote 16"),
            std::string::npos)
      << cut.message();
}

TEST(RunManifest, AnIncompleteRunRecordsNoSizesAndAnOldFolderIsNotChecked) {
  testing::ScopedTempDir temp("no-sizes");
  std::string dir = temp.path();
  RunManifest m = WriteSmallRun(dir);
  m.status = RunStatus::kIncomplete;
  ASSERT_TRUE(WriteManifest(dir, m).ok());
  StatusOr<std::optional<RunManifest>> read = ReadManifest(dir);
  ASSERT_TRUE(read.ok() && *read);
  EXPECT_TRUE((*read)->file_bytes.empty());
  EXPECT_EQ(ManifestJson(**read).find("file_bytes"), std::string::npos);
  fs::remove(fs::path(dir) / kManifestFile);
  EXPECT_TRUE(RequireRecordedSizes(dir).ok());
}

TEST(RunManifest, RefusesAFileSizeThatIsNoSize) {
  EXPECT_FALSE(ParseManifest(R"({"status": "complete", "files": [], "warmup_us": 0, "file_bytes": {"a": -1}})",
                             "run.json")
                   .ok());
  EXPECT_FALSE(ParseManifest(R"({"status": "complete", "files": [], "warmup_us": 0, "file_bytes": {"a": "x"}})",
                             "run.json")
                   .ok());
  StatusOr<RunManifest> ok =
      ParseManifest(R"({"status": "complete", "files": [], "warmup_us": 0, "file_bytes": {"a": 7, "b": 0}})", "run.json");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->file_bytes.at("a"), 7);
  EXPECT_EQ(ok->file_bytes.at("b"), 0);
}

}  // namespace
}  // namespace qsim::runfolder
