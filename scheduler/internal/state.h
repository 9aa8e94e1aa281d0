// The scheduler's internal state (the Impl behind scheduler.h): workers,
// runs and the indexes kept in step with them. Internal to scheduler/:
// included by its .cc files and its tests only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/container_hash/hash.hpp>

#include "scheduler/internal/id_index.h"
#include "scheduler/internal/label_set_groups.h"
#include "scheduler/internal/label_table.h"
#include "scheduler/internal/level.h"
#include "scheduler/internal/request_queue.h"
#include "scheduler/scheduler.h"

namespace qsim {
namespace internal {

struct Worker;

struct Run {
  std::unique_ptr<Request> request;
  Priority priority = 0;
  Worker* worker = nullptr;
  // What a walk over the runs below a level reads of each (the preemption
  // scan, an account's runs), copied here at StartRun: the table is
  // contiguous, the workers and requests are not, and under a backlog those
  // walks read thousands of runs a pass. They hold for the run's life: a
  // request's account slot never changes, and a worker's label class and
  // modified time change while it runs only in MarkIdle, which ends the run
  // right after.
  uint32_t account_slot = 0;
  uint32_t worker_class = 0;
  Time worker_modified{};
  // What it has cost so far is kept apart, in Impl::run_cost.
};

// A worker's way to its run. Runs live contiguously in Impl::runs, because
// UpdateTime charges every one of them every pass and a large fleet runs
// thousands; a worker holds its run's index into that table.
class RunHandle {
 public:
  RunHandle() = default;
  RunHandle(std::vector<Run>* table, uint32_t slot) : table_(table), slot_(slot) {}
  explicit operator bool() const { return table_ != nullptr; }
  Run* operator->() const { return &(*table_)[slot_]; }
  uint32_t slot() const { return slot_; }

 private:
  std::vector<Run>* table_ = nullptr;
  uint32_t slot_ = 0;
};

// Every poll finds its worker by id and reads it, tens of millions of times
// in a long run, mostly from memory: the first cache line holds all that this
// reads (the index link, the id itself for ids up to 22 characters, the run,
// the confirmed time and the labels' class), so a poll misses once.
struct alignas(64) Worker {
  static constexpr uint32_t kNoClass = UINT32_MAX;
  IdIndexHook index_hook;  // in Impl::worker_by_id
  InlineId id;
  RunHandle run;  // empty while idle
  Time confirmed_time{};
  // The worker's labels, interned: workers with equal label sets share a
  // class (Impl::worker_classes), which holds the labels for all of them.
  // kNoClass exactly while the worker has departed (see Impl::workers).
  uint32_t label_class = kNoClass;
  // While idle, its position in Impl::idle_unordered.
  uint32_t idle_slot = 0;
  // Orders workers exactly as their ids do, as an integer (see
  // Impl::AssignRank); never written out.
  uint64_t rank = 0;
  Time modified_time{};
  // Its entry in Impl::workers, so leaving costs no search by id.
  std::map<std::string_view, Worker*>::iterator in_id_order;
  // While departed, the class it had: a returning worker usually reports the
  // labels it left with, and then takes its class back without interning.
  uint32_t former_class = kNoClass;
  // While busy, its link in Impl::running, and the id of the request it
  // runs (viewing that request's own id, which neither moves nor changes
  // while it runs): a lookup compares it without going through the run
  // table and the request object, two more likely cache misses.
  HashedIdHook running_hook;
  std::string_view running_id;

  bool idle() const { return !run; }
  // Removed from the scheduler's state, but kept as a tombstone in
  // Impl::worker_by_id and Impl::workers with its rank (see Impl::workers).
  bool departed() const { return label_class == kNoClass; }
  // Spec §1: its confirmed time if idle, else the later of its own and its
  // running request's confirmed time.
  Time latest_confirmed() const {
    if (!run) return confirmed_time;
    return std::max(confirmed_time, run->request->confirmed_time);
  }
};

// A busy worker's key in Impl::running: the id of the request it runs.
struct RunningRequestId {
  using type = std::string_view;
  std::string_view operator()(const Worker& w) const { return w.running_id; }
};
using RunningIndex = IdLookup<Worker, HashedIdHook, &Worker::running_hook, RunningRequestId>;

// Workers in id order, compared by rank.
struct ByRank {
  bool operator()(const Worker* a, const Worker* b) const { return a->rank < b->rank; }
};

// A set of workers in id order. Each element keeps its worker's rank, so
// finding, adding and removing compare ranks held in the tree's own nodes
// instead of reading a worker (a likely cache miss) at every level.
class WorkerSet {
  struct Entry {
    // Mutable so RefreshRanks can follow a renumbering, which keeps the order.
    mutable uint64_t rank;
    Worker* worker;
    bool operator<(const Entry& other) const { return rank < other.rank; }
  };
  using Set = std::set<Entry>;

 public:
  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = Worker*;
    using difference_type = std::ptrdiff_t;
    using pointer = Worker* const*;
    using reference = Worker* const&;

    const_iterator() = default;
    explicit const_iterator(Set::const_iterator it) : it_(it) {}
    reference operator*() const { return it_->worker; }
    // The worker's rank, without reading the worker.
    uint64_t rank() const { return it_->rank; }
    const_iterator& operator++() {
      ++it_;
      return *this;
    }
    const_iterator operator++(int) { return const_iterator(it_++); }
    const_iterator& operator--() {
      --it_;
      return *this;
    }
    const_iterator operator--(int) { return const_iterator(it_--); }
    bool operator==(const const_iterator&) const = default;

   private:
    Set::const_iterator it_;
  };

  WorkerSet() = default;
  // A copy holds the same workers; spare nodes stay with the original.
  WorkerSet(const WorkerSet& other) : set_(other.set_) {}
  WorkerSet& operator=(const WorkerSet& other) {
    set_ = other.set_;
    return *this;
  }
  WorkerSet(WorkerSet&&) = default;
  WorkerSet& operator=(WorkerSet&&) = default;

  // A worker joins and leaves its idle sets about twice per task: the nodes
  // of those that left are kept and reused, so that this allocates and
  // frees nothing once the sets have reached their size.
  void insert(Worker* w) {
    if (spare_.empty()) {
      set_.insert(Entry{w->rank, w});
      return;
    }
    Set::node_type node = std::move(spare_.back());
    spare_.pop_back();
    node.value() = Entry{w->rank, w};
    set_.insert(std::move(node));
  }
  // REQUIRES: the ranks are current (see RefreshRanks).
  void erase(const Worker* w) {
    auto it = set_.find(Entry{w->rank, nullptr});
    if (it != set_.end()) spare_.push_back(set_.extract(it));
  }
  bool empty() const { return set_.empty(); }
  size_t size() const { return set_.size(); }
  const_iterator begin() const { return const_iterator(set_.begin()); }
  const_iterator end() const { return const_iterator(set_.end()); }
  // After the workers were renumbered in the same order.
  void RefreshRanks() {
    for (const Entry& e : set_) e.rank = e.worker->rank;
  }

 private:
  Set set_;
  std::vector<Set::node_type> spare_;
};

// One candidate of a worker's match list: a position in a level's ordered
// list, its quality and whether it is also a provision match.
struct Match {
  uint32_t position;
  uint32_t quality;
  bool provision_match;
};

}  // namespace internal

struct Scheduler::Impl {
  Policy policy;
  std::map<std::string, AccountConfig> accounts;
  std::map<std::string, Balance> balances;
  Time last_update{};

  internal::RequestQueue queued;
  // Workers by id, owned here, departed ones included (see `workers`).
  // Lookup only.
  internal::IdIndex<internal::Worker> worker_by_id;
  // Tombstones ForgetDeparted dropped, for reuse by new workers: reusing the
  // objects keeps the fleet's workers in the few megabytes they first took
  // instead of scattered over the whole heap.
  std::vector<std::unique_ptr<internal::Worker>> spare_workers;
  // Requests whose run or queueing ended, for MakeRequest to reuse: a reused
  // object keeps the capacity of its strings and vectors, so copying a new
  // request's id, labels and tags into it allocates nothing once the pool
  // has warmed up (about eight allocations per task otherwise). Holds at
  // most kMaxSpareRequests; which object a request gets is unobservable.
  std::vector<std::unique_ptr<internal::Request>> spare_requests;
  static constexpr size_t kMaxSpareRequests = 4096;
  void RecycleRequest(std::unique_ptr<internal::Request> r);
  // The same workers in id order (keys view Worker::id), departed ones
  // included: exactly the workers of the state plus `departed_count`
  // tombstones, each with a rank that orders all of them as their ids do.
  // A worker is removed (a task ends, per the spec's absent-task rule) and
  // re-added at its next poll about once per task; finding its tombstone by
  // hash and reviving it keeps its place and rank, where erasing it would
  // cost the return an ordered string insert. Readers skip departed workers;
  // ForgetDeparted drops the tombstones once they outnumber the workers.
  std::map<std::string_view, internal::Worker*> workers;
  size_t departed_count = 0;
  size_t NumLiveWorkers() const { return workers.size() - departed_count; }
  // Exactly the busy workers, by the id of the request each runs. A worker
  // runs one request, so this links the workers themselves: no node to
  // allocate per run, and a lookup passes other workers by stored hash.
  internal::RunningIndex running;

  // Indexes kept in step with `workers` by the helpers below, so that a pass
  // and UpdateTime touch the workers that matter instead of walking them all.
  // Idle workers in id order.
  internal::WorkerSet idle;
  // Exactly the idle workers, in no order (Worker::idle_slot is each one's
  // position): RemoveExpiredWorkers reads every idle worker's confirmed time
  // every few minutes, and an array lets those reads overlap where walking
  // `idle`'s tree waits for one node after another.
  std::vector<internal::Worker*> idle_unordered;
  // By label id: exactly how many idle workers hold it.
  std::vector<uint32_t> idle_count_with_label;
  // By label id: exactly the idle workers holding it, in id order. Built on
  // the first call, kept from then on.
  const internal::WorkerSet& IdleWithLabel(internal::LabelId l);
  // Idle workers in id order by label class: workers with equal label sets
  // form a class, and a fleet has few, so a request's candidates are the
  // union of the classes holding all its labels.
  std::vector<internal::WorkerSet> idle_in_class;
  // Every run, contiguous (see RunHandle), grouped by priority: group q
  // (kFreeBucket included) is [run_begin[q], run_begin[q + 1]). UpdateTime
  // charges a priority's runs as one stretch, and the preemption scan starts
  // at the priority it needs. Order within a group means nothing.
  std::vector<internal::Run> runs;
  std::array<uint32_t, kNumPriorities + 2> run_begin{};
  // What each run has cost, by priority: run_cost[p][slot], slots as in
  // `runs`. Apart from the runs so that UpdateTime charges a priority group
  // as one pass over contiguous floats: thousands of runs then fit in L1.
  std::array<std::vector<float>, kNumPriorities> run_cost;
  Balance CostOf(const internal::Worker& w) const;
  // The cost of the run in runs[slot].
  Balance CostOfRun(uint32_t slot) const;
  // Runs by account slot and priority (kFreeBucket included).
  std::vector<std::array<int32_t, kNumPriorities + 1>> runs_at;
  // Every idle worker was confirmed no earlier than this, or is listed in
  // `stale_idle` under a time no later than its confirmed time: UpdateTime
  // walks the idle workers only once the floor is older than the
  // expiration, and otherwise checks just the listed workers that are due.
  Time idle_confirmed_floor = Time::max();
  // Workers the last walk found idle and not confirmed in the last half
  // expiration, and workers that became idle since with a confirmed time
  // below the floor (IndexIdle), each under its confirmed time then,
  // latest first (so the next due is at the back). Entries go stale (the
  // worker confirmed again, ran, departed, or its object was reused): each
  // is checked against the worker as it is when popped. With them apart,
  // the floor is set from the recently confirmed workers, and a walk
  // happens at most about once per half expiration, not once per dead bot.
  struct StaleIdle {
    Time confirmed;
    internal::Worker* worker;
  };
  static bool LaterConfirmed(const StaleIdle& a, const StaleIdle& b) { return a.confirmed > b.confirmed; }
  std::vector<StaleIdle> stale_idle;

  internal::LabelTable labels;
  // The signature id of a label-id list (see Request), made if new.
  uint32_t Signature(std::span<const internal::LabelId> ids);
  // Signature ids by their lists: an open-addressing table (linear probing,
  // power-of-two size, at most half full) of (hash of the list, id + 1), 0
  // for empty, the lists compared in signature_ids. Where requests draw
  // their own label sets nearly every request makes two signatures, and a
  // node-based map cost two allocations and a rehash walk for each.
  std::vector<std::pair<uint64_t, uint32_t>> signature_table;
  // By signature id: the label-id list it was made from.
  // A request's signature is its base ids, kSignatureSeparator, then its
  // provisionable ids; its base signature, its base ids alone. The lists sit
  // end to end in one array, in the order the signatures were made, which is
  // about the order a level lists their requests in: a walk over a level's
  // positions reads them nearly in sequence.
  std::span<const internal::LabelId> SignatureIds(uint32_t signature) const {
    return {signature_ids.data() + signature_start[signature], signature_ids.data() + signature_start[signature + 1]};
  }
  size_t NumSignatures() const { return signature_start.size() - 1; }
  // A request's label ids, sorted: the base ones, and the provisionable ones.
  std::span<const internal::LabelId> BaseIds(const internal::Request& r) const { return SignatureIds(r.base_signature); }
  std::span<const internal::LabelId> ProvisionableIds(const internal::Request& r) const {
    return SignatureIds(r.signature).subspan(BaseIds(r).size() + 1);
  }
  // A request's labels as its spec gave them (sorted, each once).
  LabelSet BaseLabels(const internal::Request& r) const { return LabelNames(BaseIds(r)); }
  LabelSet ProvisionableLabels(const internal::Request& r) const { return LabelNames(ProvisionableIds(r)); }
  LabelSet LabelNames(std::span<const internal::LabelId> ids) const;
  std::vector<uint32_t> signature_start{0};  // signature s: [start[s], start[s + 1])
  std::vector<internal::LabelId> signature_ids;
  static constexpr internal::LabelId kSignatureSeparator = std::numeric_limits<internal::LabelId>::max();
  // Label-id lists -> worker class ids, and back. Lookup only.
  std::unordered_map<std::vector<internal::LabelId>, uint32_t, boost::hash<std::vector<internal::LabelId>>>
      worker_classes;
  std::vector<const std::vector<internal::LabelId>*> class_labels;
  // By class: the labels themselves, sorted. A fleet has few classes, so
  // these stay in cache where a per-worker copy would be read from memory on
  // every poll.
  std::vector<LabelSet> class_label_names;
  const std::vector<internal::LabelId>& LabelIdsOf(const internal::Worker& w) const { return *class_labels[w.label_class]; }
  const LabelSet& LabelsOf(const internal::Worker& w) const { return class_label_names[w.label_class]; }
  // How many known workers hold each label: picks a request's rarest label
  // as its index key. Affects speed only, never results.
  std::vector<uint32_t> workers_with_label;
  // A base signature's index key and check label (Level::IndexEntry): its
  // two labels held by the fewest known workers, kNoIndexLabel standing for
  // "none" (the label table grows, so no id is reserved for it). Chosen from
  // workers_with_label once per census epoch, which moves on once as many
  // workers have joined, left or changed labels as are known: a pass
  // re-reads a backlog's keys from this table instead of from every
  // request. Speed only, like the counts.
  struct IndexKey {
    uint32_t key = 0;
    uint32_t check = 0;
    uint32_t epoch = 0;  // 0: never chosen
  };
  static constexpr uint32_t kNoIndexLabel = std::numeric_limits<uint32_t>::max();
  const IndexKey& IndexKeyOf(uint32_t base_signature);
  void CensusChanged();
  std::vector<IndexKey> index_keys;  // by signature id
  uint32_t census_epoch = 1;
  size_t census_changes = 0;

  uint64_t pass_number = 0;
  // The levels of the pass in progress (see Level); between passes, only
  // their capacity is kept.
  std::array<internal::Level, kNumPriorities + 1> pass_levels;
  // A pass's label-set groups of the level it is matching, kept for their
  // capacity like pass_levels (only one level is matched at a time).
  internal::LabelSetGrouping pass_grouping;
  // By label id: its row in a pass's idle-label bit matrix, or kNoRow
  // (MatchIdleByWorker). Kept all kNoRow between passes, so a pass resets
  // only the entries it set, not one per label ever seen.
  std::vector<uint32_t> pass_label_row;
  // By signature: a pass's scratch count (PreemptingRequests), all zero
  // between uses, so a use costs what it touches, not one entry per
  // signature the run ever made.
  std::vector<uint32_t> pass_signature_count;
  // The last pass's level by account slot, as it splits the queue's cohort
  // (RequestQueue::Partition); kept for its capacity and set by each pass.
  std::vector<uint8_t> part_of_slot;

  // Account ids seen on requests, interned so a pass finds each request's
  // priority by index. Lookup only; slots are never written out.
  std::unordered_map<std::string, uint32_t, internal::IdHash, internal::SameIdAs> account_slot_by_name;
  std::vector<std::string> account_slots;
  uint32_t AccountSlot(const std::string& account);

  // Every pass and time update reads each account's config, balance and
  // runs; these let them do it without looking names up. Rebuilt by
  // RefreshAccountIndex after accounts or slots change (which set the flag).
  struct SlotAccount {
    const AccountConfig* config = nullptr;  // nullptr: not configured
    Balance* balance = nullptr;             // nullptr: not configured
  };
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  std::vector<SlotAccount> slot_accounts;  // by slot
  std::vector<uint32_t> slot_of_account;   // by configured account, in id order; kNoSlot: no request yet
  bool account_index_stale = true;
  void RefreshAccountIndex();

  // --- helpers shared by the .cc files ---
  internal::Worker* FindWorker(std::string_view id);  // a worker of the state, not departed
  internal::Worker* FindWorkerOrTombstone(std::string_view id) { return worker_by_id.Find(id); }
  internal::Worker* RunningWorkerOf(const std::string& request) const;
  void SetWorkerLabels(internal::Worker& w, LabelSet labels);
  void SetRunPriority(internal::Worker& w, Priority p);
  const std::array<int32_t, kNumPriorities + 1>& RunsOf(uint32_t account_slot) const;
  void GrowLabelIndexes();
  void RemoveWorker(std::string_view id);  // and its run
  void StartRun(internal::Worker& w, std::unique_ptr<internal::Request> r, Priority p, const Balance& cost);
  std::unique_ptr<internal::Request> EndRun(internal::Worker& w);  // the request, no longer running
  std::unique_ptr<internal::Request> MakeRequest(const RequestSpec& spec, Time confirmed);
  // REQUIRES: no worker, departed or not, has this id.
  internal::Worker& AddWorker(const std::string& id, LabelSet labels, Time confirmed, Time modified);
  // Adds the departed worker `w` back, as AddWorker would add it anew.
  void ReviveWorker(internal::Worker& w, const std::vector<std::string>& labels, Time confirmed, Time modified);
  void RemoveExpiredWorkers();

 private:
  // Only a group whose labels match too many classes walks a label's idle
  // workers (Pass::StartCursors), and a fleet with few classes never does:
  // until then, each idle/busy change would pay a tree update per label of
  // the worker for nothing, so these sets are empty until IdleWithLabel
  // first asks, and then kept.
  std::vector<internal::WorkerSet> idle_with_label_;
  bool idle_with_label_kept_ = false;
  void InternWorkerLabels(internal::Worker& w, LabelSet labels);
  std::unique_ptr<internal::Request> NewRequest();
  // MakeRequest's list of a request's base and provisionable label ids, kept
  // for its capacity.
  std::vector<internal::LabelId> signature_scratch_, provisionable_scratch_;  // MakeRequest's
  void AssignRank(std::map<std::string_view, internal::Worker*>::iterator it);
  void ForgetDeparted();
  void WalkIdleForExpired(Time cutoff, std::vector<internal::Worker*>& expired);
  void PopDueStaleIdle(Time cutoff, std::vector<internal::Worker*>& expired);
  void IndexIdle(internal::Worker& w);
  void UnindexIdle(internal::Worker& w);
  void CountRun(const internal::Worker& w, int delta);
  void ReleaseRun(internal::Worker& w);
  void SwapRuns(uint32_t a, uint32_t b);
  void MoveRunToGroup(uint32_t slot, int from, int to);
};

}  // namespace qsim
