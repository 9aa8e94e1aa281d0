// The end of a run: per-task results, the per-account summary, and the
// tasks.csv / summary.csv files of the run-folder contract.
#include <algorithm>

#include "runfolder/measured.h"
#include "sim/internal/recorder.h"

namespace qsim::sim {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kUnfinished: return "unfinished";
    case Outcome::kCompleted: return "completed";
    case Outcome::kPreempted: return "preempted";
    case Outcome::kFailed: return "failed";
    case Outcome::kCancelled: return "cancelled";
    case Outcome::kLost: return "lost";
  }
  return "unfinished";
}

namespace {

// The rule readers of tasks.csv share (runfolder/measured.h).
Duration Percentile(const std::vector<int64_t>& sorted, int64_t num, int64_t den) {
  return Micros(runfolder::NearestRankPercentile(sorted, num, den));
}

void Summarise(std::vector<int64_t>& waits, __int128 wait_sum, AccountSummary* s) {
  std::sort(waits.begin(), waits.end());
  s->waits = static_cast<int64_t>(waits.size());
  if (!waits.empty()) s->wait_mean = Micros(static_cast<int64_t>(wait_sum / static_cast<__int128>(waits.size())));
  s->wait_p50 = Percentile(waits, 50, 100);
  s->wait_p90 = Percentile(waits, 90, 100);
  s->wait_p99 = Percentile(waits, 99, 100);
  s->wait_max = waits.empty() ? Duration::zero() : Micros(waits.back());
}

// waits.csv's per-reason totals and task counts.
void AddReasons(const std::array<int64_t, 9>& wait_us, AccountSummary* s) {
  for (size_t r = 0; r < wait_us.size(); ++r) {
    s->reason_us[r] += wait_us[r];
    if (wait_us[r] > 0) ++s->reason_tasks[r];
  }
}

}  // namespace

// Account k's same-pass, forgotten and re-add counts; k = accounts: the fleet's.
void Recorder::AddWaitCounts(size_t k, AccountSummary* s) const {
  for (size_t a = 0; a < accounts_.size(); ++a) {
    if (k != accounts_.size() && k != a) continue;
    const WaitCounts& c = waits_.counts(static_cast<uint32_t>(a));
    s->same_pass_reassignments += c.same_pass;
    s->forgotten += c.forgotten;
    s->re_adds += c.re_adds;
  }
}

TaskResult Recorder::ResultOf(uint32_t id) const {
  auto offset = [](Time t) { return t == kNever ? Duration(-1) : Since(t); };
  const Task& t = tasks_[id];
  TaskResult out;
  out.id = id;
  out.account = scenario_.accounts[t.account].id;
  out.enqueue = Since(t.enqueue);
  out.first_assigned = offset(t.first_assigned);
  out.start = offset(t.start);
  out.end = t.state == TaskState::kDone ? offset(t.end) : Duration(-1);
  out.outcome = t.state == TaskState::kDone ? t.outcome : Outcome::kUnfinished;
  out.times_preempted = t.times_preempted;
  out.times_unassigned = t.times_unassigned;
  out.provision_needed = t.provision_needed;
  out.start_priority = t.start == kNever ? -1 : t.start_priority;
  return out;
}

void Recorder::BuildResult(uint64_t seed, uint64_t events, size_t bots, bool keep_tasks, RunResult* r) const {
  r->seed = seed;
  r->events = events;
  r->measured = scenario_.duration - scenario_.warmup;
  double window_s = static_cast<double>(ToMicros(r->measured)) / 1e6;
  r->mean_in_system = window_s > 0 ? area_ / window_s : 0;
  r->violations = violations_;

  r->task_count = tasks_.size();
  if (keep_tasks) r->tasks.reserve(tasks_.size());
  size_t n = accounts_.size();
  const std::vector<AccountSpec>& specs = scenario_.accounts;
  std::vector<AccountSummary> sums(n + 1);
  std::vector<std::vector<int64_t>> waits(n + 1);
  std::vector<__int128> wait_sums(n + 1, 0);
  for (uint32_t id = 0; id < tasks_.size(); ++id) {
    const Task& t = tasks_[id];
    if (keep_tasks) r->tasks.push_back(ResultOf(id));
    if (!t.measured) continue;
    const Outcome outcome = t.state == TaskState::kDone ? t.outcome : Outcome::kUnfinished;
    const TaskWaits::Split wait_us = r->task_waits.Get(id);
    for (size_t k : {static_cast<size_t>(t.account), n}) {
      AccountSummary& s = sums[k];
      ++s.tasks;
      switch (outcome) {
        case Outcome::kUnfinished: ++s.unfinished; break;
        case Outcome::kCompleted: ++s.completed; break;
        case Outcome::kPreempted: ++s.preempted; break;
        case Outcome::kFailed: ++s.failed; break;
        case Outcome::kCancelled: ++s.cancelled; break;
        case Outcome::kLost: ++s.lost; break;
      }
      if (t.start != kNever) {
        int64_t wait = ToMicros(t.start - t.enqueue);
        waits[k].push_back(wait);
        wait_sums[k] += wait;
      }
      s.preemptions += t.times_preempted;
      s.wasted_bot_time += t.wasted;
      s.timeouts += t.times_unassigned;
      AddReasons(wait_us, &s);
    }
  }
  int64_t busy_total = 0;
  double charge_total = 0;
  for (const AccountMetrics& a : accounts_) {
    busy_total += a.busy_us;
    charge_total += a.charge_sum;
  }
  int64_t available = static_cast<int64_t>(bots) * ToMicros(r->measured) - unavailable_us_;
  double hours = window_s / 3600;
  for (size_t k = 0; k <= n; ++k) {
    AccountSummary& s = sums[k];
    Summarise(waits[k], wait_sums[k], &s);
    int64_t busy = k < n ? accounts_[k].busy_us : busy_total;
    s.account = k < n ? specs[k].id : "*";
    s.busy_bot_time = Micros(busy);
    s.busy_share = busy_total > 0 ? static_cast<double>(busy) / static_cast<double>(busy_total) : 0;
    double charge = k < n ? accounts_[k].charge_sum : charge_total;
    s.charge_share = charge_total > 0 ? charge / charge_total : 0;
    s.utilisation = available > 0 ? static_cast<double>(busy) / static_cast<double>(available) : 0;
    s.throughput_per_hour = hours > 0 ? static_cast<double>(s.completed) / hours : 0;
    s.invariant_violations = k < n ? accounts_[k].violations : fleet_violations_;
    AddWaitCounts(k, &s);
  }
  r->summary = std::move(sums);
}

Status Recorder::WriteOutputs(const RunResult& r) {
  if (events_csv_) QSIM_RETURN_IF_ERROR(events_csv_->Close());
  if (timeseries_csv_) QSIM_RETURN_IF_ERROR(timeseries_csv_->Close());
  if (out_dir_.empty()) return Status::Ok();
  QSIM_RETURN_IF_ERROR(WriteTasks(r));
  QSIM_RETURN_IF_ERROR(WriteSummary(r));
  return WriteWaits(r);
}

Status Recorder::WriteTasks(const RunResult& r) const {
  auto open = CsvWriter::Open(out_dir_ + "/" + std::string(runfolder::kTasksFile));
  if (!open.ok()) return open.status();
  CsvWriter& w = **open;
  w.Header(runfolder::kTasksColumns);
  auto time = [&w](Duration d) {
    if (d < Duration::zero()) w.Empty();
    else w.Micros(ToMicros(d));
  };
  auto join = [](const LabelSet& labels) {
    std::string out;
    for (const std::string& l : labels) out += (out.empty() ? "" : ";") + l;
    return out;
  };
  for (uint32_t id = 0; id < tasks_.size(); ++id) {
    const TaskResult t = ResultOf(id);
    w.Raw(TaskName(id)).Field(t.account);
    w.Field(join(tasks_.labels(tasks_[id].base_labels))).Field(join(tasks_.labels(tasks_[id].prov_labels)));
    time(t.enqueue);
    time(t.first_assigned);
    time(t.start);
    time(t.end);
    w.Raw(OutcomeName(t.outcome));
    time(t.start < Duration::zero() ? Duration(-1) : t.start - t.enqueue);
    w.Field(t.times_preempted).Field(t.times_unassigned).Field(t.provision_needed ? 1 : 0);
    if (t.start_priority < 0) w.Empty();
    else w.Field(t.start_priority);
    for (int64_t us : r.task_waits.Get(id)) w.Micros(us);
    w.EndRow();
  }
  return w.Close();
}

Status Recorder::WriteSummary(const RunResult& r) const {
  auto open = CsvWriter::Open(out_dir_ + "/" + std::string(runfolder::kSummaryFile));
  if (!open.ok()) return open.status();
  CsvWriter& w = **open;
  w.Header(runfolder::kSummaryColumns);
  for (const AccountSummary& s : r.summary) {
    w.Field(s.account).Field(s.tasks).Field(s.completed).Field(s.preempted).Field(s.failed).Field(s.cancelled);
    w.Field(s.lost).Field(s.unfinished);
    for (Duration d : {s.wait_mean, s.wait_p50, s.wait_p90, s.wait_p99, s.wait_max}) {
      if (s.waits == 0) w.Empty();
      else w.Micros(ToMicros(d));
    }
    w.Float(s.throughput_per_hour).Field(s.preemptions).Micros(ToMicros(s.wasted_bot_time));
    w.Micros(ToMicros(s.busy_bot_time)).Float(s.busy_share).Float(s.charge_share).Float(s.utilisation);
    w.Field(s.timeouts).Field(s.invariant_violations);
    w.Field(s.same_pass_reassignments).Field(s.forgotten).Field(s.re_adds);
    w.EndRow();
  }
  return w.Close();
}

Status Recorder::WriteWaits(const RunResult& r) const {
  auto open = CsvWriter::Open(out_dir_ + "/" + std::string(runfolder::kWaitsFile));
  if (!open.ok()) return open.status();
  CsvWriter& w = **open;
  w.Header(runfolder::kWaitsColumns);
  for (const AccountSummary& s : r.summary) {
    int64_t total = 0;
    for (int64_t us : s.reason_us) total += us;
    for (size_t k = 0; k < runfolder::kWaitReasons.size(); ++k) {
      w.Field(s.account).Raw(runfolder::kWaitReasons[k]).Field(s.reason_tasks[k]).Micros(s.reason_us[k]);
      w.Float(total > 0 ? static_cast<double>(s.reason_us[k]) / static_cast<double>(total) : 0.0);
      w.EndRow();
    }
  }
  return w.Close();
}

}  // namespace qsim::sim
