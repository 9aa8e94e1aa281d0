#include "reports/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "reports/charts.h"
#include "reports/html.h"
#include "reports/run_data.h"
#include "reports/svg.h"
#include "reports/time_scale.h"
#include "runfolder/columns.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "runfolder/manifest.h"

namespace qsim::reports {
namespace {

// series name -> account -> time -> value, summed over priorities.
using SeriesByAccount = std::map<std::string, std::map<std::string, std::map<double, double>>>;

struct Timeseries {
  SeriesByAccount totals;  // queued, running, bots_* (account "")
  // balance: account -> priority -> time -> value
  std::map<std::string, std::map<std::string, std::map<double, double>>> balances;
  double max_time = 0;
};

StatusOr<Timeseries> LoadTimeseries(const std::string& path) {
  StatusOr<runfolder::CsvTable> table = runfolder::ReadCsvFile(path);
  if (!table.ok()) return table.status();
  // Column names checked against the writer's list at compile time.
  constexpr std::string_view kTimeS = runfolder::Column(runfolder::kTimeseriesColumns, "time_s");
  constexpr std::string_view kSeries = runfolder::Column(runfolder::kTimeseriesColumns, "series");
  constexpr std::string_view kAccount = runfolder::Column(runfolder::kTimeseriesColumns, "account");
  constexpr std::string_view kPriority = runfolder::Column(runfolder::kTimeseriesColumns, "priority");
  constexpr std::string_view kValue = runfolder::Column(runfolder::kTimeseriesColumns, "value");
  QSIM_RETURN_IF_ERROR(table->RequireColumns({kTimeS, kSeries, kAccount, kPriority, kValue}));
  int c_time = table->Column(kTimeS), c_series = table->Column(kSeries);
  int c_account = table->Column(kAccount), c_priority = table->Column(kPriority);
  int c_value = table->Column(kValue);
  Timeseries ts;
  for (size_t r = 0; r < table->rows.size(); ++r) {
    StatusOr<std::optional<double>> time = NumberAt(*table, r, c_time);
    if (!time.ok()) return time.status();
    StatusOr<std::optional<double>> value = NumberAt(*table, r, c_value);
    if (!value.ok()) return value.status();
    if (!*time || !*value) continue;
    const auto& row = table->rows[r];
    ts.max_time = std::max(ts.max_time, **time);
    if (row[c_series] == "balance") {
      ts.balances[row[c_account]][row[c_priority]][**time] = **value;
    } else {
      ts.totals[row[c_series]][row[c_account]][**time] += **value;
    }
  }
  return ts;
}

svg::Series ToSeries(const std::string& name, const std::map<double, double>& points, double time_divisor) {
  svg::Series s;
  s.name = name;
  for (const auto& [t, v] : points) {
    s.x.push_back(t / time_divisor);
    s.y.push_back(v);
  }
  return s;
}

svg::XyChart TimeChart(const std::string& id, const std::string& title, const TimeScale& scale,
                       const std::string& y_label, const std::string& y_unit) {
  svg::XyChart chart;
  chart.id = id;
  chart.title = title;
  chart.x = {"simulated time", scale.unit, 0.0, std::nullopt};
  chart.y = {y_label, y_unit, 0.0, std::nullopt};
  return chart;
}

void AddPerAccountChart(HtmlPage& page, const Timeseries& ts, const std::string& series,
                        const std::string& id, const std::string& title, const TimeScale& scale) {
  svg::XyChart chart = TimeChart(id, title, scale, series, "tasks");
  auto it = ts.totals.find(series);
  if (it != ts.totals.end()) {
    for (const auto& [account, points] : it->second) {
      chart.series.push_back(ToSeries(account, points, scale.divisor));
      chart.series.back().style = svg::SeriesStyle::kStep;
    }
  }
  page.AddChart(id, svg::RenderXyChart(chart));
}

void AddUtilisationChart(HtmlPage& page, const Timeseries& ts, const TimeScale& scale) {
  svg::XyChart chart = TimeChart("bots", "Bots: busy share of alive bots", scale, "utilisation", "%");
  chart.y.max = 100.0;
  auto get = [&](const std::string& name) -> const std::map<double, double>* {
    auto s = ts.totals.find(name);
    if (s == ts.totals.end() || s->second.empty()) return nullptr;
    return &s->second.begin()->second;
  };
  const auto* busy = get("bots_busy");
  const auto* idle = get("bots_idle");
  const auto* dead = get("bots_dead");
  svg::Series util;
  util.name = "busy / alive";
  svg::Series dead_share;
  dead_share.name = "dead / all";
  dead_share.dashed = true;
  if (busy != nullptr && idle != nullptr) {
    for (const auto& [t, b] : *busy) {
      auto i = idle->find(t);
      if (i == idle->end()) continue;
      double alive = b + i->second;
      util.x.push_back(t / scale.divisor);
      util.y.push_back(alive > 0 ? 100 * b / alive : 0);
      if (dead != nullptr) {
        auto d = dead->find(t);
        double all = alive + (d == dead->end() ? 0 : d->second);
        dead_share.x.push_back(t / scale.divisor);
        dead_share.y.push_back(all > 0 && d != dead->end() ? 100 * d->second / all : 0);
      }
    }
  }
  chart.series.push_back(std::move(util));
  if (dead != nullptr) chart.series.push_back(std::move(dead_share));
  page.AddChart("bots", svg::RenderXyChart(chart));
}

void AddBalanceCharts(HtmlPage& page, const Timeseries& ts, const TimeScale& scale) {
  int index = 0;
  for (const auto& [account, by_priority] : ts.balances) {
    std::string id = "balance-" + std::to_string(index++);
    svg::XyChart chart = TimeChart(id, "Balance of account " + account, scale, "balance", "");
    chart.y.min.reset();  // balances go negative
    chart.height = 240;
    for (const auto& [priority, points] : by_priority) {
      chart.series.push_back(ToSeries("P" + priority, points, scale.divisor));
    }
    page.AddChart(id, svg::RenderXyChart(chart));
  }
  if (ts.balances.empty()) page.AddNotice("timeseries.csv holds no balance series.");
}

void AddWaitCdf(HtmlPage& page, TaskWaits waits) {
  std::vector<std::pair<std::string, std::vector<double>>> series;
  const bool pooled = waits.by_account.size() > 1;
  std::vector<double> all;
  for (auto& [account, values] : waits.by_account) {
    if (pooled) all.insert(all.end(), values.begin(), values.end());
    series.emplace_back(account, std::move(values));
  }
  if (pooled) series.emplace_back("all", std::move(all));
  svg::XyChart chart =
      WaitCdfChart("wait-cdf", "Wait time (start - enqueue), cumulative distribution", series, pooled);
  page.AddChart("wait-cdf", svg::RenderXyChart(chart));
}

// events.csv is read a row at a time: with every output selected, a long run
// writes millions of events, and only the preemptions are charted.
Status AddPreemptionChart(HtmlPage& page, const std::string& events_path, double end_time) {
  StatusOr<runfolder::CsvReader> events = runfolder::CsvReader::Open(events_path);
  if (!events.ok()) return events.status();
  // Column names checked against the writer's list at compile time.
  constexpr std::string_view kTimeS = runfolder::Column(runfolder::kEventsColumns, "time_s");
  constexpr std::string_view kType = runfolder::Column(runfolder::kEventsColumns, "type");
  constexpr std::string_view kAccount = runfolder::Column(runfolder::kEventsColumns, "account");
  QSIM_RETURN_IF_ERROR(events->RequireColumns({kTimeS, kType, kAccount}));
  int c_time = events->Column(kTimeS), c_type = events->Column(kType), c_account = events->Column(kAccount);
  std::map<std::string, std::vector<double>> times;
  for (;;) {
    StatusOr<bool> more = events->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (events->row()[c_type] != "PREEMPTED") continue;
    StatusOr<std::optional<double>> t = events->NumberAt(c_time);
    if (!t.ok()) return t.status();
    if (*t) {
      times[events->row()[c_account]].push_back(**t);
      end_time = std::max(end_time, **t);
    }
  }
  TimeScale scale = ChooseTimeScale(end_time);
  svg::XyChart chart = TimeChart("preemptions", "Preemptions over time (cumulative, by account of the event)",
                                 scale, "preemptions", "count");
  for (auto& [account, ts] : times) {
    std::sort(ts.begin(), ts.end());
    svg::Series s;
    s.name = account;
    s.style = svg::SeriesStyle::kStep;
    s.x.push_back(0);
    s.y.push_back(0);
    for (size_t i = 0; i < ts.size(); ++i) {
      s.x.push_back(ts[i] / scale.divisor);
      s.y.push_back(static_cast<double>(i + 1));
    }
    s.x.push_back(end_time / scale.divisor);
    s.y.push_back(static_cast<double>(ts.size()));
    chart.series.push_back(std::move(s));
  }
  page.AddChart("preemptions", svg::RenderXyChart(chart));
  if (times.empty()) page.AddParagraph("No preemptions happened in this run.");
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> BuildRunReport(const std::string& run_dir) {
  StatusOr<RunSummary> summary = ReadRunSummary(run_dir);
  if (!summary.ok()) return summary.status();
  StatusOr<runfolder::CsvTable> summary_table = runfolder::ReadCsvFile(RunFile(run_dir, runfolder::kSummaryFile));
  if (!summary_table.ok()) return summary_table.status();
  StatusOr<TaskWaits> waits = ReadTaskWaits(RunFile(run_dir, runfolder::kTasksFile));
  if (!waits.ok()) return waits.status();

  HtmlPage page("qsim run report: " + run_dir);
  page.AddParagraph("Times are simulated. Generated by qsim report from the files of the run folder.");

  page.AddHeading("Summary");
  page.AddTable(summary_table->header, summary_table->rows);

  std::string ts_path = RunFile(run_dir, runfolder::kTimeseriesFile);
  double end_time = waits->last_time;
  if (FileExists(ts_path)) {
    StatusOr<Timeseries> ts = LoadTimeseries(ts_path);
    if (!ts.ok()) return ts.status();
    end_time = std::max(end_time, ts->max_time);
    TimeScale scale = ChooseTimeScale(ts->max_time);
    page.AddHeading("Queued tasks per account");
    AddPerAccountChart(page, *ts, "queued", "queued", "Queued tasks per account (all priorities)", scale);
    page.AddHeading("Running tasks per account");
    AddPerAccountChart(page, *ts, "running", "running", "Running tasks per account (all priorities)", scale);
    page.AddHeading("Bot utilisation");
    AddUtilisationChart(page, *ts, scale);
    page.AddHeading("Account balances");
    AddBalanceCharts(page, *ts, scale);
  } else {
    page.AddHeading("Queued, running, utilisation and balances over time");
    page.AddNotice("timeseries.csv was not written for this run (see --outputs of qsim run), so the "
                   "charts over time of queued and running tasks, bot utilisation and account "
                   "balances are not available.");
  }

  page.AddHeading("Wait time distribution");
  AddWaitCdf(page, std::move(*waits));

  page.AddHeading("Preemptions");
  std::string events_path = RunFile(run_dir, runfolder::kEventsFile);
  if (FileExists(events_path)) {
    QSIM_RETURN_IF_ERROR(AddPreemptionChart(page, events_path, end_time));
  } else {
    page.AddNotice("events.csv was not written for this run, so preemptions over time are not "
                   "available; the per-account totals are in the summary table.");
  }

  std::string resolved = RunFile(run_dir, runfolder::kResolvedScenarioFile);
  if (FileExists(resolved)) {
    StatusOr<std::string> text = runfolder::ReadTextFile(resolved);
    if (!text.ok()) return text.status();
    page.AddHeading("Resolved scenario");
    page.AddPreformatted(*text);
  }
  return page.Render();
}

int RunReportCommand(const std::string& run_dir, std::ostream& out, std::ostream& err) {
  std::string old_format = runfolder::OldFormatWarning(run_dir);
  if (!old_format.empty()) err << "qsim report: warning: " << old_format << "\n";
  StatusOr<std::string> page = BuildRunReport(run_dir);
  if (page.ok()) {
    // Last: the readers above locate what they can; a file cut where every
    // row still reads is caught by its recorded size.
    if (Status sizes = runfolder::RequireRecordedSizes(run_dir); !sizes.ok()) page = sizes;
  }
  if (!page.ok()) {
    err << "qsim report: " << page.status().message() << "\n";
    return ExitStatusFor(page.status().code());
  }
  std::string path = RunFile(run_dir, runfolder::kReportFile);
  Status written = runfolder::WriteTextFile(path, *page);
  if (!written.ok()) {
    err << "qsim report: " << written.message() << "\n";
    return ExitStatusFor(written.code());
  }
  out << "wrote " << path << "\n";
  return 0;
}

}  // namespace qsim::reports
