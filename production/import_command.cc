#include "production/import_command.h"

#include <cctype>
#include <optional>

#include "production/import.h"
#include "production/replay_scenario.h"
#include "sim/scenario.h"

namespace qsim::production {
namespace {

int Fail(const Status& s, std::ostream& err) {
  err << s.message() << "\n";
  return ExitStatusFor(s.code());
}

StatusOr<ReadOptions> Options(const ImportArgs& args) {
  ReadOptions options;
  options.scheduler_id = args.scheduler_id;
  if (args.format == "jsonl") options.format = LogFormat::kNdjson;
  else if (args.format == "binary") options.format = LogFormat::kBinary;
  else if (args.format != "auto") {
    return InvalidArgument("--format: expected auto, jsonl or binary, got \"" + args.format + "\"");
  }
  return options;
}

// --bots and --presence-slack into `replay`.
Status FleetOptions(const ImportArgs& args, ReplayOptions* replay) {
  if (args.bots != "inferred" && args.bots != "whole-run") {
    return InvalidArgument("--bots: expected inferred or whole-run, got \"" + args.bots + "\"");
  }
  replay->bots_whole_run = args.bots == "whole-run";
  if (args.presence_slack.empty()) return Status::Ok();
  if (replay->bots_whole_run) return InvalidArgument("--presence-slack: only with --bots inferred");
  std::optional<Duration> slack = sim::ParseDuration(args.presence_slack);
  if (!slack || *slack < Duration::zero() || *slack > Hours(24 * 3650)) {
    return InvalidArgument("--presence-slack: expected a duration from 0s to 3650d such as 15m, got \"" +
                           args.presence_slack + "\"");
  }
  replay->presence_slack_us = ToMicros(*slack);
  return Status::Ok();
}

}  // namespace

int RunImportCommand(const ImportArgs& args, std::ostream& out, std::ostream& err) {
  StatusOr<ReadOptions> options = Options(args);
  if (!options.ok()) return Fail(options.status(), err);
  for (char c : args.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Fail(InvalidArgument("--name: may hold only letters, digits, '.', '_' and '-', got \"" + args.name + "\""),
                  err);
    }
  }
  if (!args.name.empty() && (args.name[0] == '.' || args.name.size() > 100)) {
    return Fail(InvalidArgument("--name: must not start with '.' nor be longer than 100 characters"), err);
  }
  ReplayOptions replay;
  if (Status fleet = FleetOptions(args, &replay); !fleet.ok()) return Fail(fleet, err);
  replay.name = args.name;
  replay.source = args.log;
  if (!args.start.empty()) {
    StatusOr<int64_t> start = ParseRfc3339(args.start);
    if (!start.ok()) return Fail(start.status().WithContext("--start"), err);
    replay.start_us = *start;
  }
  Warnings warnings;
  StatusOr<ObservedLog> log = ReadTaskEventLog(args.log, *options, &warnings);
  if (!log.ok()) {  // what was left out may be why nothing is left
    for (const std::string& w : warnings) err << "warning: " << w << "\n";
    return Fail(log.status(), err);
  }
  if (!args.config.empty()) {
    StatusOr<SchedulerConfig> config = ReadSchedulerConfig(args.config);
    if (!config.ok()) return Fail(config.status(), err);
    MergeSchedulerConfig(*config, &*log, &warnings);
  }
  StateSnapshot snapshot;
  if (!args.snapshot.empty()) {
    StatusOr<StateSnapshot> read = ReadStateSnapshot(args.snapshot);
    if (!read.ok()) return Fail(read.status(), err);
    snapshot = std::move(read).value();
  }
  out << "read " << args.log << ": " << log->events << " rows, " << log->tasks.size() << " tasks, "
      << log->bots.size() << " bots, " << log->accounts.size() << " accounts (pool \"" << log->scheduler_id
      << "\", " << FormatRfc3339(log->start_us) << " to " << FormatRfc3339(log->end_us) << ")\n";
  StatusOr<ReplaySummary> s =
      WriteReplayScenario(*log, args.snapshot.empty() ? nullptr : &snapshot, replay, args.out_dir, &warnings);
  for (const std::string& w : warnings) err << "warning: " << w << "\n";
  if (!s.ok()) return Fail(s.status(), err);
  out << "wrote " << args.out_dir << "/" << kImportedScenarioFile << ": " << s->bots << " bots in " << s->bot_groups
      << " groups ("
      << (replay.bots_whole_run ? std::string("each for the whole run")
                                : "each from its first to its last row, presence slack " +
                                      sim::FormatDuration(Micros(s->presence_slack_us)))
      << "), " << s->accounts << " accounts, " << sim::FormatDuration(Micros(s->duration_us)) << " from "
      << FormatRfc3339(s->start_us) << "\n";
  out << "wrote " << args.out_dir << "/" << kImportedTaskLogFile << ": " << s->tasks << " tasks, " << s->exact_tasks
      << " exactly as logged (arrival and run)";
  if (s->running_at_start > 0) out << ", " << s->running_at_start << " running at time 0 on the snapshot's bots";
  out << "\n";
  return 0;
}

}  // namespace qsim::production
