// One scheduling pass (docs/scheduler.md §5): prioritise, then for each level match idle
// workers (provision matches first), reprioritise and preempt; then the free
// bucket; then mark what was looked at and not placed as examined.
//
// Speed comes from an index, not from shortcuts in the algorithm: each
// level's ordered list is bucketed by one label of each request (its rarest
// among the known workers), so a worker visits only the requests keyed by
// labels it holds, then checks the rest of their labels. The resulting match
// list is exactly the spec's: the requests of the list's examined/modified
// prefix whose base labels the worker holds, in (quality desc, list order).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <map>
#include <string>
#include <tuple>

#include "base/check.h"
#include "scheduler/internal/events_util.h"
#include "scheduler/internal/pass.h"

namespace qsim::internal {
namespace {

class Pass {
 public:
  Pass(Scheduler::Impl& s, EventSink* events) : s_(s), events_(events) {}

  std::vector<SchedulerAssignment> Run();

 private:
  // --- setup ---
  void Prioritise();
  void InitCounters();
  // --- matching ---
  void IndexLevel(Level& level, size_t end);
  size_t StalePrefix(const Level& level, const Worker& w) const;
  void ComputeMatches(Level& level, const Worker& w, std::vector<Match>& out);
  // The requests of the level's first `end` positions whose base labels
  // `w` holds, in no order; placed ones too unless `skip_placed`.
  void CollectMatches(Level& level, const Worker& w, size_t end, bool skip_placed, std::vector<Match>& out);
  // Puts a match list in its order (spec §5): by quality, then list order;
  // past the cutoff, list order alone.
  void SortMatches(std::vector<Match>& out) const;
  bool Blocked(const Request& r, const Worker& w, Priority p) const;
  bool HoldsLabels(const Request& r, const Worker& w, bool provision_step) const;
  // A label set's ids, sorted: the base ones and (for a full signature) the
  // provisionable ones.
  struct LabelIds {
    std::span<const LabelId> base, provisionable;
  };
  LabelIds IdsOfSignature(uint32_t signature) const;
  // Whether `held` (sorted) includes the base ids and, in the provision
  // step, the provisionable ones.
  static bool Includes(const std::vector<LabelId>& held, const LabelIds& ids, bool provision_step);
  bool Fresh(const Request& r, const Worker& w) const;

  // --- idle workers (§5 steps 1-3) ---
  void MatchIdle(Priority p);
  void MatchIdleByWorker(Priority p);
  // The idle workers' labels as a bit matrix (one row per label an idle
  // worker holds, one bit per idle worker), for every idle worker's match
  // list at once: a position's matching workers are the AND of its labels'
  // rows. Built at a pass's first MatchIdleByWorker from the idle workers
  // then; later levels see fewer idle workers, never new ones (nothing
  // becomes idle during a pass), and skip those placed since.
  //
  // Bits run from the latest modified worker to the earliest: a worker's
  // stale prefix (StalePrefix) never shrinks as its modified time grows, so
  // the workers whose prefix holds a position are a prefix of the bits, and
  // a position deep in a backlog, fresh only for recently changed workers,
  // costs a word or two, not one per 64 idle workers.
  struct IdleBits {
    bool built = false;
    bool usable = false;                // false: past kMaxWords, match worker by worker
    std::vector<Worker*> workers;       // the idle workers at the build, in id order
    std::vector<uint32_t> index_of_bit; // bit b is workers[index_of_bit[b]]'s
    std::vector<uint32_t> bit_of;       // and workers[i]'s bit is bit_of[i]
    std::vector<Time> modified_of_bit;
    size_t words = 0;                   // per row
    std::vector<uint64_t> rows;         // row r: words [r * words, (r + 1) * words)
    std::vector<LabelId> labels_with_row;
    std::vector<uint64_t> idle;         // the bits of workers still idle (Place clears them)
    // Past this many words (16 MiB) the matrix costs more to fill than the
    // index walk it replaces: a fleet with a distinct label per bot.
    static constexpr size_t kMaxWords = size_t{1} << 21;
    static constexpr uint32_t kNoRow = UINT32_MAX;
  };
  void BuildIdleBits();
  // Idle worker matches of one level, for the workers whose list is not
  // empty: `workers[k]`'s list is lists[start[k], start[k + 1]), sorted as
  // SortMatches puts it, the workers in id order.
  struct WorkerMatches {
    std::vector<Worker*> workers;
    std::vector<uint32_t> start{0};
    std::vector<Match> lists;
    // Appends a worker with list `m` (unsorted).
    void Add(Worker* w, std::span<const Match> m);
  };
  // The same for every idle worker of the bit matrix.
  void ComputeMatchesByBits(const Level& level, WorkerMatches& out);
  // By bit: its worker's stale prefix (StalePrefix), once per modified time.
  std::vector<size_t> StalePrefixByBit(const Level& level) const;
  // (index in IdleBits::workers, match) pairs, in position order, into
  // `out`'s lists.
  void GroupByWorker(std::vector<std::pair<uint32_t, Match>>& found, WorkerMatches& out) const;
  // The level's label-set groups (LabelSetGrouping), for both steps: all
  // filed at once (GroupByLabelSets), or sized from the level's pairs and
  // filed on demand (GroupByPairs; step 3b of docs/scheduler-internals.md).
  // Each returns false (the groups unfinished) once the level holds more
  // label sets than the request-driven walk is worth.
  bool GroupByLabelSets(const Level& level, LabelSetGrouping& grouping) const;
  bool GroupByPairs(const Level& level, LabelSetGrouping& grouping) const;
  // True if every label that signature `signature` lists is held by some
  // idle worker.
  bool IdleHoldLabels(uint32_t signature) const;
  // A new group of `groups` for label set `signature`, or kUnheld if no
  // idle worker holds one of its labels.
  uint32_t GroupOf(LabelSetGroups& groups, uint32_t signature) const;
  void MatchIdleByRequest(Priority p, bool provision_step, LabelSetGrouping& grouping);
  // The request-driven walk (see MatchIdleByRequest). A cursor walks idle
  // workers in id order; it only ever rests on its group's current worker or
  // beyond it, so no cursor is left on a worker when it is placed and leaves
  // the idle sets.
  struct Cursor {
    WorkerSet::const_iterator at, end;
  };
  struct Group {
    uint32_t list = 0;              // its group in the step's LabelSetGroups
    size_t first = 0;               // members before it are placed
    std::vector<Cursor> cursors;
    bool check_labels = false;      // the cursors may reach workers lacking some labels
    // The cursor at the lowest rank, or nullptr once every cursor has ended.
    Cursor* current();
  };
  struct Walk {
    Level& level;
    bool provision_step;
    LabelSetGrouping& grouping;
    LabelSetGroups& lists;  // grouping's by_all or by_base
    std::vector<Group> groups;
    // Min-heap of (rank of the worker a group's walk is at, group).
    std::vector<std::pair<uint64_t, uint32_t>> heap;
    Level::RequestView requests;  // level.requests()
    bool Has(const Group& g, size_t k) { return grouping.Has(lists, g.list, k); }
    // Member k of `g`, which Has(g, k) found.
    uint32_t Member(const Group& g, size_t k) const { return lists.members(g.list)[k]; }
    Request& RequestAt(const Group& g, size_t k) const { return *requests[Member(g, k)]; }
    uint32_t Unplaced(const Group& g) const { return lists.unplaced[g.list]; }
  };
  std::vector<Group> CollectGroups(const LabelSetGroups& grouped) const;
  void StartCursors(Walk& walk, Group& g) const;
  void Advance(Walk& walk, uint32_t gi) const;
  Request* FirstUnblocked(Walk& walk, Worker& w, const std::vector<uint32_t>& here, Priority p) const;
  void Place(Priority p, Worker& w, Request* r, bool provision_match);

  // --- running workers (§5 steps 4-5) ---
  std::vector<Worker*> RunsOfAccount(uint32_t slot, Priority lowest) const;
  void Reprioritise(Priority p);
  void Preempt(Priority p);
  // The requests of a level that a (label class, stale prefix) pair holds,
  // as the preemption walk's candidates share them. Requests of banned
  // accounts can never preempt (MayPreempt), nor be placed while the level
  // preempts: only their count is kept, which the choice of order needs
  // (SortMatches). The others are kept in both orders, each entry with its
  // account slot, since MayPreempt's last test (the candidate's cost below
  // the account's balance) depends on the request only through it.
  struct SharedMatches {
    struct Entry {
      Match match;
      uint32_t slot;
    };
    std::vector<Entry> by_position, by_quality;  // not banned, unplaced when collected
    size_t banned_unplaced = 0;
    // In each order, every entry before this one is placed. Candidates place
    // requests from the front of the lists they share, and nothing is
    // unplaced during the walk, so each walk starts past the placed front
    // instead of passing it again (quadratic in the candidates).
    size_t placed_front[2] = {0, 0};
  };
  void CollectShared(Level& level, const Worker& w, size_t end, const std::vector<char>& banned,
                     SharedMatches& list);
  // Walks `list` in the order SortMatches would give it and preempts `w`'s
  // run for each request MayPreempt allows (the first only, with
  // preempt_once_per_worker); `pays` is scratch, by account slot.
  void PreemptFrom(Priority p, Worker& w, SharedMatches& list, const std::vector<char>& banned,
                   std::vector<int8_t>& pays);
  // Marks the accounts with a run below `p`; false if there are none.
  bool BanAccountsRunningBelow(Priority p, std::vector<char>& banned) const;
  std::vector<const Request*> PreemptingRequests(Priority p, const std::vector<char>& banned) const;
  std::vector<Worker*> PreemptionCandidates(Priority p, const std::vector<char>& banned) const;
  bool MayPreempt(const Request& r, const Worker& w, Priority p, const std::vector<char>& banned) const;
  void PreemptWith(Priority p, Worker& w, Request* r, bool provision_match);
  void MoveThrottled(Priority p);

  // --- state changes ---
  std::unique_ptr<Request> TakeQueued(Priority p, Request* r);
  void MarkPlaced(Priority p, const Request* r);
  void CountStart(const Request& r, const Worker& w, int delta);
  void Emit(const TaskEvent& e) {
    if (events_) events_->OnEvent(e);
  }

  // Fanout (policy.enforce_fanout): tasks a group may still start; a group is
  // (account, all labels of the request).
  std::string FanoutKey(const Request& r) const;
  bool FanoutExhausted(const Request& r) const;

  Scheduler::Impl& s_;
  EventSink* events_;
  uint64_t pass_ = 0;
  std::vector<SchedulerAssignment> out_;
  // Scheduler::Impl::pass_levels, emptied at the start of the pass.
  std::array<Level, kNumPriorities + 1>& levels_ = s_.pass_levels;
  std::vector<std::unique_ptr<Request>> forgotten_;
  std::vector<Request*> unlisted_;  // queued, left out of every list (Prioritise)
  std::vector<uint32_t> mark_;
  std::vector<Match> collected_;  // CollectShared's scratch
  IdleBits idle_bits_;
  uint32_t stamp_ = 0;
  // Running tasks by fanout group: every run counts, free-bucket ones
  // included (docs/historic-switches.md).
  std::map<std::string, int64_t> fanout_running_;
  // (account, prefix, label) -> running tasks, for per-label limits. A run
  // counts under every label of its worker that starts with the prefix.
  std::map<std::tuple<std::string, std::string, std::string>, int32_t> label_running_;
};

std::vector<SchedulerAssignment> Pass::Run() {
  pass_ = ++s_.pass_number;
  for (Level& level : levels_) level.Clear();
  s_.RefreshAccountIndex();
  InitCounters();
  Prioritise();
  mark_.assign(s_.labels.size() + 1, 0);

  for (Priority p = 0; p < kNumPriorities; ++p) {
    MatchIdle(p);
    Reprioritise(p);
    if (!s_.policy.disable_preemption) Preempt(p);
    MoveThrottled(p);
  }
  MatchIdle(kFreeBucket);

  s_.queued.MarkExamined(pass_, s_.last_update, unlisted_);
  for (LabelId l : idle_bits_.labels_with_row) s_.pass_label_row[l] = IdleBits::kNoRow;
  return std::move(out_);
}

void Pass::InitCounters() {
  if (!s_.policy.enforce_fanout && !s_.policy.enforce_per_label_limits) return;
  for (const internal::Run& run : s_.runs) CountStart(*run.request, *run.worker, +1);
}

void Pass::Prioritise() {
  // Each account's level, once per pass; -1 leaves its requests out
  // (free bucket with disable_free_tasks).
  std::vector<int> level_of_slot(s_.account_slots.size());
  std::vector<char> free_allowed(s_.account_slots.size());
  // The same as the queue's cohort parts (see RequestQueue::Partition):
  // part p is level p, part kUnlistedPart the requests left out.
  constexpr uint8_t kUnlistedPart = kFreeBucket + 1;
  std::vector<uint8_t>& part_of_slot = s_.part_of_slot;
  part_of_slot.resize(s_.account_slots.size());
  for (size_t slot = 0; slot < s_.account_slots.size(); ++slot) {
    const Scheduler::Impl::SlotAccount& a = s_.slot_accounts[slot];
    level_of_slot[slot] = a.balance ? BestPriority(*a.balance) : kFreeBucket;
    free_allowed[slot] = !a.config || !a.config->disable_free_tasks;
    part_of_slot[slot] = level_of_slot[slot] == kFreeBucket && !free_allowed[slot]
                             ? kUnlistedPart
                             : static_cast<uint8_t>(level_of_slot[slot]);
  }
  // The queue is kept in list order, so each level comes out sorted.
  const bool fanout = s_.policy.enforce_fanout;
  // Lists `r`; false if it is left out.
  auto list = [&](Request* r, const PassKey& key) {
    Priority p = level_of_slot[key.account_slot];
    if (fanout && p != kFreeBucket && FanoutExhausted(*r)) p = kFreeBucket;
    if (p == kFreeBucket && !free_allowed[key.account_slot]) {
      unlisted_.push_back(r);
      return false;
    }
    levels_[p].Append(r, key);
    return true;
  };
  s_.queued.Settle();
  s_.queued.Partition(part_of_slot, kUnlistedPart + 1, kUnlistedPart);
  for (Request* r : s_.queued.head()) {
    if (list(r, KeyOf(*r))) r->listed_in_pass = pass_;
  }
  // The cohort, the backlog: no request is read (nor written: see
  // RequestQueue::MarkExamined) unless fanout needs it. Without fanout a
  // level's share of the cohort is the queue's part of that level, kept
  // between passes (step 2 of docs/scheduler-internals.md): it follows the
  // head's members, as the cohort follows the head.
  if (!fanout) {
    for (Priority p = 0; p <= kFreeBucket; ++p) {
      Level& level = levels_[p];
      const std::vector<uint32_t>& part_pairs = s_.queued.part_pairs(p);
      // Past this many pairs (requests drawing their own label sets) the
      // pairs would cost about what the preemption scan's stop saves.
      if (level.own_size() + part_pairs.size() <= RequestQueue::kMaxPairs) {
        for (size_t pos = 0; pos < level.own_size(); ++pos) {
          level.pairs.push_back(
              Level::Pair{level.own.account_slot()[pos], level.own.signature()[pos], level.own.base_signature()[pos], 1});
        }
        for (uint32_t id : part_pairs) {
          const PairKey& key = s_.queued.pair_key(id);
          level.pairs.push_back(
              Level::Pair{key.account_slot, key.signature, key.base_signature, s_.queued.pair_count(id)});
        }
        level.pairs_known = true;
      }
      level.AttachPart(s_.queued.part(p));
    }
    const CohortPart& left_out = s_.queued.part(kUnlistedPart);
    unlisted_.insert(unlisted_.end(), left_out.requests(), left_out.requests() + left_out.size());
    return;
  }
  const std::vector<Request*>& cohort = s_.queued.tail();
  const std::vector<PassKey>& keys = s_.queued.tail_keys();
  for (size_t i = 0; i < cohort.size(); ++i) list(cohort[i], keys[i]);
}

// Extends the level's label index to the positions below `end`. Each
// request is keyed by its base label held by the fewest known workers
// (Impl::IndexKeyOf, by base signature), so a worker's scan of its labels'
// buckets meets few requests it cannot take. The key affects speed only: a
// request is in exactly one bucket, keyed by one of its base labels, so a
// worker holding all of them meets it exactly once, whichever label keys it.
void Pass::IndexLevel(Level& level, size_t end) {
  if (end <= level.indexed) return;
  const auto no_label = static_cast<uint32_t>(s_.labels.size());
  if (level.bucket.size() != no_label + 1) level.bucket.resize(no_label + 1);
  const auto label = [no_label](uint32_t l) { return l == Scheduler::Impl::kNoIndexLabel ? no_label : l; };
  // The list's two stretches' base signatures, read in place.
  const auto index = [&](const uint32_t* base_signature, size_t from, size_t to, size_t offset) {
    for (size_t i = from; i < to; ++i) {
      const Scheduler::Impl::IndexKey& k = s_.IndexKeyOf(base_signature[i - offset]);
      level.bucket[label(k.key)].push_back(Level::IndexEntry{static_cast<uint32_t>(i), label(k.check)});
    }
  };
  const size_t own = level.own_size();
  if (level.indexed < own) index(level.own.base_signature(), level.indexed, std::min(end, own), 0);
  if (end > own) index(level.part->base_signature(), std::max(level.indexed, own), end, own);
  level.indexed = end;
}

size_t Pass::StalePrefix(const Level& level, const Worker& w) const {
  if (!s_.policy.skip_stale_pairs) return level.size();
  // The list is ordered by examined time first: the requests examined no
  // later than the worker last changed form a prefix.
  const Time modified = w.modified_time;
  return level.PartitionPoint([modified](const Request* r) { return r->examined_time() <= modified; });
}

void Pass::ComputeMatches(Level& level, const Worker& w, std::vector<Match>& out) {
  CollectMatches(level, w, StalePrefix(level, w), true, out);
  SortMatches(out);
}

void Pass::CollectMatches(Level& level, const Worker& w, size_t end, bool skip_placed, std::vector<Match>& out) {
  out.clear();
  if (end == 0) return;
  IndexLevel(level, end);
  if (++stamp_ == 0) {  // wrapped: old marks could read as current
    std::fill(mark_.begin(), mark_.end(), 0);
    stamp_ = 1;
  }
  const std::vector<LabelId>& held = s_.LabelIdsOf(w);
  for (LabelId l : held) mark_[l] = stamp_;
  mark_[s_.labels.size()] = stamp_;  // the check of requests with no base label
  auto holds_all = [&](std::span<const LabelId> ids) {
    for (LabelId l : ids) {
      if (mark_[l] != stamp_) return false;
    }
    return true;
  };
  // `requests` indexes the list by position (see Level::RequestView).
  auto scan = [&](uint32_t key, const auto& requests) {
    for (const Level::IndexEntry e : level.bucket[key]) {
      const uint32_t pos = e.position;
      if (pos >= end) break;
      if (mark_[e.check] != stamp_) continue;
      const Request& r = *requests[pos];
      if (skip_placed && level.placed[pos]) continue;
      const std::span<const LabelId> base = s_.BaseIds(r);
      if (!holds_all(base)) continue;
      out.push_back(Match{pos, static_cast<uint32_t>(base.size()), holds_all(s_.ProvisionableIds(r))});
    }
  };
  auto scan_all = [&](const auto& requests) {
    scan(static_cast<uint32_t>(s_.labels.size()), requests);
    for (LabelId l : held) scan(l, requests);
  };
  const Level::RequestView view = level.requests();
  if (view.whole) {
    scan_all(view.whole);
  } else {
    scan_all(view);
  }
}

void Pass::SortMatches(std::vector<Match>& out) const {
  if (static_cast<int64_t>(out.size()) >= s_.policy.match_sort_cutoff) {
    std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) { return a.position < b.position; });
  } else {
    std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
      if (a.quality != b.quality) return a.quality > b.quality;
      return a.position < b.position;
    });
  }
}

std::string Pass::FanoutKey(const Request& r) const {
  std::vector<std::string> all = s_.BaseLabels(r);
  const LabelSet provisionable = s_.ProvisionableLabels(r);
  all.insert(all.end(), provisionable.begin(), provisionable.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::string key = r.account;
  for (const auto& l : all) {
    key += '\n';
    key += l;
  }
  return key;
}

bool Pass::FanoutExhausted(const Request& r) const {
  if (!s_.policy.enforce_fanout) return false;
  auto config = s_.accounts.find(r.account);
  if (config == s_.accounts.end() || config->second.max_fanout <= 0) return false;
  auto it = fanout_running_.find(FanoutKey(r));
  const int64_t running = it == fanout_running_.end() ? 0 : it->second;
  return running >= config->second.max_fanout;
}

// The labels in `labels` (sorted) that start with `prefix`: a worker may hold
// several values of one key (os:linux and os:ubuntu), and each counts.
std::pair<LabelSet::const_iterator, LabelSet::const_iterator> LabelsWithPrefix(const LabelSet& labels,
                                                                              const std::string& prefix) {
  auto first = std::lower_bound(labels.begin(), labels.end(), prefix);
  auto last = first;
  while (last != labels.end() && last->compare(0, prefix.size(), prefix) == 0) ++last;
  return {first, last};
}

void Pass::CountStart(const Request& r, const Worker& w, int delta) {
  if (s_.policy.enforce_fanout) fanout_running_[FanoutKey(r)] += delta;
  if (!s_.policy.enforce_per_label_limits) return;
  auto config = s_.accounts.find(r.account);
  if (config == s_.accounts.end()) return;
  for (const auto& [prefix, limit] : config->second.per_label_task_limits) {
    auto [first, last] = LabelsWithPrefix(s_.LabelsOf(w), prefix);
    for (auto label = first; label != last; ++label) label_running_[{r.account, prefix, *label}] += delta;
  }
}

// Per-label limits (policy.enforce_per_label_limits): a worker is at a limit
// for an account when any of its values for a limited prefix is.
bool Pass::Blocked(const Request& r, const Worker& w, Priority p) const {
  if (p != kFreeBucket && FanoutExhausted(r)) return true;
  if (!s_.policy.enforce_per_label_limits) return false;
  auto config = s_.accounts.find(r.account);
  if (config == s_.accounts.end()) return false;
  for (const auto& [prefix, limit] : config->second.per_label_task_limits) {
    auto [first, last] = LabelsWithPrefix(s_.LabelsOf(w), prefix);
    for (auto label = first; label != last; ++label) {
      // A limit of 0 bars the account from every worker with the prefix.
      auto it = label_running_.find({r.account, prefix, *label});
      if ((it == label_running_.end() ? 0 : it->second) >= limit) return true;
    }
  }
  return false;
}

// `r` is on level `p`'s list.
std::unique_ptr<Request> Pass::TakeQueued(Priority p, Request* r) {
  MarkPlaced(p, r);
  r->placed_in_pass = pass_;
  return s_.queued.Take(r);
}

// Finds `r` on level `p`'s list, which is in examination order (a
// subsequence of the queue's), by binary search, and marks it placed.
void Pass::MarkPlaced(Priority p, const Request* r) {
  Level& level = levels_[p];
  const size_t pos = level.PartitionPoint([r](const Request* x) { return ExaminationOrder(x, r); });
  QSIM_CHECK(pos < level.size() && level.request(pos) == r, "request %s is not on level %d's list", r->id.c_str(),
             static_cast<int>(p));
  level.placed[pos] = 1;
  level.placed_requests.push_back(r);
}

void Pass::Place(Priority p, Worker& w, Request* r, bool provision_match) {
  if (idle_bits_.usable) {
    // Its bit leaves the matrix's idle set: later levels match it no more.
    IdleBits& b = idle_bits_;
    const auto at = std::lower_bound(b.workers.begin(), b.workers.end(), &w, ByRank());
    QSIM_CHECK(at != b.workers.end() && *at == &w, "worker %s placed but not idle at the pass's start",
               IdString(w.id).c_str());
    const uint32_t bit = b.bit_of[static_cast<size_t>(at - b.workers.begin())];
    b.idle[bit / 64] &= ~(uint64_t{1} << (bit % 64));
  }
  s_.StartRun(w, TakeQueued(p, r), p, Balance{});
  CountStart(*r, w, +1);
  out_.push_back(SchedulerAssignment{AssignmentType::kIdleWorker, IdString(w.id), r->id, "", p, s_.last_update,
                                     !provision_match});
  if (events_) {
    TaskEvent e = WorkerEvent(s_, EventType::kAssigned, s_.last_update, *r, w);
    e.priority = p;
    e.provision_required = !provision_match;
    Emit(e);
  }
}

void Pass::MatchIdle(Priority p) {
  Level& level = levels_[p];
  if (s_.idle.empty() || level.empty()) return;
  // Below the cutoff every match list is sorted by quality, which the
  // request-driven walk relies on.
  if (static_cast<int64_t>(level.size()) >= s_.policy.match_sort_cutoff) {
    MatchIdleByWorker(p);
    return;
  }
  // The request-driven walk pays per label set (each walks its candidate
  // workers), the worker-driven one per idle worker: with many distinct label
  // sets, as when every request draws its own labels, the latter is cheaper.
  LabelSetGrouping& grouping = s_.pass_grouping;
  grouping.Reset(level, s_.NumSignatures());
  if (!(level.pairs_known ? GroupByPairs(level, grouping) : GroupByLabelSets(level, grouping))) {
    MatchIdleByWorker(p);
    return;
  }
  MatchIdleByRequest(p, true, grouping);
  MatchIdleByRequest(p, false, grouping);
}

// Past this many label sets (all labels) in a level, the worker-driven walk.
constexpr size_t kMaxLabelSets = 64;

// One walk over the level groups its requests for both steps: by all their
// labels for the provision step, by base labels for the other. A label set is
// looked at once, when first met; a position of a label set no idle worker
// set can hold (with a backlog, most of the level) costs two table reads.
bool Pass::GroupByLabelSets(const Level& level, LabelSetGrouping& grouping) const {
  constexpr uint32_t kUnseen = LabelSetGrouping::kUnseen, kUnheld = LabelSetGrouping::kUnheld;
  size_t label_sets = 0;  // distinct signatures met (all labels)
  LabelSetGroups& by_all = grouping.by_all;
  LabelSetGroups& by_base = grouping.by_base;
  // The list's two stretches (see Level), each a set of contiguous arrays.
  // The hot loop reads tables and lists through local pointers, refreshed
  // only when a group is added: through the captured vectors, every append
  // (a pointer store) made the compiler reload them all.
  auto walk = [&](const CohortPart& stretch, uint32_t offset) {
    const uint32_t* signature = stretch.signature();
    const uint32_t* base_signature = stretch.base_signature();
    uint32_t* all_of = grouping.all_of.data();
    uint32_t* base_of = grouping.base_of.data();
    std::vector<uint32_t>* all_lists = by_all.lists();
    std::vector<uint32_t>* base_lists = by_base.lists();
    const auto n = static_cast<uint32_t>(stretch.size());
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t a = all_of[signature[i]];
      if (a == kUnseen) {
        if (++label_sets > kMaxLabelSets) return false;
        grouping.SeeAll(signature[i], a = GroupOf(by_all, signature[i]));
        all_lists = by_all.lists();
      }
      if (a != kUnheld) all_lists[a].push_back(offset + i);
      uint32_t b = base_of[base_signature[i]];
      if (b == kUnseen) {
        grouping.SeeBase(base_signature[i], b = GroupOf(by_base, base_signature[i]));
        base_lists = by_base.lists();
      }
      if (b != kUnheld) base_lists[b].push_back(offset + i);
    }
    return true;
  };
  if (!walk(level.own, 0) || (level.part && !walk(*level.part, static_cast<uint32_t>(level.own_size())))) {
    return false;
  }
  for (LabelSetGroups* groups : {&by_all, &by_base}) {
    for (uint32_t g = 0; g < groups->count(); ++g) {
      groups->size[g] = groups->unplaced[g] = static_cast<uint32_t>(groups->members(g).size());
      groups->scanned[g] = static_cast<uint32_t>(level.size());
    }
  }
  return true;
}

// The same groups, from the level's pairs: every label set and its size,
// with no member filed yet (LabelSetGrouping::Has files them on demand). The pairs
// name the level's signatures, so the count of label sets, and the choice of
// walk, is the one GroupByLabelSets makes.
bool Pass::GroupByPairs(const Level& level, LabelSetGrouping& grouping) const {
  constexpr uint32_t kUnseen = LabelSetGrouping::kUnseen, kUnheld = LabelSetGrouping::kUnheld;
  size_t label_sets = 0;
  for (const Level::Pair& pair : level.pairs) {
    uint32_t a = grouping.all_of[pair.signature];
    if (a == kUnseen) {
      if (++label_sets > kMaxLabelSets) return false;
      grouping.SeeAll(pair.signature, a = GroupOf(grouping.by_all, pair.signature));
    }
    if (a != kUnheld) grouping.by_all.size[a] += pair.count;
    uint32_t b = grouping.base_of[pair.base_signature];
    if (b == kUnseen) grouping.SeeBase(pair.base_signature, b = GroupOf(grouping.by_base, pair.base_signature));
    if (b != kUnheld) grouping.by_base.size[b] += pair.count;
  }
  grouping.by_all.unplaced = grouping.by_all.size;
  grouping.by_base.unplaced = grouping.by_base.size;
  return true;
}

uint32_t Pass::GroupOf(LabelSetGroups& groups, uint32_t signature) const {
  return IdleHoldLabels(signature) ? groups.Add(signature) : LabelSetGrouping::kUnheld;
}

bool Pass::IdleHoldLabels(uint32_t signature) const {
  for (LabelId l : s_.SignatureIds(signature)) {
    if (l != Scheduler::Impl::kSignatureSeparator && s_.idle_count_with_label[l] == 0) return false;
  }
  return true;
}

// Spec §5 as written: every idle worker's match list, once, before any
// placement; then provision matches first, then any match.
void Pass::MatchIdleByWorker(Priority p) {
  Level& level = levels_[p];
  if (!idle_bits_.built) BuildIdleBits();
  WorkerMatches found;
  if (idle_bits_.usable) {
    ComputeMatchesByBits(level, found);
  } else {
    std::vector<Match> m;
    for (Worker* w : s_.idle) {
      ComputeMatches(level, *w, m);
      if (!m.empty()) found.Add(w, m);
    }
  }
  // Workers with no match would place nothing: only the others are walked.
  for (bool provision_step : {true, false}) {
    for (size_t k = 0; k < found.workers.size(); ++k) {
      Worker& w = *found.workers[k];
      if (!w.idle()) continue;
      for (uint32_t j = found.start[k]; j < found.start[k + 1]; ++j) {
        const Match& m = found.lists[j];
        Request* r = level.request(m.position);
        if (r->placed_in_pass == pass_) continue;
        if (provision_step && !m.provision_match) continue;
        if (Blocked(*r, w, p)) continue;
        Place(p, w, r, m.provision_match);
        break;
      }
    }
  }
}

void Pass::WorkerMatches::Add(Worker* w, std::span<const Match> m) {
  workers.push_back(w);
  lists.insert(lists.end(), m.begin(), m.end());
  start.push_back(static_cast<uint32_t>(lists.size()));
}

void Pass::BuildIdleBits() {
  IdleBits& b = idle_bits_;
  b.built = true;
  b.workers.assign(s_.idle.begin(), s_.idle.end());
  const size_t n = b.workers.size();
  // Latest modified first, ties in id order; each worker read once.
  std::vector<std::pair<Time, uint32_t>> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = {b.workers[i]->modified_time, i};
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  b.index_of_bit.resize(n);
  b.bit_of.resize(n);
  b.modified_of_bit.resize(n);
  for (uint32_t bit = 0; bit < n; ++bit) {
    b.index_of_bit[bit] = order[bit].second;
    b.bit_of[order[bit].second] = bit;
    b.modified_of_bit[bit] = order[bit].first;
  }
  b.words = (n + 63) / 64;
  b.idle.assign(b.words, ~uint64_t{0});
  if (n % 64 != 0) b.idle.back() = (uint64_t{1} << (n % 64)) - 1;
  // Rows as labels are met, bits set in the same walk; the walk stops once
  // the matrix would pass its bound.
  std::vector<uint32_t>& row_of = s_.pass_label_row;
  if (row_of.size() < s_.labels.size()) row_of.resize(s_.labels.size(), IdleBits::kNoRow);
  b.labels_with_row.clear();
  b.rows.clear();
  b.usable = true;
  for (uint32_t bit = 0; bit < n && b.usable; ++bit) {
    const uint64_t mask = uint64_t{1} << (bit % 64);
    for (LabelId l : s_.LabelIdsOf(*b.workers[b.index_of_bit[bit]])) {
      uint32_t& row = row_of[l];
      if (row == IdleBits::kNoRow) {
        if ((b.labels_with_row.size() + 1) * b.words > IdleBits::kMaxWords) {
          b.usable = false;
          break;
        }
        row = static_cast<uint32_t>(b.labels_with_row.size());
        b.labels_with_row.push_back(l);
        b.rows.resize(b.rows.size() + b.words, 0);
      }
      b.rows[row * b.words + bit / 64] |= mask;
    }
  }
  if (!b.usable) {
    for (LabelId l : b.labels_with_row) row_of[l] = IdleBits::kNoRow;
    b.labels_with_row.clear();
    b.rows = {};
  }
}

void Pass::ComputeMatchesByBits(const Level& level, WorkerMatches& out) {
  const IdleBits& b = idle_bits_;
  const size_t n = b.index_of_bit.size();
  if (n == 0 || level.empty()) return;
  const std::vector<size_t> end = StalePrefixByBit(level);
  const std::vector<uint32_t>& row_of = s_.pass_label_row;
  const uint64_t* rows = b.rows.data();
  std::vector<uint64_t> held(b.words), provisioned(b.words);
  // (worker index, match), in position order.
  std::vector<std::pair<uint32_t, Match>> found;
  size_t active = n;  // bits [0, active) have the position in their prefix
  const auto walk = [&](const uint32_t* signature, size_t from, size_t to, size_t offset) {
    for (size_t pos = from; pos < to; ++pos) {
      while (active > 0 && end[active - 1] <= pos) --active;
      if (active == 0) return;
      if (level.placed[pos]) continue;
      const size_t words = (active + 63) / 64;
      std::copy(b.idle.begin(), b.idle.begin() + static_cast<std::ptrdiff_t>(words), held.begin());
      if (active % 64 != 0) held[words - 1] &= (uint64_t{1} << (active % 64)) - 1;
      const std::span<const LabelId> ids = s_.SignatureIds(signature[pos - offset]);
      size_t k = 0;
      uint32_t quality = 0;
      bool any = true;
      for (; k < ids.size() && ids[k] != Scheduler::Impl::kSignatureSeparator; ++k, ++quality) {
        const uint32_t row = row_of[ids[k]];
        if (row == IdleBits::kNoRow) {
          any = false;
          break;
        }
        const uint64_t* r = rows + row * b.words;
        uint64_t seen = 0;
        for (size_t j = 0; j < words; ++j) seen |= (held[j] &= r[j]);
        if (seen == 0) {
          any = false;
          break;
        }
      }
      if (!any) continue;
      std::copy(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(words), provisioned.begin());
      for (++k; k < ids.size(); ++k) {
        const uint32_t row = row_of[ids[k]];
        if (row == IdleBits::kNoRow) {
          std::fill(provisioned.begin(), provisioned.begin() + static_cast<std::ptrdiff_t>(words), 0);
          break;
        }
        const uint64_t* r = rows + row * b.words;
        for (size_t j = 0; j < words; ++j) provisioned[j] &= r[j];
      }
      for (size_t j = 0; j < words; ++j) {
        for (uint64_t word = held[j]; word != 0; word &= word - 1) {
          const auto bit = static_cast<unsigned>(__builtin_ctzll(word));
          found.emplace_back(b.index_of_bit[j * 64 + bit],
                             Match{static_cast<uint32_t>(pos), quality, ((provisioned[j] >> bit) & 1) != 0});
        }
      }
    }
  };
  const size_t own = level.own_size();
  walk(level.own.signature(), 0, own, 0);
  if (level.part) walk(level.part->signature(), own, level.size(), own);
  GroupByWorker(found, out);
}

std::vector<size_t> Pass::StalePrefixByBit(const Level& level) const {
  const IdleBits& b = idle_bits_;
  std::vector<size_t> end(b.index_of_bit.size());
  for (size_t bit = 0; bit < end.size(); ++bit) {
    const Time modified = b.modified_of_bit[bit];
    end[bit] = bit > 0 && b.modified_of_bit[bit - 1] == modified
                   ? end[bit - 1]
                   : StalePrefix(level, *b.workers[b.index_of_bit[bit]]);
    QSIM_CHECK(bit == 0 || end[bit] <= end[bit - 1], "stale prefixes out of modified-time order");
  }
  return end;
}

void Pass::GroupByWorker(std::vector<std::pair<uint32_t, Match>>& found, WorkerMatches& out) const {
  // By worker (id order), each worker's matches still in position order.
  std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first < y.first : x.second.position < y.second.position;
  });
  std::vector<Match> list;
  for (size_t i = 0; i < found.size();) {
    list.clear();
    const uint32_t worker = found[i].first;
    for (; i < found.size() && found[i].first == worker; ++i) list.push_back(found[i].second);
    SortMatches(list);
    out.Add(idle_bits_.workers[worker], list);
  }
}

Pass::LabelIds Pass::IdsOfSignature(uint32_t signature) const {
  const std::span<const LabelId> ids = s_.SignatureIds(signature);
  const auto separator = std::find(ids.begin(), ids.end(), Scheduler::Impl::kSignatureSeparator);
  LabelIds out{{ids.begin(), separator}, {}};
  if (separator != ids.end()) out.provisionable = {separator + 1, ids.end()};
  return out;
}

bool Pass::Includes(const std::vector<LabelId>& held, const LabelIds& ids, bool provision_step) {
  if (!std::includes(held.begin(), held.end(), ids.base.begin(), ids.base.end())) return false;
  return !provision_step || std::includes(held.begin(), held.end(), ids.provisionable.begin(), ids.provisionable.end());
}

bool Pass::HoldsLabels(const Request& r, const Worker& w, bool provision_step) const {
  return Includes(s_.LabelIdsOf(w), LabelIds{s_.BaseIds(r), s_.ProvisionableIds(r)}, provision_step);
}

bool Pass::Fresh(const Request& r, const Worker& w) const {
  return !s_.policy.skip_stale_pairs || r.examined_time() <= w.modified_time;
}

// The same result as MatchIdleByWorker for one step, found from the requests'
// side. Requests with the same labels form a group; each group walks, in id
// order, the idle workers holding its rarest label, skipping those that do not
// hold all of its labels or are stale for all of its unplaced requests, and
// stops once they are all placed. Merging the walks visits, in id order,
// exactly the idle workers with a non-empty match list; at each, a group's
// unplaced requests fresh for that worker are a prefix of the group (the list
// is ordered by examined time first), so the worker's match list is the merge
// of those prefixes by (quality desc, list order). Idle workers no request
// wants are never touched, and a backlog of thousands of like requests costs
// one walk, not thousands.
void Pass::MatchIdleByRequest(Priority p, bool provision_step, LabelSetGrouping& grouping) {
  LabelSetGroups& lists = provision_step ? grouping.by_all : grouping.by_base;
  Walk walk{levels_[p], provision_step, grouping, lists, CollectGroups(lists), {},
            levels_[p].requests()};
  for (uint32_t gi = 0; gi < walk.groups.size(); ++gi) {
    StartCursors(walk, walk.groups[gi]);
    Advance(walk, gi);
  }
  auto later = [](const auto& a, const auto& b) { return a > b; };
  std::vector<uint32_t> here;  // the groups whose walks are at the worker
  while (!walk.heap.empty()) {
    const uint64_t rank = walk.heap.front().first;
    Worker& w = **walk.groups[walk.heap.front().second].current()->at;
    here.clear();
    while (!walk.heap.empty() && walk.heap.front().first == rank) {
      here.push_back(walk.heap.front().second);
      std::pop_heap(walk.heap.begin(), walk.heap.end(), later);
      walk.heap.pop_back();
    }
    Request* taken = FirstUnblocked(walk, w, here, p);
    // Move the walks past `w` before it leaves the idle sets.
    for (uint32_t gi : here) ++walk.groups[gi].current()->at;
    if (taken) {
      Place(p, w, taken, provision_step || HoldsLabels(*taken, w, true));
      grouping.Placed(*taken);
    }
    for (uint32_t gi : here) Advance(walk, gi);
  }
}

Pass::Cursor* Pass::Group::current() {
  Cursor* best = nullptr;
  for (Cursor& c : cursors) {
    if (c.at != c.end && (!best || c.at.rank() < best->at.rank())) best = &c;
  }
  return best;
}

// The groups with an unplaced request whose labels some idle worker holds
// (a group some of whose labels no idle worker holds, typical of a backlog,
// is passed over).
std::vector<Pass::Group> Pass::CollectGroups(const LabelSetGroups& grouped) const {
  std::vector<Group> groups;
  for (uint32_t g = 0; g < grouped.count(); ++g) {
    // The base step runs after the provision step's placements, which may
    // have taken a label's last idle holders.
    if (grouped.unplaced[g] == 0 || !IdleHoldLabels(grouped.key[g])) continue;
    groups.emplace_back();
    groups.back().list = g;
  }
  return groups;
}

// One cursor per label class that holds all the group's labels, merged by
// rank; or, in a fleet with too many classes, one cursor over the holders of
// the group's rarest label, whose workers must then be checked for the other
// labels.
void Pass::StartCursors(Walk& walk, Group& g) const {
  // Past these, a group walks the holders of its rarest label instead:
  // finding its classes would cost more than the walk saves.
  constexpr size_t kMaxClasses = 64, kMaxClassCursors = 16;
  // The group's labels from its key, not from a member: finding a member
  // may file positions deep into a backlog, and a group no idle worker can
  // take never needs one (Advance).
  const LabelIds ids = IdsOfSignature(walk.lists.key[g.list]);
  const bool by_class = s_.class_labels.size() <= kMaxClasses;
  for (uint32_t cls = 0; by_class && cls < s_.class_labels.size() && g.cursors.size() <= kMaxClassCursors;
       ++cls) {
    const WorkerSet& in_class = s_.idle_in_class[cls];
    if (in_class.empty() || !Includes(*s_.class_labels[cls], ids, walk.provision_step)) continue;
    g.cursors.push_back(Cursor{in_class.begin(), in_class.end()});
  }
  if (by_class && g.cursors.size() <= kMaxClassCursors) return;
  // The first label held by fewest idle workers, if fewer than all.
  std::optional<LabelId> rarest;
  size_t fewest = s_.idle.size();
  auto consider = [&](std::span<const LabelId> labels) {
    for (LabelId l : labels) {
      if (s_.idle_count_with_label[l] < fewest) {
        rarest = l;
        fewest = s_.idle_count_with_label[l];
      }
    }
  };
  consider(ids.base);
  if (walk.provision_step) consider(ids.provisionable);
  const WorkerSet& walked = rarest ? s_.IdleWithLabel(*rarest) : s_.idle;
  g.cursors.assign(1, Cursor{walked.begin(), walked.end()});
  g.check_labels = true;
}

// Moves group `gi` to the next idle worker its earliest unplaced request may
// use, and queues it there; a group with nothing left is dropped.
void Pass::Advance(Walk& walk, uint32_t gi) const {
  Group& g = walk.groups[gi];
  // Unplaced members are at `first` or later, so with one left Has finds it.
  if (walk.Unplaced(g) == 0) return;
  // First to a worker holding the labels, which needs no member: a group
  // no idle worker can take is dropped without filing any. Then on to the
  // first such worker that is fresh for the earliest unplaced member: the
  // same worker the one test of both would reach.
  LabelIds ids;  // every member's labels, where the cursors may reach workers lacking some
  if (g.check_labels) ids = IdsOfSignature(walk.lists.key[g.list]);
  auto holds = [&](const Worker& w) {
    return !g.check_labels || Includes(s_.LabelIdsOf(w), ids, walk.provision_step);
  };
  Cursor* c = g.current();
  while (c && !holds(**c->at)) {
    ++c->at;
    c = g.current();
  }
  if (!c) return;
  for (;; ++g.first) {
    QSIM_CHECK(walk.Has(g, g.first), "a label-set group counts %u unplaced members past its last", walk.Unplaced(g));
    if (!walk.level.placed[walk.Member(g, g.first)]) break;
  }
  const Request& r = walk.RequestAt(g, g.first);  // the group's earliest examined
  while (c && !(Fresh(r, **c->at) && holds(**c->at))) {
    ++c->at;
    c = g.current();
  }
  if (!c) return;
  walk.heap.emplace_back(c->at.rank(), gi);
  std::push_heap(walk.heap.begin(), walk.heap.end(), [](const auto& a, const auto& b) { return a > b; });
}

// Walks `w`'s match list (the merge of the groups in `here`, by quality desc
// then list order) until a request is not blocked; nullptr if none.
Request* Pass::FirstUnblocked(Walk& walk, Worker& w, const std::vector<uint32_t>& here, Priority p) const {
  // Per group in `here`: its next candidate member, and how many unplaced
  // members it has from there on (so that the search for the next one never
  // files positions past the group's last).
  std::vector<size_t> next(here.size());
  std::vector<uint32_t> left(here.size());
  for (size_t i = 0; i < here.size(); ++i) {
    next[i] = walk.groups[here[i]].first;
    left[i] = walk.Unplaced(walk.groups[here[i]]);
  }
  while (true) {
    std::optional<size_t> best;
    for (size_t i = 0; i < here.size(); ++i) {
      const Group& g = walk.groups[here[i]];
      if (left[i] == 0) continue;
      for (;; ++next[i]) {
        QSIM_CHECK(walk.Has(g, next[i]), "a label-set group counts %u unplaced members past its last", left[i]);
        if (!walk.level.placed[walk.Member(g, next[i])]) break;
      }
      if (!Fresh(walk.RequestAt(g, next[i]), w)) continue;
      if (!best) {
        best = i;
        continue;
      }
      const Group& b_group = walk.groups[here[*best]];
      const Request& a = walk.RequestAt(g, next[i]);
      const Request& b = walk.RequestAt(b_group, next[*best]);
      const size_t a_base = s_.BaseIds(a).size(), b_base = s_.BaseIds(b).size();
      const bool better =
          a_base != b_base ? a_base > b_base : walk.Member(g, next[i]) < walk.Member(b_group, next[*best]);
      if (better) best = i;
    }
    if (!best) return nullptr;
    Request& candidate = walk.RequestAt(walk.groups[here[*best]], next[*best]);
    if (!Blocked(candidate, w, p)) return &candidate;
    ++next[*best];
    --left[*best];
  }
}

std::vector<Worker*> Pass::RunsOfAccount(uint32_t slot, Priority lowest) const {
  std::vector<Worker*> out;
  for (uint32_t i = s_.run_begin[lowest]; i < s_.runs.size(); ++i) {
    if (s_.runs[i].account_slot == slot) out.push_back(s_.runs[i].worker);
  }
  std::sort(out.begin(), out.end(), ByRank());
  return out;
}

// min(n, ceil(x)) for x > 0, without converting an x beyond size_t (a huge
// charge rate) to an integer, which is undefined behaviour.
size_t Clamped(size_t n, double x) {
  return static_cast<size_t>(std::min(static_cast<double>(n), std::ceil(x)));
}

void Pass::Reprioritise(Priority p) {
  const Policy& policy = s_.policy;
  // `accounts` and `balances` have the same keys (see UpdateTime).
  auto next_config = s_.accounts.begin();
  auto next_slot = s_.slot_of_account.begin();
  for (auto& [account, balance] : s_.balances) {
    const AccountConfig& config = (next_config++)->second;
    const uint32_t slot = *next_slot++;
    const float b = balance[p];
    const bool demote = b < policy.demote_threshold;
    const bool promote = b > policy.promote_threshold;
    if (!demote && !promote) continue;
    if (slot == Scheduler::Impl::kNoSlot) continue;  // never had a request: no runs
    const auto& runs = s_.RunsOf(slot);
    int32_t below = 0;
    for (int q = p + 1; q <= kFreeBucket; ++q) below += runs[q];
    const float room = config.charge_rate[p] - static_cast<float>(runs[p]);
    std::vector<Worker*> moving;
    Priority to = p;
    // Candidates in worker-id order and stable sorts: ties keep that order.
    if (demote && room < 0) {
      for (Worker* w : RunsOfAccount(slot, p)) {
        if (w->run->priority == p) moving.push_back(w);
      }
      std::stable_sort(moving.begin(), moving.end(), [this](const Worker* a, const Worker* b) {
        return BalanceLess(s_.CostOf(*a), s_.CostOf(*b));
      });
      moving.resize(Clamped(moving.size(), -static_cast<double>(room)));
      to = p + 1;
    } else if (promote && room > 0 && below > 0) {
      moving = RunsOfAccount(slot, p + 1);
      std::stable_sort(moving.begin(), moving.end(), [this](const Worker* a, const Worker* b) {
        return BalanceLess(s_.CostOf(*b), s_.CostOf(*a));
      });
      moving.resize(Clamped(moving.size(), static_cast<double>(room)));
    }
    for (Worker* w : moving) {
      if (events_) {
        TaskEvent e = WorkerEvent(s_, EventType::kReprioritized, s_.last_update, *w->run->request, *w);
        e.old_priority = w->run->priority;
        e.new_priority = to;
        Emit(e);
      }
      s_.SetRunPriority(*w, to);
    }
  }
}

void Pass::Preempt(Priority p) {
  Level& level = levels_[p];
  if (level.placed_requests.size() == level.size()) return;  // all placed
  std::vector<char> banned;
  if (!BanAccountsRunningBelow(p, banned)) return;
  // A match list depends on the worker only through its label class and
  // its stale prefix, and candidates share both: each (class, prefix)
  // pair's list is collected once (SharedMatches), and each candidate walks
  // it without the requests placed since, as ComputeMatches would find it
  // at that moment.
  std::map<std::pair<uint32_t, size_t>, SharedMatches> lists;
  std::vector<int8_t> pays(s_.account_slots.size());
  for (Worker* w : PreemptionCandidates(p, banned)) {
    const size_t end = StalePrefix(level, *w);
    auto [it, added] = lists.try_emplace({w->label_class, end});
    if (added) CollectShared(level, *w, end, banned, it->second);
    PreemptFrom(p, *w, it->second, banned, pays);
  }
}

void Pass::CollectShared(Level& level, const Worker& w, size_t end, const std::vector<char>& banned,
                         SharedMatches& list) {
  std::vector<Match>& collected = collected_;
  CollectMatches(level, w, end, false, collected);
  for (const Match& m : collected) {
    if (level.placed[m.position]) continue;  // for good: nothing is unplaced
    const uint32_t slot = level.request(m.position)->account_slot;
    if (banned[slot]) {
      ++list.banned_unplaced;
    } else {
      list.by_position.push_back(SharedMatches::Entry{m, slot});
    }
  }
  using Entry = SharedMatches::Entry;
  std::sort(list.by_position.begin(), list.by_position.end(),
            [](const Entry& a, const Entry& b) { return a.match.position < b.match.position; });
  list.by_quality = list.by_position;
  std::stable_sort(list.by_quality.begin(), list.by_quality.end(),
                   [](const Entry& a, const Entry& b) { return a.match.quality > b.match.quality; });
}

void Pass::PreemptFrom(Priority p, Worker& w, SharedMatches& list, const std::vector<char>& banned,
                       std::vector<int8_t>& pays) {
  Level& level = levels_[p];
  // The order SortMatches would give the list of unplaced requests: counted
  // only when the cutoff lies between what is surely unplaced and what may be.
  const auto cutoff = static_cast<uint64_t>(s_.policy.match_sort_cutoff);
  bool position_order = list.banned_unplaced >= cutoff;
  if (!position_order && list.banned_unplaced + list.by_position.size() >= cutoff) {
    size_t unplaced = list.banned_unplaced;
    for (const SharedMatches::Entry& e : list.by_position) unplaced += !level.placed[e.match.position];
    position_order = unplaced >= cutoff;
  }
  const std::vector<SharedMatches::Entry>& order = position_order ? list.by_position : list.by_quality;
  size_t& front = list.placed_front[position_order ? 0 : 1];
  while (front < order.size() && level.placed[order[front].match.position]) ++front;
  const Balance zero{};
  Balance cost = s_.CostOf(w);
  std::fill(pays.begin(), pays.end(), -1);
  for (size_t k = front; k < order.size(); ++k) {
    const SharedMatches::Entry& e = order[k];
    if (level.placed[e.match.position]) continue;
    int8_t& ok = pays[e.slot];
    if (ok < 0) {
      const Balance* balance = s_.slot_accounts[e.slot].balance;
      ok = BalanceLess(cost, balance ? *balance : zero) ? 1 : 0;
    }
    if (!ok) continue;
    Request* r = level.request(e.match.position);
    if (!MayPreempt(*r, w, p, banned)) continue;  // the whole test, as the spec has it
    PreemptWith(p, w, r, e.match.provision_match);
    if (s_.policy.preempt_once_per_worker) break;
    // The worker's cost and two balances have changed.
    cost = s_.CostOf(w);
    std::fill(pays.begin(), pays.end(), -1);
  }
}

bool Pass::BanAccountsRunningBelow(Priority p, std::vector<char>& banned) const {
  banned.assign(s_.account_slots.size(), 0);
  bool any_below = false;
  for (uint32_t slot = 0; slot < banned.size(); ++slot) {
    const auto& runs = s_.RunsOf(slot);
    for (int q = p + 1; q <= kFreeBucket; ++q) banned[slot] |= runs[q] > 0;
    any_below |= banned[slot] != 0;
  }
  return any_below;
}

// The requests that may preempt at level `p`, one per base label set: the
// first unplaced one of an account not banned, in list order, so the
// earliest examined.
std::vector<const Request*> Pass::PreemptingRequests(Priority p, const std::vector<char>& banned) const {
  const Level& level = levels_[p];
  std::vector<const Request*> wanted;
  // Counts by base signature, then (as 1) the base label sets already
  // wanted; every entry is zero again on return.
  std::vector<uint32_t>& count = s_.pass_signature_count;
  if (count.size() < s_.NumSignatures()) count.resize(s_.NumSignatures(), 0);
  // How many base label sets the walk finds: those with an unplaced request
  // of an account not banned, counted from the level's pairs less what the
  // pass placed. Once `wanted` holds that many, no later position can add
  // one, so the walk stops (step 4 of docs/scheduler-internals.md); a set
  // whose requests were all placed would otherwise send it to the list's
  // end. Unknown (fanout): no stop.
  size_t findable = SIZE_MAX;
  if (level.pairs_known) {
    findable = 0;
    for (const Level::Pair& pair : level.pairs) {
      if (!banned[pair.account_slot]) count[pair.base_signature] += pair.count;
    }
    for (const Request* r : level.placed_requests) {
      if (!banned[r->account_slot]) --count[r->base_signature];
    }
    // Every count raised above is put back to zero here: a placed request's
    // pair is among the pairs, so no count went below zero.
    for (const Level::Pair& pair : level.pairs) {
      if (banned[pair.account_slot] || count[pair.base_signature] == 0) continue;
      count[pair.base_signature] = 0;  // counted
      ++findable;
    }
  }
  // The list's two stretches (see Level), each a run of contiguous arrays.
  auto walk = [&](const CohortPart& stretch, size_t offset) {
    for (size_t i = 0; i < stretch.size() && wanted.size() < findable; ++i) {
      const uint32_t base = stretch.base_signature()[i];
      if (count[base] != 0 || level.placed[offset + i] || banned[stretch.account_slot()[i]]) continue;
      count[base] = 1;
      wanted.push_back(stretch.request(i));
    }
  };
  walk(level.own, 0);
  if (level.part) walk(*level.part, level.own_size());
  for (const Request* r : wanted) count[r->base_signature] = 0;
  return wanted;
}

// The workers running below the level that some request could preempt,
// cheapest first, ties in worker-id order. A running worker can do anything
// only if it holds a preempting request's labels and is not stale for it;
// the others are dropped before the sort, as they would find nothing.
std::vector<Worker*> Pass::PreemptionCandidates(Priority p, const std::vector<char>& banned) const {
  const std::vector<const Request*> wanted = PreemptingRequests(p, banned);
  std::vector<Worker*> candidates;
  if (wanted.empty()) return candidates;
  // Each candidate's cost is read once, not at every comparison of the sort.
  struct Candidate {
    Balance cost;
    Worker* worker;
  };
  std::vector<Candidate> found;
  // Holding a request's labels depends on the worker only through its label
  // class: per class, found at its first run, whether it holds any wanted
  // request and the earliest examined time among those it holds. A run is
  // fresh for one of them exactly when it is fresh for that earliest one
  // (Fresh), so it is tested against that time alone.
  struct ClassHold {
    bool known = false, holds = false;
    Time earliest_examined{};
  };
  std::vector<ClassHold> by_class(s_.class_label_names.size());
  const bool skip_stale = s_.policy.skip_stale_pairs;
  for (uint32_t i = s_.run_begin[p + 1]; i < s_.runs.size(); ++i) {
    // The run's copies, not the worker's own fields (a read from memory
    // per run); the worker is read only at its class's first run.
    const internal::Run& run = s_.runs[i];
#ifdef QSIM_VERIFY_PARTS
    QSIM_CHECK(run.worker_class == run.worker->label_class && run.worker_modified == run.worker->modified_time &&
                   run.account_slot == run.request->account_slot,
               "run %u's copies differ from its worker and request", i);
#endif
    ClassHold& hold = by_class[run.worker_class];
    if (!hold.known) {
      hold.known = true;
      for (const Request* r : wanted) {
        if (!HoldsLabels(*r, *run.worker, false)) continue;
        const Time examined = r->examined_time();
        if (!hold.holds || examined < hold.earliest_examined) hold.earliest_examined = examined;
        hold.holds = true;
      }
    }
    if (hold.holds && (!skip_stale || hold.earliest_examined <= run.worker_modified)) {
      found.push_back(Candidate{s_.CostOfRun(i), run.worker});
    }
  }
  std::sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    if (BalanceLess(a.cost, b.cost)) return true;
    if (BalanceLess(b.cost, a.cost)) return false;
    return a.worker->rank < b.worker->rank;
  });
  candidates.reserve(found.size());
  for (const Candidate& c : found) candidates.push_back(c.worker);
  return candidates;
}

// Whether `r`, on `w`'s match list at level `p`, preempts it: not placed,
// its account not banned nor limited, and its balance strictly above the
// run's cost.
bool Pass::MayPreempt(const Request& r, const Worker& w, Priority p, const std::vector<char>& banned) const {
  if (r.placed_in_pass == pass_ || banned[r.account_slot]) return false;
  if (Blocked(r, w, p)) return false;
  const Balance zero{};
  const Balance* balance = s_.slot_accounts[r.account_slot].balance;
  return BalanceLess(s_.CostOf(w), balance ? *balance : zero);
}

void Pass::PreemptWith(Priority p, Worker& w, Request* r, bool provision_match) {
  const Balance cost = s_.CostOf(w);
  const Request& victim = *w.run->request;
  if (events_) {
    TaskEvent assigned = WorkerEvent(s_, EventType::kAssigned, s_.last_update, *r, w);
    assigned.priority = p;
    assigned.preempting = true;
    assigned.provision_required = !provision_match;
    assigned.preempted_task = victim.id;
    assigned.preemption_cost = cost;
    Emit(assigned);
    TaskEvent preempted = WorkerEvent(s_, EventType::kPreempted, s_.last_update, victim, w);
    preempted.priority = w.run->priority;
    preempted.preempting_task = r->id;
    preempted.preempting_account = r->account;
    preempted.preempting_priority = p;
    Emit(preempted);
  }
  out_.push_back(SchedulerAssignment{AssignmentType::kPreemptWorker, IdString(w.id), r->id, victim.id, p,
                                     s_.last_update, !provision_match});
  if (auto refund = s_.balances.find(victim.account); refund != s_.balances.end()) {
    for (int i = 0; i < kNumPriorities; ++i) refund->second[i] += cost[i];
  }
  if (auto charge = s_.balances.find(r->account); charge != s_.balances.end()) {
    for (int i = 0; i < kNumPriorities; ++i) charge->second[i] -= cost[i];
  }
  CountStart(victim, w, -1);
  // The victim is forgotten (the dispatcher brings it back). It may have
  // been placed earlier in this pass, so the level lists still point at
  // it: keep it alive until the pass ends.
  forgotten_.push_back(s_.EndRun(w));
  s_.StartRun(w, TakeQueued(p, r), p, cost);
  CountStart(*r, w, +1);
}

void Pass::MoveThrottled(Priority p) {
  if (!s_.policy.enforce_fanout) return;
  // With fanout a level is all `own` (no cohort part).
  std::vector<Request*> kept, free = levels_[kFreeBucket].own.RequestList();
  for (Request* r : levels_[p].own.RequestList()) {
    const bool throttled = r->placed_in_pass != pass_ && FanoutExhausted(*r);
    auto config = s_.accounts.find(r->account);
    const bool free_allowed = config == s_.accounts.end() || !config->second.disable_free_tasks;
    (throttled && free_allowed ? free : kept).push_back(r);
  }
  levels_[p].Reindex(kept, pass_);  // positions moved
  // Keep the free bucket in list order (the stale-pair prefix relies on it;
  // the reference appended here and left FIFO order as a TODO).
  std::sort(free.begin(), free.end(), ExaminationOrder);
  levels_[kFreeBucket].Reindex(free, pass_);
}

}  // namespace

std::vector<SchedulerAssignment> RunPass(Scheduler::Impl& s, EventSink* events) {
  return Pass(s, events).Run();
}

}  // namespace qsim::internal
