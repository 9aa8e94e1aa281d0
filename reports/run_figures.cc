#include "reports/run_figures.h"

#include <algorithm>

#include "reports/run_data.h"
#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "runfolder/manifest.h"
#include "runfolder/measured.h"

namespace qsim::reports {
namespace {

// The columns read, by index; names checked against the writer's list at
// compile time.
struct TaskColumns {
  int account, enqueue, start, end, outcome, wait;
};

StatusOr<TaskColumns> FindColumns(runfolder::CsvReader& tasks) {
  using runfolder::Column;
  using runfolder::kTasksColumns;
  constexpr std::string_view kAccount = Column(kTasksColumns, "account");
  constexpr std::string_view kEnqueue = Column(kTasksColumns, "enqueue_s");
  constexpr std::string_view kStart = Column(kTasksColumns, "start_s");
  constexpr std::string_view kEnd = Column(kTasksColumns, "end_s");
  constexpr std::string_view kOutcome = Column(kTasksColumns, "outcome");
  constexpr std::string_view kWait = Column(kTasksColumns, "wait_s");
  QSIM_RETURN_IF_ERROR(tasks.RequireColumns({kAccount, kEnqueue, kStart, kEnd, kOutcome, kWait}));
  return TaskColumns{tasks.Column(kAccount), tasks.Column(kEnqueue), tasks.Column(kStart),
                     tasks.Column(kEnd),     tasks.Column(kOutcome), tasks.Column(kWait)};
}

// A time field in microseconds: nullopt when empty (did not happen); an
// error naming file:line and the column when it is not a time.
StatusOr<std::optional<int64_t>> MicrosAt(const runfolder::CsvReader& tasks, int column) {
  const std::string& field = tasks.row()[column];
  if (field.empty()) return std::optional<int64_t>();
  std::optional<int64_t> us = runfolder::ParseMicros(field);
  if (!us) {
    return InvalidArgument(tasks.path() + ":" + std::to_string(tasks.row_line()) + ": column " +
                           tasks.header()[column] + ": expected a time in seconds with six decimals, got \"" +
                           field + "\"");
  }
  return std::optional<int64_t>(*us);
}

void AddTask(AccountFigures& f, std::optional<int64_t> wait, std::optional<int64_t> start,
             std::optional<int64_t> end, bool completed) {
  ++f.tasks;
  if (wait) f.waits_us.push_back(*wait);
  if (!completed) return;
  ++f.completed;
  if (!start || !end || !wait || *end <= *start) {
    ++f.completed_zero_run;
    return;
  }
  double run = static_cast<double>(*end - *start);
  f.slowdowns.push_back((static_cast<double>(*wait) + run) / run);
}

void SortFigures(AccountFigures& f) {
  std::sort(f.waits_us.begin(), f.waits_us.end());
  std::sort(f.slowdowns.begin(), f.slowdowns.end());
}

}  // namespace

StatusOr<TaskFigures> ReadTaskFigures(const std::string& run_dir) {
  TaskFigures figures;
  StatusOr<std::optional<runfolder::RunManifest>> manifest = runfolder::ReadManifest(run_dir);
  if (!manifest.ok()) return manifest.status();
  if (*manifest) figures.warmup_us = (*manifest)->warmup_us;
  StatusOr<runfolder::CsvReader> tasks = runfolder::CsvReader::Open(RunFile(run_dir, runfolder::kTasksFile));
  if (!tasks.ok()) return tasks.status();
  StatusOr<TaskColumns> c = FindColumns(*tasks);
  if (!c.ok()) return c.status();
  for (;;) {
    StatusOr<bool> more = tasks->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    std::optional<int64_t> times[4];  // enqueue, start, end, wait
    const int columns[4] = {c->enqueue, c->start, c->end, c->wait};
    for (int k = 0; k < 4; ++k) {
      StatusOr<std::optional<int64_t>> t = MicrosAt(*tasks, columns[k]);
      if (!t.ok()) return t.status();
      times[k] = *t;
    }
    for (int k : {0, 2}) {
      if (times[k]) figures.last_time = std::max(figures.last_time, static_cast<double>(*times[k]) / 1e6);
    }
    if (!times[0]) {
      return InvalidArgument(tasks->path() + ":" + std::to_string(tasks->row_line()) +
                             ": column enqueue_s: empty (every task has an enqueue time)");
    }
    if (figures.warmup_us && !runfolder::InMeasuredWindow(*times[0], *figures.warmup_us)) continue;
    bool completed = tasks->row()[c->outcome] == "completed";
    AddTask(figures.by_account[tasks->row()[c->account]], times[3], times[1], times[2], completed);
    AddTask(figures.fleet, times[3], times[1], times[2], completed);
  }
  for (auto& [account, f] : figures.by_account) SortFigures(f);
  SortFigures(figures.fleet);
  return figures;
}

WaitPercentiles PercentilesOf(const std::vector<int64_t>& sorted) {
  WaitPercentiles p;
  p.count = static_cast<int64_t>(sorted.size());
  p.p50_us = runfolder::NearestRankPercentile(sorted, 50, 100);
  p.p90_us = runfolder::NearestRankPercentile(sorted, 90, 100);
  p.p99_us = runfolder::NearestRankPercentile(sorted, 99, 100);
  p.max_us = sorted.empty() ? 0 : sorted.back();
  return p;
}

SlowdownFigures SlowdownOf(const std::vector<double>& sorted) {
  SlowdownFigures s;
  s.count = static_cast<int64_t>(sorted.size());
  if (sorted.empty()) return s;
  // The nearest rank, as for waits (runfolder::NearestRankPercentile).
  auto rank = [&](int64_t num) {
    int64_t n = s.count;
    return sorted[std::clamp<int64_t>((num * n + 99) / 100, 1, n) - 1];
  };
  s.p50 = rank(50);
  s.p90 = rank(90);
  s.p99 = rank(99);
  s.max = sorted.back();
  double sum = 0;
  for (double v : sorted) sum += v;
  s.mean = sum / static_cast<double>(s.count);
  return s;
}

}  // namespace qsim::reports
