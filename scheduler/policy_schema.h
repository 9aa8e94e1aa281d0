// The one list of the scheduler's policy switches (docs/scheduler.md §9). Everything that
// reads or writes a Policy walks this list: the scenario loader and the
// resolved-scenario writer (by `yaml` name), the protobuf state (by `proto`
// field name, through reflection) and the trace replayer's header. A new
// switch is a member of Policy, a field of proto::Policy and one line here;
// policy_schema_test fails when the three disagree.
#pragma once

#include <string_view>

#include "scheduler/types.h"

namespace qsim {

struct PolicyFieldName {
  std::string_view yaml;   // the scenario key under `policy:`
  std::string_view proto;  // the proto::Policy field (durations in `_us`)
};

// Calls visit(PolicyFieldName, member&) for every switch, in the order the
// resolved scenario lists them. `P` is Policy or const Policy; the member's
// type is bool, Duration, float or int64_t.
template <typename P, typename Visit>
void ForEachPolicyField(P& p, Visit&& visit) {
  visit(PolicyFieldName{"disable_preemption", "disable_preemption"}, p.disable_preemption);
  visit(PolicyFieldName{"bot_expiration", "bot_expiration_us"}, p.bot_expiration);
  visit(PolicyFieldName{"worker_queue_timeout", "worker_queue_timeout_us"}, p.worker_queue_timeout);
  visit(PolicyFieldName{"max_queue_age", "max_queue_age_us"}, p.max_queue_age);
  visit(PolicyFieldName{"promote_threshold", "promote_threshold"}, p.promote_threshold);
  visit(PolicyFieldName{"demote_threshold", "demote_threshold"}, p.demote_threshold);
  visit(PolicyFieldName{"enforce_fanout", "enforce_fanout"}, p.enforce_fanout);
  visit(PolicyFieldName{"enforce_per_label_limits", "enforce_per_label_limits"}, p.enforce_per_label_limits);
  visit(PolicyFieldName{"skip_stale_pairs", "skip_stale_pairs"}, p.skip_stale_pairs);
  visit(PolicyFieldName{"preempt_once_per_worker", "preempt_once_per_worker"}, p.preempt_once_per_worker);
  visit(PolicyFieldName{"match_sort_cutoff", "match_sort_cutoff"}, p.match_sort_cutoff);
}

}  // namespace qsim
