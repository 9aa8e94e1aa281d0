// An index by HashId (base/short_id.h) into a std::map keyed by ids, for
// the reconciler's poll path. Internal to reconciler/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/short_id.h"

namespace qsim::reconciler::internal {

// Finds entries of a std::map<std::string, V> by HashId of their key, with
// one probe and one string comparison instead of a descent of the tree: an
// open-addressing table (linear probing, deletion by backward shift) of
// (hash, map iterator), at most one entry per 4 slots, so that a miss, the
// common case, mostly ends at the first slot. The owner keeps it in step
// with the map: Insert every entry it adds, Erase every entry before erasing
// it from the map (map iterators stay valid until then).
template <typename MapIterator>
class IdIndex {
 public:
  IdIndex() { Resize(kMinSlots); }

  // The entry whose key is `key`, `hash` being HashId(key); null if none.
  const MapIterator* Find(std::string_view key, uint64_t hash) const {
    for (size_t i = Home(hash);; i = Next(i)) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.hash == hash && SameId(s.it->first, key)) return &s.it;
    }
  }

  // `it` is not in the index yet; `hash` is HashId(it->first).
  void Insert(uint64_t hash, MapIterator it) {
    if ((size_ + 1) * 4 > slots_.size()) Resize(slots_.size() * 2);
    Place(Slot{hash, it, true});
    ++size_;
  }

  // `it` is in the index; `hash` is HashId(it->first).
  void Erase(uint64_t hash, MapIterator it) {
    size_t hole = Home(hash);
    while (!(slots_[hole].used && slots_[hole].it == it)) hole = Next(hole);
    // Backward shift: move up every later entry of the run whose home is
    // not in (hole, j], so that no probe meets an empty slot before its
    // entry.
    for (size_t j = Next(hole); slots_[j].used; j = Next(j)) {
      size_t home = Home(slots_[j].hash);
      bool stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole].used = false;
    --size_;
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    MapIterator it{};
    bool used = false;
  };
  static constexpr size_t kMinSlots = 64;

  // The home slot: the hash's top bits.
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash >> shift_); }
  size_t Next(size_t i) const { return (i + 1) & (slots_.size() - 1); }

  void Place(const Slot& slot) {
    size_t i = Home(slot.hash);
    while (slots_[i].used) i = Next(i);
    slots_[i] = slot;
  }

  // `slots`: a power of two, at least 4 per entry.
  void Resize(size_t slots) {
    std::vector<Slot> old(slots, Slot{});
    old.swap(slots_);
    shift_ = 64;
    for (size_t n = slots; n > 1; n /= 2) --shift_;
    for (const Slot& s : old) {
      if (s.used) Place(s);
    }
  }

  std::vector<Slot> slots_;  // a power of two of them
  int shift_ = 64;           // 64 - log2(slots_.size())
  size_t size_ = 0;
};

}  // namespace qsim::reconciler::internal
