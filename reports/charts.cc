#include "reports/charts.h"

#include <algorithm>

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

svg::Series CdfSeries(const std::string& name, std::vector<double> values, double divisor) {
  std::sort(values.begin(), values.end());
  svg::Series s;
  s.name = name + " (" + std::to_string(values.size()) + ")";
  s.style = svg::SeriesStyle::kStep;
  size_t n = values.size();
  if (n == 0) return s;
  size_t stride = std::max<size_t>(1, n / 1000);
  s.x.push_back(values[0] / divisor);
  s.y.push_back(0);
  for (size_t i = 0; i < n; i += stride) {
    size_t last = std::min(n - 1, i + stride - 1);
    s.x.push_back(values[last] / divisor);
    s.y.push_back(static_cast<double>(last + 1) / static_cast<double>(n));
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

}  // namespace qsim::reports
