#include "reports/wait_charts.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>

#include "reports/explain.h"
#include "reports/run_data.h"
#include "reports/svg.h"
#include "reports/time_scale.h"
#include "runfolder/csv.h"
#include "runfolder/measured.h"
#include "runfolder/manifest.h"

namespace qsim::reports {

namespace {

using runfolder::Column;
using runfolder::kWaitReasons;
constexpr size_t kReasons = kWaitReasons.size();
constexpr int64_t kMinute = 60'000'000;

// t00000042 (or 42) -> 42; -1 for anything else.
int64_t TaskNumber(std::string_view name) {
  int64_t id = -1;
  if (!name.empty() && name[0] == 't') name.remove_prefix(1);
  if (name.empty()) return -1;
  auto r = std::from_chars(name.data(), name.data() + name.size(), id);
  return r.ptr == name.data() + name.size() ? id : -1;
}

Status ReadWaitsFile(const std::string& run_dir, WaitChartData* d) {
  StatusOr<runfolder::CsvTable> t = runfolder::ReadCsvFile(RunFile(run_dir, runfolder::kWaitsFile));
  if (!t.ok()) return t.status();
  if (t->header != std::vector<std::string>(runfolder::kWaitsColumns.begin(), runfolder::kWaitsColumns.end())) {
    return InvalidArgument(t->path + ":1: expected the columns account,reason,tasks,total_s,share");
  }
  for (size_t r = 0; r < t->rows.size(); ++r) {
    const std::vector<std::string>& row = t->rows[r];
    auto reason = std::find(kWaitReasons.begin(), kWaitReasons.end(), row[1]);
    std::optional<int64_t> total = runfolder::ParseMicros(row[3]);
    std::string at = t->path + ":" + std::to_string(r + 2) + ": ";
    if (reason == kWaitReasons.end()) return InvalidArgument(at + "column reason: unknown reason \"" + row[1] + "\"");
    if (!total) return InvalidArgument(at + "column total_s: not a time: \"" + row[3] + "\"");
    if (!d->bar.count(row[0])) d->accounts.push_back(row[0]);
    d->bar[row[0]][static_cast<size_t>(reason - kWaitReasons.begin())] = *total;
  }
  return Status::Ok();
}

// Per-minute buckets of the measured tasks' waits; returns the first
// measured task's number (or -1).
StatusOr<int64_t> ReadTaskBuckets(const std::string& run_dir, WaitChartData* d) {
  StatusOr<runfolder::CsvReader> reader = runfolder::CsvReader::Open(RunFile(run_dir, runfolder::kTasksFile));
  if (!reader.ok()) return reader.status();
  runfolder::CsvReader& r = *reader;
  using runfolder::kTasksColumns;
  int task = r.Column(Column(kTasksColumns, "task")), account = r.Column(Column(kTasksColumns, "account"));
  int enqueue = r.Column(Column(kTasksColumns, "enqueue_s"));
  int first_wait = r.Column(kTasksColumns[runfolder::kTasksFirstWaitColumn]);
  if (task < 0 || account < 0 || enqueue < 0 || first_wait < 0) {
    return InvalidArgument(r.path() + ":1: not the tasks.csv columns of this qsim (no wait columns?); run the "
                           "scenario again");
  }
  int64_t first_measured = -1;
  while (true) {
    StatusOr<bool> more = r.Next();
    if (!more.ok()) return more.status();
    if (!*more) return first_measured;
    const std::vector<std::string>& f = r.row();
    std::string at = r.path() + ":" + std::to_string(r.row_line()) + ": column ";
    std::optional<int64_t> e = runfolder::ParseMicros(f[enqueue]);
    if (!e) return InvalidArgument(at + "enqueue_s: not a time");
    if (*e < d->from_us) continue;
    if (first_measured < 0) first_measured = TaskNumber(f[task]);
    size_t bucket = static_cast<size_t>((*e - d->from_us) / kMinute);
    for (const std::string& a : {f[account], std::string("*")}) {
      std::vector<ReasonMicros>& v = d->areas[a];
      if (v.size() <= bucket) v.resize(bucket + 1, ReasonMicros{});
      for (size_t k = 0; k < kReasons; ++k) {
        std::optional<int64_t> w = runfolder::ParseMicros(f[first_wait + k]);
        if (!w) return InvalidArgument(at + std::string(kTasksColumns[first_wait + k]) + ": not a time");
        v[bucket][k] += *w;
      }
    }
  }
}

// Merges the per-minute buckets into WaitBucketMicros-wide ones, every
// account over the same number of buckets.
void Coarsen(WaitChartData* d) {
  size_t minutes = 0;
  for (const auto& [a, v] : d->areas) minutes = std::max(minutes, v.size());
  d->bucket_us = WaitBucketMicros(static_cast<int64_t>(minutes) * kMinute);
  size_t per = static_cast<size_t>(d->bucket_us / kMinute), n = (minutes + per - 1) / per;
  for (auto& [a, v] : d->areas) {
    std::vector<ReasonMicros> out(n, ReasonMicros{});
    for (size_t i = 0; i < v.size(); ++i) {
      for (size_t k = 0; k < kReasons; ++k) out[i / per][k] += v[i][k];
    }
    v = std::move(out);
  }
}

Status ReadEvents(const std::string& path, int64_t first_measured, WaitChartData* d) {
  StatusOr<runfolder::CsvReader> reader = runfolder::CsvReader::Open(path);
  if (!reader.ok()) return reader.status();
  runfolder::CsvReader& r = *reader;
  using runfolder::kEventsColumns;
  int time = r.Column(Column(kEventsColumns, "time_s")), type = r.Column(Column(kEventsColumns, "type"));
  int task = r.Column(Column(kEventsColumns, "task")), account = r.Column(Column(kEventsColumns, "account"));
  int cause = r.Column(Column(kEventsColumns, "cause"));
  if (time < 0 || type < 0 || task < 0 || account < 0 || cause < 0) {
    return InvalidArgument(path + ":1: not the events.csv columns of this qsim (no cause?); run the scenario again");
  }
  d->has_events = true;
  while (true) {
    StatusOr<bool> more = r.Next();
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
    const std::vector<std::string>& f = r.row();
    std::map<std::string, std::vector<int64_t>>* into = nullptr;
    if (f[cause] == "same_pass") into = &d->same_pass;
    else if (f[cause] == "running") into = &d->preempted_running;
    else if (f[cause] == "first") into = &d->first_enqueues;
    else if (f[cause] == "re_add") into = &d->re_adds;
    int64_t id = TaskNumber(f[task]);
    if (into == nullptr || first_measured < 0 || id < first_measured) continue;
    std::optional<int64_t> t = runfolder::ParseMicros(f[time]);
    if (!t) return InvalidArgument(path + ":" + std::to_string(r.row_line()) + ": column time_s: not a time");
    (*into)[f[account]].push_back(*t);
    (*into)["*"].push_back(*t);
  }
}

}  // namespace

int64_t WaitBucketMicros(int64_t span_us) {
  for (int64_t minutes : {1, 5, 10, 15, 30, 60, 120, 180, 360, 720}) {
    if (span_us <= 60 * minutes * kMinute) return minutes * kMinute;
  }
  return 1440 * kMinute;
}

StatusOr<WaitChartData> ReadWaitChartData(const std::string& run_dir) {
  WaitChartData d;
  QSIM_RETURN_IF_ERROR(ReadWaitsFile(run_dir, &d));
  StatusOr<std::optional<runfolder::RunManifest>> manifest = runfolder::ReadManifest(run_dir);
  if (!manifest.ok()) return manifest.status();
  if (*manifest) d.from_us = (*manifest)->warmup_us;
  StatusOr<int64_t> first_measured = ReadTaskBuckets(run_dir, &d);
  if (!first_measured.ok()) return first_measured.status();
  Coarsen(&d);
  std::string events = RunFile(run_dir, runfolder::kEventsFile);
  if (FileExists(events)) QSIM_RETURN_IF_ERROR(ReadEvents(events, *first_measured, &d));
  return d;
}

}  // namespace qsim::reports
