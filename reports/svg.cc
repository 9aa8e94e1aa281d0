#include "reports/svg.h"
#include "runfolder/csv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>


namespace qsim::reports::svg {
namespace {

constexpr int kLeft = 70;
constexpr int kRight = 170;  // room for the legend
constexpr int kTop = 34;
constexpr int kBottom = 46;

// Coordinates with one decimal keep files small and bytes stable.
std::string Coord(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

std::string TickLabel(double v, double step) {
  // Round to the step's precision so 0.30000000000000004 prints as 0.3.
  double scale = std::pow(10.0, std::floor(std::log10(step)));
  double rounded = std::round(v / scale) * scale;
  if (std::fabs(rounded) < step * 1e-9) rounded = 0;
  // Large ticks with a suffix: 600000 reads "600k", 2500000 "2.5M".
  if (std::fabs(rounded) >= 1e6) return runfolder::FormatNumber(rounded / 1e6) + "M";
  if (std::fabs(rounded) >= 1e4) return runfolder::FormatNumber(rounded / 1e3) + "k";
  return runfolder::FormatNumber(rounded);
}

std::string AxisTitle(const Axis& axis) {
  std::string unit = axis.unit;
  if (axis.log_scale) unit += unit.empty() ? "log scale" : ", log scale";
  if (unit.empty()) return axis.label;
  return axis.label + " (" + unit + ")";
}

struct Range {
  double lo;
  double hi;
};

Range DataRange(const XyChart& chart, bool use_x) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const Series& s : chart.series) {
    for (const std::vector<double>* values : {&s.x, &s.y, &s.y_low, &s.y_high, &s.band_low, &s.band_high}) {
      if ((values == &s.x) != use_x) continue;
      for (double v : *values) {
        if (!std::isfinite(v)) continue;
        if ((use_x ? chart.x : chart.y).log_scale && v <= 0) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  const Axis& axis = use_x ? chart.x : chart.y;
  if (use_x && !axis.tick_labels.empty()) {
    // Half a category of room either side.
    return {-0.5, static_cast<double>(axis.tick_labels.size()) - 0.5};
  }
  if (axis.min) lo = *axis.min;
  if (axis.max) hi = *axis.max;
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (axis.log_scale) {
    lo = std::max(lo, axis.min.value_or(1e-3));
    if (!(hi > lo)) hi = lo * 10;
    return {lo, hi};
  }
  if (hi <= lo) {
    double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    return {lo - (axis.min ? 0 : pad), hi + pad};
  }
  return {lo, hi};
}

std::string SvgOpen(const std::string& id, int width, int height, const std::string& title) {
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + XmlEscape(id) +
                    "\" data-chart=\"" + XmlEscape(id) + "\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                    std::to_string(width) + " " + std::to_string(height) +
                    "\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">\n";
  out += "<title>" + XmlEscape(title) + "</title>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out += "<text x=\"" + std::to_string(width / 2) + "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">" +
         XmlEscape(title) + "</text>\n";
  return out;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // XML 1.0 allows no control characters but tab, LF and CR.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string PaletteColor(int index) {
  // Tableau 10: distinct, readable on white.
  static const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                         "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  constexpr int kSize = sizeof kPalette / sizeof kPalette[0];
  return kPalette[((index % kSize) + kSize) % kSize];
}

std::vector<double> NiceTicks(double lo, double hi, int target_count) {
  std::vector<double> ticks;
  if (!(hi > lo) || target_count < 1) return {lo};
  double raw = (hi - lo) / target_count;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  double first = std::ceil(lo / step - 1e-9) * step;
  for (int i = 0;; ++i) {
    double t = first + i * step;
    if (t > hi + step * 1e-9) break;
    ticks.push_back(t);
  }
  return ticks;
}

namespace {

// The plot area of an XY chart and the data -> pixel mapping.
struct PlotArea {
  int w = 0, h = 0;
  Range xr, yr;
  bool xlog = false;
  double X(double x) const {
    if (xlog) {
      double v = std::log10(std::max(x, xr.lo));
      return kLeft + (v - std::log10(xr.lo)) / (std::log10(xr.hi) - std::log10(xr.lo)) * w;
    }
    return kLeft + (x - xr.lo) / (xr.hi - xr.lo) * w;
  }
  double Y(double y) const { return kTop + h - (y - yr.lo) / (yr.hi - yr.lo) * h; }
};

// Grid lines, ticks, tick labels, the axes and their titles.
std::string XyAxes(const XyChart& chart, int height, const PlotArea& plot, const std::vector<double>& xticks,
                   const std::vector<double>& yticks) {
  std::string out;
  double xstep = xticks.size() >= 2 ? xticks[1] - xticks[0] : 1;
  double ystep = yticks.size() >= 2 ? yticks[1] - yticks[0] : 1;
  for (double t : yticks) {
    std::string y = Coord(plot.Y(t));
    out += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + y + "\" x2=\"" +
           std::to_string(kLeft + plot.w) + "\" y2=\"" + y + "\" stroke=\"#e6e6e6\"/>\n";
    out += "<text x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + y +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\">" + TickLabel(t, ystep) + "</text>\n";
  }
  for (size_t i = 0; i < xticks.size(); ++i) {
    double t = xticks[i];
    std::string x = Coord(plot.X(t));
    std::string label = !chart.x.ticks.empty()        ? XmlEscape(chart.x.ticks[i].second)
                        : chart.x.tick_labels.empty() ? TickLabel(t, xstep)
                                                      : XmlEscape(chart.x.tick_labels[i]);
    out += "<line x1=\"" + x + "\" y1=\"" + std::to_string(kTop + plot.h) + "\" x2=\"" + x +
           "\" y2=\"" + std::to_string(kTop + plot.h + 5) + "\" stroke=\"#333\"/>\n";
    out += "<text x=\"" + x + "\" y=\"" + std::to_string(kTop + plot.h + 17) +
           "\" text-anchor=\"middle\">" + label + "</text>\n";
  }
  if (plot.yr.lo < 0 && plot.yr.hi > 0) {  // the zero line of a signed quantity
    std::string y = Coord(plot.Y(0));
    out += "<line class=\"zero\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + y + "\" x2=\"" +
           std::to_string(kLeft + plot.w) + "\" y2=\"" + y + "\" stroke=\"#333\"/>\n";
  }
  out += "<path d=\"M" + std::to_string(kLeft) + " " + std::to_string(kTop) + "V" +
         std::to_string(kTop + plot.h) + "H" + std::to_string(kLeft + plot.w) +
         "\" fill=\"none\" stroke=\"#333\"/>\n";
  out += "<text x=\"" + std::to_string(kLeft + plot.w / 2) + "\" y=\"" +
         std::to_string(height - 8) + "\" text-anchor=\"middle\">" +
         XmlEscape(AxisTitle(chart.x)) + "</text>\n";
  out += "<text transform=\"translate(14 " + std::to_string(kTop + plot.h / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + XmlEscape(AxisTitle(chart.y)) + "</text>\n";
  return out;
}

// One series' points or line; non-finite values are skipped (a line lifts
// its pen over them).
std::string XyIntervals(const Series& s, const std::string& color, const PlotArea& plot) {
  size_t n = std::min({s.x.size(), s.y_low.size(), s.y_high.size()});
  if (n == 0) return "";
  std::string d;
  for (size_t k = 0; k < n; ++k) {
    if (!std::isfinite(s.x[k]) || !std::isfinite(s.y_low[k]) || !std::isfinite(s.y_high[k])) continue;
    double x = plot.X(s.x[k]);
    std::string lo = Coord(plot.Y(s.y_low[k])), hi = Coord(plot.Y(s.y_high[k]));
    d += "M" + Coord(x) + " " + lo + "V" + hi;
    d += "M" + Coord(x - 4) + " " + lo + "H" + Coord(x + 4);
    d += "M" + Coord(x - 4) + " " + hi + "H" + Coord(x + 4);
  }
  return "<path class=\"interval\" d=\"" + d + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.2\"/>\n";
}

// The dash pattern of a series: its own when dashed, dotted when its colour
// repeats an earlier series' (the palette has 10 colours), else solid.
std::string DashOf(const Series& s, int color_index) {
  if (s.dashed) return " stroke-dasharray=\"6 3\"";
  if (color_index >= 10) return " stroke-dasharray=\"1.5 2\"";
  return "";
}

std::string XySeries(const Series& s, const std::string& color, const std::string& dash, const PlotArea& plot) {
  size_t n = std::min(s.x.size(), s.y.size());
  if (s.style == SeriesStyle::kPoints) {
    std::string out = "<g fill=\"" + color + "\" class=\"series\">\n";
    for (size_t k = 0; k < n; ++k) {
      if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k])) continue;
      out += "<circle cx=\"" + Coord(plot.X(s.x[k])) + "\" cy=\"" + Coord(plot.Y(s.y[k])) + "\" r=\"3.5\"/>\n";
    }
    return out + "</g>\n";
  }
  if (n == 0) return "";
  std::string d;
  bool pen_down = false;
  for (size_t k = 0; k < n; ++k) {
    if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k])) {
      pen_down = false;
      continue;
    }
    std::string x = Coord(plot.X(s.x[k]));
    std::string y = Coord(plot.Y(s.y[k]));
    if (!pen_down) {
      d += "M" + x + " " + y;
      pen_down = true;
    } else if (s.style == SeriesStyle::kStep) {
      d += "H" + x + "V" + y;
    } else {
      d += "L" + x + " " + y;
    }
  }
  return "<path class=\"series\" d=\"" + d + "\" fill=\"none\" stroke=\"" + color +
         "\" stroke-width=\"1.6\"" + dash + "/>\n";
}

// A series' envelope: the band between band_low and band_high, translucent.
std::string XyBand(const Series& s, const std::string& color, const PlotArea& plot) {
  size_t n = std::min({s.x.size(), s.band_low.size(), s.band_high.size()});
  if (n == 0) return "";
  std::string d;
  for (size_t k = 0; k < n; ++k) {
    d += (k == 0 ? "M" : "L") + Coord(plot.X(s.x[k])) + " " + Coord(plot.Y(s.band_high[k]));
  }
  for (size_t k = n; k-- > 0;) d += "L" + Coord(plot.X(s.x[k])) + " " + Coord(plot.Y(s.band_low[k]));
  return "<path class=\"band\" d=\"" + d + "Z\" fill=\"" + color + "\" fill-opacity=\"0.22\" stroke=\"none\"/>\n";
}

// Shaded stretches of the x axis, clipped to the plot, labelled at the top.
std::string XyShades(const XyChart& chart, const PlotArea& plot) {
  std::string out;
  for (const Shade& shade : chart.shades) {
    double x0 = std::clamp(plot.X(std::max(shade.x0, plot.xr.lo)), static_cast<double>(kLeft), static_cast<double>(kLeft + plot.w));
    double x1 = std::clamp(plot.X(std::min(shade.x1, plot.xr.hi)), static_cast<double>(kLeft), static_cast<double>(kLeft + plot.w));
    if (!(x1 > x0)) continue;
    out += "<rect class=\"shade\" x=\"" + Coord(x0) + "\" y=\"" + std::to_string(kTop) + "\" width=\"" +
           Coord(x1 - x0) + "\" height=\"" + std::to_string(plot.h) + "\" fill=\"#000\" fill-opacity=\"0.07\"/>\n";
    // The label sits just above the plot, clear of the lines.
    out += "<text x=\"" + Coord(x0) + "\" y=\"" + std::to_string(kTop - 4) + "\" fill=\"#555\" font-size=\"10\">" +
           XmlEscape(shade.label) + "</text>\n";
  }
  return out;
}

// The legend entry of series number `i`, right of the plot.
std::string XyLegendEntry(const Series& s, const std::string& color, const std::string& dash, size_t i,
                          const PlotArea& plot) {
  std::string out;
  int ly = kTop + 8 + static_cast<int>(i) * 16;
  int lx = kLeft + plot.w + 14;
  if (s.style == SeriesStyle::kPoints) {
    out += "<circle cx=\"" + std::to_string(lx + 9) + "\" cy=\"" + std::to_string(ly) +
           "\" r=\"3.5\" fill=\"" + color + "\"/>\n";
  } else {
    out += "<line x1=\"" + std::to_string(lx) + "\" y1=\"" + std::to_string(ly) + "\" x2=\"" +
           std::to_string(lx + 18) + "\" y2=\"" + std::to_string(ly) + "\" stroke=\"" + color +
           "\" stroke-width=\"2\"" + dash + "/>\n";
  }
  out += "<text x=\"" + std::to_string(lx + 24) + "\" y=\"" + std::to_string(ly) +
         "\" dominant-baseline=\"middle\">" + XmlEscape(s.name) + "</text>\n";
  return out;
}

}  // namespace

std::string RenderXyChart(const XyChart& chart) {
  // Grow the chart when the legend (16 px an entry) needs more height.
  const int height = std::max(chart.height, kTop + 16 + 16 * static_cast<int>(chart.series.size()) + kBottom);
  PlotArea plot;
  plot.w = chart.width - kLeft - kRight;
  plot.h = height - kTop - kBottom;
  plot.xr = DataRange(chart, true);
  plot.yr = DataRange(chart, false);
  plot.xlog = chart.x.log_scale;
  std::vector<double> xticks;
  if (!chart.x.ticks.empty()) {
    for (const auto& [at, label] : chart.x.ticks) xticks.push_back(at);
  } else if (chart.x.tick_labels.empty()) {
    xticks = NiceTicks(plot.xr.lo, plot.xr.hi, 8);
  } else {
    for (size_t i = 0; i < chart.x.tick_labels.size(); ++i) xticks.push_back(static_cast<double>(i));
  }
  std::vector<double> yticks = NiceTicks(plot.yr.lo, plot.yr.hi, 5);
  // Widen the range to whole ticks on y so the top line is labelled.
  if (!chart.y.max && yticks.size() >= 2 && yticks.back() < plot.yr.hi) {
    plot.yr.hi = yticks.back() + (yticks[1] - yticks[0]);
    yticks.push_back(plot.yr.hi);
  }
  // And at the bottom, for a signed range.
  if (!chart.y.min && yticks.size() >= 2 && yticks.front() > plot.yr.lo) {
    plot.yr.lo = yticks.front() - (yticks[1] - yticks[0]);
    yticks.insert(yticks.begin(), plot.yr.lo);
  }

  std::string out = SvgOpen(chart.id, chart.width, height, chart.title);
  out += XyShades(chart, plot);
  out += XyAxes(chart, height, plot, xticks, yticks);
  bool any_point = false;
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const Series& s = chart.series[i];
    const int color_index = s.color >= 0 ? s.color : static_cast<int>(i);
    std::string color = PaletteColor(color_index);
    std::string dash = DashOf(s, color_index);
    if (std::min(s.x.size(), s.y.size()) > 0) any_point = true;
    out += XyBand(s, color, plot);
    out += XyIntervals(s, color, plot);
    out += XySeries(s, color, dash, plot);
    out += XyLegendEntry(s, color, dash, i, plot);
  }
  if (!any_point) {
    out += "<text x=\"" + std::to_string(kLeft + plot.w / 2) + "\" y=\"" +
           std::to_string(kTop + plot.h / 2) + "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n";
  }
  out += "</svg>\n";
  return out;
}

namespace {

// The legend right of a heatmap at x = `lx`: its categories (cell_fill
// maps) or three swatches of the colour scale with their values.
template <typename ColorOf>
std::string HeatmapLegend(const Heatmap& map, int lx, int top, double extent, const ColorOf& color) {
  std::string out;
  auto swatch = [&](int i, const std::string& fill, const std::string& text) {
    int y = top + i * 22;
    out += "<rect x=\"" + std::to_string(lx) + "\" y=\"" + std::to_string(y) +
           "\" width=\"16\" height=\"16\" fill=\"" + fill + "\" stroke=\"#999\"/>\n";
    out += "<text x=\"" + std::to_string(lx + 22) + "\" y=\"" + std::to_string(y + 8) +
           "\" dominant-baseline=\"middle\">" + text + "</text>\n";
  };
  if (!map.cell_fill.empty()) {
    for (size_t i = 0; i < map.legend.size(); ++i) {
      swatch(static_cast<int>(i), map.legend[i].first, XmlEscape(map.legend[i].second));
    }
    return out;
  }
  const double marks[] = {-extent, 0, extent};
  for (int i = 0; i < 3; ++i) {
    swatch(i, color(marks[i]), runfolder::FormatNumber(marks[i]) + (map.unit.empty() ? "" : " " + XmlEscape(map.unit)));
  }
  return out;
}

}  // namespace

std::string RenderHeatmap(const Heatmap& map) {
  constexpr int kCellW = 110;
  constexpr int kCellH = 30;
  constexpr int kMapTop = 40;
  // Room for the longest row label at about 7 px a character.
  size_t longest = 0;
  for (const std::string& label : map.y_labels) longest = std::max(longest, label.size());
  const int kMapLeft = std::max(150, 16 + 7 * static_cast<int>(longest));
  int cols = static_cast<int>(map.x_labels.size());
  int rows = static_cast<int>(map.y_labels.size());
  int width = kMapLeft + std::max(1, cols) * kCellW + (map.cell_fill.empty() ? 120 : 240);
  int height = kMapTop + std::max(1, rows) * kCellH + 50;
  if (!map.cell_fill.empty()) height = std::max(height, kMapTop + static_cast<int>(map.legend.size()) * 22 + 10);
  double extent = 0;
  for (const auto& row : map.values) {
    for (const auto& v : row) {
      if (v && std::isfinite(*v)) extent = std::max(extent, std::fabs(*v));
    }
  }
  if (extent == 0) extent = 1;
  auto color = [&](double v) {
    // White at 0, saturating to red (above) or blue (below) at |v| = extent.
    double t = std::min(1.0, std::fabs(v) / extent);
    int fade = static_cast<int>(std::lround(255 - t * 180));
    char buffer[8];
    if (v >= 0) {
      std::snprintf(buffer, sizeof buffer, "#ff%02x%02x", fade, fade);
    } else {
      std::snprintf(buffer, sizeof buffer, "#%02x%02xff", fade, fade);
    }
    return std::string(buffer);
  };
  std::string out = SvgOpen(map.id, width, height, map.title);
  for (int c = 0; c < cols; ++c) {
    out += "<text x=\"" + std::to_string(kMapLeft + c * kCellW + kCellW / 2) + "\" y=\"" +
           std::to_string(kMapTop - 6) + "\" text-anchor=\"middle\">" + XmlEscape(map.x_labels[c]) +
           "</text>\n";
  }
  for (int r = 0; r < rows; ++r) {
    int y = kMapTop + r * kCellH;
    out += "<text x=\"" + std::to_string(kMapLeft - 6) + "\" y=\"" + std::to_string(y + kCellH / 2) +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\">" + XmlEscape(map.y_labels[r]) +
           "</text>\n";
    for (int c = 0; c < cols; ++c) {
      std::optional<double> v;
      if (r < static_cast<int>(map.values.size()) && c < static_cast<int>(map.values[r].size())) {
        v = map.values[r][c];
      }
      int x = kMapLeft + c * kCellW;
      std::string fill = v && std::isfinite(*v) ? color(*v) : "#dddddd";
      if (r < static_cast<int>(map.cell_fill.size()) && c < static_cast<int>(map.cell_fill[r].size()) &&
          !map.cell_fill[r][c].empty()) {
        fill = map.cell_fill[r][c];
      }
      out += "<rect class=\"cell\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) +
             "\" width=\"" + std::to_string(kCellW) + "\" height=\"" + std::to_string(kCellH) +
             "\" fill=\"" + fill + "\" stroke=\"#ffffff\"/>\n";
      std::string text = v ? runfolder::FormatNumber(*v) : "n/a";
      if (r < static_cast<int>(map.cell_text.size()) && c < static_cast<int>(map.cell_text[r].size()) &&
          !map.cell_text[r][c].empty()) {
        text = map.cell_text[r][c];
      }
      out += "<text x=\"" + std::to_string(x + kCellW / 2) + "\" y=\"" + std::to_string(y + kCellH / 2) +
             "\" text-anchor=\"middle\" dominant-baseline=\"middle\">" + XmlEscape(text) + "</text>\n";
    }
  }
  int bottom = kMapTop + std::max(1, rows) * kCellH;
  out += "<text x=\"" + std::to_string(kMapLeft + std::max(1, cols) * kCellW / 2) + "\" y=\"" +
         std::to_string(bottom + 20) + "\" text-anchor=\"middle\">" + XmlEscape(map.x_label) + "</text>\n";
  out += "<text x=\"12\" y=\"" + std::to_string(kMapTop - 6) + "\">" + XmlEscape(map.y_label) + "</text>\n";
  out += HeatmapLegend(map, kMapLeft + std::max(1, cols) * kCellW + 16, kMapTop, extent, color);
  out += "</svg>\n";
  return out;
}

}  // namespace qsim::reports::svg
