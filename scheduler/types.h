// Value types of the quota scheduler: priorities, balances, account configs
// and the policy switches. See docs/scheduler.md (data, policy switches).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/time.h"

namespace qsim {

// Priority 0 is the best; kFreeBucket (5) runs without paying.
using Priority = int;
inline constexpr int kNumPriorities = 5;
inline constexpr Priority kFreeBucket = kNumPriorities;

// One float32 per priority level. All balance and cost arithmetic is float32
// in the order the spec gives, so results match the reference bit for bit.
using Balance = std::array<float, kNumPriorities>;

// The first level whose balance is > 0, else the free bucket.
Priority BestPriority(const Balance& balance);

// Lexicographic a < b over the 5 levels.
bool BalanceLess(const Balance& a, const Balance& b);

struct AccountConfig {
  Balance charge_rate{};           // workers' worth of quota earned per second, per level
  float max_charge_seconds = 0;    // cap of level p = charge_rate[p] * max_charge_seconds
  int32_t max_fanout = 0;          // 0 = no limit (enforced only with Policy::enforce_fanout)
  std::map<std::string, int32_t> per_label_task_limits;  // label prefix -> limit
  bool disable_free_tasks = false;
  std::string description;

  bool operator==(const AccountConfig&) const = default;
};

// The scheduler's policy switches (docs/scheduler.md §9). The defaults reproduce the
// reference exactly.
struct Policy {
  bool disable_preemption = false;
  Duration bot_expiration = Seconds(300);
  Duration worker_queue_timeout = Minutes(10);
  Duration max_queue_age = Hours(46);
  float promote_threshold = 600;
  float demote_threshold = -600;
  bool enforce_fanout = false;
  bool enforce_per_label_limits = false;
  bool skip_stale_pairs = true;
  bool preempt_once_per_worker = false;
  int64_t match_sort_cutoff = 50000;

  bool operator==(const Policy&) const = default;
};

// A sorted, duplicate-free list of labels.
using LabelSet = std::vector<std::string>;

// Sorts and de-duplicates `labels` into a LabelSet.
LabelSet MakeLabelSet(std::vector<std::string> labels);

}  // namespace qsim
