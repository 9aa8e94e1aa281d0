#include "scheduler/config_check.h"

#include <cmath>
#include <cstdio>
#include <type_traits>

#include "scheduler/policy_schema.h"

namespace qsim {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::optional<ConfigProblem> FiniteAtLeastZero(const std::string& field, float v) {
  if (std::isfinite(v) && v >= 0) return std::nullopt;
  return ConfigProblem{field, "must be a finite number >= 0, got " + Num(v)};
}

}  // namespace

std::optional<ConfigProblem> FindAccountConfigProblem(const AccountConfig& config,
                                                      std::span<const float> initial_balance) {
  for (int p = 0; p < kNumPriorities; ++p) {
    if (auto bad = FiniteAtLeastZero("charge_rate[" + std::to_string(p) + "]", config.charge_rate[p])) return bad;
  }
  if (auto bad = FiniteAtLeastZero("max_charge_seconds", config.max_charge_seconds)) return bad;
  if (config.max_fanout < 0) {
    return ConfigProblem{"max_fanout", "must be >= 0, got " + std::to_string(config.max_fanout)};
  }
  for (const auto& [prefix, limit] : config.per_label_task_limits) {
    if (prefix.empty()) return ConfigProblem{"per_label_task_limits", "label prefixes must be non-empty"};
    if (limit < 0) {
      return ConfigProblem{"per_label_task_limits[\"" + prefix + "\"]", "must be >= 0, got " + std::to_string(limit)};
    }
  }
  if (initial_balance.size() > static_cast<size_t>(kNumPriorities)) {
    return ConfigProblem{"initial_balance", "has " + std::to_string(initial_balance.size()) +
                                                " values, at most 5 allowed"};
  }
  for (size_t p = 0; p < initial_balance.size(); ++p) {
    if (!std::isfinite(initial_balance[p])) {
      return ConfigProblem{"initial_balance[" + std::to_string(p) + "]",
                           "must be finite, got " + Num(initial_balance[p])};
    }
  }
  return std::nullopt;
}

std::optional<ConfigProblem> FindPolicyProblem(const Policy& policy) {
  std::optional<ConfigProblem> found;
  ForEachPolicyField(policy, [&found](PolicyFieldName name, const auto& v) {
    if (found) return;
    const std::string field(name.proto);
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, Duration>) {
      const int64_t us = ToMicros(v);
      if (us < 1 || us > kMaxPolicyMicros) {
        found = ConfigProblem{field, "must be between 1 and 2^53 microseconds, got " + std::to_string(us)};
      }
    } else if constexpr (std::is_same_v<T, float>) {
      if (!std::isfinite(v)) found = ConfigProblem{field, "must be finite, got " + Num(v)};
    } else if constexpr (std::is_same_v<T, int64_t>) {
      if (v < 0) found = ConfigProblem{field, "must be >= 0, got " + std::to_string(v)};
    }
  });
  if (!found && policy.demote_threshold > policy.promote_threshold) {
    found = ConfigProblem{"demote_threshold", "must be <= promote_threshold (" + Num(policy.promote_threshold) +
                                                  "), got " + Num(policy.demote_threshold)};
  }
  return found;
}

}  // namespace qsim
