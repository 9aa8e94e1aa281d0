// qsim's command line. CLI11 lives in this one file (it is slow to compile);
// each subcommand parses its options here and calls a library function that
// returns an exit status. Exit codes: 0 ok, 1 a check or comparison failed,
// 2 bad input or usage.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_commands.h"
#include "replay/replay.h"
#include "sim/sim.h"
#include "reports/check.h"
#include "reports/compare.h"
#include "reports/report.h"
#include "reports/sweep.h"

int main(int argc, char** argv) {
  CLI::App app{"qsim: a discrete-event fleet simulator for quota-scheduled task dispatch"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");

  // --- replay: conformance traces ---
  std::vector<std::string> replay_files;
  bool replay_verbose = false;
  CLI::App* replay = app.add_subcommand(
      "replay", "Replay conformance traces (JSON Lines) against the scheduler and reconciler");
  replay->add_option("traces", replay_files, "Trace files (.jsonl)")->required();
  replay->add_flag("-v,--verbose", replay_verbose, "Print a line for every passing trace too");

  // --- bench: the profiler workloads (../shared/bench/PROFILER_WORKLOAD.md) ---
  CLI::App* bench =
      app.add_subcommand("bench", "Time the scheduler on the reference profiler's workloads");
  bench->require_subcommand(1);
  uint64_t bench_seed = 1;
  CLI::App* bench_profiler = bench->add_subcommand(
      "profiler", "Workload 1: 100 iterations of 1,000 tasks + 50 workers, UpdateTime, RunOnce");
  bench_profiler->add_option("--seed", bench_seed, "Seed of the workload generator")
      ->capture_default_str();
  CLI::App* bench_large = bench->add_subcommand(
      "large-pass", "Workload 2: one RunOnce over 5,000 idle workers x 100,000 queued tasks");
  bench_large->add_option("--seed", bench_seed, "Seed of the workload generator")
      ->capture_default_str();

  // --- reports: report, compare, sweep, merge, check (reports/README.md) ---
  std::string report_dir;
  CLI::App* report = app.add_subcommand("report", "Write RUN_DIR/report.html from a run folder");
  report->add_option("run_dir", report_dir, "A folder written by qsim run")->required();

  qsim::reports::CompareOptions compare_options;
  std::vector<std::string> compare_scenarios;
  CLI::App* compare = app.add_subcommand(
      "compare", "Compare a baseline and a candidate (or --variant overlay) over paired seeds");
  compare->add_option("scenarios", compare_scenarios, "BASELINE.yaml [CANDIDATE.yaml]")->required()->expected(1, 2);
  compare->add_option("--variant", compare_options.variant, "Overlay YAML deep-merged onto the baseline");
  compare->add_option("--seeds", compare_options.seeds, "Number of paired seeds")->capture_default_str();
  compare->add_option("--first-seed", compare_options.first_seed, "The first seed")->capture_default_str();
  compare->add_option("--jobs,-j", compare_options.jobs, "Runs at a time")->capture_default_str();
  compare->add_option("--out", compare_options.out_dir, "Output folder")->capture_default_str();
  compare->add_option("--gates", compare_options.gates, "YAML file whose gate: section replaces the scenario's");
  compare->add_option("--alpha", compare_options.alpha, "Family-wise significance level")->capture_default_str();

  qsim::reports::SweepOptions sweep_options;
  CLI::App* sweep = app.add_subcommand("sweep", "Compare a grid of scenario variants against the scenario");
  sweep->add_option("scenario", sweep_options.scenario, "The baseline scenario")->required();
  sweep->add_option("--grid", sweep_options.grid, "KEY=V1,V2,... (dotted scenario key); repeatable")
      ->required()
      ->allow_extra_args(false);  // one KEY=... per --grid, so the scenario may follow
  sweep->add_option("--shard", sweep_options.shard, "I/N: run only this share of the points (0 <= I < N)");
  sweep->add_option("--seeds", sweep_options.seeds, "Number of paired seeds")->capture_default_str();
  sweep->add_option("--first-seed", sweep_options.first_seed, "The first seed")->capture_default_str();
  sweep->add_option("--jobs,-j", sweep_options.jobs, "Runs at a time")->capture_default_str();
  sweep->add_option("--out", sweep_options.out_dir, "Output folder")->capture_default_str();
  sweep->add_option("--gates", sweep_options.gates, "YAML file whose gate: section replaces the scenario's");
  sweep->add_option("--alpha", sweep_options.alpha, "Family-wise significance level per point")->capture_default_str();

  std::vector<std::string> merge_dirs;
  std::string merge_out;
  CLI::App* merge = app.add_subcommand("merge", "Join the output folders of sweep shards");
  merge->add_option("dirs", merge_dirs, "Shard output folders")->required();
  merge->add_option("--out", merge_out, "Output folder")->required();

  qsim::reports::CheckOptions check_options;
  CLI::App* check = app.add_subcommand("check", "The smoke gate: run scenarios and check their expect: entries");
  check->add_option("paths", check_options.paths, "Scenario files or folders")->required();
  check->add_option("--jobs,-j", check_options.jobs, "Runs at a time")->capture_default_str();
  check->add_option("--out", check_options.out_dir, "Keep the runs in this folder (default: a temporary one)");

  // --- run / validate: the simulator (sim/README.md) ---
  qsim::sim::RunArgs run_args;
  uint64_t run_seed = 0;
  bool run_no_report = false;
  CLI::App* run = app.add_subcommand("run", "Run a scenario and write its run folder");
  run->add_option("scenario", run_args.scenario, "Scenario file (.yaml)")->required();
  CLI::Option* run_seed_opt = run->add_option("--seed", run_seed, "Seed (default: the scenario's)");
  run->add_option("--out", run_args.out_dir, "Run folder (default: runs/<name>-seed<N>)");
  run->add_flag("--quiet", run_args.quiet, "No summary on stdout, no progress line");
  run->add_option("--outputs", run_args.outputs, "Comma list of tasks,summary,timeseries,events");
  run->add_flag("--no-report", run_no_report, "Do not write report.html");
  std::vector<std::string> validate_files;
  CLI::App* validate = app.add_subcommand("validate", "Check scenarios: schema and sanity errors with file:line:column");
  validate->add_option("scenarios", validate_files, "Scenario files (.yaml)")->required();

  // (other subcommands are added above this line)

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 uses codes >= 100 for parse errors; qsim promises 2 for bad usage.
    int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : 2;
  }

  if (replay->parsed()) return qsim::RunReplayCommand(replay_files, replay_verbose, std::cout, std::cerr);
  if (bench_profiler->parsed()) return qsim::bench::RunProfilerBench(bench_seed, std::cout);
  if (bench_large->parsed()) return qsim::bench::RunLargePassBench(bench_seed, std::cout);
  if (report->parsed()) return qsim::reports::RunReportCommand(report_dir, std::cout, std::cerr);
  if (compare->parsed()) {
    compare_options.baseline = compare_scenarios[0];
    if (compare_scenarios.size() > 1) compare_options.candidate = compare_scenarios[1];
    return qsim::reports::RunCompareCommand(compare_options, std::cout, std::cerr);
  }
  if (sweep->parsed()) return qsim::reports::RunSweepCommand(sweep_options, std::cout, std::cerr);
  if (merge->parsed()) return qsim::reports::RunMergeCommand(merge_dirs, merge_out, std::cout, std::cerr);
  if (check->parsed()) return qsim::reports::RunCheckCommand(check_options, std::cout, std::cerr);
  if (run->parsed()) {
    if (*run_seed_opt) run_args.seed = run_seed;
    run_args.progress = !run_args.quiet && isatty(STDOUT_FILENO);
    if (!run_no_report) {
      // --quiet silences the report's "wrote ..." line too; errors still go to stderr.
      run_args.on_written = [quiet = run_args.quiet](const std::string& dir) {
        std::ostringstream discarded;
        return qsim::reports::RunReportCommand(dir, quiet ? discarded : std::cout, std::cerr);
      };
    }
    auto wall = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
    return qsim::sim::RunCommand(run_args, wall, std::cout, std::cerr);
  }
  if (validate->parsed()) return qsim::sim::ValidateCommand(validate_files, std::cout, std::cerr);
  return 2;
}
