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
  // The first 8 bytes of `id`, big-endian: orders ids byte-wise without a
  // string compare, unless two ids share them.
  uint64_t id_prefix = 0;
  uint32_t account_slot = 0;  // the account's interned slot (see Impl::account_slots)
  uint32_t queue_slot = 0;    // position in RequestQueue::all(), while queued
};

// Queued requests: found by id, and walked as one contiguous list (in no
// particular order: the pass sorts what it reads).
class RequestQueue {
 public:
  Request* Find(const std::string& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second.get();
  }
  void Add(std::unique_ptr<Request> r) {
    r->queue_slot = static_cast<uint32_t>(all_.size());
    all_.push_back(r.get());
    std::string id = r->id;
    by_id_.emplace(std::move(id), std::move(r));
  }
  std::unique_ptr<Request> Remove(Request* r) {
    Request* last = all_.back();
    all_[r->queue_slot] = last;
    last->queue_slot = r->queue_slot;
    all_.pop_back();
    auto node = by_id_.extract(r->id);
    return std::move(node.mapped());
  }
  const std::vector<Request*>& all() const { return all_; }
  size_t size() const { return all_.size(); }
  // By id: for outputs, whose order must not depend on history.
  std::vector<const Request*> SortedById() const;

 private:
  std::unordered_map<std::string, std::unique_ptr<Request>> by_id_;  // lookup only
  std::vector<Request*> all_;
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

  RequestQueue queued;
  std::map<std::string, std::unique_ptr<Worker>> workers;
  // request id -> the worker running it. Lookup only.
  std::unordered_map<std::string, Worker*> running;

  internal::LabelTable labels;
  // How many known workers hold each label: picks a request's rarest label
  // as its index key. Affects speed only, never results.
  std::vector<uint32_t> workers_with_label;

  uint64_t pass_number = 0;

  // Account ids seen on requests, interned so a pass finds each request's
  // priority by index. Lookup only; slots are never written out.
  std::unordered_map<std::string, uint32_t> account_slot_by_name;
  std::vector<std::string> account_slots;
  uint32_t AccountSlot(const std::string& account);

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
