#include "reports/check.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "reports/csv.h"
#include "reports/expectations.h"
#include "reports/run_data.h"
#include "reports/runner.h"
#include "reports/yaml_util.h"

namespace qsim::reports {
namespace {

struct SmokeScenario {
  std::string path;
  std::vector<Expectation> expectations;
};

// The YAML files named by `paths`: files as given, folders searched
// recursively, each folder's files sorted by path.
StatusOr<std::vector<std::string>> ScenarioFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      std::vector<std::string> found;
      for (auto it = std::filesystem::recursive_directory_iterator(path, error);
           !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
        std::string ext = it->path().extension().string();
        if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(it->path().string());
      }
      if (error) return InvalidArgument(path + ": " + error.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::is_regular_file(path, error)) {
      files.push_back(path);
    } else {
      return NotFound(path + ": no such file or folder");
    }
  }
  return files;
}

std::string Padded(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

int RunCheckCommand(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  if (options.paths.empty()) {
    err << "qsim check: give scenario files or folders\n";
    return 2;
  }
  StatusOr<std::vector<std::string>> files = ScenarioFiles(options.paths);
  if (!files.ok()) {
    err << "qsim check: " << files.status().message() << "\n";
    return 2;
  }
  std::vector<SmokeScenario> scenarios;
  bool invalid = false;
  for (const std::string& file : *files) {
    StatusOr<YAML::Node> root = LoadYamlFile(file);
    StatusOr<std::vector<Expectation>> expectations =
        root.ok() ? ParseExpectations(*root, file) : StatusOr<std::vector<Expectation>>(root.status());
    if (!expectations.ok()) {
      err << expectations.status().message() << "\n";
      invalid = true;
      continue;
    }
    if (expectations->empty()) continue;  // an example scenario, not a smoke test
    scenarios.push_back({file, std::move(*expectations)});
  }
  if (invalid) return 2;
  if (scenarios.empty()) {
    err << "qsim check: no scenario with expect: entries found\n";
    return 2;
  }

  std::string out_dir = options.out_dir;
  bool temporary = out_dir.empty();
  if (temporary) {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/qsim-check-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      err << "qsim check: cannot create a folder for the runs under " << pattern << "\n";
      return 2;
    }
    out_dir = pattern;
  }
  std::vector<SimRun> runs;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    std::string name = std::filesystem::path(scenarios[i].path).stem().string();
    runs.push_back({scenarios[i].path, std::nullopt, RunFile(out_dir, std::to_string(i) + "-" + name)});
  }
  std::vector<SimRunResult> results = RunSimulations(options.qsim_binary, runs, options.jobs);

  int passed = 0, failed = 0;
  size_t name_width = 0;
  for (const SmokeScenario& s : scenarios) name_width = std::max(name_width, s.path.size());
  for (size_t i = 0; i < scenarios.size(); ++i) {
    StatusOr<RunSummary> summary = InvalidArgument("");
    std::string run_error;
    if (!results[i].WroteOutputs()) {
      run_error = "run failed (exit " + std::to_string(results[i].exit_code) + ", log " + results[i].log_path + ")";
    } else {
      summary = ReadRunSummary(runs[i].out_dir);
      if (!summary.ok()) run_error = summary.status().message();
    }
    for (const Expectation& e : scenarios[i].expectations) {
      std::string actual;
      bool ok = false;
      if (!run_error.empty()) {
        actual = run_error;
      } else if (!summary->HasAccount(e.account)) {
        actual = "no account \"" + e.account + "\" in summary.csv";
      } else if (std::optional<double> v = summary->Get(e.account, e.metric)) {
        actual = FormatNumber(*v);
        ok = e.Holds(*v);
      } else {
        actual = "(empty)";
      }
      (ok ? passed : failed)++;
      out << (ok ? "PASS " : "FAIL ") << Padded(scenarios[i].path, name_width) << "  "
          << Padded(e.metric + "[" + e.account + "]", 28) << "  expected " << Padded(e.Describe(), 14)
          << "  actual " << actual << "\n";
    }
    if (!run_error.empty()) err << "qsim check: " << scenarios[i].path << ": " << LogTail(results[i].log_path) << "\n";
  }
  out << passed << " passed, " << failed << " failed\n";
  if (failed == 0 && temporary) {
    std::error_code ignored;
    std::filesystem::remove_all(out_dir, ignored);
  } else if (failed > 0) {
    err << "qsim check: the runs are kept in " << out_dir << "\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace qsim::reports
