#include "production/commands.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <ostream>

#include "production/calibrate.h"
#include "production/import.h"
#include "production/run_log.h"
#include "runfolder/files.h"
#include "sim/limits.h"

namespace qsim::production {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int Fail(const Status& s, std::ostream& err) {
  err << s.message() << "\n";
  return ExitStatusFor(s.code());
}

}  // namespace

StatusOr<ObservedLog> ReadObservedLog(const std::string& path, const std::string& config, const std::string& pool,
                                      std::ostream& err) {
  if (IsDirectory(path)) {
    if (!config.empty()) return InvalidArgument("--config: " + path + " is a run folder, which holds its own accounts");
    if (!pool.empty()) return InvalidArgument("--pool: " + path + " is a run folder, which holds one pool");
    return ObservedLogFromRunFolder(path);
  }
  ReadOptions options;
  options.scheduler_id = pool;
  Warnings warnings;
  StatusOr<ObservedLog> log = ReadTaskEventLog(path, options, &warnings);
  if (!log.ok()) return log.status();
  if (!config.empty()) {
    StatusOr<SchedulerConfig> c = ReadSchedulerConfig(config);
    if (!c.ok()) return c.status();
    MergeSchedulerConfig(*c, &*log, &warnings);
  }
  for (const std::string& w : warnings) err << path << ": warning: " << w << "\n";
  return log;
}

int AddSnapshotWorkers(const StateSnapshot& snapshot, ObservedLog* log) {
  std::set<std::string> known;
  for (const ObservedBot& b : log->bots) known.insert(b.id);
  int added = 0;
  for (const auto* workers : {&snapshot.idle_workers(), &snapshot.running_workers()}) {
    for (const StateSnapshot::Worker& w : *workers) {
      if (!known.insert(w.bot_id()).second) continue;
      ObservedBot bot;
      bot.id = w.bot_id();
      bot.dimensions.assign(w.labels().begin(), w.labels().end());
      bot.first_seen_us = log->start_us;
      bot.last_seen_us = log->end_us;
      log->bots.push_back(std::move(bot));
      ++added;
    }
  }
  std::sort(log->bots.begin(), log->bots.end(), [](const ObservedBot& a, const ObservedBot& b) { return a.id < b.id; });
  return added;
}

int FitCommand(const FitArgs& args, std::ostream& out, std::ostream& err) {
  StatusOr<ObservedLog> log = ReadObservedLog(args.log, args.config, args.pool, err);
  if (!log.ok()) return Fail(log.status(), err);
  if (!args.snapshot.empty()) {
    if (IsDirectory(args.log)) {
      return Fail(InvalidArgument("--snapshot: " + args.log + " is a run folder, which holds its own fleet"), err);
    }
    StatusOr<StateSnapshot> snapshot = ReadStateSnapshot(args.snapshot);
    if (!snapshot.ok()) return Fail(snapshot.status(), err);
    int added = AddSnapshotWorkers(*snapshot, &*log);
    err << args.snapshot << ": " << added << " workers the log does not name added to the fleet\n";
  }
  StatusOr<Fit> fit = FitScenario(*log, args.log, args.options);
  if (!fit.ok()) return Fail(fit.status(), err);
  std::string text = FitScenarioYaml(*fit, args.log);
  if (static_cast<int64_t>(text.size()) > sim::kMaxScenarioFileBytes) {
    return Fail(InvalidArgument(args.log + ": the fitted scenario would be " + std::to_string(text.size()) +
                                " bytes, more than a scenario file may hold (" +
                                std::to_string(sim::kMaxScenarioFileBytes) + ", docs/limits.md): " +
                                std::to_string(fit->workloads.size()) +
                                " workloads; fewer --empirical-points or --durations lognormal make each smaller"),
                err);
  }
  Status written = runfolder::WriteTextFile(args.out, text);
  if (!written.ok()) return Fail(written, err);
  if (!args.quiet) out << FitSummaryText(*fit);
  for (const std::string& w : fit->warnings) err << args.log << ": warning: " << w << "\n";
  out << "wrote " << args.out << "\n";
  return 0;
}

int CalibrateCommand(const CalibrateArgs& args, std::ostream& out, std::ostream& err) {
  StatusOr<ObservedLog> log = ReadObservedLog(args.log, args.config, args.pool, err);
  if (!log.ok()) return Fail(log.status(), err);
  std::vector<ObservedLog> runs;
  for (const std::string& dir : args.run_dirs) {
    if (!IsDirectory(dir)) return Fail(InvalidArgument(dir + ": not a run folder (no such directory)"), err);
    StatusOr<ObservedLog> run = ObservedLogFromRunFolder(dir);
    if (!run.ok()) return Fail(run.status(), err);
    runs.push_back(std::move(*run));
  }
  StatusOr<Calibration> c = Calibrate(*log, args.log, runs, args.accounts);
  if (!c.ok()) return Fail(c.status(), err);
  out << CalibrationText(*c);
  Status written = runfolder::WriteTextFile(args.html, CalibrationHtml(*c, args.log, args.run_dirs));
  if (!written.ok()) return Fail(written, err);
  out << "wrote " << args.html << "\n";
  int status = 0;
  for (const CalibrationRow& r : c->rows) {
    if (args.max_ks && r.ks && *r.ks > *args.max_ks) {
      char line[160];
      std::snprintf(line, sizeof line, "FAIL: account %s: KS %.3f above --max-ks %g\n", r.account.c_str(), *r.ks,
                    *args.max_ks);
      out << line;
      status = 1;
    }
  }
  return status;
}

}  // namespace qsim::production
