// Every task's wait split (docs/waits.md), kept compact: a run of a million
// tasks would hold 72 MB as plain arrays of nine int64s, most of them zero.
// Each task's split is stored as a mask of its non-zero reasons followed by
// those values as zigzag varints (~10-20 bytes), plus an 8-byte offset.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qsim::sim {

class TaskWaits {
 public:
  // Microseconds by reason, in the order of runfolder::kWaitReasons.
  using Split = std::array<int64_t, 9>;

  // Stores task `id`'s split; ids may come in any order, each at most once.
  void Set(uint32_t id, const Split& split);
  // The split stored for `id`; all zeros for an id never stored.
  Split Get(size_t id) const;

 private:
  static constexpr uint64_t kUnset = UINT64_MAX;
  std::vector<uint64_t> offset_;  // by id: where its bytes start in bytes_
  std::vector<uint8_t> bytes_;
};

}  // namespace qsim::sim
