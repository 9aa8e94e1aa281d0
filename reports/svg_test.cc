// The SVG writer: axes, legends, escaping. (The CSV tests moved to runfolder/.)
#include "reports/svg.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "reports/charts.h"

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

// A log axis says so in its title and places its ticks by decade; a signed
// range gets a zero line; a shade and an envelope band are drawn.
TEST(ReportsSvg, LogAxisShadeBandAndZeroLine) {
  svg::XyChart chart;
  chart.id = "c";
  chart.x = {"wait", "", 0.1, 1000.0};
  chart.x.log_scale = true;
  chart.x.ticks = {{0.1, "<=0.1 s"}, {1, "1 s"}, {10, "10 s"}, {100, "100 s"}, {1000, "1000 s"}};
  chart.y = {"balance", "bot-seconds", std::nullopt, std::nullopt};
  chart.shades.push_back({0.1, 1, "warm-up"});
  svg::Series s;
  s.name = "a";
  s.x = {0.1, 1, 10};
  s.y = {-5, 3, 8};
  s.band_low = {-6, 2, 7};
  s.band_high = {-4, 4, 9};
  chart.series.push_back(s);
  std::string out = svg::RenderXyChart(chart);
  EXPECT_NE(out.find(">wait (log scale)<"), std::string::npos);
  EXPECT_NE(out.find(">balance (bot-seconds)<"), std::string::npos);
  EXPECT_NE(out.find("&lt;=0.1 s"), std::string::npos);
  EXPECT_NE(out.find("class=\"zero\""), std::string::npos);
  EXPECT_NE(out.find("class=\"shade\""), std::string::npos);
  EXPECT_NE(out.find(">warm-up<"), std::string::npos);
  EXPECT_NE(out.find("class=\"band\""), std::string::npos);
  // Decades are evenly spaced: the 1 s and 10 s ticks as far apart as 10 s and 100 s.
  auto tick_x = [&](const std::string& label) {
    size_t at = out.rfind("<text x=\"", out.find(">" + label + "<"));
    return std::stod(out.substr(at + 9));
  };
  EXPECT_NEAR(tick_x("1 s") - tick_x("&lt;=0.1 s"), tick_x("10 s") - tick_x("1 s"), 0.2);
  EXPECT_NEAR(tick_x("100 s") - tick_x("10 s"), tick_x("10 s") - tick_x("1 s"), 0.2);
}

// Thinning keeps every sample's extremes in the envelope and the bucket
// count at the limit; short series are left alone.
TEST(ReportsCharts, DownsampleKeepsTheEnvelope) {
  svg::Series s;
  for (int i = 0; i < 1000; ++i) {
    s.x.push_back(i);
    s.y.push_back(i == 501 ? 100 : 1);
  }
  svg::Series short_one = s;
  short_one.x.resize(10);
  short_one.y.resize(10);
  EXPECT_FALSE(Downsample(short_one, 100));
  EXPECT_EQ(short_one.x.size(), 10u);
  ASSERT_TRUE(Downsample(s, 100));
  EXPECT_EQ(s.x.size(), 100u);
  EXPECT_EQ(s.band_high.size(), 100u);
  EXPECT_EQ(*std::max_element(s.band_high.begin(), s.band_high.end()), 100);  // the spike survives
  EXPECT_EQ(*std::min_element(s.band_low.begin(), s.band_low.end()), 1);
  EXPECT_LT(*std::max_element(s.y.begin(), s.y.end()), 100);  // the mean does not show it alone
}

}  // namespace
}  // namespace qsim::reports
