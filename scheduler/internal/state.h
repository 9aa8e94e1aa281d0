// The scheduler's internal state (the Impl behind scheduler.h). Included only
// by scheduler/*.cc.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/internal/label_table.h"
#include "scheduler/scheduler.h"

namespace qsim {

struct Request {
  std::string id;
  std::string account;
  LabelSet base_labels;
  LabelSet provisionable_labels;
  std::vector<internal::LabelId> base_ids;  // sorted
  std::vector<internal::LabelId> provisionable_ids;  // sorted
  Time enqueue_time{};
  Time confirmed_time{};
  Time examined_time{};
  std::vector<std::string> tags;
  // The pass number in which this request was placed; pass-local bookkeeping.
  uint64_t placed_in_pass = 0;
};

struct Run {
  std::unique_ptr<Request> request;
  Priority priority = 0;
  Balance cost{};
};

struct Worker {
  std::string id;
  LabelSet labels;
  std::vector<internal::LabelId> label_ids;  // sorted
  Time confirmed_time{};
  Time modified_time{};
  std::optional<Run> run;

  bool idle() const { return !run.has_value(); }
  // Spec §1: its confirmed time if idle, else the later of its own and its
  // running request's confirmed time.
  Time latest_confirmed() const {
    if (!run) return confirmed_time;
    return std::max(confirmed_time, run->request->confirmed_time);
  }
};

// One candidate of a worker's match list: a position in a level's ordered
// list, its quality and whether it is also a provision match.
struct Match {
  uint32_t position;
  uint32_t quality;
  bool provision_match;
};

struct Scheduler::Impl {
  Policy policy;
  std::map<std::string, AccountConfig> accounts;
  std::map<std::string, Balance> balances;
  Time last_update{};

  std::map<std::string, std::unique_ptr<Request>> queued;
  std::map<std::string, std::unique_ptr<Worker>> workers;
  // request id -> the worker running it. Lookup only.
  std::unordered_map<std::string, Worker*> running;

  internal::LabelTable labels;
  // How many known workers hold each label: picks a request's rarest label
  // as its index key. Affects speed only, never results.
  std::vector<uint32_t> workers_with_label;

  uint64_t pass_number = 0;

  // --- helpers shared by the .cc files ---
  Worker* FindWorker(const std::string& id) const;
  Worker* RunningWorkerOf(const std::string& request) const;
  void SetWorkerLabels(Worker& w, LabelSet labels);
  void RemoveWorker(const std::string& id);  // and its run
  void StartRun(Worker& w, std::unique_ptr<Request> r, Priority p, const Balance& cost);
  std::unique_ptr<Request> EndRun(Worker& w);  // the request, no longer running
  std::unique_ptr<Request> MakeRequest(const RequestSpec& spec, Time confirmed);
  Worker& AddWorker(const std::string& id, LabelSet labels, Time confirmed, Time modified);
};

}  // namespace qsim
