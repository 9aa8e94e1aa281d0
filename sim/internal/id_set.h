// IdSet: a set of small dense ids (task ids) kept as a bitmap, walked in
// increasing id order. Internal to sim/.
//
// Why not std::set: the dispatcher inserts and erases a task id on every
// queue transition and walks the whole set every re-notify interval. A tree
// allocates a node per insert and chases pointers on the walk; the bitmap does
// neither, and its walk starts at the lowest word that can hold a member, so
// it costs about (highest id - lowest id) / 64 words however old the tasks.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qsim::sim {

class IdSet {
 public:
  // Returns whether `id` was not yet a member.
  bool Insert(uint32_t id) {
    size_t w = id / 64;
    if (w >= words_.size()) words_.resize(w + 1, 0);
    uint64_t bit = uint64_t{1} << (id % 64);
    if (words_[w] & bit) return false;
    words_[w] |= bit;
    if (w < first_word_) first_word_ = w;
    ++size_;
    return true;
  }

  // Returns whether `id` was a member.
  bool Erase(uint32_t id) {
    size_t w = id / 64;
    uint64_t bit = uint64_t{1} << (id % 64);
    if (w >= words_.size() || !(words_[w] & bit)) return false;
    words_[w] &= ~bit;
    --size_;
    return true;
  }

  bool Contains(uint32_t id) const {
    size_t w = id / 64;
    return w < words_.size() && (words_[w] >> (id % 64) & 1);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Calls fn(id) for each member in increasing order. `fn` must not insert
  // or erase.
  template <typename Fn>
  void ForEach(Fn&& fn) {
    SkipEmptyWords();
    for (size_t w = first_word_; w < words_.size(); ++w) {
      for (uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        fn(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
      }
    }
  }

 private:
  // Erase leaves first_word_ behind; the walk moves it up to the first
  // non-empty word so later walks start there.
  void SkipEmptyWords() {
    while (first_word_ < words_.size() && words_[first_word_] == 0) ++first_word_;
  }

  std::vector<uint64_t> words_;
  size_t first_word_ = 0;  // no member lies below this word
  size_t size_ = 0;
};

}  // namespace qsim::sim
