#include "scheduler/internal/label_set_groups.h"

#include <algorithm>

#include "base/check.h"

namespace qsim::internal {

uint32_t LabelSetGroups::Add(uint32_t signature) {
  const uint32_t g = count();
  if (g == members_.size()) members_.emplace_back();
  key.push_back(signature);
  size.push_back(0);
  unplaced.push_back(0);
  scanned.push_back(0);
  return g;
}

void LabelSetGroups::Clear() {
  for (uint32_t g = 0; g < count(); ++g) members_[g].clear();
  key.clear();
  size.clear();
  unplaced.clear();
  scanned.clear();
}

void LabelSetGrouping::Reset(const Level& l, size_t num_signatures) {
  level = &l;
  for (uint32_t s : seen_all) all_of[s] = kUnseen;
  for (uint32_t s : seen_base) base_of[s] = kUnseen;
  seen_all.clear();
  seen_base.clear();
  if (all_of.size() < num_signatures) all_of.resize(num_signatures, kUnseen);
  if (base_of.size() < num_signatures) base_of.resize(num_signatures, kUnseen);
  by_all.Clear();
  by_base.Clear();
}

bool LabelSetGrouping::Has(LabelSetGroups& groups, uint32_t g, size_t k) {
  std::vector<uint32_t>& target = groups.members(g);
  if (k < target.size()) return true;
  // A group is one key: its signature (by_all) or base signature (by_base).
  const bool by_signature = &groups == &by_all;
  const uint32_t key = groups.key[g];
  uint32_t& from = groups.scanned[g];
  const size_t own = level->own_size(), total = level->size();
  while (target.size() <= k && target.size() < groups.size[g] && from < total) {
    const bool in_own = from < own;
    const CohortPart& stretch = in_own ? level->own : *level->part;
    const size_t offset = in_own ? 0 : own;
    const uint32_t* keys = by_signature ? stretch.signature() : stretch.base_signature();
    const uint32_t* const end = keys + stretch.size();
    const uint32_t* at = keys + (from - offset);
    while (target.size() <= k && (at = std::find(at, end, key)) != end) {
      target.push_back(static_cast<uint32_t>(offset + (at - keys)));
      ++at;
    }
    from = static_cast<uint32_t>(offset + (at - keys));
  }
  QSIM_CHECK(k < target.size() || target.size() == groups.size[g], "a label-set group of %u members has %zu",
             groups.size[g], target.size());
  return k < target.size();
}

void LabelSetGrouping::Placed(const Request& r) {
  if (const uint32_t a = all_of[r.signature]; a < kUnheld) --by_all.unplaced[a];
  if (const uint32_t b = base_of[r.base_signature]; b < kUnheld) --by_base.unplaced[b];
}

}  // namespace qsim::internal
