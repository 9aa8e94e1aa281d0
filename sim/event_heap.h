// The engine's queues. EventHeap, its priority queue: a 4-ary min-heap of 16-byte entries whose
// four children share one 64-byte cache line, so that each level of a pop
// costs one cache miss at most. Popping is most of an event's cost on a
// large fleet, where the heap is far larger than the caches. EventRing, a
// FIFO for events of one fixed delay.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

namespace qsim::sim {

// One scheduled event: its time and a key that breaks ties (the engine puts
// the insertion sequence number in the key's high bits, so keys are unique
// and ties run in insertion order).
struct HeapEntry {
  int64_t time;
  uint64_t key;
};

inline bool Earlier(const HeapEntry& a, const HeapEntry& b) {
  return a.time != b.time ? a.time < b.time : a.key < b.key;
}

class EventHeap {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // REQUIRES: !empty().
  const HeapEntry& top() const { return data_[kOffset]; }

  void push(const HeapEntry& e) {
    if (kOffset + size_ >= data_.size()) data_.resize(kOffset + size_ + (size_ >> 1) + 64);
    size_t i = size_++;
    while (i > 0) {  // sift the hole up
      size_t parent = (i - 1) / 4;
      if (!Earlier(e, at(parent))) break;
      at(i) = at(parent);
      i = parent;
    }
    at(i) = e;
  }

  // REQUIRES: !empty().
  void pop() {
    const HeapEntry last = at(--size_);
    const size_t n = size_;
    if (n == 0) return;
    size_t i = 0;
    for (;;) {  // sift the hole down to where `last` goes
      const size_t first = 4 * i + 1;
      if (first >= n) break;
      const size_t end = first + 4 < n ? first + 4 : n;
      size_t best = first;
      for (size_t c = first + 1; c < end; ++c) {
        if (Earlier(at(c), at(best))) best = c;
      }
      if (!Earlier(at(best), last)) break;
      at(i) = at(best);
      i = best;
    }
    at(i) = last;
  }

 private:
  // Node i is stored at data_[i + kOffset]: its children 4i+1..4i+4 then sit
  // at 4i+4..4i+7, one aligned line of four entries.
  static constexpr size_t kOffset = 3;

  template <typename T>
  struct LineAligned {
    using value_type = T;
    LineAligned() = default;
    template <typename U>
    LineAligned(const LineAligned<U>&) {}
    T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
    void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t{64}); }
    bool operator==(const LineAligned&) const = default;
  };

  HeapEntry& at(size_t i) { return data_[i + kOffset]; }
  const HeapEntry& at(size_t i) const { return data_[i + kOffset]; }

  std::vector<HeapEntry, LineAligned<HeapEntry>> data_;
  size_t size_ = 0;
};

// A FIFO in a ring buffer whose capacity is a power of two: push and pop
// are a store or a load and a mask. Every entry pushed gets a position
// (0, 1, ...) that stays its own while it is in the ring, and find() looks
// an entry up by the low 32 bits of it.
template <typename T>
class EventRing {
 public:
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // REQUIRES: !empty().
  const T& front() const { return data_[head_ & mask_]; }
  void pop_front() {
    ++head_;
    --count_;
  }
  // The entry k places behind the front, or nullptr if there are not that
  // many.
  const T* peek(size_t k) const { return k < count_ ? &data_[(head_ + k) & mask_] : nullptr; }
  // Returns the entry's position.
  uint64_t push_back(const T& e) {
    if (count_ == data_.size()) Grow();
    const uint64_t at = head_ + count_;
    data_[at & mask_] = e;
    ++count_;
    return at;
  }
  // The entry at the position whose low 32 bits are `at`, or nullptr when
  // it has left the ring.
  T* find(uint32_t at) {
    const uint32_t ahead = at - static_cast<uint32_t>(head_);
    return ahead < count_ ? &data_[(head_ + ahead) & mask_] : nullptr;
  }

 private:
  // Doubles the capacity; an entry at position p goes to p & mask_, so that
  // positions stay valid. 2^31 entries at most, so that find's 32 bits do.
  void Grow() {
    const size_t capacity = data_.empty() ? 64 : 2 * data_.size();
    if (capacity > (size_t{1} << 31)) std::abort();
    std::vector<T> bigger(capacity);
    for (uint64_t p = head_; p < head_ + count_; ++p) bigger[p & (capacity - 1)] = data_[p & mask_];
    data_.swap(bigger);
    mask_ = capacity - 1;
  }

  std::vector<T> data_;
  uint64_t mask_ = 0;
  uint64_t head_ = 0;  // the front's position
  size_t count_ = 0;
};

}  // namespace qsim::sim
