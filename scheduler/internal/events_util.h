// Builders for scheduler events; they fill the fields every event carries.
#pragma once

#include "scheduler/internal/state.h"

namespace qsim::internal {

inline TaskEvent RequestEvent(const Scheduler::Impl& s, EventType type, Time t, const Request& r) {
  TaskEvent e;
  e.type = type;
  e.time = t;
  e.task = r.id;
  e.account = r.account;
  if (auto it = s.balances.find(r.account); it != s.balances.end()) e.account_balance = it->second;
  e.task_base_labels = s.BaseLabels(r);
  e.task_provisionable_labels = s.ProvisionableLabels(r);
  return e;
}

inline TaskEvent WorkerEvent(const Scheduler::Impl& s, EventType type, Time t, const Request& r,
                             const Worker& w) {
  TaskEvent e = RequestEvent(s, type, t, r);
  e.worker = w.id;
  e.worker_labels = s.LabelsOf(w);
  if (w.run) e.cost = s.CostOf(w);
  return e;
}

inline TaskEvent CompletedEvent(const Scheduler::Impl& s, Time t, const Request& r, const Worker* w,
                                CompletedReason reason) {
  TaskEvent e = w ? WorkerEvent(s, EventType::kCompleted, t, r, *w)
                  : RequestEvent(s, EventType::kCompleted, t, r);
  e.reason = reason;
  return e;
}

}  // namespace qsim::internal
