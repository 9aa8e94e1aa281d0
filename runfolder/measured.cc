#include "runfolder/measured.h"

#include <algorithm>
#include <charconv>

namespace qsim::runfolder {

int64_t NearestRankPercentile(const std::vector<int64_t>& sorted, int64_t num, int64_t den) {
  if (sorted.empty()) return 0;
  int64_t n = static_cast<int64_t>(sorted.size());
  int64_t rank = (num * n + den - 1) / den;  // nearest rank, 1-based
  return sorted[std::clamp<int64_t>(rank, 1, n) - 1];
}

std::optional<int64_t> ParseMicros(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || s.size() - dot - 1 != 6) return std::nullopt;
  int64_t whole = 0, frac = 0;
  auto end_whole = std::from_chars(s.data(), s.data() + dot, whole);
  auto end_frac = std::from_chars(s.data() + dot + 1, s.data() + s.size(), frac);
  if (end_whole.ptr != s.data() + dot || end_frac.ptr != s.data() + s.size()) return std::nullopt;
  int64_t us = whole * 1000000 + frac;
  return negative ? -us : us;
}

}  // namespace qsim::runfolder
