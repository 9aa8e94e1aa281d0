#include "reports/report_sections.h"

#include <algorithm>
#include <cstdio>

#include "reports/charts.h"
#include "reports/time_scale.h"

namespace qsim::reports {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Printf(const char* format, double v) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

std::string Seconds(int64_t us) { return HumanDuration(static_cast<double>(us) / 1e6); }

// Accounts in name order, then "*" for the pooled figures.
std::vector<std::pair<std::string, const AccountFigures*>> AccountsAndFleet(const TaskFigures& figures) {
  std::vector<std::pair<std::string, const AccountFigures*>> out;
  for (const auto& [account, f] : figures.by_account) out.emplace_back(account, &f);
  out.emplace_back("*", &figures.fleet);
  return out;
}

std::string WarmupWords(const TaskFigures& figures) {
  if (!figures.warmup_us) return "all tasks (this folder has no run.json, so its warm-up is unknown)";
  if (*figures.warmup_us == 0) return "all tasks (the run has no warm-up), as in summary.csv";
  return "the tasks enqueued after the warm-up (" + Seconds(*figures.warmup_us) + "), as in summary.csv";
}

}  // namespace

std::string FormatSummaryCell(const std::string& metric, const std::string& field) {
  if (field.empty()) return "n/a";
  StatusOr<std::optional<double>> parsed = runfolder::ParseNumberField(field);
  if (!parsed.ok() || !*parsed) return field;
  double v = **parsed;
  if (EndsWith(metric, "_bot_seconds")) return HumanDuration(v, "bot-");
  if (EndsWith(metric, "_s")) return HumanDuration(v);
  if (metric == "busy_share" || metric == "charge_share" || metric == "utilisation") return Printf("%.1f%%", 100 * v);
  if (metric == "throughput_per_hour") return Printf("%.3g /h", v);
  return field;
}

void AddSummaryTable(HtmlPage& page, const runfolder::CsvTable& summary) {
  int account_column = summary.Column("account");
  std::vector<std::string> header = {"metric (summary.csv column)"};
  for (const auto& row : summary.rows) {
    header.push_back(account_column >= 0 && row[account_column] == "*" ? "* (all accounts)" : row[account_column]);
  }
  std::vector<std::vector<std::string>> rows;
  for (size_t c = 0; c < summary.header.size(); ++c) {
    if (static_cast<int>(c) == account_column) continue;
    std::vector<std::string> line = {summary.header[c]};
    for (const auto& row : summary.rows) line.push_back(FormatSummaryCell(summary.header[c], row[c]));
    rows.push_back(std::move(line));
  }
  page.AddTable(header, rows);
  page.AddCaption("Measured window only (after the warm-up). Durations in s/min/h/d, shares in %, bot time "
                  "in bot-hours (bot-seconds / 3600); n/a: did not happen. Exact values: summary.csv; "
                  "columns explained in docs/run-folder.md.");
}

void AddPriorityLegend(HtmlPage& page) {
  page.AddCaption("Priorities: P0 (best) to P4 are the paid levels, each with its own balance in bot-seconds "
                  "(earned at the account's charge rate, spent by its running tasks); a request queues at the "
                  "first level whose balance is positive. P5, the free tier, takes requests of an account with "
                  "no positive balance: it runs only on bots no paid request wants, and paid work may preempt it.");
}

svg::XyChart WaitCdfChartOf(const TaskFigures& figures, double* floor_s) {
  std::vector<std::pair<std::string, const std::vector<int64_t>*>> series;
  for (const auto& [account, f] : figures.by_account) {
    series.emplace_back(account, &f.waits_us);
  }
  const bool pooled = figures.by_account.size() > 1;
  if (pooled) series.emplace_back("all accounts", &figures.fleet.waits_us);
  svg::XyChart chart = WaitCdfLogChart("wait-cdf", "Wait (enqueue to start), cumulative distribution per account",
                                       series, floor_s);
  if (pooled) chart.series.back().dashed = true;
  chart.width = kReportChartWidth;
  return chart;
}

std::vector<WaitRow> WaitRowsOf(const TaskFigures& figures) {
  std::vector<WaitRow> rows;
  for (const auto& [account, f] : AccountsAndFleet(figures)) {
    rows.push_back({account, f->tasks, PercentilesOf(f->waits_us)});
  }
  return rows;
}

void AddWaitSection(HtmlPage& page, const TaskFigures& figures) {
  double floor_s = 0;
  svg::XyChart chart = WaitCdfChartOf(figures, &floor_s);
  page.AddChart(chart.id, svg::RenderXyChart(chart));
  int64_t below = 0;
  for (int64_t w : figures.fleet.waits_us) below += static_cast<double>(w) / 1e6 < floor_s ? 1 : 0;
  page.AddCaption("The started tasks among " + WarmupWords(figures) + ". Logarithmic time axis; the " +
                  std::to_string(below) + " waits shorter than " + HumanDuration(floor_s) +
                  " are drawn at its left edge. In brackets: tasks per line.");
  std::vector<std::vector<std::string>> rows;
  std::string never;  // accounts with measured tasks that never started
  for (const WaitRow& r : WaitRowsOf(figures)) {
    rows.push_back({r.account, std::to_string(r.tasks), std::to_string(r.waits.count),
                    std::to_string(r.tasks - r.waits.count), Seconds(r.waits.p50_us), Seconds(r.waits.p90_us),
                    Seconds(r.waits.p99_us), Seconds(r.waits.max_us)});
    if (r.account != "*" && r.tasks > r.waits.count && 2 * (r.tasks - r.waits.count) >= r.tasks / 10) {
      never += (never.empty() ? "" : ", ") + r.account + " (" + std::to_string(r.tasks - r.waits.count) + " of " +
               std::to_string(r.tasks) + ")";
    }
  }
  if (!never.empty()) {
    page.AddNotice("Many tasks never started (still queued when the run ended): " + never +
                   ". The distribution and percentiles cover started tasks only, as summary.csv's do, so they "
                   "understate these accounts' waits.");
  }
  page.AddTable({"account", "measured tasks", "started", "never started", "p50 wait", "p90 wait", "p99 wait",
                 "max wait"},
                rows);
  page.AddCaption("Nearest-rank percentiles, the same as summary.csv's wait_p50_s, wait_p90_s, wait_p99_s and "
                  "wait_max_s.");
}

std::vector<SlowdownRow> SlowdownRowsOf(const TaskFigures& figures) {
  std::vector<SlowdownRow> rows;
  for (const auto& [account, f] : AccountsAndFleet(figures)) {
    rows.push_back({account, f->completed, f->completed_zero_run, SlowdownOf(f->slowdowns)});
  }
  return rows;
}

void AddSlowdownSection(HtmlPage& page, const TaskFigures& figures) {
  std::vector<std::vector<std::string>> rows;
  for (const SlowdownRow& r : SlowdownRowsOf(figures)) {
    const SlowdownFigures& s = r.slowdown;
    bool any = s.count > 0;
    rows.push_back({r.account, std::to_string(r.completed), any ? Printf("%.3gx", s.p50) : "n/a",
                    any ? Printf("%.3gx", s.p90) : "n/a", any ? Printf("%.3gx", s.p99) : "n/a",
                    any ? Printf("%.3gx", s.max) : "n/a", any ? Printf("%.3gx", s.mean) : "n/a"});
  }
  page.AddTable({"account", "completed tasks", "p50 slowdown", "p90", "p99", "max", "mean"}, rows);
  page.AddCaption("Slowdown = (wait + run) / run of each completed task, run being its last (successful) run: "
                  "1x means it never waited; 3x that it spent twice its running time waiting. The completed tasks "
                  "among " + WarmupWords(figures) + " (summary.csv's completed column counts them); tasks that "
                  "completed in no time have no slowdown and are left out of the percentiles.");
}

namespace {

// At most this many fairness charts (the accounts short of their share the
// longest); the table lists every account.
constexpr size_t kMaxFairnessCharts = 6;

std::vector<std::vector<std::string>> FairnessRows(const Fairness& fairness, const RunSummary& summary) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, f] : fairness.accounts) {
    const std::string& account = name;  // a lambda may not capture a structured binding in clang 14
    std::vector<double> sorted = f.episodes_s;
    std::sort(sorted.begin(), sorted.end());
    auto share = [&](const char* metric) {
      std::optional<double> v = summary.Get(account, metric);
      return v ? Printf("%.1f%%", 100 * *v) : std::string("n/a");
    };
    std::string median = sorted.empty() ? "n/a" : HumanDuration(sorted[(sorted.size() - 1) / 2]);
    std::string longest = sorted.empty() ? "n/a" : HumanDuration(sorted.back());
    rows.push_back({account, share("charge_share"), share("busy_share"), std::to_string(sorted.size()), median,
                    longest, std::to_string(f.open_at_end), HumanDuration(f.short_s)});
  }
  return rows;
}

// `index` numbers the chart; `color` is the account's palette entry in the
// other charts (its place in name order).
svg::XyChart FairnessChart(const Fairness& fairness, const std::string& account, int index, int color,
                           const TimeAxis& axis) {
  const AccountFairness& f = fairness.accounts.at(account);
  svg::XyChart chart = TimeChart(axis, "fairness-" + std::to_string(index),
                                 "Account " + account + ": share of busy bots, actual against entitled",
                                 "share of busy bots", "%");
  chart.height = 220;  // y from 0 up to the largest share: small shares stay readable
  svg::Series actual, entitled;
  actual.name = "actual";
  entitled.name = "entitled";
  entitled.dashed = true;
  actual.style = entitled.style = svg::SeriesStyle::kStep;
  // The palette's 10 colours without the dotted second round (svg.cc): the
  // dash tells actual from entitled here.
  actual.color = entitled.color = color % 10;
  for (size_t k = 0; k < fairness.times.size(); ++k) {
    double x = fairness.times[k] / axis.scale.divisor;
    actual.x.push_back(x);
    actual.y.push_back(100 * f.actual[k]);
    entitled.x.push_back(x);
    entitled.y.push_back(100 * f.entitled[k]);
  }
  chart.series = {std::move(actual), std::move(entitled)};
  return chart;
}

}  // namespace

void AddFairnessSection(HtmlPage& page, const Timeseries& ts, const RunSummary& summary, const TimeAxis& axis) {
  std::map<std::string, double> charge_share;
  for (const std::string& account : summary.accounts) {
    if (account != "*") charge_share[account] = summary.Get(account, "charge_share").value_or(0);
  }
  Fairness fairness = ComputeFairness(ts, charge_share);
  std::vector<std::string> by_shortfall;
  for (const auto& [account, f] : fairness.accounts) by_shortfall.push_back(account);
  std::stable_sort(by_shortfall.begin(), by_shortfall.end(), [&](const std::string& a, const std::string& b) {
    return fairness.accounts.at(a).short_s > fairness.accounts.at(b).short_s;
  });
  // Chart the accounts that were ever short (all of them when none was).
  auto never_short = std::find_if(by_shortfall.begin(), by_shortfall.end(),
                                  [&](const std::string& a) { return fairness.accounts.at(a).short_s == 0; });
  if (never_short != by_shortfall.begin()) by_shortfall.erase(never_short, by_shortfall.end());
  if (by_shortfall.size() > kMaxFairnessCharts) by_shortfall.resize(kMaxFairnessCharts);
  for (size_t i = 0; i < by_shortfall.size(); ++i) {
    int color = static_cast<int>(std::distance(fairness.accounts.begin(), fairness.accounts.find(by_shortfall[i])));
    AddTimeChart(page, FairnessChart(fairness, by_shortfall[i], static_cast<int>(i), color, axis));
  }
  page.AddCaption("Actual: the account's running tasks over all running tasks. Entitled: its share of the alive "
                  "bots when they are divided in proportion to charge rates, no account getting more than it "
                  "asks for (queued + running; the rest goes to the others): see docs/report.md." +
                  std::string(by_shortfall.size() < fairness.accounts.size()
                                  ? " Charts for the " + std::to_string(by_shortfall.size()) +
                                        " accounts short of their share the longest; the table lists all."
                                  : ""));
  page.AddTable({"account", "charge-rate share", "busy share (measured)", "times short of fair share",
                 "median time to fair share", "longest", "still short at the end", "total time short"},
                FairnessRows(fairness, summary));
  page.AddCaption("Short of fair share: tasks queued while the actual share is more than " +
                  Printf("%.0f", 100 * kFairShareTolerance) +
                  " percentage points below the entitled one. Time to fair share: from the first such sample "
                  "(a burst, of this account or another, put it there) to the first sample that is not. Whole run, "
                  "warm-up included, at the sampling interval.");
}

void AddQueueCharts(HtmlPage& page, const Timeseries& ts, const TimeAxis& axis) {
  for (const char* series : {"queued", "running"}) {
    std::string name = series;
    svg::XyChart chart = TimeChart(axis, name, (name == "queued" ? "Queued" : "Running") +
                                                   std::string(" tasks per account (all priorities)"),
                                   name + " tasks", "count");
    auto it = ts.totals.find(name);
    if (it != ts.totals.end()) {
      for (const auto& [account, points] : it->second) {
        chart.series.push_back(ToSeries(account, points, axis));
        chart.series.back().style = svg::SeriesStyle::kStep;
      }
    }
    AddTimeChart(page, std::move(chart));
  }
}

void AddUtilisationChart(HtmlPage& page, const Timeseries& ts, const TimeAxis& axis) {
  svg::XyChart chart = TimeChart(axis, "bots", "Bots: busy share of alive bots, dead share of present bots",
                                 "share of bots", "%");
  chart.y.max = 100.0;
  auto get = [&](const std::string& name) -> const std::map<double, double>* {
    auto s = ts.totals.find(name);
    if (s == ts.totals.end() || s->second.empty()) return nullptr;
    return &s->second.begin()->second;
  };
  const auto* busy = get("bots_busy");
  const auto* idle = get("bots_idle");
  const auto* dead = get("bots_dead");
  svg::Series util, dead_share;
  util.name = "busy / alive";
  dead_share.name = "dead / present";
  dead_share.dashed = true;
  if (busy != nullptr && idle != nullptr) {
    for (const auto& [t, b] : *busy) {
      auto i = idle->find(t);
      if (i == idle->end()) continue;
      double alive = b + i->second;
      util.x.push_back(t / axis.scale.divisor);
      util.y.push_back(alive > 0 ? 100 * b / alive : 0);
      if (dead != nullptr) {
        auto d = dead->find(t);
        double all = alive + (d == dead->end() ? 0 : d->second);
        dead_share.x.push_back(t / axis.scale.divisor);
        dead_share.y.push_back(all > 0 && d != dead->end() ? 100 * d->second / all : 0);
      }
    }
  }
  chart.series.push_back(std::move(util));
  if (dead != nullptr) chart.series.push_back(std::move(dead_share));
  AddTimeChart(page, std::move(chart));
  // The shares hide the fleet's size: a group that joins or leaves
  // (joins_at, leaves_at) or an outage changes it. The counts show it.
  svg::XyChart counts = TimeChart(axis, "bot-counts", "Bots present: busy, idle and dead", "bots", "count");
  for (const auto& [label, points] : {std::pair<const char*, const std::map<double, double>*>{"busy", busy},
                                      {"idle", idle},
                                      {"dead", dead}}) {
    if (points == nullptr) continue;
    counts.series.push_back(ToSeries(label, *points, axis));
    counts.series.back().style = svg::SeriesStyle::kStep;
  }
  if (!counts.series.empty()) AddTimeChart(page, std::move(counts));
}

void AddBalanceCharts(HtmlPage& page, const Timeseries& ts, const TimeAxis& axis) {
  int index = 0;
  for (const auto& [account, by_priority] : ts.balances) {
    std::string id = "balance-" + std::to_string(index);
    svg::XyChart chart = TimeChart(axis, id, "Balance of account " + account + " per paid priority", "balance",
                                   "bot-seconds");
    chart.height = 240;
    double lowest = 0;
    for (const auto& [priority, points] : by_priority) {
      bool all_zero = true;
      for (const auto& [t, v] : points) {
        all_zero = all_zero && v == 0;
        lowest = std::min(lowest, v);
      }
      if (all_zero) continue;  // a level the account has no charge rate at
      chart.series.push_back(ToSeries("P" + priority, points, axis));
      // One colour per level on every account's chart.
      if (priority.size() == 1 && priority[0] >= '0' && priority[0] <= '9') chart.series.back().color = priority[0] - '0';
    }
    if (lowest < 0) chart.y.min.reset();  // balances go negative: the zero line is drawn
    if (!chart.series.empty()) {
      AddTimeChart(page, std::move(chart));
      ++index;
    } else {
      page.AddParagraph("Account " + account + " has no balance at any paid level: all its work is free tier (P5).");
    }
  }
  if (ts.balances.empty()) page.AddNotice("timeseries.csv holds no balance series.");
}

}  // namespace qsim::reports
