// Interned labels: each distinct label string gets a small dense id, so that
// matching compares integers. Ids are stable for the life of one Scheduler
// object and never written out (a restored scheduler interns afresh); nothing
// observable depends on their values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scheduler/internal/id_index.h"

namespace qsim::internal {

using LabelId = uint32_t;

class LabelTable {
 public:
  // The id of `label`, interning it if new.
  LabelId Intern(std::string_view label);
  // Sorted, duplicate-free ids of `labels`.
  std::vector<LabelId> InternAll(const std::vector<std::string>& labels);
  // The same into `ids`, whose capacity is reused.
  void InternAll(const std::vector<std::string>& labels, std::vector<LabelId>& ids);
  size_t size() const { return names_.size(); }
  const std::string& name(LabelId id) const { return names_[id]; }

 private:
  // Looked up by std::string_view (IdHash and SameIdAs are transparent),
  // so interning an existing label builds no string. Lookup only: iteration
  // order never escapes.
  std::unordered_map<std::string, LabelId, IdHash, SameIdAs> ids_;
  std::vector<std::string> names_;
};

}  // namespace qsim::internal
