// Charts over simulated time for the run report: one time axis per run (unit
// chosen from the run's length), the warm-up shaded on every chart, and long
// series thinned to a min/max envelope so a week-long run's page stays small.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "reports/html.h"
#include "reports/svg.h"
#include "reports/time_scale.h"

namespace qsim::reports {

// Points per series above which a chart is thinned (charts.h Downsample).
inline constexpr size_t kMaxPointsPerSeries = 800;

// The width of the run report's charts (the page is 1100 px wide at most).
inline constexpr int kReportChartWidth = 960;

struct TimeAxis {
  TimeScale scale;                 // unit of the x axis
  std::optional<double> warmup_s;  // shaded when set and > 0
};
TimeAxis MakeTimeAxis(double end_time_s, std::optional<double> warmup_s);

// An empty chart over simulated time with the warm-up shaded; the y axis
// starts at 0 (reset chart.y.min for a signed quantity).
svg::XyChart TimeChart(const TimeAxis& axis, const std::string& id, const std::string& title,
                       const std::string& y_label, const std::string& y_unit);

// `points` (time in seconds -> value) on `axis`.
svg::Series ToSeries(const std::string& name, const std::map<double, double>& points, const TimeAxis& axis);

// Thins every series longer than kMaxPointsPerSeries, adds the chart and, when
// it thinned, a caption saying how to read the envelope.
void AddTimeChart(HtmlPage& page, svg::XyChart chart);

}  // namespace qsim::reports
