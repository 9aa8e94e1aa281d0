// Fuzz target: `qsim import`'s readers on arbitrary bytes. As NDJSON, every
// line goes through the row reader (the hand-written JSON parser, the field
// mapping and the row checks), and the accepted rows become an ObservedLog;
// as a binary EventList, the same. Errors are values; an accepted row passes
// CheckRow again; an ObservedLog's tasks are ordered by enqueue time.
#include <string>
#include <string_view>

#include "fuzz/fuzz_target.h"
#include "production/import.h"
#include "production/internal/log_rows.h"

namespace {

void Follow(const qsim::production::internal::LogRows& rows) {
  for (const auto& e : rows.events) {
    FUZZ_REQUIRE(qsim::production::internal::CheckRow(e).ok(), "an accepted row fails CheckRow");
  }
  if (rows.events.empty()) return;
  qsim::production::Warnings warnings;
  qsim::production::ReadOptions options;
  options.scheduler_id = rows.events.front().scheduler_id();
  auto log = qsim::production::BuildObservedLog(rows.events, rows.where, options, &warnings);
  if (!log.ok()) return;
  for (size_t i = 1; i < log->tasks.size(); ++i) {
    FUZZ_REQUIRE(log->tasks[i - 1].enqueue_us <= log->tasks[i].enqueue_us, "tasks out of enqueue order");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using qsim::production::internal::LogRows;
  const std::string text(reinterpret_cast<const char*>(data), size);
  LogRows json;
  size_t start = 0;
  int line = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view row(text.data() + start, end - start);
    if (!row.empty() && !qsim::production::internal::AddJsonLine(row, "fuzz:" + std::to_string(++line), &json).ok()) {
      break;
    }
    start = end + 1;
  }
  Follow(json);
  LogRows binary;
  if (qsim::production::internal::AddBinaryEventList(text, "fuzz.pb", &binary).ok()) Follow(binary);
  return 0;
}
