// Reading a conformance trace (docs/trace-format.md) into checked
// messages. Internal to replay/: only replay.cc includes it (and the tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "replay/trace.pb.h"
#include "base/status.h"
#include "scheduler/types.h"

namespace qsim::replay::internal {

enum class OpKind {
  kConfig,
  kAddAccount,
  kDeleteAccount,
  kNotifyWaiting,
  kNotifyRunning,
  kNotifyAbsent,
  kTaskError,
  kAssignTasks,
  kCancellations,
  kCheck,
  kRoundtrip,
};

std::string_view OpName(OpKind kind);

struct TraceOp {
  int line = 0;  // 1-based line in the file
  OpKind kind = OpKind::kConfig;
  proto::TraceLine fields;
};

// A trace whose every line parsed and has exactly the fields its op promises
// (so the replayer may read any of them without checking presence), with
// enum-like strings (event type, reason) known and fixed-size float lists of
// the right size.
struct Trace {
  std::string name;  // the header's name
  int64_t start_us = 0;
  // The header's `policy` over the defaults; Policy() when it has none.
  Policy policy;
  std::vector<TraceOp> ops;
};

// Bounds on what ParseTrace reads (docs/trace-format.md, "Limits"): far
// above any real trace (the conformance set's longest line is about 30 KiB
// and its lists nest four deep), they stop a damaged or hostile file from
// taking all memory or the stack. Each is a located input error.
inline constexpr size_t kMaxTraceBytes = size_t{1} << 30;      // the whole text, decompressed
inline constexpr size_t kMaxTraceLineBytes = size_t{1} << 20;  // one line, without its newline
inline constexpr int kMaxTraceNesting = 64;                    // objects and lists inside each other

// Parses a whole trace. `file` names it in errors, which read
// `FILE:LINE: field "x": expected ...` (kInvalidArgument). The whole text is
// checked before any replay, so a malformed line is reported even when an
// earlier line would mismatch. Numbers must be finite ("NaN" and
// "Infinity", which protobuf's JSON reader accepts, are errors) and in range
// for their field.
StatusOr<Trace> ParseTrace(std::string_view text, std::string_view file);

}  // namespace qsim::replay::internal
