#include "scheduler/types.h"

#include <algorithm>

#include "scheduler/events.h"

namespace qsim {

Priority BestPriority(const Balance& balance) {
  for (int p = 0; p < kNumPriorities; ++p) {
    if (balance[p] > 0) return p;
  }
  return kFreeBucket;
}

bool BalanceLess(const Balance& a, const Balance& b) {
  for (int p = 0; p < kNumPriorities; ++p) {
    if (a[p] != b[p]) return a[p] < b[p];
  }
  return false;
}

namespace {
void SortAndDeduplicate(LabelSet& labels) {
  // Labels usually come from another label set, already strictly ascending:
  // one pass finds that and spares the sort's swaps of strings.
  const auto not_ascending = [](const std::string& a, const std::string& b) { return !(a < b); };
  if (std::adjacent_find(labels.begin(), labels.end(), not_ascending) == labels.end()) return;
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
}
}  // namespace

LabelSet MakeLabelSet(std::vector<std::string> labels) {
  SortAndDeduplicate(labels);
  return labels;
}

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kEnqueued: return "ENQUEUED";
    case EventType::kAssigned: return "ASSIGNED";
    case EventType::kPreempted: return "PREEMPTED";
    case EventType::kReprioritized: return "REPRIORITIZED";
    case EventType::kCompleted: return "COMPLETED";
    case EventType::kUnassigned: return "UNASSIGNED";
  }
  return "UNKNOWN";
}

std::string_view CompletedReasonName(CompletedReason r) {
  switch (r) {
    case CompletedReason::kNone: return "";
    case CompletedReason::kBotIdle: return "BOT_IDLE";
    case CompletedReason::kIdleTaskAbsent: return "IDLE_TASK_ABSENT";
    case CompletedReason::kRunningTaskAbsent: return "RUNNING_TASK_ABSENT";
    case CompletedReason::kInconsistentBotForTask: return "INCONSISTENT_BOT_FOR_TASK";
    case CompletedReason::kInconsistentTaskForBot: return "INCONSISTENT_TASK_FOR_BOT";
  }
  return "UNKNOWN";
}

}  // namespace qsim
