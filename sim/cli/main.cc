// qsim's command line. CLI11 lives in this one file (it is slow to compile);
// each subcommand parses its options here and calls a library function that
// returns an exit status. Exit codes: 0 ok, 1 a check or comparison failed,
// 2 bad input or usage.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_commands.h"
#include "replay/replay.h"

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
  CLI::App* bench = app.add_subcommand("bench", "Time the scheduler on the reference profiler's workloads");
  bench->require_subcommand(1);
  uint64_t bench_seed = 1;
  CLI::App* bench_profiler = bench->add_subcommand(
      "profiler", "Workload 1: 100 iterations of 1,000 tasks + 50 workers, UpdateTime, RunOnce");
  bench_profiler->add_option("--seed", bench_seed, "Seed of the workload generator")->capture_default_str();
  CLI::App* bench_large = bench->add_subcommand(
      "large-pass", "Workload 2: one RunOnce over 5,000 idle workers x 100,000 queued tasks");
  bench_large->add_option("--seed", bench_seed, "Seed of the workload generator")->capture_default_str();

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
  return 2;
}
