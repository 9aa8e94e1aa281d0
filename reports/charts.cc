#include "reports/charts.h"

#include <algorithm>
#include <cmath>

#include "reports/time_scale.h"
#include "runfolder/columns.h"
#include "runfolder/csv.h"

namespace qsim::reports {

StatusOr<TaskWaits> ReadTaskWaits(const std::string& tasks_path) {
  StatusOr<runfolder::CsvReader> tasks = runfolder::CsvReader::Open(tasks_path);
  if (!tasks.ok()) return tasks.status();
  // Column names checked against the writer's list at compile time.
  constexpr std::string_view kAccount = runfolder::Column(runfolder::kTasksColumns, "account");
  constexpr std::string_view kWaitS = runfolder::Column(runfolder::kTasksColumns, "wait_s");
  constexpr std::string_view kEnqueueS = runfolder::Column(runfolder::kTasksColumns, "enqueue_s");
  constexpr std::string_view kEndS = runfolder::Column(runfolder::kTasksColumns, "end_s");
  QSIM_RETURN_IF_ERROR(tasks->RequireColumns({kAccount, kWaitS, kEnqueueS, kEndS}));
  const int c_account = tasks->Column(kAccount), c_wait = tasks->Column(kWaitS);
  const int time_columns[] = {tasks->Column(kEnqueueS), tasks->Column(kEndS)};
  TaskWaits waits;
  for (;;) {
    StatusOr<bool> more = tasks->Next();
    if (!more.ok()) return more.status();
    if (!*more) return waits;
    for (int c : time_columns) {
      StatusOr<std::optional<double>> t = tasks->NumberAt(c);
      if (!t.ok()) return t.status();
      if (*t) waits.last_time = std::max(waits.last_time, **t);
    }
    StatusOr<std::optional<double>> wait = tasks->NumberAt(c_wait);
    if (!wait.ok()) return wait.status();
    if (*wait) waits.by_account[tasks->row()[c_account]].push_back(**wait);
  }
}

svg::Series CdfSeries(const std::string& name, std::vector<double> values, double divisor,
                      const std::vector<size_t>& exact_ranks) {
  std::sort(values.begin(), values.end());
  svg::Series s;
  s.name = name + " (" + std::to_string(values.size()) + ")";
  s.style = svg::SeriesStyle::kStep;
  size_t n = values.size();
  if (n == 0) return s;
  size_t stride = std::max<size_t>(1, n / 1000);
  s.x.push_back(values[0] / divisor);
  s.y.push_back(0);
  std::vector<size_t> ranks;  // 1-based
  for (size_t i = 0; i < n; i += stride) ranks.push_back(std::min(n, i + stride));
  for (size_t r : exact_ranks) {
    if (r >= 1 && r <= n) ranks.push_back(r);
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  for (size_t rank : ranks) {
    s.x.push_back(values[rank - 1] / divisor);
    s.y.push_back(static_cast<double>(rank) / static_cast<double>(n));
  }
  if (s.y.back() < 1) {
    s.x.push_back(values[n - 1] / divisor);
    s.y.push_back(1);
  }
  return s;
}

svg::XyChart WaitCdfChart(const std::string& id, const std::string& title,
                          const std::vector<std::pair<std::string, std::vector<double>>>& series,
                          bool dash_last) {
  double max_wait = 0;
  for (const auto& [name, values] : series) {
    for (double w : values) max_wait = std::max(max_wait, w);
  }
  const TimeScale scale = ChooseTimeScale(max_wait);
  svg::XyChart chart;
  chart.id = id;
  chart.title = title;
  chart.x = {"wait", scale.unit, 0.0, std::nullopt};
  chart.y = {"fraction of started tasks", "", 0.0, 1.0};
  for (const auto& [name, values] : series) chart.series.push_back(CdfSeries(name, values, scale.divisor));
  if (dash_last && !chart.series.empty()) chart.series.back().dashed = true;
  return chart;
}

namespace {

// Human tick marks for a log axis of seconds over [lo, hi].
std::vector<std::pair<double, std::string>> LogTimeTicks(double lo, double hi) {
  static const std::pair<double, const char*> kMarks[] = {
      {0.001, "1 ms"}, {0.01, "10 ms"}, {0.1, "0.1 s"}, {1, "1 s"},      {10, "10 s"},
      {60, "1 min"},   {600, "10 min"}, {3600, "1 h"},  {36000, "10 h"}, {86400, "1 d"},
      {864000, "10 d"}};
  std::vector<std::pair<double, std::string>> ticks;
  for (const auto& [at, label] : kMarks) {
    if (at < lo * 0.999 || at > hi * 1.001) continue;
    ticks.emplace_back(at, at <= lo * 1.001 ? std::string("<=") + label : std::string(label));
  }
  return ticks;
}

}  // namespace

svg::XyChart WaitCdfLogChart(const std::string& id, const std::string& title,
                             const std::vector<std::pair<std::string, const std::vector<int64_t>*>>& series,
                             double* floor_s) {
  int64_t smallest_positive = 0, largest = 0;
  for (const auto& [name, waits] : series) {
    auto positive = std::upper_bound(waits->begin(), waits->end(), int64_t{0});
    if (positive != waits->end() && (smallest_positive == 0 || *positive < smallest_positive)) {
      smallest_positive = *positive;
    }
    if (!waits->empty()) largest = std::max(largest, waits->back());
  }
  double floor = 1.0;
  if (smallest_positive > 0) {
    floor = std::pow(10.0, std::floor(std::log10(static_cast<double>(smallest_positive) / 1e6)));
    floor = std::clamp(floor, 0.001, 1.0);
  }
  *floor_s = floor;
  double hi = std::max(floor * 10, static_cast<double>(largest) / 1e6);
  svg::XyChart chart;
  chart.id = id;
  chart.title = title;
  chart.x = {"wait", "", floor, hi};
  chart.x.log_scale = true;
  chart.x.ticks = LogTimeTicks(floor, hi);
  chart.y = {"fraction of measured tasks that started", "", 0.0, 1.0};
  chart.height = 340;
  for (const auto& [name, waits] : series) {
    std::vector<double> seconds;
    seconds.reserve(waits->size());
    for (int64_t w : *waits) seconds.push_back(std::max(floor, static_cast<double>(w) / 1e6));
    // summary.csv's percentile ranks (runfolder/measured.h), kept exactly.
    std::vector<size_t> exact;
    for (int64_t pct : {50, 90, 99}) {
      exact.push_back(static_cast<size_t>((pct * static_cast<int64_t>(waits->size()) + 99) / 100));
    }
    chart.series.push_back(CdfSeries(name, std::move(seconds), 1.0, exact));
  }
  return chart;
}

bool Downsample(svg::Series& s, size_t max_points) {
  const size_t n = std::min(s.x.size(), s.y.size());
  if (n <= max_points || max_points == 0) return false;
  const double lo = s.x.front(), hi = s.x.back();
  const double width = (hi - lo) / static_cast<double>(max_points);
  svg::Series out;
  out.name = s.name;
  out.dashed = s.dashed;
  out.color = s.color;
  out.style = svg::SeriesStyle::kLine;
  size_t k = 0;
  for (size_t b = 0; b < max_points && k < n; ++b) {
    const double end = b + 1 == max_points ? hi : lo + width * static_cast<double>(b + 1);
    double sx = 0, sy = 0, ymin = s.y[k], ymax = s.y[k];
    size_t count = 0;
    for (; k < n && (s.x[k] < end || b + 1 == max_points); ++k, ++count) {
      sx += s.x[k];
      sy += s.y[k];
      ymin = std::min(ymin, s.y[k]);
      ymax = std::max(ymax, s.y[k]);
    }
    if (count == 0) continue;
    out.x.push_back(sx / static_cast<double>(count));
    out.y.push_back(sy / static_cast<double>(count));
    out.band_low.push_back(ymin);
    out.band_high.push_back(ymax);
  }
  s = std::move(out);
  return true;
}

}  // namespace qsim::reports
