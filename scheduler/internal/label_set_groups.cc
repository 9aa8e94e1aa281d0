#include "scheduler/internal/label_set_groups.h"

#include "base/check.h"

namespace qsim::internal {

uint32_t LabelSetGroups::Add(uint32_t signature) {
  const uint32_t g = count();
  if (g == members_.size()) members_.emplace_back();
  key.push_back(signature);
  size.push_back(0);
  unplaced.push_back(0);
  return g;
}

void LabelSetGroups::Clear() {
  for (uint32_t g = 0; g < count(); ++g) members_[g].clear();
  key.clear();
  size.clear();
  unplaced.clear();
}

void LabelSetGrouping::Reset(const Level& l, size_t num_signatures) {
  level = &l;
  all_of.assign(num_signatures, kUnseen);
  base_of.assign(num_signatures, kUnseen);
  by_all.Clear();
  by_base.Clear();
  scanned = 0;
}

bool LabelSetGrouping::Has(LabelSetGroups& groups, uint32_t g, size_t k) {
  const std::vector<uint32_t>& target = groups.members(g);
  while (target.size() <= k && target.size() < groups.size[g]) {
    QSIM_CHECK(scanned < level->size(), "a label-set group of %u members has %zu", groups.size[g], target.size());
    const bool in_own = scanned < level->own_size();
    const CohortPart& stretch = in_own ? level->own : *level->part;
    const size_t offset = in_own ? 0 : level->own_size();
    const size_t end = offset + stretch.size();
    for (; scanned < end && target.size() <= k; ++scanned) {
      const uint32_t a = all_of[stretch.signature()[scanned - offset]];
      if (a < kUnheld) by_all.members(a).push_back(static_cast<uint32_t>(scanned));
      const uint32_t b = base_of[stretch.base_signature()[scanned - offset]];
      if (b < kUnheld) by_base.members(b).push_back(static_cast<uint32_t>(scanned));
    }
  }
  return k < target.size();
}

void LabelSetGrouping::Placed(const Request& r) {
  if (const uint32_t a = all_of[r.signature]; a < kUnheld) --by_all.unplaced[a];
  if (const uint32_t b = base_of[r.base_signature]; b < kUnheld) --by_base.unplaced[b];
}

}  // namespace qsim::internal
