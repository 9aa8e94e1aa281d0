// The qsim binary as a user meets it: --version, an unknown command, and the
// exit status of a run whose output folder cannot be written.
#include <stdio.h>
#include <sys/wait.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "runfolder/files.h"
#include "tests/testing/test_util.h"

namespace qsim::app {
namespace {

using Ran = testing::CommandResult;

// Runs `qsim ARGS` (the arguments are ours, no quoting needed).
Ran RunQsim(const std::string& args) { return testing::RunCommandLine(std::string(QSIM_BINARY) + " " + args); }

TEST(QsimCli, VersionNamesTheSourceVersionAndBuildType) {
  Ran ran = RunQsim("--version");
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  ASSERT_EQ(ran.output.rfind("qsim ", 0), 0u) << ran.output;
  EXPECT_NE(ran.output.find(std::string("(") + QSIM_BUILD_TYPE + " build)\n"), std::string::npos) << ran.output;
  // Something between "qsim " and the build type: a git description or the project version.
  EXPECT_GT(ran.output.find(" ("), 5u) << ran.output;
}

// qsim starts itself again with malloc's huge pages where the kernel offers
// them (app/malloc_setup.h), and leaves a user's own choice alone.
TEST(QsimCli, StartsWithHugePagesUnlessTheUserChose) {
  std::ifstream modes_file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  const bool offered = std::getline(modes_file, modes) && modes.find("[never]") == std::string::npos;
  Ran ran = testing::RunCommandLine("env -u GLIBC_TUNABLES " + std::string(QSIM_BINARY) + " bench large-pass");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find(offered ? "\nmalloc_tunables=glibc.malloc.hugetlb=1\n" : "\nmalloc_tunables=none\n"),
            std::string::npos)
      << ran.output;
  ran = testing::RunCommandLine("env GLIBC_TUNABLES=glibc.malloc.hugetlb=0 " + std::string(QSIM_BINARY) +
                                " bench large-pass");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("\nmalloc_tunables=glibc.malloc.hugetlb=0\n"), std::string::npos) << ran.output;
}

// qsim keeps the memory it frees (app/malloc_setup.h), except where the
// user's GLIBC_TUNABLES names a setting: that choice stands.
TEST(QsimCli, KeepsFreedMemoryUnlessTheUserChose) {
  Ran ran = testing::RunCommandLine("env -u GLIBC_TUNABLES " + std::string(QSIM_BINARY) + " bench large-pass");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("\nmalloc_options=glibc.malloc.trim_threshold,glibc.malloc.top_pad,"
                            "glibc.malloc.mmap_threshold\n"),
            std::string::npos)
      << ran.output;
  ran = testing::RunCommandLine("env GLIBC_TUNABLES=glibc.malloc.top_pad=0:glibc.malloc.hugetlb=0 " +
                                std::string(QSIM_BINARY) + " bench large-pass");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("\nmalloc_options=glibc.malloc.trim_threshold,glibc.malloc.mmap_threshold\n"),
            std::string::npos)
      << ran.output;
}

TEST(QsimCli, UnknownCommandIsNamedAndExitsTwo) {
  Ran ran = RunQsim("frobnicate --seed 3");
  EXPECT_EQ(ran.exit_code, 2);
  EXPECT_EQ(ran.output, "qsim: unknown command \"frobnicate\"; see qsim --help\n");
}

TEST(QsimCli, UsageErrorsExitTwo) {
  EXPECT_EQ(RunQsim("").exit_code, 2);
  EXPECT_EQ(RunQsim("run --no-such-flag x.yaml").exit_code, 2);
  EXPECT_EQ(RunQsim("run /nonexistent/scenario.yaml").exit_code, 2);
}

TEST(QsimCli, UnwritableOutputFolderExitsThreeNamingThePathAndReason) {
  testing::ScopedTempDir temp("qsim-cli-test");
  const std::string dir = temp.path();
  std::filesystem::create_directories(dir);
  std::string blocker = dir + "/not-a-folder";
  ASSERT_TRUE(runfolder::WriteTextFile(blocker, "a file where the run folder's parent should be").ok());
  Ran ran = RunQsim("run " + testing::SourceDir() + "/scenarios/smoke/quickstart.yaml --quiet --out " +
                    blocker + "/run");
  EXPECT_EQ(ran.exit_code, 3) << ran.output;
  EXPECT_NE(ran.output.find(blocker + "/run"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("Not a directory"), std::string::npos) << ran.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qsim::app
