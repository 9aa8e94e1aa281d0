// Key paths in error messages ("bots[2].joins_at"): how every reader of a
// structured input (scenario YAML, JSON logs, traces) names the field it
// refuses, so a path reads the same in every message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qsim {

// `path.key`, or `key` at the root.
inline std::string JoinKey(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
// `path[i]`.
inline std::string IndexKey(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

}  // namespace qsim
