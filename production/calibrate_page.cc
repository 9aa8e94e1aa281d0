// The table and the HTML page of `qsim calibrate` (calibrate.h).
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
      "account",   "tasks log", "tasks sim", "assigned log", "assigned sim", "preempt log", "preempt sim",
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
          Number(r.log.assigned, 0),
          Number(r.sim.assigned, sim_decimals),
          Number(r.log.preemptions, 0),
          Number(r.sim.preemptions, sim_decimals),
          Seconds(r.log.p50),
          Seconds(r.sim.p50),
          Seconds(r.log.p90),
          Seconds(r.sim.p90),
          Seconds(r.log.p99),
          Seconds(r.sim.p99),
          Number(100 * r.log.busy_share, 1),
          Number(100 * r.sim.busy_share, 1),
          Distance(r.ks),
          Distance(r.seed_ks)};
}

std::string Summary(const Calibration& c) {
  return "fleet utilisation: log " + Number(100 * c.log_utilisation, 1) + "%, simulated " +
         Number(100 * c.sim_utilisation, 1) + "% (mean of " + std::to_string(c.runs) + " run" +
         (c.runs == 1 ? "" : "s") + ")";
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
  page.AddParagraph("Runs: " + runs + ". " + Summary(c) + ".");
  page.AddParagraph(
      "Wait is first assignment minus enqueue, over the tasks assigned at least once. The simulated "
      "columns are means per run; its waits pool every run. KS is the two-sample Kolmogorov-Smirnov "
      "distance between the log's waits and the simulated ones (0: the same distribution, 1: disjoint); "
      "seed KS, with two or more runs, the largest distance between two runs: a KS near seed KS is as "
      "close as the model can get. busy% is the account's share of the completed-run time.");
  for (const std::string& w : c.warnings) page.AddNotice("warning: " + w);
  std::vector<std::vector<std::string>> rows;
  for (const CalibrationRow& r : c.rows) rows.push_back(Cells(r));
  page.AddTable(Header(), rows);
  for (size_t i = 0; i < c.rows.size(); ++i) {
    const CalibrationRow& r = c.rows[i];
    std::string name = r.account == "*" ? "the whole fleet" : "account " + r.account;
    page.AddHeading("Waits of " + name + " (KS " + Distance(r.ks) + ")");
    reports::svg::XyChart chart = reports::WaitCdfChart(
        "cdf-" + std::to_string(i), "Wait CDF, " + name, {{"log", r.log.waits}, {"simulated", r.sim.waits}}, true);
    chart.y.label = "fraction of assigned tasks";
    page.AddChart(chart.id, reports::svg::RenderXyChart(chart));
  }
  return page.Render();
}

}  // namespace qsim::production
