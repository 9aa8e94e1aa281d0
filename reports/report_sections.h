// The sections of the run report (report.h), each a function of what was
// read from the run folder. The charts and table rows are built by separate
// functions so tests can reconcile them with summary.csv.
#pragma once

#include <string>
#include <vector>

#include "reports/fairness.h"
#include "reports/html.h"
#include "reports/run_data.h"
#include "reports/run_figures.h"
#include "reports/svg.h"
#include "reports/time_charts.h"
#include "runfolder/csv.h"

namespace qsim::reports {

// summary.csv turned on its side: one row per metric, one column per account
// ("*" last), durations in s/min/h/d, fractions in %, bot time in bot-hours.
void AddSummaryTable(HtmlPage& page, const runfolder::CsvTable& summary);
// One summary.csv cell as shown: `metric`'s unit applied to `field`.
std::string FormatSummaryCell(const std::string& metric, const std::string& field);

// One line saying what P0-P4 and the free tier are.
void AddPriorityLegend(HtmlPage& page);

// The wait CDFs (log axis, per account and pooled) and the percentile table.
svg::XyChart WaitCdfChartOf(const TaskFigures& figures, double* floor_s);
struct WaitRow {
  std::string account;  // "*" for every account
  int64_t tasks = 0;    // measured tasks, started or not
  WaitPercentiles waits;
};
std::vector<WaitRow> WaitRowsOf(const TaskFigures& figures);
void AddWaitSection(HtmlPage& page, const TaskFigures& figures);

// Slowdown ((wait + run) / run) per account of the measured completed tasks.
struct SlowdownRow {
  std::string account;  // "*" for every account
  int64_t completed = 0;
  int64_t zero_run = 0;  // completed without running time: no slowdown
  SlowdownFigures slowdown;
};
std::vector<SlowdownRow> SlowdownRowsOf(const TaskFigures& figures);
void AddSlowdownSection(HtmlPage& page, const TaskFigures& figures);

// Fairness over time: actual against entitled share per account, and the
// time-to-fair-share table.
void AddFairnessSection(HtmlPage& page, const Timeseries& ts, const RunSummary& summary, const TimeAxis& axis);

// Queued and running tasks per account, utilisation, balances.
void AddQueueCharts(HtmlPage& page, const Timeseries& ts, const TimeAxis& axis);
void AddUtilisationChart(HtmlPage& page, const Timeseries& ts, const TimeAxis& axis);
void AddBalanceCharts(HtmlPage& page, const Timeseries& ts, const TimeAxis& axis);

}  // namespace qsim::reports
