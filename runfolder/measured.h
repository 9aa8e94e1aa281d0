// The measurement window and the wait percentiles of summary.csv, shared by
// the simulator (which writes summary.csv) and every reader that recomputes
// figures from tasks.csv (the report's wait CDFs and tables), so that the two
// cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace qsim::runfolder {

// A task counts in summary.csv when it was enqueued at or after the end of
// the warm-up (run.json's warmup_us; both in microseconds since the start).
inline bool InMeasuredWindow(int64_t enqueue_us, int64_t warmup_us) { return enqueue_us >= warmup_us; }

// The nearest-rank percentile num/den (e.g. 99/100) of `sorted` (ascending):
// the value of rank ceil(num * n / den), 1-based, clamped to [1, n]; 0 for
// an empty list. summary.csv's wait_p50_s, wait_p90_s and wait_p99_s.
int64_t NearestRankPercentile(const std::vector<int64_t>& sorted, int64_t num, int64_t den);

// A time field as written by FormatMicros ("12.000500") in microseconds,
// exactly; nullopt when the field is not in that form.
std::optional<int64_t> ParseMicros(std::string_view field);

}  // namespace qsim::runfolder
