// Equality and a hash for short string ids (bot names, task ids, labels),
// for the lookup-only tables on the poll path of the scheduler and the
// reconciler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace qsim {

namespace short_id_detail {
// The n bytes at p (0 < n < 8) as one integer, with loads that may overlap:
// for a given n it differs for every different content.
inline uint64_t LoadShort(const char* p, size_t n) {
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return lo | (uint64_t{hi} << 32);
  }
  const auto byte = [p](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
  return byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16);
}
inline uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
}  // namespace short_id_detail

// Whether two ids are equal. They are short (5-30 bytes): reading them 8
// bytes at a time inline (the last word overlapping the one before) costs
// less than the call to memcmp that std::string_view's comparison makes.
inline bool SameId(std::string_view a, std::string_view b) {
  using short_id_detail::Load8;
  using short_id_detail::LoadShort;
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n < 8) return n == 0 || LoadShort(x, n) == LoadShort(y, n);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    if (Load8(x + i) != Load8(y + i)) return false;
  }
  return n % 8 == 0 || Load8(x + n - 8) == Load8(y + n - 8);
}

// a == b for lists of ids, compared as SameId does.
inline bool SameIds(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameId(a[i], b[i])) return false;
  }
  return true;
}

// A 64-bit hash of an id: one multiply per 8 bytes (the last word
// overlapping, as in SameId), then a full avalanche (splitmix64's
// finaliser), so that both the low bits (a power-of-two bucket array) and
// the high bits (an open-addressing home slot) depend on every byte: bot
// names such as "linux-small-0042" differ only in their last characters.
// std::hash (a byte loop, out of line) costs several times as much at these
// lengths. Values decide only where a lookup looks, never an order anything
// reads, so the function may change freely.
inline uint64_t HashId(std::string_view id) {
  using short_id_detail::Load8;
  using short_id_detail::LoadShort;
  const size_t n = id.size();
  const char* p = id.data();
  uint64_t h = n * 0x9E3779B97F4A7C15ull;
  if (n < 8) {
    if (n > 0) h = (h ^ LoadShort(p, n)) * 0xBF58476D1CE4E5B9ull;
  } else {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      h = (h ^ Load8(p + i)) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 31;
    }
    if (n % 8 != 0) h = (h ^ Load8(p + n - 8)) * 0xBF58476D1CE4E5B9ull;
  }
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

}  // namespace qsim
