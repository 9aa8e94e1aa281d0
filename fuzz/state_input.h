// The input format of the state fuzz target: a 4-byte little-endian length
// N, then N bytes of a serialized proto::SchedulerSnapshot, then the bytes of
// a proto::ReconcilerState (to the end). Shorter inputs split as best they can.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace qsim::fuzz {

inline std::pair<std::string_view, std::string_view> SplitStateInput(std::string_view bytes) {
  if (bytes.size() < 4) return {bytes, {}};
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  bytes.remove_prefix(4);
  const size_t scheduler_size = n < bytes.size() ? n : bytes.size();
  return {bytes.substr(0, scheduler_size), bytes.substr(scheduler_size)};
}

inline std::string JoinStateInput(const std::string& scheduler, const std::string& reconciler) {
  std::string out;
  const uint32_t n = static_cast<uint32_t>(scheduler.size());
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + scheduler + reconciler;
}

}  // namespace qsim::fuzz
