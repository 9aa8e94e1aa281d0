#include "reports/time_charts.h"

#include "reports/charts.h"

namespace qsim::reports {

TimeAxis MakeTimeAxis(double end_time_s, std::optional<double> warmup_s) {
  return TimeAxis{ChooseTimeScale(end_time_s), warmup_s};
}

svg::XyChart TimeChart(const TimeAxis& axis, const std::string& id, const std::string& title,
                       const std::string& y_label, const std::string& y_unit) {
  svg::XyChart chart;
  chart.id = id;
  chart.title = title;
  chart.x = {"simulated time", axis.scale.unit, 0.0, std::nullopt};
  chart.y = {y_label, y_unit, 0.0, std::nullopt};
  chart.width = kReportChartWidth;
  if (axis.warmup_s && *axis.warmup_s > 0) {
    chart.shades.push_back({0.0, *axis.warmup_s / axis.scale.divisor, "warm-up"});
  }
  return chart;
}

svg::Series ToSeries(const std::string& name, const std::map<double, double>& points, const TimeAxis& axis) {
  svg::Series s;
  s.name = name;
  for (const auto& [t, v] : points) {
    s.x.push_back(t / axis.scale.divisor);
    s.y.push_back(v);
  }
  return s;
}

void AddTimeChart(HtmlPage& page, svg::XyChart chart) {
  size_t longest = 0;
  bool thinned = false;
  for (svg::Series& s : chart.series) {
    longest = std::max(longest, s.x.size());
    thinned = Downsample(s, kMaxPointsPerSeries) || thinned;
  }
  page.AddChart(chart.id, svg::RenderXyChart(chart));
  if (thinned) {
    page.AddCaption("Thinned for size: " + std::to_string(longest) + " samples drawn as " +
                    std::to_string(kMaxPointsPerSeries) +
                    " buckets; the line is each bucket's mean, the shaded band its minimum to maximum.");
  }
}

}  // namespace qsim::reports
