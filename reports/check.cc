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
#include "reports/svg.h"
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

// The scenarios with expect: entries among `files`, each valid; every invalid
// entry or scenario is printed to `err` before the error is returned.
StatusOr<std::vector<SmokeScenario>> LoadSmokeScenarios(const std::vector<std::string>& files,
                                                        const ScenarioValidator& validator, std::ostream& err) {
  std::vector<SmokeScenario> scenarios;
  bool invalid = false;
  for (const std::string& file : files) {
    StatusOr<YAML::Node> root = LoadYamlFile(file);
    // Accounts are checked against the scenario here, before any run: an
    // expectation on an account the scenario lacks could never be judged.
    const std::set<std::string> accounts = root.ok() ? ScenarioAccountIds(*root) : std::set<std::string>();
    StatusOr<std::vector<Expectation>> expectations =
        root.ok() ? ParseExpectations(*root, file, &accounts) : StatusOr<std::vector<Expectation>>(root.status());
    if (!expectations.ok()) {
      err << expectations.status().message() << "\n";
      invalid = true;
      continue;
    }
    if (expectations->empty()) continue;  // an example scenario, not a smoke test
    if (Status valid = validator ? validator(file) : Status::Ok(); !valid.ok()) {  // before any run
      err << valid.message() << "\n";
      invalid = true;
      continue;
    }
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

// The outcome of one expectation, for the text and the JUnit file.
struct Judged {
  const Expectation* expectation = nullptr;
  bool ok = false;
  std::string actual;
  bool run_failed = false;
};

// Judges every expectation of scenario `s` on its run and prints one line per
// expectation. Returns the judgements in the order of s.expectations.
std::vector<Judged> JudgeScenario(const SmokeScenario& s, const SimRun& run, const SimRunResult& result,
                                  size_t name_width, CheckTally& tally, std::ostream& out, std::ostream& err) {
  StatusOr<RunSummary> summary = InvalidArgument("");
  std::string run_error;
  if (!result.WroteOutputs()) {
    run_error = "run failed (exit " + std::to_string(result.exit_code) + ", log " + result.log_path + ")";
    if (tally.worst_run_failure.ok()) tally.worst_run_failure = RunFailure(run, result);
  } else {
    summary = ReadRunSummary(run.out_dir);
    if (!summary.ok()) run_error = summary.status().message();
  }
  std::vector<Judged> judged;
  for (const Expectation& e : s.expectations) {
    Judged j;
    j.expectation = &e;
    j.run_failed = !run_error.empty();
    if (!run_error.empty()) {
      j.actual = run_error;
    } else if (!summary->HasAccount(e.account)) {
      j.actual = "no account \"" + e.account + "\" in summary.csv";
    } else if (std::optional<double> v = summary->Get(e.account, e.metric)) {
      j.actual = runfolder::FormatNumber(*v);
      j.ok = e.Holds(*v);
    } else {
      j.actual = "(empty)";
    }
    (j.ok ? tally.passed : tally.failed)++;
    out << (j.ok ? "PASS " : "FAIL ") << Padded(s.path, name_width) << "  "
        << Padded(e.metric + "[" + e.account + "]", 28) << "  expected " << Padded(e.Describe(), 14) << "  actual "
        << j.actual << "\n";
    judged.push_back(std::move(j));
  }
  if (!run_error.empty()) err << "qsim check: " << s.path << ": " << LogTail(result.log_path) << "\n";
  return judged;
}

// The JUnit XML of a check: a test suite per scenario, a test case per
// expectation; a failed expectation is a <failure>, one whose run failed an
// <error>. No timings, so the file is a pure function of the results.
std::string JunitXml(const std::vector<SmokeScenario>& scenarios, const std::vector<std::vector<Judged>>& judged,
                     const std::vector<SimRunResult>& results) {
  int tests = 0, failures = 0, errors = 0;
  std::string suites;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    int s_failures = 0, s_errors = 0;
    std::string cases;
    // Without ".yaml": CI systems read dots in a class name as packages.
    std::string classname = std::filesystem::path(scenarios[i].path).replace_extension().string();
    for (const Judged& j : judged[i]) {
      const Expectation& e = *j.expectation;
      std::string name = e.metric + "[" + e.account + "] " + e.Describe();
      cases += "    <testcase classname=\"" + svg::XmlEscape(classname) + "\" name=\"" + svg::XmlEscape(name) + "\"";
      if (j.ok) {
        cases += "/>\n";
        continue;
      }
      std::string message = "expected " + e.Describe() + ", actual " + j.actual;
      if (j.run_failed) {
        ++s_errors;
        cases += ">\n      <error type=\"run\" message=\"" + svg::XmlEscape(message) + "\">" +
                 svg::XmlEscape(LogTail(results[i].log_path)) + "</error>\n    </testcase>\n";
      } else {
        ++s_failures;
        cases += ">\n      <failure type=\"expectation\" message=\"" + svg::XmlEscape(message) + "\">" +
                 svg::XmlEscape(scenarios[i].path + ": " + e.where + ": " + e.metric + "[" + e.account + "] " + message) +
                 "</failure>\n    </testcase>\n";
      }
    }
    int s_tests = static_cast<int>(judged[i].size());
    suites += "  <testsuite name=\"" + svg::XmlEscape(scenarios[i].path) + "\" tests=\"" + std::to_string(s_tests) +
              "\" failures=\"" + std::to_string(s_failures) + "\" errors=\"" + std::to_string(s_errors) +
              "\" skipped=\"0\">\n" + cases + "  </testsuite>\n";
    tests += s_tests;
    failures += s_failures;
    errors += s_errors;
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"qsim check\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
         std::to_string(errors) + "\">\n" + suites + "</testsuites>\n";
}

}  // namespace

int RunCheckCommand(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "qsim check: " << s.message() << "\n";
    return ExitStatusFor(s.code());
  };
  if (options.paths.empty()) return fail(InvalidArgument("give scenario files or folders"));
  if (options.jobs < 1) return fail(InvalidArgument("--jobs must be >= 1, got " + std::to_string(options.jobs)));
  if (!options.runner) return fail(Internal("check: no simulation runner"));
  if (!options.junit.empty()) {
    std::filesystem::path parent = std::filesystem::path(options.junit).parent_path();
    std::error_code error;
    if (std::filesystem::is_directory(options.junit, error)) {
      return fail(InvalidArgument("--junit " + options.junit + ": is a folder, expected a file name"));
    }
    if (!parent.empty() && !std::filesystem::is_directory(parent, error)) {
      return fail(InvalidArgument("--junit " + options.junit + ": no folder " + parent.string()));
    }
  }
  StatusOr<std::vector<std::string>> files = ScenarioFiles(options.paths);
  if (!files.ok()) return fail(files.status());
  StatusOr<std::vector<SmokeScenario>> scenarios = LoadSmokeScenarios(*files, options.validator, err);
  if (!scenarios.ok()) return fail(scenarios.status());
  StatusOr<std::string> out_dir = RunsFolder(options.out_dir);
  if (!out_dir.ok()) return fail(out_dir.status());

  std::vector<SimRun> runs;
  for (size_t i = 0; i < scenarios->size(); ++i) {
    std::string name = std::filesystem::path((*scenarios)[i].path).stem().string();
    runs.push_back({(*scenarios)[i].path, std::nullopt, RunFile(*out_dir, std::to_string(i) + "-" + name),
                    options.keep_runs ? "" : kLeanOutputs});
  }
  Progress progress("check", runs.size(), options.progress, err);
  std::vector<SimRunResult> results = RunInBatches(options.runner, runs, options.jobs, progress);
  progress.Finish();

  size_t name_width = 0;
  for (const SmokeScenario& s : *scenarios) name_width = std::max(name_width, s.path.size());
  CheckTally tally;
  std::vector<std::vector<Judged>> judged;
  bool any_run_kept = false;
  for (size_t i = 0; i < scenarios->size(); ++i) {
    judged.push_back(JudgeScenario((*scenarios)[i], runs[i], results[i], name_width, tally, out, err));
    bool passed = std::all_of(judged.back().begin(), judged.back().end(), [](const Judged& j) { return j.ok; });
    if (passed && !options.keep_runs) {
      std::error_code ignored;
      std::filesystem::remove_all(runs[i].out_dir, ignored);
      std::filesystem::remove(results[i].log_path, ignored);
    } else {
      any_run_kept = true;
    }
  }
  out << tally.passed << " passed, " << tally.failed << " failed\n";
  if (!options.junit.empty()) {
    Status written = runfolder::WriteTextFile(options.junit, JunitXml(*scenarios, judged, results));
    if (!written.ok()) return fail(written);
  }
  if (!any_run_kept && options.out_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(*out_dir, ignored);
  } else if (options.keep_runs) {
    err << "qsim check: the runs are in " << *out_dir << "\n";
  } else if (tally.failed > 0) {
    err << "qsim check: the runs of the failing scenarios are kept in " << *out_dir << "\n";
  }
  if (!tally.worst_run_failure.ok()) return ExitStatusFor(tally.worst_run_failure.code());
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace qsim::reports
