#include "sim/task_waits.h"

#include "base/check.h"

namespace qsim::sim {

void TaskWaits::Set(uint32_t id, const Split& split) {
  if (offset_.size() <= id) offset_.resize(static_cast<size_t>(id) + 1, kUnset);
  QSIM_CHECK(offset_[id] == kUnset, "task %u's wait split stored twice", id);
  offset_[id] = bytes_.size();
  uint16_t mask = 0;
  for (size_t r = 0; r < split.size(); ++r) {
    if (split[r] != 0) mask = static_cast<uint16_t>(mask | (1u << r));
  }
  bytes_.push_back(static_cast<uint8_t>(mask));
  bytes_.push_back(static_cast<uint8_t>(mask >> 8));
  for (int64_t v : split) {
    if (v == 0) continue;
    // Zigzag, so that a negative value (never expected) still round-trips.
    uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    while (z >= 0x80) {
      bytes_.push_back(static_cast<uint8_t>(z | 0x80));
      z >>= 7;
    }
    bytes_.push_back(static_cast<uint8_t>(z));
  }
}

TaskWaits::Split TaskWaits::Get(size_t id) const {
  Split split{};
  if (id >= offset_.size() || offset_[id] == kUnset) return split;
  const uint8_t* p = bytes_.data() + offset_[id];
  const unsigned mask = p[0] | (static_cast<unsigned>(p[1]) << 8);
  p += 2;
  for (size_t r = 0; r < split.size(); ++r) {
    if ((mask & (1u << r)) == 0) continue;
    uint64_t z = 0;
    for (int shift = 0;; shift += 7) {
      z |= static_cast<uint64_t>(*p & 0x7f) << shift;
      if ((*p++ & 0x80) == 0) break;
    }
    split[r] = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  }
  return split;
}

}  // namespace qsim::sim
