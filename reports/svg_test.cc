// The SVG writer: axes, legends, escaping. (The CSV tests moved to runfolder/.)
#include "reports/svg.h"

#include <gtest/gtest.h>

namespace qsim::reports {
namespace {

TEST(ReportsSvg, NiceTicksCoverTheRange) {
  std::vector<double> t = svg::NiceTicks(0, 97, 5);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t[1] - t[0], 20);
  EXPECT_EQ(t.back(), 80);
}

TEST(ReportsSvg, ChartHasAxesLegendAndEscapedText) {
  svg::XyChart chart;
  chart.id = "c";
  chart.title = "a < b";
  chart.x = {"time", "s", 0.0, std::nullopt};
  chart.y = {"tasks", "", 0.0, std::nullopt};
  svg::Series s;
  s.name = "build & test";
  s.x = {0, 10, 20};
  s.y = {1, 3, 2};
  chart.series.push_back(s);
  std::string out = svg::RenderXyChart(chart);
  EXPECT_NE(out.find("a &lt; b"), std::string::npos);
  EXPECT_NE(out.find(">time (s)<"), std::string::npos);
  EXPECT_NE(out.find(">tasks<"), std::string::npos);
  EXPECT_NE(out.find(">build &amp; test<"), std::string::npos);
  EXPECT_NE(out.find("<path class=\"series\""), std::string::npos);
  EXPECT_EQ(out.find("no data"), std::string::npos);
  chart.series.clear();
  EXPECT_NE(svg::RenderXyChart(chart).find("no data"), std::string::npos);
}

}  // namespace
}  // namespace qsim::reports
