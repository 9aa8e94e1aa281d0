// A plain, slow, step-by-step reading of docs/scheduler.md §2 (UpdateTime),
// §4 (the poll and Unassign, which AssignTasks needs), §5 (RunOnce) and §6
// (AssignTasks), with every policy switch of §9 as the library implements it
// (the historic fanout and per-label rules as docs/historic-switches.md
// states them). It is the oracle of tests/pass_differential_test.cc: the
// library may index, cache and skip as it likes, but every output must equal
// what this gives.
//
// It holds its own simple state, built from the library's protobuf snapshot
// (Scheduler::ToProto), so it needs nothing of the library's internals, and
// writes it back in the same form for comparison. Nothing here is clever:
// every list is rebuilt and re-sorted when the spec says "take", and every
// lookup walks a std::map.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/state.pb.h"
#include "scheduler/events.h"
#include "scheduler/scheduler.h"

namespace qsim::reference {

struct Request {
  std::string id;
  std::string account;
  LabelSet base_labels;
  LabelSet provisionable_labels;
  Time enqueue_time{};
  Time confirmed_time{};
  Time examined_time{};
  std::vector<std::string> tags;
};

struct Run {
  Request request;
  Priority priority = 0;
  Balance cost{};
};

struct Worker {
  std::string id;
  LabelSet labels;
  Time confirmed_time{};
  Time modified_time{};
  std::optional<Run> run;
};

// The scheduler's state (§1), by id.
struct State {
  Policy policy;
  std::map<std::string, AccountConfig> accounts;
  std::map<std::string, Balance> balances;
  Time last_update{};
  std::map<std::string, Request> queued;
  std::map<std::string, Worker> workers;

  static State FromProto(const proto::SchedulerSnapshot& snapshot);
  // The same form Scheduler::ToProto writes (repeated fields by id).
  proto::SchedulerSnapshot ToProto() const;
};

// A worker's pending assignment in the reconciler (§1, §6).
struct WorkerQueue {
  std::string assign;
  std::string abort;
  Time enqueued{};
};

struct Reconciler {
  std::map<std::string, WorkerQueue> queues;
  std::map<std::string, std::string> task_errors;

  static Reconciler FromProto(const proto::ReconcilerState& state);
  proto::ReconcilerState ToProto() const;
};

// §2.
void UpdateTime(State& s, Time t);
// §5: one pass over `s`, its assignments in order; events go to `events`
// (may be null).
std::vector<SchedulerAssignment> RunOnce(State& s, EventSink* events);
// §4, a poll.
void MarkIdle(State& s, const std::string& worker, const LabelSet& labels, Time t, EventSink* events);
// §4; false (and nothing changed) unless `request` runs on `worker`.
bool Unassign(State& s, const std::string& request, const std::string& worker, Time t, EventSink* events);

struct Poll {
  std::string worker;
  std::vector<std::string> labels;
};
struct Answer {
  std::string worker;
  std::string request;
  bool provision_required = false;
};
// §6 AssignTasks, steps 1-5. REQUIRES: no empty worker id.
std::vector<Answer> AssignTasks(State& s, Reconciler& r, Time t, const std::vector<Poll>& polls,
                                EventSink* events);

}  // namespace qsim::reference
