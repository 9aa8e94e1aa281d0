// A small SVG writer: XY charts (lines, steps, points) and heatmaps with axes,
// units, ticks and legends, as self-contained <svg> elements (no scripts, no
// fonts, no external references) that an HTML page inlines. Output bytes are
// a pure function of the input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qsim::reports::svg {

enum class SeriesStyle { kLine, kStep, kPoints };

struct Series {
  std::string name;  // legend text
  std::vector<double> x;
  std::vector<double> y;  // same length as x
  SeriesStyle style = SeriesStyle::kLine;
  bool dashed = false;
  int color = -1;  // palette index; -1: the series' position
  // Optional interval per point (both empty, or both the length of x): drawn
  // as a vertical bar with caps from y_low to y_high.
  std::vector<double> y_low;
  std::vector<double> y_high;
  // Optional envelope (both empty, or both the length of x): a translucent
  // band from band_low to band_high, e.g. the min and max of the samples a
  // downsampled point stands for.
  std::vector<double> band_low;
  std::vector<double> band_high;
};

struct Axis {
  std::string label;  // "time"
  std::string unit;   // "h"; printed as "time (h)"
  std::optional<double> min;  // fixed bounds; unset: from the data
  std::optional<double> max;
  // A categorical axis: when set, ticks sit at 0, 1, ... and read these
  // labels (series then use x = the category's index).
  std::vector<std::string> tick_labels = {};
  // A logarithmic axis (base 10) over positive values; values at or below
  // `min` (which must then be set, > 0) are drawn at `min`. The axis title
  // says "log scale".
  bool log_scale = false;
  // Explicit ticks (position, label), replacing the computed ones.
  std::vector<std::pair<double, std::string>> ticks = {};
};

// A shaded stretch of the x axis (e.g. the warm-up), labelled at its top.
struct Shade {
  double x0;
  double x1;
  std::string label;
};

struct XyChart {
  std::string id;  // the element id, also data-chart="id"
  std::string title;
  Axis x;
  Axis y;
  std::vector<Series> series;
  std::vector<Shade> shades;  // drawn under the series
  int width = 760;
  int height = 300;
};

// Renders the chart; an empty chart (no points) still draws its axes and says
// "no data". A y range that spans 0 gets a darker zero line; the chart grows
// taller when its legend needs the room.
std::string RenderXyChart(const XyChart& chart);

struct Heatmap {
  std::string id;
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<std::string> x_labels;  // columns
  std::vector<std::string> y_labels;  // rows
  // values[row][column]; unset: no value (drawn grey).
  std::vector<std::vector<std::optional<double>>> values;
  // Optional text in each cell (same shape as values), e.g. "+12% ~".
  std::vector<std::vector<std::string>> cell_text;
  std::string unit;  // of the colour scale
  // Optional categorical colouring (same shape as values, "#rrggbb"; "" keeps
  // the scale's colour): when set, the legend lists `legend` (colour, text)
  // instead of the colour scale.
  std::vector<std::vector<std::string>> cell_fill;
  std::vector<std::pair<std::string, std::string>> legend;
};

// Renders a heatmap on a diverging scale centred on 0 (blue below, red
// above), or with the given cell_fill colours and legend.
std::string RenderHeatmap(const Heatmap& map);

// "Nice" tick positions (1, 2, 5 x 10^k steps) covering [lo, hi].
std::vector<double> NiceTicks(double lo, double hi, int target_count);

// Escapes &, <, >, " and ' for text and attribute values (HTML, SVG and
// XML alike); control characters XML 1.0 forbids become '?'.
std::string XmlEscape(std::string_view text);

// The colour of palette entry `index` (cycles), as "#rrggbb".
std::string PaletteColor(int index);

}  // namespace qsim::reports::svg
