// RunScenario and the `qsim run` / `qsim validate` commands.
#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "runfolder/columns.h"
#include "runfolder/files.h"
#include "runfolder/manifest.h"
#include "sim/internal/world.h"
#include "sim/sim.h"

namespace qsim::sim {

namespace {

// The files a run with `outputs` owns, by name, sorted (run.json aside).
std::vector<std::string> OwnedFiles(const Outputs& outputs) {
  std::vector<std::string> files = {std::string(runfolder::kResolvedScenarioFile),
                                    std::string(runfolder::kSummaryFile), std::string(runfolder::kTasksFile),
                                    std::string(runfolder::kWaitsFile)};
  if (outputs.events) files.emplace_back(runfolder::kEventsFile);
  if (outputs.timeseries) files.emplace_back(runfolder::kTimeseriesFile);
  if (outputs.taskevents) files.emplace_back(runfolder::kTaskEventsFile);
  std::sort(files.begin(), files.end());
  return files;
}

// The up-front guard of docs/limits.md: the seed's range, and the estimate
// against the memory budget, before anything large is allocated.
Status CheckRunBudget(const Scenario& scenario, uint64_t seed, const Outputs& outputs, const RunOptions& options) {
  std::string where = scenario.source_path.empty() ? "" : scenario.source_path + ": ";
  if (seed > kMaxSeed) return InvalidArgument(where + "seed: must be between 0 and 2^63-1, got " + std::to_string(seed));
  RunEstimate e = EstimateRun(scenario, outputs);
  if (options.max_memory_bytes > 0 && e.memory_bytes > options.max_memory_bytes) {
    return FailedPrecondition(where + "the run is estimated to need " + FormatBytes(e.memory_bytes) +
                              " of memory (" + std::to_string(e.tasks) + " tasks), more than --max-memory " +
                              FormatBytes(options.max_memory_bytes) +
                              "; raise --max-memory or make the scenario smaller (docs/limits.md)");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<RunResult> RunScenario(const Scenario& scenario, uint64_t seed, const RunOptions& options) {
  QSIM_RETURN_IF_ERROR(ValidateScenario(scenario));
  Outputs outputs = options.outputs.value_or(scenario.outputs);
  QSIM_RETURN_IF_ERROR(CheckRunBudget(scenario, seed, outputs, options));
  const double wall_start = options.wall_seconds ? options.wall_seconds() : 0;
  runfolder::RunManifest manifest;
  if (!options.out_dir.empty()) {
    QSIM_RETURN_IF_ERROR(runfolder::PrepareRunFolder(options.out_dir));
    Scenario resolved = scenario;
    resolved.seed = seed;
    resolved.outputs = outputs;
    std::string resolved_text = WriteResolvedScenario(resolved);
    manifest.qsim_version = options.qsim_version;
    manifest.scenario_hash = runfolder::ScenarioHash(resolved_text);
    manifest.seed = seed;
    manifest.warmup_us = ToMicros(scenario.warmup);
    manifest.command_line = options.command_line;
    manifest.files = OwnedFiles(outputs);
    QSIM_RETURN_IF_ERROR(runfolder::WriteManifest(options.out_dir, manifest));
    QSIM_RETURN_IF_ERROR(runfolder::WriteTextFile(
        options.out_dir + "/" + std::string(runfolder::kResolvedScenarioFile), resolved_text));
  }
  RunResult result;
  World world(scenario, seed, outputs, options.out_dir);
  QSIM_RETURN_IF_ERROR(world.Run(options, &result));
  if (!options.out_dir.empty()) {
    manifest.status = runfolder::RunStatus::kComplete;
    manifest.wall_seconds = options.wall_seconds ? options.wall_seconds() - wall_start : 0;
    QSIM_RETURN_IF_ERROR(runfolder::WriteManifest(options.out_dir, manifest));
  }
  return result;
}

namespace {

std::string Secs(Duration d) {
  // Human form: 6 decimals are noise on a terminal; keep 1.
  int64_t ds = (ToMicros(d) + 50000) / 100000;
  return std::to_string(ds / 10) + "." + std::to_string(ds % 10) + "s";
}

}  // namespace

void PrintSummary(const Scenario& scenario, const RunResult& r, std::ostream& out) {
  out << "scenario " << (scenario.name.empty() ? "(unnamed)" : scenario.name) << "  seed " << r.seed
      << "  simulated " << FormatDuration(scenario.duration) << " (warm-up " << FormatDuration(scenario.warmup)
      << ")  tasks " << r.task_count << "  events " << r.events << "\n";
  out << std::left << std::setw(14) << "account" << std::right << std::setw(8) << "tasks" << std::setw(10) << "complete"
      << std::setw(8) << "preempt" << std::setw(7) << "failed" << std::setw(7) << "cancel" << std::setw(6) << "lost"
      << std::setw(8) << "unfin" << std::setw(10) << "wait p50" << std::setw(10) << "p90" << std::setw(10) << "p99"
      << std::setw(10) << "max" << std::setw(9) << "preempts" << std::setw(11) << "wasted_s" << std::setw(8)
      << "busy%" << std::setw(9) << "charge%" << "\n";
  for (const AccountSummary& s : r.summary) {
    char busy[16], charge[16];
    std::snprintf(busy, sizeof busy, "%.1f", 100 * s.busy_share);
    std::snprintf(charge, sizeof charge, "%.1f", 100 * s.charge_share);
    out << std::left << std::setw(14) << s.account << std::right << std::setw(8) << s.tasks << std::setw(10)
        << s.completed << std::setw(8) << s.preempted << std::setw(7) << s.failed << std::setw(7) << s.cancelled
        << std::setw(6) << s.lost << std::setw(8) << s.unfinished;
    for (Duration d : {s.wait_p50, s.wait_p90, s.wait_p99, s.wait_max}) {
      out << std::setw(10) << (s.waits ? Secs(d) : "-");
    }
    out << std::setw(9) << s.preemptions << std::setw(11) << Secs(s.wasted_bot_time) << std::setw(8) << busy
        << std::setw(9) << charge << "\n";
  }
  const AccountSummary& fleet = r.summary.back();
  char util[16];
  std::snprintf(util, sizeof util, "%.1f", 100 * fleet.utilisation);
  out << "fleet utilisation " << util << "%, timeouts " << fleet.timeouts << ", invariant violations "
      << fleet.invariant_violations << "\n";
  for (const std::string& v : r.violations) out << "INVARIANT VIOLATED: " << v << "\n";
}

int RunCommand(const RunArgs& args, const std::function<double()>& wall_seconds, std::ostream& out,
               std::ostream& err) {
  StatusOr<Scenario> loaded = LoadScenarioFile(args.scenario);
  if (!loaded.ok()) {
    err << loaded.status().message() << "\n";
    return ExitStatusFor(loaded.status().code());
  }
  const Scenario& scenario = *loaded;
  RunOptions options;
  options.max_memory_bytes = args.max_memory_bytes;
  if (!args.outputs.empty()) {
    Outputs o{false, false};
    std::stringstream ss(args.outputs);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item == "timeseries") o.timeseries = true;
      else if (item == "events") o.events = true;
      else if (item == "taskevents") o.taskevents = true;
      else if (item != "tasks" && item != "summary" && item != "waits") {
        err << "--outputs: unknown output \"" << item
            << "\" (expected tasks, summary, waits, timeseries, events, taskevents; tasks, summary and waits are "
               "always written)\n";
        return 2;
      }
    }
    options.outputs = o;
  }
  uint64_t seed = args.seed.value_or(scenario.seed);
  options.out_dir = args.out_dir.empty() ? "runs/" + scenario.name + "-seed" + std::to_string(seed) : args.out_dir;
  options.qsim_version = args.qsim_version;
  options.command_line = args.command_line;
  options.wall_seconds = wall_seconds;
  options.keep_task_results = false;  // written to tasks.csv; only the summary is printed
  if (args.stop_signal) options.stop_requested = [&args] { return args.stop_signal() != 0; };
  double wall_start = wall_seconds ? wall_seconds() : 0;
  if (args.progress && wall_seconds) {
    options.progress = [&err, &wall_seconds, wall_start](Duration now, Duration end, uint64_t events) {
      double elapsed = wall_seconds() - wall_start;
      double frac = ToMicros(end) > 0 ? static_cast<double>(ToMicros(now)) / static_cast<double>(ToMicros(end)) : 1;
      double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
      char line[160];
      std::snprintf(line, sizeof line, "\r  simulated %s / %s (%3.0f%%)  %.2fM events/s  ETA %.0fs   ",
                    FormatDuration(Micros(ToMicros(now) / 1000000 * 1000000)).c_str(), FormatDuration(end).c_str(),
                    100 * frac, elapsed > 0 ? static_cast<double>(events) / elapsed / 1e6 : 0.0, eta);
      err << line << std::flush;
    };
  }
  StatusOr<RunResult> result = RunScenario(scenario, seed, options);
  if (args.progress) err << "\n";
  if (int signal = args.stop_signal ? args.stop_signal() : 0; signal != 0) {
    // Stopped on request (or the request came after the last event): the
    // folder may be complete or not, run.json says which.
    err << "qsim run: stopped by signal " << signal << " ("
        << (result.ok() ? "the run had finished" : result.status().message()) << "); " << options.out_dir
        << (result.ok() ? " is complete" : " is left incomplete") << "\n";
    return 128 + signal;
  }
  if (!result.ok()) {
    err << result.status().message() << "\n";
    return ExitStatusFor(result.status().code());
  }
  if (!args.quiet) {
    PrintSummary(scenario, *result, out);
    out << "wrote " << options.out_dir << "\n";
  }
  if (args.on_written) {
    int rc = args.on_written(options.out_dir);
    if (rc != 0 && result->violations.empty()) return rc;
  }
  if (!result->violations.empty()) {
    for (const std::string& v : result->violations) err << "invariant violated: " << v << "\n";
    return 1;
  }
  return 0;
}

namespace {

std::string Rounded(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, v >= 100 ? "%.0f" : "%.3g", v);
  return buffer;
}

std::string Percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", 100 * fraction);
  return buffer;
}

// The offered-load line of `validate`, and a warning on `err` when the
// workloads bring more work than the fleet can run.
void PrintOfferedLoad(const std::string& file, const OfferedLoad& load, std::ostream& out, std::ostream& err) {
  out << "  offered load: " << Percent(load.load()) << " of fleet capacity (" << Rounded(load.work_bot_seconds / 3600)
      << " bot-hours of work against " << Rounded(load.capacity_bot_seconds / 3600)
      << " bot-hours of bots)";
  if (load.peak_load > 0) out << "; at the diurnal peak, bursts aside, " << Percent(load.peak_load);
  out << "\n";
  if (load.load() > 1) {
    err << file << ": warning: offered load " << Percent(load.load())
        << " of fleet capacity: more work arrives than every bot could run, so queues grow for the whole run\n";
  }
}

}  // namespace

int ValidateCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  int status = 0;
  for (const std::string& f : files) {
    StatusOr<Scenario> s = LoadScenarioFile(f);
    if (!s.ok()) {
      err << s.status().message() << "\n";
      status = 2;
      continue;
    }
    out << f << ": ok (" << s->accounts.size() << " accounts, " << s->bots.size() << " bot groups, "
        << s->workloads.size() << " workloads, " << FormatDuration(s->duration) << ")\n";
    RunEstimate e = EstimateRun(*s, s->outputs);
    out << "  estimate: " << e.tasks << " tasks, " << e.events << " events, " << FormatBytes(e.output_bytes)
        << " written, " << FormatBytes(e.memory_bytes) << " of memory\n";
    PrintOfferedLoad(f, EstimateOfferedLoad(*s), out, err);
  }
  return status;
}

}  // namespace qsim::sim
