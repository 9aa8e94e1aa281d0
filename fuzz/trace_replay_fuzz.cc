// Fuzz target: a whole trace replayed against the scheduler and reconciler.
// A trace that parses drives the library with whatever values it holds
// (times, rates, ids, ops in any order); the library must answer with
// statuses and events, never crash. Replay ends in pass, mismatch or bad
// input, nothing else.
#include <string_view>

#include "fuzz/fuzz_target.h"
#include "replay/replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using qsim::replay::TraceOutcome;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  qsim::replay::ReplayOptions options;
  // Also restart through bytes before every op for one input in three, so
  // restored states are driven as well; the choice is a function of the input.
  options.roundtrip_every_n_ops = size % 3 == 0 ? 1 : 0;
  const TraceOutcome outcome = qsim::replay::ReplayTraceText(text, "fuzz.jsonl", options);
  if (outcome.result == TraceOutcome::Result::kBadInput) {
    FUZZ_REQUIRE(outcome.error.rfind("fuzz.jsonl", 0) == 0, "an input error that does not name the file");
  }
  return 0;
}
