// The quota scheduler: its behaviour is written down in docs/scheduler.md.
//
// Start here: a Scheduler holds queued requests, workers and per-account
// balances. Notifications (AddRequest, MarkIdle, NotifyTaskRunning,
// NotifyTaskAbsent, Unassign) tell it what the dispatcher knows; UpdateTime
// moves its clock and balances; RunOnce makes one scheduling pass and returns
// its assignments. It holds no clock and no randomness: every tie is broken
// in the fixed order the spec names, so the same calls give the same outputs.
//
// Errors are values: API misuse (an empty id, too many balance values, an
// Unassign of a request that is not running on that worker) returns a non-ok
// Status naming the id and the rule; the state is then unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "scheduler/events.h"
#include "base/status.h"
#include "base/time.h"
#include "scheduler/types.h"

namespace qsim {

namespace proto {
class SchedulerSnapshot;
}

// What the dispatcher says about a waiting request.
struct RequestSpec {
  std::string id;
  std::string account;  // "" or an unconfigured account: free bucket only
  std::vector<std::string> base_labels;
  std::vector<std::string> provisionable_labels;
  Time enqueue_time{};
  std::vector<std::string> tags;
};

enum class AssignmentType { kIdleWorker, kPreemptWorker };

// One decision of a pass. A pass may hold several for one worker (the
// preemption quirk, docs/scheduler.md §5): the last one wins.
struct SchedulerAssignment {
  AssignmentType type = AssignmentType::kIdleWorker;
  std::string worker;
  std::string request;
  std::string task_to_abort;  // "" unless type == kPreemptWorker
  Priority priority = 0;
  Time time{};
  bool provision_required = false;
};

// A read-only copy of one request.
struct RequestView {
  std::string id;
  std::string account;
  LabelSet base_labels;
  LabelSet provisionable_labels;
  Time enqueue_time{};
  Time confirmed_time{};
  Time examined_time{};
  std::vector<std::string> tags;
};

struct RunView {
  std::string request;
  Priority priority = 0;
  Balance cost{};
};

// A read-only copy of one worker.
struct WorkerView {
  std::string id;
  LabelSet labels;
  Time confirmed_time{};
  Time modified_time{};
  std::optional<RunView> run;  // empty when idle
};

class Scheduler {
 public:
  // A scheduler whose last update is `start`, with no accounts and `policy`.
  static Scheduler New(Time start, Policy policy = {});
  // Restores a scheduler written by ToProto. Fails with kDataLoss on a state
  // that is not self-consistent (a worker running an unknown priority, ...).
  static StatusOr<Scheduler> NewFromProto(const proto::SchedulerSnapshot& snapshot);
  // The full state and config; NewFromProto(ToProto()) continues exactly as
  // this object would.
  proto::SchedulerSnapshot ToProto() const;

  Scheduler(Scheduler&&) noexcept;
  Scheduler& operator=(Scheduler&&) noexcept;
  ~Scheduler();

  // --- configuration ---
  const Policy& policy() const;
  void SetPolicy(const Policy& policy);
  // Sets the config of `account` and resets its balance to `initial_balance`
  // padded with zeros. Errors: empty id, more than 5 values, negative or
  // non-finite rates or max_charge_seconds, a negative fanout or limit.
  Status AddAccount(const std::string& account, const AccountConfig& config,
                    std::span<const float> initial_balance = {});
  // Removes the account's config and balance; its requests stay, unpaid.
  Status DeleteAccount(const std::string& account);
  std::optional<AccountConfig> GetAccountConfig(const std::string& account) const;

  // --- time ---
  // Charges running work and credits accounts for the time since the last
  // update, then expires idle workers. A `t` earlier than the last update
  // does nothing.
  void UpdateTime(Time t);
  Time last_update() const;

  // --- notifications (docs/scheduler.md §4) ---
  Status AddRequest(const RequestSpec& request, Time t, EventSink* events);
  // AddRequest's first case alone: if `request` is queued, confirms it at
  // `t` (exactly as AddRequest would) and returns true; otherwise changes
  // nothing and returns false. Lets a caller that re-sends the same request
  // again and again skip building a RequestSpec for the common case.
  bool ConfirmIfQueued(std::string_view request, Time t);
  // ConfirmIfQueued for requests[0], requests[1], ... back to back (so that
  // their lookups' cache misses overlap), stopping at the first that is not
  // queued: returns how many were confirmed, requests.size() if all were.
  size_t ConfirmQueuedRun(std::span<const std::string_view> requests, Time t);
  // Hints, for speed only (they change nothing): a caller about to call
  // MarkIdle for a list of workers asks for the index bucket of the worker
  // about 8 entries ahead and for the worker itself about 4 ahead, so that
  // those lookups' cache misses overlap with the work in between.
  // `worker_hash` is HashId(worker) (base/short_id.h).
  void PrefetchWorkerBucket(uint64_t worker_hash) const;
  void PrefetchWorker(uint64_t worker_hash) const;
  // MarkIdle, given worker_hash == HashId(worker), by a caller that has it.
  Status MarkIdle(const std::string& worker, uint64_t worker_hash, const std::vector<std::string>& labels,
                  Time t, EventSink* events);
  Status MarkIdle(const std::string& worker, const std::vector<std::string>& labels, Time t,
                  EventSink* events);
  Status NotifyTaskRunning(const std::string& request, const std::string& worker, Time t,
                           EventSink* events);
  Status NotifyTaskAbsent(const std::string& request, Time t, EventSink* events);
  // Takes `request` off `worker` (which is forgotten) and queues it again,
  // unless it was enqueued more than max_queue_age before `t`.
  // Error (state unchanged) unless `request` is running on `worker`.
  Status Unassign(const std::string& request, const std::string& worker, Time t,
                  EventSink* events);

  // --- one scheduling pass (docs/scheduler.md §5) ---
  std::vector<SchedulerAssignment> RunOnce(EventSink* events);

  // --- reads ---
  bool IsAssigned(const std::string& request, const std::string& worker) const;
  std::optional<RequestView> GetRequest(const std::string& request) const;  // queued or running
  std::optional<WorkerView> GetWorker(const std::string& worker) const;
  std::vector<WorkerView> Workers() const;            // by id
  std::vector<std::string> QueuedRequests() const;   // ids, sorted
  size_t NumQueued() const;
  size_t NumWorkers() const;
  size_t NumRunning() const;
  std::map<std::string, Balance> Balances() const;    // configured accounts
  std::optional<Balance> GetBalance(const std::string& account) const;
  // The best priority (BestPriority) of every account with a balance, in id
  // order: the level a pass would queue its requests at. Cheaper than a
  // GetBalance per account, for callers that ask after every pass.
  void BestPriorities(std::vector<Priority>* out) const;

  // The state, opaque outside scheduler/*.cc.
  struct Impl;

 private:
  explicit Scheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace qsim
