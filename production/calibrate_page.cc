// The table and the HTML page of `qsim calibrate` (calibrate.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "production/calibrate.h"
#include "reports/charts.h"
#include "reports/html.h"
#include "reports/svg.h"

namespace qsim::production {
namespace {

std::string Seconds(const std::optional<double>& s) {
  if (!s) return "-";
  char buf[32];
  if (*s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", *s);
  } else if (*s < 3600) {
    std::snprintf(buf, sizeof buf, "%.1fm", *s / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.2fh", *s / 3600);
  }
  return buf;
}

std::string Number(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Distance(const std::optional<double>& d) { return d ? Number(*d, 3) : "-"; }

const std::vector<std::string>& Header() {
  static const std::vector<std::string> header = {
      "account",   "tasks log", "tasks sim", "assign log", "assign sim", "preempt log", "preempt sim",
      "p50 log",   "p50 sim",   "p90 log",   "p90 sim",      "p99 log",      "p99 sim",     "busy% log",
      "busy% sim", "KS",        "seed KS"};
  return header;
}

// One row of the table; the simulated counts are means per run.
std::vector<std::string> Cells(const CalibrationRow& r) {
  int sim_decimals = 1;
  return {r.account,
          Number(r.log.tasks, 0),
          Number(r.sim.tasks, sim_decimals),
          Number(r.log.assignments, 0),
          Number(r.sim.assignments, sim_decimals),
          Number(r.log.preemptions, 0),
          Number(r.sim.preemptions, sim_decimals),
          Seconds(r.log.p50),
          Seconds(r.sim.p50),
          Seconds(r.log.p90),
          Seconds(r.sim.p90),
          Seconds(r.log.p99),
          Seconds(r.sim.p99),
          r.account == "*" ? "-" : Number(100 * r.log.busy_share, 1),
          r.account == "*" ? "-" : Number(100 * r.sim.busy_share, 1),
          Distance(r.ks),
          Distance(r.seed_ks)};
}

std::string Summary(const Calibration& c) {
  return "fleet utilisation: log " + Number(100 * c.log_utilisation, 1) + "%, simulated " +
         Number(100 * c.sim_utilisation, 1) + "% (mean of " + std::to_string(c.runs) + " run" +
         (c.runs == 1 ? "" : "s") + ")";
}

// "1s", "10s", "1.7m", "2.8h": a decade's tick label.
std::string Tick(double seconds) {
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%gs", seconds);
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof buf, "%.2gm", seconds / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.2gh", seconds / 3600);
  }
  return buf;
}

// Both wait CDFs on a log-scaled wait axis (waits span milliseconds to
// hours, and on a linear axis the bulk of short waits is a vertical line at
// 0), with the KS gap marked. The axis is categorical: tick i is the decade
// lo * 10^i, and a wait w sits at log10(w / lo); waits below lo sit at lo.
std::string WaitChart(const std::string& id, const std::string& name, const CalibrationRow& r, size_t runs) {
  double lo_wait = 1e300, hi_wait = 0;
  for (const std::vector<double>* w : {&r.log.waits, &r.sim.waits}) {
    for (double v : *w) {
      if (v > 0) lo_wait = std::min(lo_wait, v);
      hi_wait = std::max(hi_wait, v);
    }
  }
  double lo = lo_wait < 1e300 ? std::max(1e-3, std::pow(10.0, std::floor(std::log10(lo_wait)))) : 1.0;
  int decades = std::max(1, static_cast<int>(std::ceil(std::log10(std::max(hi_wait, lo) / lo))));
  auto at = [lo](double w) { return std::log10(std::max(w, lo) / lo); };
  reports::svg::XyChart chart;
  chart.id = id;
  chart.title = "Wait CDF, " + name + ": log and simulated";
  for (int i = 0; i <= decades; ++i) chart.x.tick_labels.push_back(Tick(lo * std::pow(10.0, i)));
  chart.x.label = "wait, log scale (waits under " + Tick(lo) + " drawn at " + Tick(lo) + ")";
  chart.y = {"fraction of assigned tasks", "", 0.0, 1.0};
  // Legend entries must fit the legend's 170 pixels (svg.cc): short names.
  std::string sim_name = runs == 1 ? "simulated" : "sim, " + std::to_string(runs) + " runs";
  for (const auto& [label, waits] : {std::pair{std::string("log"), &r.log.waits}, std::pair{sim_name, &r.sim.waits}}) {
    reports::svg::Series s = reports::CdfSeries(label, *waits, 1.0);
    for (double& x : s.x) x = at(x);
    chart.series.push_back(std::move(s));
  }
  chart.series.back().dashed = true;
  if (r.ks) {
    reports::svg::Series gap;
    gap.name = "KS gap " + Distance(r.ks);
    gap.style = reports::svg::SeriesStyle::kPoints;
    gap.x = {at(r.ks_at)};
    gap.y = {(r.ks_log_cdf + r.ks_sim_cdf) / 2};
    gap.y_low = {std::min(r.ks_log_cdf, r.ks_sim_cdf)};
    gap.y_high = {std::max(r.ks_log_cdf, r.ks_sim_cdf)};
    chart.series.push_back(std::move(gap));
  }
  return reports::svg::RenderXyChart(chart);
}

}  // namespace

std::string CalibrationText(const Calibration& c) {
  std::vector<std::vector<std::string>> rows = {Header()};
  for (const CalibrationRow& r : c.rows) rows.push_back(Cells(r));
  std::vector<size_t> width(Header().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::ostringstream o;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      std::string pad(width[i] - row[i].size(), ' ');
      o << (i ? "  " : "") << (i == 0 ? row[i] + pad : pad + row[i]);
    }
    o << "\n";
  }
  o << Summary(c) << "\n";
  for (const std::string& w : c.warnings) o << "warning: " << w << "\n";
  return o.str();
}

std::string CalibrationHtml(const Calibration& c, const std::string& log_name,
                            const std::vector<std::string>& run_dirs) {
  reports::HtmlPage page("qsim calibrate: " + log_name);
  page.AddHeading("Calibration of " + std::to_string(run_dirs.size()) + " simulated run" +
                      (run_dirs.size() == 1 ? "" : "s") + " against " + log_name,
                  1);
  std::string runs;
  for (const std::string& d : run_dirs) runs += (runs.empty() ? "" : ", ") + d;
  page.AddParagraph("Runs: " + runs + ".");
  page.AddParagraph("F" + Summary(c).substr(1) + ".");
  page.AddParagraph(
      "Wait is first assignment minus enqueue, over the tasks assigned at least once. The simulated "
      "columns are means per run; its waits pool every run. KS is the two-sample Kolmogorov-Smirnov "
      "distance between the log's waits and the simulated ones (0: the same distribution, 1: disjoint); "
      "seed KS, with two or more runs, the largest distance between two runs: a KS near seed KS is as "
      "close as the model can get. assign counts assignment events, preempt preemptions of the account's "
      "tasks; busy% is the account's share of the completed-run time.");
  for (const std::string& w : c.warnings) page.AddNotice("warning: " + w);
  std::vector<std::vector<std::string>> rows;
  for (const CalibrationRow& r : c.rows) rows.push_back(Cells(r));
  page.AddTable(Header(), rows);
  for (size_t i = 0; i < c.rows.size(); ++i) {
    const CalibrationRow& r = c.rows[i];
    std::string name = r.account == "*" ? "the whole fleet" : "account " + r.account;
    page.AddHeading("Waits of " + name + ": KS " + Distance(r.ks) +
                    (r.ks ? ", largest at " + Seconds(r.ks_at) + " (log " + Number(r.ks_log_cdf, 3) + ", simulated " +
                                Number(r.ks_sim_cdf, 3) + ")"
                          : ""));
    std::string id = "cdf-" + std::to_string(i);
    page.AddChart(id, WaitChart(id, name, r, c.runs));
  }
  return page.Render();
}

}  // namespace qsim::production
