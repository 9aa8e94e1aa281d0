// Reading what a production QuotaScheduler leaves behind (proto/production.proto):
// a TaskEvent log, a state snapshot and a SchedulerConfig, reduced to an
// ObservedLog (production/observed.h). docs/production-data.md is the user's
// guide; the rules on bad rows, unknown enum values, out-of-order times and
// duplicates are stated there and in ReadTaskEventLog below.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "production/observed.h"
#include "proto/production.pb.h"

namespace qsim::production {

enum class LogFormat {
  kAuto,    // by extension: .jsonl/.ndjson/.json are JSON, .pb/.binpb/.bin binary; else by content
  kNdjson,  // one TaskEvent per line, protobuf JSON with proto field names (a BigQuery export)
  kBinary,  // one serialized EventList
};

struct ReadOptions {
  LogFormat format = LogFormat::kAuto;
  // Keep only this pool's rows; "" means the log must hold a single
  // scheduler_id (an export of several pools is refused, naming them).
  std::string scheduler_id;
};

// Notes the reader gives about rows it accepted but changed or left out
// (each with counts), in a fixed order. Nothing is dropped without one.
using Warnings = std::vector<std::string>;

// Reads a TaskEvent log. Each row must have an event_type, a task_id and a
// time; ASSIGNED and PREEMPTED rows a bot_id. Errors (InvalidArgument, or
// NotFound for a missing file) name the file, the line (NDJSON) or the event
// index (binary, "event N", 1-based) and the field: `log.jsonl:17: field
// "time": ...`. Accepted with a warning, counted:
//  - an event_type (or completion reason) this reader does not know: the row
//    is left out (the reason is read as unspecified);
//  - rows out of time order: all rows are ordered by time, ties keeping the
//    file's order (a BigQuery export has no order);
//  - a row identical to an earlier one (an at-least-once insert): dropped;
//  - a second SWARMING_ENQUEUED for a task (the scheduler put it back in
//    the queue, e.g. after a re-notification): the first is its arrival,
//    and an assignment before it is void;
//  - rows about a task before its SWARMING_ENQUEUED, or with none: the task
//    is taken as enqueued at its first row;
//  - rows about a task after its SWARMING_COMPLETED: left out.
// Accounts come out inferred (from_config false); MergeSchedulerConfig fills
// them from a config.
StatusOr<ObservedLog> ReadTaskEventLog(const std::string& path, const ReadOptions& options, Warnings* warnings);

// The same over rows already parsed (`source` names them in messages).
// `events[i]` was found at `where[i]` ("log.jsonl:17", "log.pb: event 3").
StatusOr<ObservedLog> BuildObservedLog(const std::vector<TaskEvent>& events, const std::vector<std::string>& where,
                                       const ReadOptions& options, Warnings* warnings);

// A SchedulerConfig or a StateSnapshot in protobuf JSON (proto field names)
// or text format, told apart by the first non-blank character ('{' is JSON).
StatusOr<SchedulerConfig> ReadSchedulerConfig(const std::string& path);
StatusOr<StateSnapshot> ReadStateSnapshot(const std::string& path);

// Replaces the log's inferred accounts by the config's: every account of
// the config (from_config true), plus, with a warning, any account the log
// names that the config lacks (inferred).
void MergeSchedulerConfig(const SchedulerConfig& config, ObservedLog* log, Warnings* warnings);

// RFC 3339 ("2024-01-01T00:00:12.116Z", any offset) or BigQuery's export form
// ("2024-01-01 00:00:12.116 UTC") to microseconds since the Unix epoch;
// FormatRfc3339 writes the first form in UTC with 0, 3 or 6 fraction digits.
StatusOr<int64_t> ParseRfc3339(const std::string& text);
std::string FormatRfc3339(int64_t us);

}  // namespace qsim::production
