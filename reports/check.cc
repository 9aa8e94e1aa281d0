#include "reports/check.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "reports/expectations.h"
#include "reports/run_data.h"
#include "reports/runner.h"
#include "reports/yaml_util.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"

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

// The scenarios with expect: entries among `files`; every invalid entry is
// printed to `err` before the error is returned.
StatusOr<std::vector<SmokeScenario>> LoadSmokeScenarios(const std::vector<std::string>& files, std::ostream& err) {
  std::vector<SmokeScenario> scenarios;
  bool invalid = false;
  for (const std::string& file : files) {
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
  if (invalid) return InvalidArgument("invalid expect: entries (above)");
  if (scenarios.empty()) return InvalidArgument("no scenario with expect: entries found");
  return scenarios;
}

// The folder the runs go to: `out_dir`, or a new temporary one.
StatusOr<std::string> RunsFolder(const std::string& out_dir) {
  if (!out_dir.empty()) {
    QSIM_RETURN_IF_ERROR(runfolder::MakeWritableFolder(out_dir));  // unusable: exit 3, not a failed expectation
    return out_dir;
  }
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/qsim-check-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return IoError("cannot create a folder for the runs under " + pattern + ": " + std::strerror(errno));
  }
  return pattern;
}

struct CheckTally {
  int passed = 0;
  int failed = 0;
  Status worst_run_failure;  // the first failed run whose exit status is not a check's
};

// Prints one line per expectation of scenario `s`, judged on its run.
void JudgeScenario(const SmokeScenario& s, const SimRun& run, const SimRunResult& result, size_t name_width,
                   CheckTally& tally, std::ostream& out, std::ostream& err) {
  StatusOr<RunSummary> summary = InvalidArgument("");
  std::string run_error;
  if (!result.WroteOutputs()) {
    run_error = "run failed (exit " + std::to_string(result.exit_code) + ", log " + result.log_path + ")";
    if (tally.worst_run_failure.ok()) tally.worst_run_failure = RunFailure(run, result);
  } else {
    summary = ReadRunSummary(run.out_dir);
    if (!summary.ok()) run_error = summary.status().message();
  }
  for (const Expectation& e : s.expectations) {
    std::string actual;
    bool ok = false;
    if (!run_error.empty()) {
      actual = run_error;
    } else if (!summary->HasAccount(e.account)) {
      actual = "no account \"" + e.account + "\" in summary.csv";
    } else if (std::optional<double> v = summary->Get(e.account, e.metric)) {
      actual = runfolder::FormatNumber(*v);
      ok = e.Holds(*v);
    } else {
      actual = "(empty)";
    }
    (ok ? tally.passed : tally.failed)++;
    out << (ok ? "PASS " : "FAIL ") << Padded(s.path, name_width) << "  "
        << Padded(e.metric + "[" + e.account + "]", 28) << "  expected " << Padded(e.Describe(), 14) << "  actual "
        << actual << "\n";
  }
  if (!run_error.empty()) err << "qsim check: " << s.path << ": " << LogTail(result.log_path) << "\n";
}

}  // namespace

int RunCheckCommand(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "qsim check: " << s.message() << "\n";
    return ExitStatusFor(s.code());
  };
  if (options.paths.empty()) return fail(InvalidArgument("give scenario files or folders"));
  if (!options.runner) return fail(Internal("check: no simulation runner"));
  StatusOr<std::vector<std::string>> files = ScenarioFiles(options.paths);
  if (!files.ok()) return fail(files.status());
  StatusOr<std::vector<SmokeScenario>> scenarios = LoadSmokeScenarios(*files, err);
  if (!scenarios.ok()) return fail(scenarios.status());
  StatusOr<std::string> out_dir = RunsFolder(options.out_dir);
  if (!out_dir.ok()) return fail(out_dir.status());

  std::vector<SimRun> runs;
  for (size_t i = 0; i < scenarios->size(); ++i) {
    std::string name = std::filesystem::path((*scenarios)[i].path).stem().string();
    runs.push_back({(*scenarios)[i].path, std::nullopt, RunFile(*out_dir, std::to_string(i) + "-" + name)});
  }
  std::vector<SimRunResult> results = options.runner(runs, options.jobs);

  size_t name_width = 0;
  for (const SmokeScenario& s : *scenarios) name_width = std::max(name_width, s.path.size());
  CheckTally tally;
  for (size_t i = 0; i < scenarios->size(); ++i) {
    JudgeScenario((*scenarios)[i], runs[i], results[i], name_width, tally, out, err);
  }
  out << tally.passed << " passed, " << tally.failed << " failed\n";
  if (tally.failed == 0 && options.out_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(*out_dir, ignored);
  } else if (tally.failed > 0) {
    err << "qsim check: the runs are kept in " << *out_dir << "\n";
  }
  if (!tally.worst_run_failure.ok()) return ExitStatusFor(tally.worst_run_failure.code());
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace qsim::reports
