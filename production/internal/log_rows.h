// The rows of a TaskEvent log, read and checked one at a time. Internal to
// production/: import.cc reads a file through it; tests use it directly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "proto/production.pb.h"

namespace qsim::production::internal {

// Limits on what the reader takes (docs/limits.md): far above a real
// export's rows, they stop a damaged file from taking all memory.
inline constexpr uint64_t kMaxLogBytes = uint64_t{16} << 30;
inline constexpr size_t kMaxLogLineBytes = size_t{1} << 20;

// The rows read so far and what was noticed on the way.
struct LogRows {
  std::vector<TaskEvent> events;
  std::vector<std::string> where;  // "log.jsonl:17" or "log.pb: event 3", one per event
  std::map<std::string, int64_t> unknown_event_types;  // value -> rows left out
  std::map<std::string, int64_t> unknown_reasons;      // value -> rows read as REASON_UNSPECIFIED
  int64_t blank_lines = 0;                             // not counting a final newline
};

// Checks one parsed row: the fields every row needs (event_type, task_id,
// time), a bot_id on ASSIGNED and PREEMPTED rows, details matching the type,
// priorities in 0..5, and labels, tags and the account id in a form a
// scenario can hold. Errors read `field "x": ...` (the caller adds where).
Status CheckRow(const TaskEvent& event);

// One NDJSON line (without its newline), `where` naming it. A row whose
// event_type is unknown is counted in `rows` and left out.
Status AddJsonLine(std::string_view line, const std::string& where, LogRows* rows);

// A whole binary EventList; `file` names it.
Status AddBinaryEventList(const std::string& bytes, const std::string& file, LogRows* rows);

}  // namespace qsim::production::internal
