// Replays conformance traces (docs/trace-format.md; plain `.jsonl` or
// gzip-compressed `.jsonl.gz`) against qsim's scheduler and reconciler and
// reports the first difference.
//
// Each trace runs on a fresh Scheduler::New(start, header policy) +
// reconciler::State::New(); every op's inputs go to the matching call and its
// outputs (returned lists, events, observable state) are compared with the
// recorded ones. Replay stops at the first mismatch, since later lines depend
// on earlier ones.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace qsim {

namespace replay {

struct TraceOutcome {
  enum class Result { kPass, kFail, kBadInput };
  Result result = Result::kPass;
  std::string name;  // the header's name, or the file when it cannot be read
  int ops = 0;       // op lines in the trace
  // kFail: where and what differs first.
  int line = 0;
  std::string op;
  std::string difference;  // "<what>: expected X, actual Y"
  // kBadInput: "FILE:LINE: field \"x\": expected ..."
  std::string error;

  // One line for people: "PASS name (N ops)", "FAIL name line L op OP: ..."
  // or the input error.
  std::string Summary() const;
};

struct ReplayOptions {
  // When n > 0, also write, destroy and restore both states before every
  // n-th op (1 = every op), not only at `roundtrip` lines: restoring must
  // never change what happens next.
  int roundtrip_every_n_ops = 0;
};

// Replays trace text; `file` names it in input errors.
TraceOutcome ReplayTraceText(std::string_view text, std::string_view file, const ReplayOptions& options = {});
// Reads and replays one file, decompressing gzip data (a missing,
// unreadable, corrupt or truncated file is kBadInput naming the file).
TraceOutcome ReplayTraceFile(const std::string& path, const ReplayOptions& options = {});

}  // namespace replay

// `qsim replay`: replays every file, prints a FAIL line per failing trace (and
// PASS lines when `verbose`) and a final "N passed, M failed" to `out`, and
// input errors to `err`. Returns 0 if all pass, 2 if any input was bad, else 1.
int RunReplayCommand(const std::vector<std::string>& files, bool verbose, std::ostream& out, std::ostream& err);

}  // namespace qsim
