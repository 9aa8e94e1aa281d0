// Drawing the sections of wait_charts.h: the stacked bar and stacked areas
// are drawn here (svg.h draws lines and steps), the cumulative event counts
// with svg.h.
#include <algorithm>
#include <cstdio>

#include "reports/explain.h"
#include "reports/svg.h"
#include "reports/time_charts.h"
#include "reports/time_scale.h"
#include "reports/wait_charts.h"

namespace qsim::reports {

namespace {

using runfolder::kWaitReasons;
constexpr size_t kReasons = kWaitReasons.size();

// One colour per reason, the same in every chart: queue reasons in blues and
// greens, forgotten red, the dispatcher's and bots' share in greys and browns.
constexpr const char* kReasonColor[kReasons] = {"#9ecae1", "#3182bd", "#31a354", "#a1d99b", "#756bb1",
                                                "#e15759", "#bab0ac", "#9c755f", "#f28e2b"};

std::string Fixed(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string SvgOpen(const std::string& id, const std::string& title, int width, int height) {
  std::string w = std::to_string(width), h = std::to_string(height);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + svg::XmlEscape(id) + "\" data-chart=\"" +
         svg::XmlEscape(id) + "\" width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h +
         "\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\"><title>" + svg::XmlEscape(title) +
         "</title><text x=\"10\" y=\"16\" font-weight=\"bold\">" + svg::XmlEscape(title) + "</text>";
}

std::string Rect(double x, double y, double w, double h, const char* fill, const std::string& tip) {
  return "<rect x=\"" + Fixed(x) + "\" y=\"" + Fixed(y) + "\" width=\"" + Fixed(w) + "\" height=\"" + Fixed(h) +
         "\" fill=\"" + fill + "\"><title>" + svg::XmlEscape(tip) + "</title></rect>";
}

std::string Text(double x, double y, const std::string& s, const char* anchor = "start") {
  return "<text x=\"" + Fixed(x) + "\" y=\"" + Fixed(y) + "\" text-anchor=\"" + anchor + "\">" + svg::XmlEscape(s) +
         "</text>";
}

// The reasons' colour key, wrapped over rows from (x, y).
std::string Legend(double x, double y, double width) {
  std::string out;
  double cx = x;
  for (size_t k = 0; k < kReasons; ++k) {
    double w = 22 + 7.0 * static_cast<double>(kWaitReasons[k].size());
    if (cx + w > x + width) {
      cx = x;
      y += 16;
    }
    out += Rect(cx, y - 10, 12, 12, kReasonColor[k], std::string(kWaitReasons[k])) +
           Text(cx + 16, y, std::string(kWaitReasons[k]));
    cx += w;
  }
  return out;
}

int64_t Sum(const ReasonMicros& r) {
  int64_t s = 0;
  for (int64_t v : r) s += v;
  return s;
}

std::string Percent(int64_t part, int64_t whole) {
  char b[16];
  std::snprintf(b, sizeof b, "%.1f%%", whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0);
  return b;
}

// One 100% bar per account: the share of each reason in its total wait.
std::string StackedBar(const WaitChartData& d) {
  const double left = 110, bar = 480, row = 26, top = 50;
  int height = static_cast<int>(top + row * static_cast<double>(d.accounts.size()) + 40);
  std::string out = SvgOpen("wait-reasons", "Wait by reason, per account (share of its total wait)", 760, height);
  out += Legend(10, 36, 740);
  for (size_t i = 0; i < d.accounts.size(); ++i) {
    const std::string& a = d.accounts[i];
    const ReasonMicros& r = d.bar.at(a);
    int64_t total = Sum(r);
    double y = top + row * static_cast<double>(i) + 8, x = left;
    out += Text(left - 6, y + 14, a == "*" ? "all accounts" : a, "end");
    for (size_t k = 0; k < kReasons && total > 0; ++k) {
      double w = bar * static_cast<double>(r[k]) / static_cast<double>(total);
      if (r[k] == 0) continue;
      out += Rect(x, y, w, row - 8, kReasonColor[k],
                  a + ": " + std::string(kWaitReasons[k]) + " " + HumanSeconds(r[k]) + " (" + Percent(r[k], total) +
                      ")");
      x += w;
    }
    out += Text(left + bar + 8, y + 14, total > 0 ? "total " + HumanSeconds(total) : "no wait");
  }
  return out + "</svg>";
}

std::string TickText(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

std::string Axes(double x0, double y0, double x1, double y1, const std::vector<double>& xt, double xmax,
                 const std::vector<double>& yt, double ymax, const std::string& xl, const std::string& yl) {
  std::string out = "<path d=\"M" + Fixed(x0) + " " + Fixed(y0) + "V" + Fixed(y1) + "H" + Fixed(x1) +
                    "\" stroke=\"#333\" fill=\"none\"/>";
  for (double t : xt) {
    if (t > xmax) continue;
    double x = x0 + (x1 - x0) * t / xmax;
    out += Text(x, y1 + 14, TickText(t), "middle");
  }
  for (double t : yt) {
    if (t > ymax) continue;
    double y = y1 - (y1 - y0) * t / ymax;
    out += Text(x0 - 4, y + 4, TickText(t), "end");
  }
  out += Text((x0 + x1) / 2, y1 + 30, xl, "middle");
  out += "<text transform=\"translate(14," + Fixed((y0 + y1) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         svg::XmlEscape(yl) + "</text>";
  return out;
}

// Wait by reason of the tasks enqueued in each bucket, stacked.
std::string StackedAreas(const std::string& id, const std::string& account, const WaitChartData& d) {
  const std::vector<ReasonMicros>& b = d.areas.at(account);
  const double x0 = 60, x1 = 740, y0 = 50, y1 = 190;
  double end_s = static_cast<double>(d.from_us + d.bucket_us * static_cast<int64_t>(b.size())) / 1e6;
  TimeScale xs = ChooseTimeScale(end_s);
  int64_t peak = 1;
  for (const ReasonMicros& r : b) peak = std::max(peak, Sum(r));
  TimeScale ys = ChooseTimeScale(static_cast<double>(peak) / 1e6);
  double xmax = end_s / xs.divisor, ymax = static_cast<double>(peak) / 1e6 / ys.divisor;
  std::string title = "Wait by reason over time, " + (account == "*" ? std::string("all accounts") : account) +
                      " (tasks bucketed by enqueue time, " + HumanSeconds(d.bucket_us) + " buckets)";
  std::string out = SvgOpen(id, title, 760, 250) + Legend(10, 36, 740);
  auto px = [&](int64_t us) { return x0 + (x1 - x0) * (static_cast<double>(us) / 1e6 / xs.divisor) / xmax; };
  auto py = [&](int64_t us) { return y1 - (y1 - y0) * (static_cast<double>(us) / 1e6 / ys.divisor) / ymax; };
  std::vector<int64_t> base(b.size(), 0);
  for (size_t k = 0; k < kReasons; ++k) {
    std::string upper, lower;
    bool any = false;
    for (size_t i = 0; i < b.size(); ++i) {
      int64_t from = d.from_us + d.bucket_us * static_cast<int64_t>(i), to = from + d.bucket_us;
      upper += (i == 0 ? "M" : "L") + Fixed(px(from)) + " " + Fixed(py(base[i] + b[i][k])) + "L" + Fixed(px(to)) +
               " " + Fixed(py(base[i] + b[i][k]));
      lower = "L" + Fixed(px(to)) + " " + Fixed(py(base[i])) + "L" + Fixed(px(from)) + " " + Fixed(py(base[i])) +
              lower;
      any = any || b[i][k] > 0;
      base[i] += b[i][k];
    }
    if (any) {
      out += "<path d=\"" + upper + lower + "Z\" fill=\"" + kReasonColor[k] + "\"><title>" +
             std::string(kWaitReasons[k]) + "</title></path>";
    }
  }
  return out + Axes(x0, y0, x1, y1, svg::NiceTicks(0, xmax, 8), xmax, svg::NiceTicks(0, ymax, 5), ymax,
                    "enqueue time (" + xs.unit + ")", "wait (" + ys.unit + ")") +
         "</svg>";
}

// Cumulative counts over time, one step series per (account, kind).
// On the report's time axis (warm-up shaded; thinned by AddTimeChart, as a
// week's re-adds run to hundreds of thousands of steps).
svg::XyChart CumulativeChart(const std::string& id, const std::string& title,
                             const std::vector<std::pair<std::string, const std::map<std::string, std::vector<int64_t>>*>>&
                                 kinds,
                             const std::vector<std::string>& accounts, double end_s, std::optional<double> warmup_s) {
  const TimeAxis axis = MakeTimeAxis(end_s, warmup_s);
  const TimeScale& scale = axis.scale;
  svg::XyChart chart = TimeChart(axis, id, title, "events", "count");
  chart.x.max = end_s / scale.divisor;
  int color = 0;
  for (const std::string& a : accounts) {
    if (a == "*") continue;
    for (size_t k = 0; k < kinds.size(); ++k) {
      auto it = kinds[k].second->find(a);
      std::vector<int64_t> times = it == kinds[k].second->end() ? std::vector<int64_t>{} : it->second;
      std::sort(times.begin(), times.end());
      svg::Series s;
      s.name = a + ": " + kinds[k].first + " (" + std::to_string(times.size()) + ")";
      s.style = svg::SeriesStyle::kStep;
      s.dashed = k % 2 == 1;
      s.color = color;
      s.x.push_back(0);
      s.y.push_back(0);
      for (size_t i = 0; i < times.size(); ++i) {
        s.x.push_back(static_cast<double>(times[i]) / 1e6 / scale.divisor);
        s.y.push_back(static_cast<double>(i + 1));
      }
      s.x.push_back(end_s / scale.divisor);
      s.y.push_back(static_cast<double>(times.size()));
      chart.series.push_back(std::move(s));
    }
    ++color;
  }
  return chart;
}

}  // namespace

void AddWaitSections(HtmlPage& page, const WaitChartData& d, const std::map<std::string, double>& preemptions,
                     std::optional<double> warmup_s) {
  page.AddHeading("Why tasks waited");
  page.AddParagraph(
      "Each measured task's wait (enqueued after the warm-up, as in the summary) split by reason; a task that "
      "never started counts its wait so far. The reasons are defined in docs/waits.md; the numbers are "
      "waits.csv's, per task in tasks.csv, and `qsim explain RUN_DIR TASK_ID` tells one task's story.");
  page.AddChart("wait-reasons", StackedBar(d));
  std::vector<std::string> header = {"account", "total wait"};
  for (std::string_view r : kWaitReasons) header.emplace_back(r);
  std::vector<std::vector<std::string>> rows;
  for (const std::string& a : d.accounts) {
    const ReasonMicros& r = d.bar.at(a);
    std::vector<std::string> row = {a, HumanSeconds(Sum(r))};
    for (int64_t v : r) row.push_back(v == 0 ? "0" : HumanSeconds(v) + " (" + Percent(v, Sum(r)) + ")");
    rows.push_back(std::move(row));
  }
  page.AddTable(header, rows);
  int index = 0;
  for (const std::string& a : d.accounts) {
    if (d.areas.count(a) == 0 || (a == "*" && d.accounts.size() <= 2)) continue;  // one account: "*" repeats it
    std::string id = "wait-over-time-" + std::to_string(index++);
    page.AddChart(id, StackedAreas(id, a, d));
  }

  page.AddHeading("Preemptions");
  page.AddParagraph(
      "Two different things are PREEMPTED events in events.csv. A preemption of a running task asks a bot to "
      "abort its run; the summary's `preemptions` counts the runs actually aborted (fewer, when a later match in "
      "the same pass took the bot back). A same-pass reassignment takes a task that was assigned earlier in the "
      "same pass and never started: nothing is aborted, and the scheduler forgets the task until the "
      "dispatcher re-adds it (the reference's preemption walk, docs/scheduler.md quirk 1; the policy switch "
      "`preempt_once_per_worker: true` stops it). Re-adds are ENQUEUED events after a task's first. Counts are "
      "over measured tasks.");
  std::vector<std::vector<std::string>> counts;
  for (const std::string& a : d.accounts) {
    auto n = [&a](const std::map<std::string, std::vector<int64_t>>& m) {
      auto it = m.find(a);
      return std::to_string(it == m.end() ? 0 : it->second.size());
    };
    auto p = preemptions.find(a);
    counts.push_back({a, p == preemptions.end() ? "" : TickText(p->second), n(d.preempted_running), n(d.same_pass),
                      n(d.first_enqueues), n(d.re_adds)});
  }
  page.AddTable({"account", "preempted runs (aborted)", "preemptions of running tasks (events)",
                 "same-pass reassignments", "first enqueues", "re-adds"},
                counts);
  if (!d.has_events) {
    page.AddNotice("events.csv was not written for this run (rerun with --outputs including events), so the "
                   "event counts and their charts over time are not available; preempted runs are in the summary.");
    return;
  }
  int64_t end_us = d.from_us + d.bucket_us * static_cast<int64_t>(d.areas.empty() ? 0 : d.areas.begin()->second.size());
  for (const auto* m : {&d.same_pass, &d.preempted_running, &d.first_enqueues, &d.re_adds}) {
    for (const auto& [a, times] : *m) {
      for (int64_t t : times) end_us = std::max(end_us, t);
    }
  }
  double end_s = static_cast<double>(end_us) / 1e6;
  AddTimeChart(page, CumulativeChart("preemptions",
                                     "Preemption events, cumulative: of running tasks (solid), same-pass (dashed)",
                                     {{"running", &d.preempted_running}, {"same-pass", &d.same_pass}}, d.accounts,
                                     end_s, warmup_s));
  AddTimeChart(page, CumulativeChart("enqueues", "Enqueues, cumulative: first (solid) and re-adds (dashed)",
                                     {{"first", &d.first_enqueues}, {"re-add", &d.re_adds}}, d.accounts, end_s,
                                     warmup_s));
}

}  // namespace qsim::reports
