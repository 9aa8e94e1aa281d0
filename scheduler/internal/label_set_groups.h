// A level's requests grouped by label set, for the request-driven walk of a
// pass's idle-worker matching (docs/scheduler-internals.md, steps 3a and 3b).
// Internal to scheduler/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "scheduler/internal/level.h"
#include "scheduler/internal/request_queue.h"

namespace qsim::internal {

// One step's groups (by all labels for the provision step, by base labels
// for the other): group g is label set key[g] (a signature id), with size[g]
// members in all, unplaced[g] of them not placed in this pass; members[g]
// holds the positions of its members below scanned[g], ascending: all of
// them, or (when found on demand, see LabelSetGrouping) a prefix. Only the
// first count() groups are in use: the storage of earlier passes' groups is
// kept for its capacity, so a pass allocates nothing here once warmed up.
class LabelSetGroups {
 public:
  uint32_t count() const { return static_cast<uint32_t>(key.size()); }
  // A new group for label set `signature`, with no member and size 0.
  uint32_t Add(uint32_t signature);
  void Clear();
  // Group g's members filed so far.
  std::vector<uint32_t>& members(uint32_t g) { return members_[g]; }
  const std::vector<uint32_t>& members(uint32_t g) const { return members_[g]; }
  // The members' lists of groups [0, count()), for a hot loop: valid until
  // the next Add.
  std::vector<uint32_t>* lists() { return members_.data(); }
  std::vector<uint32_t> key, size, unplaced, scanned;

 private:
  std::vector<std::vector<uint32_t>> members_;  // count() in use, the rest kept for capacity
};

// Both steps' groups of one level. Invariant: the groups are exactly the
// level's label sets each of whose labels was held by some idle worker when
// the pass reached the level (idle_count_with_label); the requests of the
// other label sets cannot be matched at this level (the idle sets only
// shrink while it is matched), so they are never listed.
//
// Where the level's label sets and their sizes are known without reading it
// (Level::pairs), the groups start empty and Has() files a group's
// positions on demand, searching the level's key array (signature or base
// signature) for the group's one key: with a backlog the walk asks for the
// first few members of a few groups, and each group's search runs through
// contiguous keys only as far as its own members. Otherwise the pass files
// them all in one walk.
struct LabelSetGrouping {
  static constexpr uint32_t kUnseen = UINT32_MAX, kUnheld = UINT32_MAX - 1;
  const Level* level = nullptr;
  // Per signature: its group (in by_all; per base signature, in by_base),
  // kUnheld (no group), or kUnseen. An entry set to anything else is listed
  // in seen_all (seen_base), so Reset puts back only those: the signatures
  // ever made grow with a run's distinct label sets, and refilling them all
  // every pass cost a pass time in proportion to the run's history.
  std::vector<uint32_t> all_of, base_of;
  std::vector<uint32_t> seen_all, seen_base;
  LabelSetGroups by_all, by_base;

  // Empty, for `level`, with signatures [0, num_signatures) unseen.
  void Reset(const Level& level, size_t num_signatures);
  // Group `group` (or kUnheld) for signature `signature`, unseen until now.
  void SeeAll(uint32_t signature, uint32_t group) {
    all_of[signature] = group;
    seen_all.push_back(signature);
  }
  void SeeBase(uint32_t base_signature, uint32_t group) {
    base_of[base_signature] = group;
    seen_base.push_back(base_signature);
  }
  // True if group g of `groups` (by_all or by_base) has a member k, filing
  // its positions from scanned[g] on until it has or holds all its members.
  bool Has(LabelSetGroups& groups, uint32_t g, size_t k);
  // `r`, a member of the level, was placed.
  void Placed(const Request& r);
};

}  // namespace qsim::internal
