// The report's "Why tasks waited" and "Preemptions" sections: wait by reason
// per account (a stacked bar), the same over time (stacked areas, tasks
// bucketed by enqueue time), and preemption events split into same-pass
// reassignments and preemptions of running tasks, with first enqueues and
// re-adds apart. docs/waits.md defines the reasons.
//
// Every number drawn comes from ReadWaitChartData, so a test can reconcile
// it with summary.csv and waits.csv.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "reports/html.h"
#include "runfolder/columns.h"

namespace qsim::reports {

using ReasonMicros = std::array<int64_t, runfolder::kWaitReasons.size()>;

struct WaitChartData {
  std::vector<std::string> accounts;          // waits.csv's order: by id, then "*"
  std::map<std::string, ReasonMicros> bar;    // waits.csv's total_s per account and reason
  // Measured tasks (enqueued at or after the warm-up) bucketed by enqueue
  // time: bucket i holds [from + i * bucket, from + (i + 1) * bucket).
  int64_t from_us = 0, bucket_us = 0;
  std::map<std::string, std::vector<ReasonMicros>> areas;  // per account and "*", per bucket
  // events.csv, measured tasks only: event times per account.
  bool has_events = false;
  std::map<std::string, std::vector<int64_t>> same_pass, preempted_running, first_enqueues, re_adds;
};

// Reads waits.csv, tasks.csv, run.json and (when present) events.csv.
StatusOr<WaitChartData> ReadWaitChartData(const std::string& run_dir);

// Adds the two sections to `page`. `preemptions` maps each account to
// summary.csv's preempted runs (its `preemptions` column); the charts over
// time shade the warm-up `warmup_s` when set.
void AddWaitSections(HtmlPage& page, const WaitChartData& data, const std::map<std::string, double>& preemptions,
                     std::optional<double> warmup_s);

// The bucket width for measured enqueues spanning `span_us`: the smallest of
// 1 min, 5 min, 10 min, 15 min, 30 min, 1 h, 2 h, 3 h, 6 h, 12 h, 1 d giving
// at most 60 buckets (1 d beyond).
int64_t WaitBucketMicros(int64_t span_us);

}  // namespace qsim::reports
