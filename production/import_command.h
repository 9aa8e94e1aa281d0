// `qsim import LOG [--snapshot F] [--config F] [--bots inferred|whole-run]
// [--presence-slack D] --out DIR`: a production
// TaskEvent log to a scenario that replays it (docs/production-data.md).
#pragma once

#include <ostream>
#include <string>

namespace qsim::production {

struct ImportArgs {
  std::string log;
  std::string snapshot;      // "" = none
  std::string config;        // "" = none: accounts inferred, with a warning
  std::string out_dir;
  std::string format = "auto";  // auto, jsonl or binary
  std::string scheduler_id;  // "" = the log's only pool
  std::string name;          // the scenario's name; "" = from the pool
  std::string start;         // RFC 3339; "" = the snapshot's time or the first row's hour
  std::string bots = "inferred";  // inferred (each bot's presence from its rows) or whole-run
  std::string presence_slack;     // a duration ("15m"); "" = from the log
};

// Prints what was read and written on `out`, warnings and errors on `err`;
// returns the exit status (0, 2 bad input, 3 a write failed).
int RunImportCommand(const ImportArgs& args, std::ostream& out, std::ostream& err);

}  // namespace qsim::production
