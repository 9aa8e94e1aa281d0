// The scheduler's rules for its configuration values, in one place: AddAccount
// refuses what they refuse, and so does the snapshot reader (NewFromProto),
// so no value reaches the scheduler by loading that it would refuse when
// set. (The scenario loader locates the same rules in YAML, sim/.)
#pragma once

#include <optional>
#include <span>
#include <string>

#include "scheduler/types.h"

namespace qsim {

// A value the scheduler refuses: the field ("charge_rate[2]",
// "max_charge_seconds", "per_label_task_limits[\"gpu\"]",
// "initial_balance[0]", or a policy switch's proto name such as
// "bot_expiration_us") and the rule it breaks, with the value.
struct ConfigProblem {
  std::string field;
  std::string message;
  std::string Describe() const { return field + ": " + message; }
};

// charge_rate[p] and max_charge_seconds finite and >= 0, max_fanout >= 0,
// per_label_task_limits with non-empty prefixes and limits >= 0, at most 5
// initial balances, each finite.
std::optional<ConfigProblem> FindAccountConfigProblem(const AccountConfig& config,
                                                      std::span<const float> initial_balance = {});

// The longest policy duration: 2^53 microseconds (about 285 years), the
// largest a trace can state exactly, and far from the 64-bit microsecond
// limit when added to a time.
inline constexpr int64_t kMaxPolicyMicros = int64_t{1} << 53;

// Every duration switch within 1 us .. kMaxPolicyMicros, every float switch
// finite, every count >= 0, and demote_threshold <= promote_threshold.
std::optional<ConfigProblem> FindPolicyProblem(const Policy& policy);

}  // namespace qsim
