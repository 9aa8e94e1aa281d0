#include "sim/internal/recorder.h"

#include <algorithm>
#include <array>
#include <map>

namespace qsim::sim {

Recorder::Recorder(const Scenario& scenario, const TaskTable& tasks, const WaitAttribution& waits)
    : scenario_(scenario),
      tasks_(tasks),
      waits_(waits),
      window_start_(kStart + scenario.warmup),
      end_(kStart + scenario.duration),
      accounts_(scenario.accounts.size()) {
  size_t bots = 0;
  for (const BotGroupSpec& g : scenario.bots) bots += static_cast<size_t>(g.count);
  bot_busy_us_.assign(bots, 0);
  bot_unavailable_us_.assign(bots, 0);
  for (size_t a = 0; a < scenario.accounts.size(); ++a) {
    for (int p = 0; p < kNumPriorities; ++p) accounts_[a].charge_sum += scenario.accounts[a].config.charge_rate[p];
  }
}

Status Recorder::Open(const std::string& out_dir, const Outputs& outputs) {
  out_dir_ = out_dir;
  if (out_dir.empty()) return Status::Ok();
  if (outputs.events) {
    auto w = CsvWriter::Open(out_dir + "/" + std::string(runfolder::kEventsFile));
    if (!w.ok()) return w.status();
    events_csv_ = std::move(w).value();
    events_csv_->Header(runfolder::kEventsColumns);
  }
  if (outputs.timeseries) {
    auto w = CsvWriter::Open(out_dir + "/" + std::string(runfolder::kTimeseriesFile));
    if (!w.ok()) return w.status();
    timeseries_csv_ = std::move(w).value();
    timeseries_csv_->Header(runfolder::kTimeseriesColumns);
  }
  return Status::Ok();
}

void Recorder::Violation(const std::string& message, int32_t account) {
  if (violations_.size() < 1000) violations_.push_back(message);
  if (account >= 0) ++accounts_[account].violations;
  ++fleet_violations_;
}

void Recorder::WriteEvent(const TaskEvent& e, std::string_view cause) {
  CsvWriter& w = *events_csv_;
  w.Micros(ToMicros(Since(e.time))).Raw(EventTypeName(e.type)).Field(e.task).Field(e.worker).Field(e.account);
  std::string detail;
  switch (e.type) {
    case EventType::kAssigned:
      w.Field(e.priority);
      detail = e.preempted_task;
      break;
    case EventType::kPreempted:
      w.Field(e.priority);
      detail = e.preempting_task;
      break;
    case EventType::kReprioritized:
      w.Field(e.new_priority);
      detail = std::to_string(e.old_priority) + "->" + std::to_string(e.new_priority);
      break;
    case EventType::kCompleted:
      w.Empty();
      detail = CompletedReasonName(e.reason);
      break;
    default:
      w.Empty();
      break;
  }
  w.Field(detail);
  if (cause.empty()) w.Empty();
  else w.Raw(cause);
  w.EndRow();
}

void Recorder::WriteSample(Time now, const Scheduler& s, const BotCounts& bots) {
  const std::vector<AccountSpec>& accounts = scenario_.accounts;
  std::string time = FormatMicros(ToMicros(Since(now)));
  std::vector<std::array<int64_t, kNumPriorities + 1>> queued(accounts.size()), running(accounts.size());
  std::map<std::string, Balance> balances = s.Balances();
  for (uint32_t a = 0; a < accounts.size(); ++a) {
    auto it = balances.find(accounts[a].id);
    Priority p = it == balances.end() ? kFreeBucket : BestPriority(it->second);
    queued[a].fill(0);
    running[a].fill(0);
    queued[a][p] = tasks_.pending_of(a);
  }
  for (const WorkerView& w : s.Workers()) {
    if (!w.run) continue;
    int64_t task = tasks_.Parse(w.run->request);
    if (task < 0) continue;
    ++running[tasks_[static_cast<uint32_t>(task)].account][std::clamp(w.run->priority, 0, kFreeBucket)];
  }
  CsvWriter& out = *timeseries_csv_;
  for (uint32_t a = 0; a < accounts.size(); ++a) {
    for (const char* series : {"queued", "running"}) {
      const auto& v = series[0] == 'q' ? queued[a] : running[a];
      for (int p = 0; p <= kFreeBucket; ++p) {
        out.Raw(time).Raw(series).Field(accounts[a].id).Field(p).Field(v[p]);
        out.EndRow();
      }
    }
    auto it = balances.find(accounts[a].id);
    for (int p = 0; p < kNumPriorities; ++p) {
      out.Raw(time).Raw("balance").Field(accounts[a].id).Field(p).Float(it == balances.end() ? 0.0 : it->second[p]);
      out.EndRow();
    }
  }
  out.Raw(time).Raw("bots_idle").Empty().Empty().Field(bots.idle);
  out.EndRow();
  out.Raw(time).Raw("bots_busy").Empty().Empty().Field(bots.busy);
  out.EndRow();
  out.Raw(time).Raw("bots_dead").Empty().Empty().Field(bots.dead);
  out.EndRow();
}

}  // namespace qsim::sim
