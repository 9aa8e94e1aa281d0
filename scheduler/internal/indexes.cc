// Index upkeep: the Scheduler::Impl helpers that add, remove, start and end
// workers and runs while keeping every index (idle sets, run table, label
// classes, account slots) in step. The rest of the library changes the state
// only through these.
#include <algorithm>
#include <limits>
#include <memory>

#include "base/check.h"
#include "scheduler/internal/state.h"

namespace qsim {

using internal::Request;
using internal::Run;
using internal::RunHandle;
using internal::Worker;
using internal::WorkerSet;
using internal::IdString;

Worker* Scheduler::Impl::FindWorker(std::string_view id) {
  Worker* w = worker_by_id.Find(id);
  return w == nullptr || w->departed() ? nullptr : w;
}

Worker* Scheduler::Impl::RunningWorkerOf(const std::string& request) const {
  return running.Find(request);
}

void Scheduler::Impl::GrowLabelIndexes() {
  workers_with_label.resize(labels.size(), 0);
  idle_count_with_label.resize(labels.size(), 0);
  if (idle_with_label_kept_) idle_with_label_.resize(labels.size());
}

const WorkerSet& Scheduler::Impl::IdleWithLabel(internal::LabelId l) {
  if (!idle_with_label_kept_) {
    idle_with_label_kept_ = true;
    idle_with_label_.assign(labels.size(), WorkerSet());
    for (Worker* w : idle) {
      for (auto id : LabelIdsOf(*w)) idle_with_label_[id].insert(w);
    }
  }
  return idle_with_label_[l];
}

void Scheduler::Impl::IndexIdle(Worker& w) {
  idle.insert(&w);
  w.idle_slot = static_cast<uint32_t>(idle_unordered.size());
  idle_unordered.push_back(&w);
  idle_in_class[w.label_class].insert(&w);
  for (auto l : LabelIdsOf(w)) {
    ++idle_count_with_label[l];
    if (idle_with_label_kept_) idle_with_label_[l].insert(&w);
  }
  // A worker confirmed before the floor (a preempted run's worker, idle
  // between its two runs; a restored one) is listed under its confirmed
  // time rather than lowering the floor: lowered, the floor
  // would fall below the cutoff and the next UpdateTime would walk every
  // idle worker. On a 100,000-bot fleet that was 410 walks over 20.8 M
  // idle workers in 8 h; the list needs one sorted insert.
  if (idle_confirmed_floor == Time::max() || w.confirmed_time >= idle_confirmed_floor) {
    idle_confirmed_floor = std::min(idle_confirmed_floor, w.confirmed_time);
    return;
  }
  const StaleIdle entry{w.confirmed_time, &w};
  stale_idle.insert(std::upper_bound(stale_idle.begin(), stale_idle.end(), entry, LaterConfirmed), entry);
}

void Scheduler::Impl::UnindexIdle(Worker& w) {
  idle.erase(&w);
  Worker* moved = idle_unordered.back();
  idle_unordered[w.idle_slot] = moved;
  moved->idle_slot = w.idle_slot;
  idle_unordered.pop_back();
  idle_in_class[w.label_class].erase(&w);
  for (auto l : LabelIdsOf(w)) {
    --idle_count_with_label[l];
    if (idle_with_label_kept_) idle_with_label_[l].erase(&w);
  }
}

void Scheduler::Impl::CountRun(const Worker& w, int delta) {
  const uint32_t slot = w.run->request->account_slot;
  if (runs_at.size() <= slot) runs_at.resize(slot + 1, std::array<int32_t, kNumPriorities + 1>{});
  runs_at[slot][w.run->priority] += delta;
}

const std::array<int32_t, kNumPriorities + 1>& Scheduler::Impl::RunsOf(uint32_t account_slot) const {
  static const std::array<int32_t, kNumPriorities + 1> kNone{};
  return account_slot < runs_at.size() ? runs_at[account_slot] : kNone;
}

Balance Scheduler::Impl::CostOf(const Worker& w) const { return CostOfRun(w.run.slot()); }

Balance Scheduler::Impl::CostOfRun(uint32_t slot) const {
  Balance cost;
  for (int p = 0; p < kNumPriorities; ++p) cost[p] = run_cost[p][slot];
  return cost;
}

void Scheduler::Impl::SetRunPriority(Worker& w, Priority p) {
  CountRun(w, -1);
  MoveRunToGroup(w.run.slot(), w.run->priority, p);
  w.run->priority = p;
  CountRun(w, +1);
}

void Scheduler::Impl::SwapRuns(uint32_t a, uint32_t b) {
  if (a == b) return;
  std::swap(runs[a], runs[b]);
  for (std::vector<float>& cost : run_cost) std::swap(cost[a], cost[b]);
  runs[a].worker->run = RunHandle(&runs, a);
  runs[b].worker->run = RunHandle(&runs, b);
}

// Moves the run at `slot` from priority group `from` to group `to` (group
// kFreeBucket + 1 is the end of the table) one boundary at a time: across
// each, it trades places with the neighbouring group's edge run.
void Scheduler::Impl::MoveRunToGroup(uint32_t slot, int from, int to) {
  for (int g = from; g < to; ++g) {  // become the last of g, then the first of g + 1
    const uint32_t last = run_begin[g + 1] - 1;
    SwapRuns(slot, last);
    slot = last;
    --run_begin[g + 1];
  }
  for (int g = from; g > to; --g) {  // become the first of g, then the last of g - 1
    const uint32_t first = run_begin[g];
    SwapRuns(slot, first);
    slot = first;
    ++run_begin[g];
  }
}

void Scheduler::Impl::InternWorkerLabels(Worker& w, LabelSet new_labels) {
  if (w.label_class != Worker::kNoClass) {
    for (auto id : LabelIdsOf(w)) --workers_with_label[id];
  }
  auto [cls, added] =
      worker_classes.try_emplace(labels.InternAll(new_labels), static_cast<uint32_t>(class_labels.size()));
  if (added) {
    class_labels.push_back(&cls->first);
    class_label_names.push_back(std::move(new_labels));
    idle_in_class.emplace_back();
  }
  w.label_class = cls->second;
  GrowLabelIndexes();
  for (auto id : LabelIdsOf(w)) ++workers_with_label[id];
  CensusChanged();
}

void Scheduler::Impl::CensusChanged() {
  if (++census_changes < std::max<size_t>(64, NumLiveWorkers())) return;
  ++census_epoch;
  census_changes = 0;
}

const Scheduler::Impl::IndexKey& Scheduler::Impl::IndexKeyOf(uint32_t base_signature) {
  if (index_keys.size() <= base_signature) index_keys.resize(NumSignatures());
  IndexKey& k = index_keys[base_signature];
  if (k.epoch == census_epoch) return k;
  uint32_t key = kNoIndexLabel, check = kNoIndexLabel;
  for (internal::LabelId l : SignatureIds(base_signature)) {
    if (key == kNoIndexLabel || workers_with_label[l] < workers_with_label[key]) {
      check = key;
      key = l;
    } else if (check == kNoIndexLabel || workers_with_label[l] < workers_with_label[check]) {
      check = l;
    }
  }
  k = IndexKey{key, check == kNoIndexLabel ? key : check, census_epoch};
  return k;
}

void Scheduler::Impl::SetWorkerLabels(Worker& w, LabelSet new_labels) {
  // Only known workers come here, and every known idle worker is indexed.
  if (w.idle()) UnindexIdle(w);
  InternWorkerLabels(w, std::move(new_labels));
  if (w.idle()) IndexIdle(w);
}

void Scheduler::Impl::AssignRank(std::map<std::string_view, Worker*>::iterator it) {
  // Ranks are spaced so a new worker usually fits between its neighbours;
  // when it does not, all are renumbered, which keeps their order and so
  // every set ordered by rank.
  constexpr uint64_t kGap = uint64_t{1} << 32;
  const uint64_t lo = it == workers.begin() ? 0 : std::prev(it)->second->rank;
  const auto next = std::next(it);
  const uint64_t hi = next == workers.end() ? lo + 2 * kGap : next->second->rank;
  if (hi - lo >= 2) {
    it->second->rank = lo + (hi - lo) / 2;
    return;
  }
  uint64_t rank = 0;
  for (auto& [id, w] : workers) w->rank = rank += kGap;
  idle.RefreshRanks();
  for (WorkerSet& set : idle_with_label_) set.RefreshRanks();
  for (WorkerSet& set : idle_in_class) set.RefreshRanks();
}

Worker& Scheduler::Impl::AddWorker(const std::string& id, LabelSet worker_labels, Time confirmed,
                                   Time modified) {
  std::unique_ptr<Worker> added;
  if (spare_workers.empty()) {
    added = std::make_unique<Worker>();
  } else {
    added = std::move(spare_workers.back());
    spare_workers.pop_back();
    *added = Worker();
  }
  added->id.assign(id.data(), id.size());
  Worker& w = worker_by_id.Insert(std::move(added));
  w.confirmed_time = confirmed;
  w.modified_time = modified;
  InternWorkerLabels(w, std::move(worker_labels));
  w.in_id_order = workers.emplace(w.id, &w).first;
  AssignRank(w.in_id_order);
  IndexIdle(w);
  return w;
}

void Scheduler::Impl::ReviveWorker(Worker& w, const std::vector<std::string>& worker_labels, Time confirmed,
                                    Time modified) {
  QSIM_CHECK(w.departed() && !w.run, "worker %s revived while present", IdString(w.id).c_str());
  w.confirmed_time = confirmed;
  w.modified_time = modified;
  if (SameIds(worker_labels, class_label_names[w.former_class])) {
    w.label_class = w.former_class;
    for (auto id : LabelIdsOf(w)) ++workers_with_label[id];
    CensusChanged();
  } else {
    InternWorkerLabels(w, MakeLabelSet(worker_labels));
  }
  --departed_count;
  IndexIdle(w);
}

void Scheduler::Impl::RemoveWorker(std::string_view id) {
  Worker* found = FindWorker(id);
  if (!found) return;
  Worker& w = *found;
  if (w.run) {
    running.Remove(w);
    CountRun(w, -1);
    ReleaseRun(w);
  } else {
    UnindexIdle(w);
  }
  for (auto l : LabelIdsOf(w)) --workers_with_label[l];
  CensusChanged();
  w.former_class = w.label_class;
  w.label_class = Worker::kNoClass;  // departed; `id` may be this worker's own, so it stays
  ++departed_count;
  // A few tombstones are always allowed, so a small fleet does not walk
  // `workers` every few removals.
  constexpr size_t kFreeTombstones = 256;
  if (departed_count > NumLiveWorkers() + kFreeTombstones) ForgetDeparted();
}

void Scheduler::Impl::ForgetDeparted() {
  for (auto it = workers.begin(); it != workers.end();) {
    Worker* w = it->second;
    if (!w->departed()) {
      ++it;
      continue;
    }
    it = workers.erase(it);
    spare_workers.push_back(worker_by_id.Remove(*w));
  }
  departed_count = 0;
}

// Spec §2 step 4: removes exactly the idle workers confirmed before the
// cutoff, at every call. The floor and `stale_idle` only decide where to look.
void Scheduler::Impl::RemoveExpiredWorkers() {
  const Time cutoff = last_update - policy.bot_expiration;
  std::vector<Worker*> expired;
  if (idle_confirmed_floor < cutoff) {
    WalkIdleForExpired(cutoff, expired);
  } else if (!stale_idle.empty() && stale_idle.back().confirmed < cutoff) {
    PopDueStaleIdle(cutoff, expired);
  }
  if (expired.empty()) return;
  // Removed in id order, as before the stale list: removing an idle worker
  // emits nothing, so the order reaches no output, but a fixed one keeps
  // when ForgetDeparted runs (and so memory use) independent of how the
  // expired workers were found.
  std::sort(expired.begin(), expired.end(), internal::ByRank());
  for (Worker* w : expired) RemoveWorker(std::string_view(w->id));
}

void Scheduler::Impl::WalkIdleForExpired(Time cutoff, std::vector<Worker*>& expired) {
  // Workers confirmed before `recent` go to `stale_idle`, the rest set the
  // floor, which then stays above the cutoff for half an expiration.
  const Time recent = last_update - policy.bot_expiration / 2;
  stale_idle.clear();
  Time floor = Time::max();
  for (Worker* w : idle_unordered) {
    if (w->confirmed_time < cutoff) {
      expired.push_back(w);
    } else if (w->confirmed_time < recent) {
      stale_idle.push_back(StaleIdle{w->confirmed_time, w});
    } else {
      floor = std::min(floor, w->confirmed_time);
    }
  }
  std::sort(stale_idle.begin(), stale_idle.end(), LaterConfirmed);
  idle_confirmed_floor = floor;
}

void Scheduler::Impl::PopDueStaleIdle(Time cutoff, std::vector<Worker*>& expired) {
  while (!stale_idle.empty() && stale_idle.back().confirmed < cutoff) {
    Worker* w = stale_idle.back().worker;
    stale_idle.pop_back();
    // A worker that is busy or departed now is not idle; if it becomes idle
    // again, IndexIdle lowers the floor to its confirmed time.
    if (w->departed() || !w->idle()) continue;
    if (w->confirmed_time < cutoff) {
      expired.push_back(w);
    } else {
      idle_confirmed_floor = std::min(idle_confirmed_floor, w->confirmed_time);
    }
  }
  // A worker listed twice (an object reused after a departure) is found twice.
  std::sort(expired.begin(), expired.end());
  expired.erase(std::unique(expired.begin(), expired.end()), expired.end());
}

void Scheduler::Impl::StartRun(Worker& w, std::unique_ptr<Request> r, Priority p, const Balance& cost) {
  UnindexIdle(w);
  const uint32_t account_slot = r->account_slot;
  runs.push_back(Run{std::move(r), p, &w, account_slot, w.label_class, w.modified_time});
  for (int q = 0; q < kNumPriorities; ++q) run_cost[q].push_back(cost[q]);
  w.run = RunHandle(&runs, static_cast<uint32_t>(runs.size() - 1));
  w.running_id = w.run->request->id;
  running.Insert(w);  // keyed by the run's request, so after it is set
  MoveRunToGroup(w.run.slot(), kFreeBucket + 1, p);
  CountRun(w, +1);
}

void Scheduler::Impl::ReleaseRun(Worker& w) {
  MoveRunToGroup(w.run.slot(), w.run->priority, kFreeBucket + 1);  // now the last
  RecycleRequest(std::move(runs.back().request));  // null after EndRun
  runs.pop_back();
  for (std::vector<float>& cost : run_cost) cost.pop_back();
  w.run = RunHandle();
  w.running_id = {};
}

std::unique_ptr<Request> Scheduler::Impl::EndRun(Worker& w) {
  CountRun(w, -1);
  running.Remove(w);  // before its key, the request, moves out
  std::unique_ptr<Request> r = std::move(w.run->request);
  ReleaseRun(w);
  IndexIdle(w);
  return r;
}

void Scheduler::Impl::RecycleRequest(std::unique_ptr<Request> r) {
  if (r && spare_requests.size() < kMaxSpareRequests) spare_requests.push_back(std::move(r));
}

// A request in its default state: a spare one if any, rebuilt in place with
// its containers (and their capacity) moved out and back.
std::unique_ptr<Request> Scheduler::Impl::NewRequest() {
  if (spare_requests.empty()) return std::make_unique<Request>();
  std::unique_ptr<Request> r = std::move(spare_requests.back());
  spare_requests.pop_back();
  std::string id = std::move(r->id);
  std::string account = std::move(r->account);
  std::vector<std::string> tags = std::move(r->tags);
  std::destroy_at(r.get());
  std::construct_at(r.get());
  r->id = std::move(id);
  r->account = std::move(account);
  r->tags = std::move(tags);
  return r;
}

std::unique_ptr<Request> Scheduler::Impl::MakeRequest(const RequestSpec& spec, Time confirmed) {
  std::unique_ptr<Request> r = NewRequest();
  r->id.assign(spec.id);
  r->account.assign(spec.account);
  // Interning sorts the ids and drops repeats, as a label set does.
  std::vector<internal::LabelId>& base_ids = signature_scratch_;
  std::vector<internal::LabelId>& provisionable_ids = provisionable_scratch_;
  labels.InternAll(spec.base_labels, base_ids);
  labels.InternAll(spec.provisionable_labels, provisionable_ids);
  GrowLabelIndexes();
  r->enqueue_time = spec.enqueue_time;
  r->confirmed_time = confirmed;
  r->SetExamined(Time{});
  r->tags.assign(spec.tags.begin(), spec.tags.end());
  for (size_t i = 0; i < 8; ++i) {
    const unsigned char c = i < r->id.size() ? static_cast<unsigned char>(r->id[i]) : 0;
    r->id_prefix = (r->id_prefix << 8) | c;
  }
  r->account_slot = AccountSlot(r->account);
  r->base_signature = Signature(base_ids);
  std::vector<internal::LabelId>& all = base_ids;
  all.push_back(kSignatureSeparator);  // keeps the two lists apart
  all.insert(all.end(), provisionable_ids.begin(), provisionable_ids.end());
  r->signature = Signature(all);
  return r;
}

namespace {

uint64_t HashIds(std::span<const internal::LabelId> ids) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ ids.size();
  for (internal::LabelId id : ids) {
    h = (h ^ id) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 32;
  }
  return h;
}

size_t Slot(uint64_t hash, size_t table_size) { return (hash * 0x9E3779B97F4A7C15ULL >> 20) & (table_size - 1); }

}  // namespace

uint32_t Scheduler::Impl::Signature(std::span<const internal::LabelId> ids) {
  if (2 * (NumSignatures() + 1) > signature_table.size()) {
    std::vector<std::pair<uint64_t, uint32_t>> old(std::max<size_t>(64, 2 * signature_table.size()));
    old.swap(signature_table);
    for (const auto& entry : old) {
      if (entry.second == 0) continue;
      size_t at = Slot(entry.first, signature_table.size());
      while (signature_table[at].second != 0) at = (at + 1) & (signature_table.size() - 1);
      signature_table[at] = entry;
    }
  }
  const uint64_t hash = HashIds(ids);
  const size_t mask = signature_table.size() - 1;
  for (size_t at = Slot(hash, signature_table.size());; at = (at + 1) & mask) {
    std::pair<uint64_t, uint32_t>& entry = signature_table[at];
    if (entry.second == 0) {
      const auto id = static_cast<uint32_t>(NumSignatures());
      entry = {hash, id + 1};
      signature_ids.insert(signature_ids.end(), ids.begin(), ids.end());
      signature_start.push_back(static_cast<uint32_t>(signature_ids.size()));
      return id;
    }
    if (entry.first != hash) continue;
    const std::span<const internal::LabelId> known = SignatureIds(entry.second - 1);
    if (std::equal(known.begin(), known.end(), ids.begin(), ids.end())) return entry.second - 1;
  }
}

LabelSet Scheduler::Impl::LabelNames(std::span<const internal::LabelId> ids) const {
  LabelSet out;
  out.reserve(ids.size());
  for (internal::LabelId id : ids) out.push_back(labels.name(id));
  return MakeLabelSet(std::move(out));  // distinct ids name distinct labels: a sort
}

uint32_t Scheduler::Impl::AccountSlot(const std::string& account) {
  auto [it, inserted] =
      account_slot_by_name.try_emplace(account, static_cast<uint32_t>(account_slots.size()));
  if (inserted) {
    account_slots.push_back(account);
    account_index_stale = true;
  }
  return it->second;
}

void Scheduler::Impl::RefreshAccountIndex() {
  if (!account_index_stale) return;
  account_index_stale = false;
  slot_accounts.assign(account_slots.size(), SlotAccount{});
  for (size_t slot = 0; slot < account_slots.size(); ++slot) {
    if (auto config = accounts.find(account_slots[slot]); config != accounts.end()) {
      slot_accounts[slot].config = &config->second;
    }
    if (auto balance = balances.find(account_slots[slot]); balance != balances.end()) {
      slot_accounts[slot].balance = &balance->second;
    }
  }
  slot_of_account.clear();
  for (const auto& [account, config] : accounts) {
    auto slot = account_slot_by_name.find(account);
    slot_of_account.push_back(slot == account_slot_by_name.end() ? kNoSlot : slot->second);
  }
}

}  // namespace qsim
