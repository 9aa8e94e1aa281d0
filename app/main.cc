// qsim's command line: the one translation unit that includes CLI11 (it is
// slow to compile). Each Add* function below registers one subcommand: its
// options, and a callback that calls the library function doing the work and
// keeps its exit status. Exit statuses (base/status.h, ExitStatusFor): 0 ok,
// 1 a check or comparison failed, 2 bad input or usage, 3 the environment
// failed (a write, a child process), 4 a bug in qsim.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/child_runner.h"
#include "app/malloc_setup.h"
#include "app/stop_signals.h"
#include "app/version.h"
#include "bench/bench_commands.h"
#include "production/commands.h"
#include "production/import_command.h"
#include "replay/replay.h"
#include "reports/check.h"
#include "reports/compare.h"
#include "reports/explain.h"
#include "reports/report.h"
#include "reports/sweep.h"
#include "sim/sim.h"

namespace qsim::app {
namespace {

constexpr int kUsageError = 2;

// Seeds on the command line follow the scenario's rule (sim::ParseSeed):
// decimal digits, 0 to 2^63-1. CLI11 alone would read "-1" as 2^64-1.
const CLI::Validator kSeedRule(
    [](std::string& text) {
      StatusOr<uint64_t> seed = sim::ParseSeed(text);
      return seed.ok() ? std::string() : seed.status().message();
    },
    "SEED", "seed");

// Counts of runs or jobs: at least 1.
const CLI::Validator kAtLeastOne = CLI::Range(1, 1000000);

void AddReplay(CLI::App& app, int& status) {
  struct Args {
    std::vector<std::string> files;
    bool verbose = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("replay", "Replay conformance traces (JSON Lines) against the scheduler and reconciler");
  cmd->add_option("traces", args->files, "Trace files (.jsonl)")->required();
  cmd->add_flag("-v,--verbose", args->verbose, "Print a line for every passing trace too");
  cmd->callback([args, &status] { status = RunReplayCommand(args->files, args->verbose, std::cout, std::cerr); });
}

void AddImport(CLI::App& app, int& status) {
  auto args = std::make_shared<production::ImportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Turn a production TaskEvent log (BigQuery NDJSON or binary EventList) into a replay scenario");
  cmd->add_option("log", args->log, "TaskEvent log (.jsonl NDJSON, or a binary EventList)")->required();
  cmd->add_option("--out", args->out_dir, "Folder for scenario.yaml and tasklog.csv")->required();
  cmd->add_option("--snapshot", args->snapshot, "State snapshot (protobuf JSON or text): the initial state");
  cmd->add_option("--config", args->config, "SchedulerConfig (protobuf JSON or text): the accounts and policy");
  cmd->add_option("--format", args->format, "auto, jsonl or binary")->capture_default_str();
  cmd->add_option("--scheduler-id", args->scheduler_id, "The pool to import from a log of several");
  cmd->add_option("--name", args->name, "The scenario's name (default: from the pool's id)");
  cmd->add_option("--start", args->start,
                  "Simulated time 0, RFC 3339 (default: the snapshot's time, else the first row's hour)");
  cmd->add_option("--bots", args->bots,
                  "inferred: each bot present from its first to its last row; whole-run: every bot all the time")
      ->capture_default_str();
  cmd->add_option("--presence-slack", args->presence_slack,
                  "A first (last) row this near the start (end) counts as present from the start (to the end); "
                  "default: the 99th percentile of the gaps between a bot's rows, at least 10m");
  cmd->callback([args, &status] { status = production::RunImportCommand(*args, std::cout, std::cerr); });
}

void AddBench(CLI::App& app, const std::string& malloc_options, int& status) {
  CLI::App* bench = app.add_subcommand("bench", "Time the scheduler on the reference profiler's workloads");
  bench->require_subcommand(1);
  auto seed = std::make_shared<uint64_t>(1);
  CLI::App* profiler = bench->add_subcommand(
      "profiler", "Workload 1: 100 iterations of 1,000 tasks + 50 workers, UpdateTime, RunOnce");
  profiler->add_option("--seed", *seed, "Seed of the workload generator")->check(kSeedRule)->capture_default_str();
  profiler->callback([seed, &malloc_options, &status] {
    status = bench::RunProfilerBench(*seed, malloc_options, std::cout);
  });
  CLI::App* large = bench->add_subcommand(
      "large-pass", "Workload 2: one RunOnce over 5,000 idle workers x 100,000 queued tasks");
  large->add_option("--seed", *seed, "Seed of the workload generator")->check(kSeedRule)->capture_default_str();
  large->callback([seed, &malloc_options, &status] {
    status = bench::RunLargePassBench(*seed, malloc_options, std::cout);
  });
}

void AddRun(CLI::App& app, const std::vector<std::string>& command_line, int& status) {
  struct Args {
    sim::RunArgs run;
    std::string seed;
    std::string max_memory;
    bool no_report = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("run", "Run a scenario and write its run folder");
  cmd->add_option("scenario", args->run.scenario, "Scenario file (.yaml)")->required();
  CLI::Option* seed = cmd->add_option("--seed", args->seed, "Seed, 0 to 2^63-1 (default: the scenario's)");
  cmd->add_option("--max-memory", args->max_memory,
                  "Refuse a run estimated to need more memory, e.g. 8GiB; 0 = no limit (default: 4GiB)");
  cmd->add_option("--out", args->run.out_dir, "Run folder (default: runs/<name>-seed<N>)");
  cmd->add_flag("--quiet", args->run.quiet, "No summary on stdout, no progress line");
  cmd->add_option("--outputs", args->run.outputs,
                  "Comma list of tasks,summary,waits,timeseries,events,taskevents (tasks, summary, waits always "
                  "written)");
  cmd->add_flag("--no-report", args->no_report, "Do not write report.html");
  cmd->callback([args, seed, command_line, &status] {
    sim::RunArgs run = args->run;
    if (*seed) {
      StatusOr<uint64_t> parsed = sim::ParseSeed(args->seed);
      if (!parsed.ok()) {
        std::cerr << "--seed: " << parsed.status().message() << "\n";
        status = 2;
        return;
      }
      run.seed = *parsed;
    }
    if (!args->max_memory.empty()) {
      StatusOr<int64_t> bytes = sim::ParseBytes(args->max_memory);
      if (!bytes.ok()) {
        std::cerr << "--max-memory: " << bytes.status().message() << "\n";
        status = 2;
        return;
      }
      run.max_memory_bytes = *bytes;
    }
    run.qsim_version = VersionString();
    run.command_line = command_line;
    run.stop_signal = StopSignal;
    run.progress = !run.quiet && isatty(STDOUT_FILENO);
    if (!args->no_report) {
      // --quiet silences the report's "wrote ..." line too; errors still go to stderr.
      run.on_written = [quiet = run.quiet](const std::string& dir) {
        std::ostringstream discarded;
        return reports::RunReportCommand(dir, quiet ? discarded : std::cout, std::cerr);
      };
    }
    auto wall = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    };
    status = sim::RunCommand(run, wall, std::cout, std::cerr);
  });
}

void AddValidate(CLI::App& app, int& status) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd =
      app.add_subcommand("validate",
                         "Check scenarios: schema, limit and semantic errors with file:line:column (a workload no "
                         "bot group can run, arrivals after the end); print the estimated cost and the offered "
                         "load against the fleet's capacity (a warning above 100%)");
  cmd->add_option("scenarios", *files, "Scenario files (.yaml)")->required();
  cmd->callback([files, &status] { status = sim::ValidateCommand(*files, std::cout, std::cerr); });
}

void AddReport(CLI::App& app, int& status) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("report", "Write RUN_DIR/report.html from a run folder");
  cmd->add_option("run_dir", *dir, "A folder written by qsim run")->required();
  cmd->callback([dir, &status] { status = reports::RunReportCommand(*dir, std::cout, std::cerr); });
}

// `qsim explain RUN_DIR TASK_ID`, or `--worst N [--account A]`.
void AddExplain(CLI::App& app, int& status) {
  struct Args {
    std::string dir, task, account;
    int64_t worst = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("explain", "Why a task waited, from a run folder (docs/waits.md)");
  cmd->add_option("run_dir", args->dir, "A folder written by qsim run")->required();
  cmd->add_option("task_id", args->task, "The task, e.g. t00000042 (or use --worst)");
  cmd->add_option("--worst", args->worst, "List the N longest waits with their dominant reasons");
  cmd->add_option("--account", args->account, "With --worst: only this account's tasks");
  cmd->callback([args, &status] {
    Status s;
    if (args->worst != 0 && args->task.empty()) {
      s = reports::ExplainWorst(args->dir, args->worst, args->account, std::cout);
    } else if (args->worst == 0 && !args->task.empty() && args->account.empty()) {
      s = reports::ExplainTask(args->dir, args->task, std::cout);
    } else {
      s = InvalidArgument("give either a TASK_ID or --worst N [--account A]");
    }
    if (!s.ok()) std::cerr << "qsim explain: " << s.message() << "\n";
    status = ExitStatusFor(s.code());
  });
}

// Progress on stderr for compare, sweep and check: the wall clock is read here, in
// app/, and handed to reports/. Silent with --quiet.
reports::ProgressOptions StderrProgress(bool quiet) {
  reports::ProgressOptions progress;
  if (quiet) return progress;
  progress.wall_seconds = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  progress.live = isatty(STDERR_FILENO);
  return progress;
}

void AddCompare(CLI::App& app, const reports::SimRunner& runner, int& status) {
  struct Args {
    reports::CompareOptions options;
    std::vector<std::string> scenarios;
    std::vector<std::string> saved;
    std::string seeds = "10";
    int round = 10;
    std::string accounts, metrics, format = "text";
  };
  auto args = std::make_shared<Args>();
  reports::CompareOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand(
      "compare", "Compare a baseline and a candidate (or --variant overlay, or --saved runs) over paired seeds");
  cmd->add_option("scenarios", args->scenarios, "BASELINE.yaml [CANDIDATE.yaml]")->expected(0, 2);
  cmd->add_option("--variant", o.variant, "Overlay YAML deep-merged onto the baseline");
  cmd->add_option("--saved", args->saved, "BASE_DIR CAND_DIR: compare saved per-seed run folders, no runs")
      ->expected(2);
  cmd->add_flag("--allow-mismatch", o.allow_mismatch, "--saved: compare despite different seeds or scenarios");
  cmd->add_option("--seeds", args->seeds, "Number of paired seeds, or auto (rounds until every gate is decided)")
      ->capture_default_str();
  cmd->add_option("--max-seeds", o.max_seeds, "--seeds auto: the most pairs")->capture_default_str();
  cmd->add_option("--round", args->round, "--seeds auto: pairs per round")->capture_default_str();
  cmd->add_option("--first-seed", o.first_seed, "The first seed")->check(kSeedRule)->capture_default_str();
  cmd->add_option("--jobs,-j", o.jobs, "Runs at a time")->check(kAtLeastOne)->capture_default_str();
  cmd->add_option("--out", o.out_dir, "Output folder")->capture_default_str();
  cmd->add_option("--gates", o.gates, "YAML file whose gate: section replaces the scenario's");
  cmd->add_option("--alpha", o.alpha, "Error rate of the gate decision (and 1 - interval level)")
      ->capture_default_str();
  cmd->add_option("--accounts", args->accounts, "Comma list: show only these accounts (gated rows always show)");
  cmd->add_option("--metrics", args->metrics, "Comma list: show only these metrics (gated rows always show)");
  cmd->add_option("--name", o.names, "BASE,CAND: labels for the two sides");
  cmd->add_option("--format", args->format, "stdout format: text, md, csv or json")->capture_default_str();
  cmd->add_flag("--keep-runs", o.keep_runs, "Keep every run folder, with all its outputs");
  cmd->add_flag("--quiet", o.quiet, "No progress and no \"wrote\" line");
  cmd->callback([args, runner, &status] {
    reports::CompareOptions options = args->options;
    auto usage = [&](const std::string& message) {
      std::cerr << "qsim compare: " << message << "\n";
      status = kUsageError;
    };
    if (args->scenarios.size() > 0) options.baseline = args->scenarios[0];
    if (args->scenarios.size() > 1) options.candidate = args->scenarios[1];
    if (args->saved.size() == 2) {
      options.saved_baseline = args->saved[0];
      options.saved_candidate = args->saved[1];
    }
    if (args->seeds == "auto") {
      options.auto_seeds = true;
      options.seeds = args->round;
    } else {
      size_t used = 0;
      try {
        options.seeds = std::stoi(args->seeds, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != args->seeds.size()) return usage("--seeds: expected a number or auto, got \"" +
                                                                args->seeds + "\"");
    }
    auto split = [](const std::string& list) {
      std::vector<std::string> items;
      std::stringstream in(list);
      for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) items.push_back(item);
      }
      return items;
    };
    options.filter.accounts = split(args->accounts);
    options.filter.metrics = split(args->metrics);
    StatusOr<reports::CompareFormat> format = reports::ParseCompareFormat(args->format);
    if (!format.ok()) return usage(format.status().message());
    options.format = *format;
    options.runner = runner;
    options.validator = InProcessValidator();
    options.progress = StderrProgress(options.quiet);
    status = reports::RunCompareCommand(options, std::cout, std::cerr);
  });
}


void AddSweep(CLI::App& app, const reports::SimRunner& runner, int& status) {
  auto o = std::make_shared<reports::SweepOptions>();
  auto quiet = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("sweep", "Compare a grid of scenario variants against the scenario");
  cmd->add_option("scenario", o->scenario, "The baseline scenario")->required();
  cmd->add_option("--grid", o->grid, "KEY=V1,V2,... (dotted scenario key); repeatable")
      ->required()
      ->allow_extra_args(false);  // one KEY=... per --grid, so the scenario may follow
  cmd->add_option("--shard", o->shard,
                  "I/N: run only this share of the runs (0 <= I < N); qsim merge computes the verdict");
  cmd->add_option("--seeds", o->seeds, "Number of paired seeds")->check(kAtLeastOne)->capture_default_str();
  cmd->add_option("--first-seed", o->first_seed, "The first seed")->check(kSeedRule)->capture_default_str();
  cmd->add_option("--jobs,-j", o->jobs, "Runs at a time")->check(kAtLeastOne)->capture_default_str();
  cmd->add_option("--out", o->out_dir, "Output folder")->capture_default_str();
  cmd->add_option("--gates", o->gates, "YAML file whose gate: section replaces the scenario's");
  cmd->add_option("--alpha", o->alpha, "The false-alarm rate of each point's gates (Holm within the gates)")->capture_default_str();
  cmd->add_flag("--keep-runs", o->keep_runs, "Keep every run folder (all outputs) under OUT/runs");
  cmd->add_flag("--quiet", *quiet, "No progress on stderr");
  cmd->callback([o, quiet, runner, &status] {
    o->runner = runner;
    o->validator = InProcessValidator();
    o->progress = StderrProgress(*quiet);
    status = reports::RunSweepCommand(*o, std::cout, std::cerr);
  });
}

void AddMerge(CLI::App& app, int& status) {
  struct Args {
    std::vector<std::string> dirs;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("merge", "Join the output folders of sweep shards");
  cmd->add_option("dirs", args->dirs, "Shard output folders")->required();
  cmd->add_option("--out", args->out, "Output folder")->required();
  cmd->callback([args, &status] { status = reports::RunMergeCommand(args->dirs, args->out, std::cout, std::cerr); });
}

void AddCheck(CLI::App& app, const reports::SimRunner& runner, int& status) {
  auto o = std::make_shared<reports::CheckOptions>();
  auto quiet = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("check", "The smoke gate: run scenarios and check their expect: entries");
  cmd->add_option("paths", o->paths, "Scenario files or folders")->required();
  cmd->add_option("--jobs,-j", o->jobs, "Runs at a time")->check(kAtLeastOne)->capture_default_str();
  cmd->add_option("--out", o->out_dir,
                  "Put the runs in this folder (default: a temporary one); those of failing scenarios are kept");
  cmd->add_flag("--keep-runs", o->keep_runs, "Keep every run folder, with all the scenario's outputs");
  cmd->add_option("--junit", o->junit, "Also write a JUnit XML report (a testcase per expectation) to this file");
  cmd->add_flag("--quiet", *quiet, "No progress on stderr");
  cmd->callback([o, quiet, runner, &status] {
    o->runner = runner;
    o->validator = InProcessValidator();
    o->progress = StderrProgress(*quiet);
    status = reports::RunCheckCommand(*o, std::cout, std::cerr);
  });
}

std::vector<std::string> SplitCommas(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

void AddFit(CLI::App& app, int& status) {
  struct Args {
    production::FitArgs fit;
    std::string durations = "auto";
    int burst_minutes = 5;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("fit", "Fit a generative scenario to a TaskEvent log or a run folder");
  cmd->add_option("log", args->fit.log, "TaskEvent log (.jsonl NDJSON or binary EventList), or a run folder")
      ->required();
  cmd->add_option("--out", args->fit.out, "The scenario file to write (.yaml)")->required();
  cmd->add_option("--config", args->fit.config, "SchedulerConfig (protobuf JSON or text) for the accounts");
  cmd->add_option("--pool", args->fit.pool, "Keep only this scheduler_id's rows");
  cmd->add_option("--snapshot", args->fit.snapshot,
                  "State snapshot (protobuf JSON or text): its workers join the fleet (a log names only busy bots)");
  cmd->add_option("--name", args->fit.options.name, "The scenario's name")->capture_default_str();
  cmd->add_option("--durations", args->durations, "auto (lognormal if it fits, else empirical), lognormal or empirical")
      ->check(CLI::IsMember({"auto", "lognormal", "empirical"}))
      ->capture_default_str();
  cmd->add_option("--burst-minutes", args->burst_minutes, "Width of the bins bursts are found in; divides 60")
      ->check(CLI::IsMember({1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60}))
      ->capture_default_str();
  cmd->add_option("--empirical-points", args->fit.options.empirical_points,
                  "Values kept of an empirical duration distribution (evenly spaced quantiles)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--min-burst", args->fit.options.min_burst, "Fewest tasks above the expected rate that make a burst")
      ->check(kAtLeastOne)
      ->capture_default_str();
  cmd->add_flag("--quiet", args->fit.quiet, "No table on stdout");
  cmd->callback([args, &status] {
    production::FitArgs fit = args->fit;
    fit.options.burst_bin = Minutes(args->burst_minutes);
    fit.options.durations = args->durations == "lognormal"   ? production::FitOptions::Durations::kLognormal
                            : args->durations == "empirical" ? production::FitOptions::Durations::kEmpirical
                                                             : production::FitOptions::Durations::kAuto;
    status = production::FitCommand(fit, std::cout, std::cerr);
  });
}

void AddCalibrate(CLI::App& app, int& status) {
  struct Args {
    production::CalibrateArgs calibrate;
    std::string accounts;
    double max_ks = -1;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("calibrate", "Compare simulated runs with a TaskEvent log, per account");
  cmd->add_option("log", args->calibrate.log, "TaskEvent log (.jsonl NDJSON or binary EventList), or a run folder")
      ->required();
  cmd->add_option("run_dirs", args->calibrate.run_dirs, "Run folders of the scenario to check (seeds)")->required();
  cmd->add_option("--config", args->calibrate.config, "SchedulerConfig (protobuf JSON or text) for the accounts");
  cmd->add_option("--pool", args->calibrate.pool, "Keep only this scheduler_id's rows");
  cmd->add_option("--accounts", args->accounts, "Comma list: only these accounts (no fleet row then)");
  cmd->add_option("--html", args->calibrate.html, "The HTML page to write")->capture_default_str();
  CLI::Option* max_ks = cmd->add_option("--max-ks", args->max_ks, "Exit 1 when an account's KS distance is above this")
                            ->check(CLI::Range(0.0, 1.0));
  cmd->callback([args, max_ks, &status] {
    production::CalibrateArgs calibrate = args->calibrate;
    calibrate.accounts = SplitCommas(args->accounts);
    if (*max_ks) calibrate.max_ks = args->max_ks;
    status = production::CalibrateCommand(calibrate, std::cout, std::cerr);
  });
}

// The words up to the first one that stands where a command (or a
// command's subcommand, as in `bench profiler`) must and names none ("bench
// nope"); "" when there is none. CLI11's own message would not name it.
std::string UnknownCommand(const CLI::App& app, int argc, char** argv) {
  const CLI::App* level = &app;
  std::string words;
  for (int i = 1; i < argc && argv[i][0] != '-'; ++i) {
    const std::vector<const CLI::App*> subs = level->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) return "";
    auto named = std::find_if(subs.begin(), subs.end(), [&](const CLI::App* sub) { return sub->check_name(argv[i]); });
    words += (words.empty() ? "" : " ") + std::string(argv[i]);
    if (named == subs.end()) return words;
    level = *named;
  }
  return "";
}

// `malloc_options`: what RetainFreedHeap applied, for the bench's figures.
int Main(int argc, char** argv, const std::string& malloc_options) {
  CLI::App app{"qsim: a discrete-event fleet simulator for quota-scheduled task dispatch"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  app.set_version_flag("--version", VersionLine(), "Print the version and build type");

  int status = 0;
  // The commands that poll for a stop request (stop_signals.h); the others
  // keep the signals' default action, which ends them (every file they
  // write appears whole or not at all).
  if (argc > 1 && (std::string(argv[1]) == "run" || std::string(argv[1]) == "compare" ||
                   std::string(argv[1]) == "sweep" || std::string(argv[1]) == "check")) {
    InstallStopHandlers();
  }
  const reports::SimRunner runner = ChildProcessRunner(SelfExecutable(argv[0]));
  AddRun(app, std::vector<std::string>(argv, argv + argc), status);
  AddValidate(app, status);
  AddReport(app, status);
  AddExplain(app, status);
  AddCompare(app, runner, status);
  AddSweep(app, runner, status);
  AddMerge(app, status);
  AddCheck(app, runner, status);
  AddReplay(app, status);
  AddImport(app, status);
  AddBench(app, malloc_options, status);
  AddFit(app, status);
  AddCalibrate(app, status);

  if (std::string unknown = UnknownCommand(app, argc, argv); !unknown.empty()) {
    const size_t last = unknown.rfind(' ');
    std::cerr << "qsim: unknown command \"" << unknown << "\"; see qsim "
              << (last == std::string::npos ? "" : unknown.substr(0, last) + " ") << "--help\n";
    return kUsageError;
  }
  try {
    app.parse(argc, argv);  // runs the chosen subcommand's callback
  } catch (const CLI::ParseError& e) {
    // CLI11 uses codes >= 100 for parse errors; qsim promises 2 for bad usage.
    int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : kUsageError;
  }
  // Stopped after its last poll, the command finished its work; it still
  // reports that it was asked to stop.
  if (int signal = StopSignal(); signal != 0) return 128 + signal;
  return status;
}

}  // namespace
}  // namespace qsim::app

int main(int argc, char** argv) {
  qsim::app::RestartWithHugePages(argv);
  const std::string malloc_options = qsim::app::RetainFreedHeap();
  return qsim::app::Main(argc, argv, malloc_options);
}
