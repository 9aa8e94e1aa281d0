#include "scheduler/internal/label_table.h"

#include <algorithm>

namespace qsim::internal {

LabelId LabelTable::Intern(std::string_view label) {
  auto it = ids_.find(label);
  if (it != ids_.end()) return it->second;
  LabelId id = static_cast<LabelId>(names_.size());
  names_.emplace_back(label);
  ids_.emplace(names_.back(), id);
  return id;
}

std::vector<LabelId> LabelTable::InternAll(const std::vector<std::string>& labels) {
  std::vector<LabelId> ids;
  InternAll(labels, ids);
  return ids;
}

void LabelTable::InternAll(const std::vector<std::string>& labels, std::vector<LabelId>& ids) {
  ids.clear();
  for (const auto& l : labels) ids.push_back(Intern(l));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

}  // namespace qsim::internal
