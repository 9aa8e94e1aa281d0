// Helpers every test binary may use: where the repository is, a temporary
// folder that cleans up after itself, and whole-file reads and writes. One
// place, so that tests do not each grow their own. Linked into every test by
// qsim_test (CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace qsim::testing {

// The repository's root folder (qsim_test compiles it in).
inline std::string SourceDir() { return QSIM_SOURCE_DIR; }

// A fresh folder under the test's temporary directory, removed with all it
// holds when the object goes away, unless the test failed (then it is kept
// for a look, and its path is in the failure output).
class ScopedTempDir {
 public:
  explicit ScopedTempDir(std::string_view prefix = "qsim-test") {
    std::string pattern = ::testing::TempDir() + std::string(prefix) + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "cannot create a temporary folder from " << pattern;
    }
    path_ = pattern;
  }
  ~ScopedTempDir() {
    if (::testing::Test::HasFailure()) {
      std::cerr << "kept the temporary folder " << path_ << "\n";
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }
  // `name` inside the folder.
  std::string Path(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// The whole file; a test failure (and "") when it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to `path`, replacing it; a test failure when it cannot.
inline void WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

// What a command printed (stdout and stderr together) and its exit status
// (-1 when it did not exit normally).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs `command_line` through the shell. The tests build their own command
// lines, so no quoting is done here.
inline CommandResult RunCommandLine(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = popen((command_line + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace qsim::testing
