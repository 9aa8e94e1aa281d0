#include "replay/replay.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "proto/state.pb.h"
#include "reconciler/reconciler.h"
#include "reconciler/restart.h"
#include "replay/trace_file_internal.h"
#include "replay/trace_parse_internal.h"
#include "scheduler/scheduler.h"

namespace qsim::replay {
namespace {

using internal::OpKind;
using internal::TraceOp;
using proto::TraceEvent;
using proto::TraceLine;

// The first difference found, as "<what>: expected X, actual Y"; empty when equal.
using Diff = std::optional<std::string>;

std::string Show(const std::string& s) { return "\"" + s + "\""; }
std::string Show(bool b) { return b ? "true" : "false"; }
std::string Show(int64_t v) { return std::to_string(v); }
std::string Show(int v) { return std::to_string(v); }
// Nine significant digits tell any two float32 values apart.
std::string Show(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
  return buf;
}

template <typename T>
Diff Differ(const std::string& what, const T& expected, const T& actual) {
  if (expected == actual) return std::nullopt;
  return what + ": expected " + Show(expected) + ", actual " + Show(actual);
}

std::string At(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Compares two lists element by element with `compare(expected, actual, path)`;
// when one is a prefix of the other, names the first element only one has.
template <typename Expected, typename Actual, typename Compare, typename DescribeE, typename DescribeA>
Diff CompareLists(const std::string& what, const Expected& expected, const Actual& actual, Compare compare,
                  DescribeE describe_expected, DescribeA describe_actual) {
  const size_t ne = expected.size();
  const size_t na = actual.size();
  for (size_t i = 0; i < std::min(ne, na); ++i) {
    if (Diff d = compare(expected[i], actual[i], At(what, i))) return d;
  }
  if (ne == na) return std::nullopt;
  const size_t k = std::min(ne, na);
  return At(what, k) + ": expected " + (k < ne ? describe_expected(expected[k]) : "nothing") + ", actual " +
         (k < na ? describe_actual(actual[k]) : "nothing") + " (" + std::to_string(ne) + " expected, " +
         std::to_string(na) + " actual)";
}

template <typename Expected, typename Actual>
Diff CompareValues(const std::string& what, const Expected& expected, const Actual& actual) {
  using T = std::decay_t<decltype(actual[0])>;
  return CompareLists(
      what, expected, actual,
      [](const auto& e, const auto& a, const std::string& p) { return Differ<T>(p, T(e), a); },
      [](const auto& e) { return Show(T(e)); }, [](const auto& a) { return Show(a); });
}

// Balances and costs: exact float32 equality (docs/trace-format.md, "Comparing").
Diff CompareFloats(const std::string& what, const google::protobuf::RepeatedField<float>& expected,
                   const Balance& actual) {
  return CompareValues(what, expected, actual);
}

std::string Describe(const TraceEvent& e) { return e.type() + " task=" + e.task() + " worker=" + e.worker(); }
std::string Describe(const TaskEvent& e) {
  return std::string(EventTypeName(e.type)) + " task=" + e.task + " worker=" + e.worker;
}

Diff CompareEvent(const TraceEvent& e, const TaskEvent& a, const std::string& p) {
  if (Diff d = Differ(p + ".type", e.type(), std::string(EventTypeName(a.type)))) return d;
  if (Diff d = Differ(p + ".t_us", e.t_us(), ToMicros(a.time))) return d;
  if (Diff d = Differ(p + ".task", e.task(), a.task)) return d;
  if (Diff d = Differ(p + ".worker", e.worker(), a.worker)) return d;
  if (Diff d = Differ(p + ".account", e.account(), a.account)) return d;
  switch (a.type) {
    case EventType::kEnqueued:
      return CompareValues(p + ".tags", e.tags(), a.tags);
    case EventType::kAssigned:
      if (Diff d = Differ(p + ".priority", e.priority(), a.priority)) return d;
      if (Diff d = Differ(p + ".preempting", e.preempting(), a.preempting)) return d;
      if (Diff d = Differ(p + ".provision_required", e.provision_required(), a.provision_required)) return d;
      if (Diff d = Differ(p + ".preempted_task", e.preempted_task(), a.preempted_task)) return d;
      if (a.preempting) return CompareFloats(p + ".preemption_cost", e.preemption_cost(), a.preemption_cost);
      return std::nullopt;
    case EventType::kPreempted:
      if (Diff d = Differ(p + ".priority", e.priority(), a.priority)) return d;
      if (Diff d = Differ(p + ".preempting_task", e.preempting_task(), a.preempting_task)) return d;
      if (Diff d = Differ(p + ".preempting_account", e.preempting_account(), a.preempting_account)) return d;
      return Differ(p + ".preempting_priority", e.preempting_priority(), a.preempting_priority);
    case EventType::kReprioritized: {
      if (Diff d = Differ(p + ".old_priority", e.old_priority(), a.old_priority)) return d;
      // The reference writes p + 1 as the new priority of a promotion to p;
      // qsim reports the true one (docs/scheduler.md §8).
      const bool promotion = e.old_priority() >= e.new_priority();
      const int expected = promotion ? e.new_priority() - 1 : e.new_priority();
      if (expected == a.new_priority) return std::nullopt;
      return p + ".new_priority: expected " + Show(expected) +
             (promotion ? " (a promotion; the trace writes " + Show(e.new_priority()) + ")" : "") + ", actual " +
             Show(a.new_priority);
    }
    case EventType::kCompleted:
      if (Diff d = Differ(p + ".reason", e.reason(), std::string(CompletedReasonName(a.reason)))) return d;
      if (Diff d = Differ(p + ".other_task", e.other_task(), a.other_task)) return d;
      return Differ(p + ".other_bot", e.other_bot(), a.other_bot);
    case EventType::kUnassigned:
      return std::nullopt;
  }
  return std::nullopt;
}

Diff CompareEvents(const TraceLine& line, const std::vector<TaskEvent>& actual) {
  return CompareLists(
      "expect_events", line.expect_events(), actual, CompareEvent,
      [](const TraceEvent& e) { return Describe(e); }, [](const TaskEvent& a) { return Describe(a); });
}

Diff CallFailed(const Status& status) { return "result: expected success, actual error: " + status.message(); }

// One scheduler + reconciler pair driven by a trace's ops.
class Replayer {
 public:
  Replayer(int64_t start_us, const Policy& policy)
      : scheduler_(Scheduler::New(TimeFromMicros(start_us), policy)), state_(reconciler::State::New()) {}

  Diff Run(const TraceOp& op) {
    const TraceLine& l = op.fields;
    sink_.events.clear();
    switch (op.kind) {
      case OpKind::kConfig: {
        Policy policy = scheduler_.policy();
        policy.disable_preemption = l.disable_preemption();
        policy.bot_expiration = l.bot_expiration_us() == 0 ? Policy().bot_expiration : Micros(l.bot_expiration_us());
        scheduler_.SetPolicy(policy);
        return CompareEvents(l, sink_.events);
      }
      case OpKind::kAddAccount: {
        AccountConfig config;
        std::copy(l.charge_rate().begin(), l.charge_rate().end(), config.charge_rate.begin());
        config.max_charge_seconds = l.max_charge_seconds();
        config.disable_free_tasks = l.disable_free_tasks();
        config.max_fanout = l.max_fanout();
        config.per_label_task_limits.insert(l.per_label_task_limits().begin(), l.per_label_task_limits().end());
        std::vector<float> initial(l.initial_balance().begin(), l.initial_balance().end());
        return Called(scheduler_.AddAccount(l.account(), config, initial), l);
      }
      case OpKind::kDeleteAccount:
        return Called(scheduler_.DeleteAccount(l.account()), l);
      case OpKind::kNotifyWaiting: {
        reconciler::TaskWaitingRequest r;
        r.account = l.account();
        r.base_labels.assign(l.base_labels().begin(), l.base_labels().end());
        r.provisionable_labels.assign(l.provisionable_labels().begin(), l.provisionable_labels().end());
        r.enqueue_time = TimeFromMicros(l.enqueue_us());
        r.request = l.request();
        r.tags.assign(l.tags().begin(), l.tags().end());
        r.time = TimeFromMicros(l.t_us());
        return Called(state_.NotifyTaskWaiting(scheduler_, &sink_, r), l);
      }
      case OpKind::kNotifyRunning:
        return Called(
            state_.NotifyTaskRunning(scheduler_, &sink_, {l.request(), l.worker(), TimeFromMicros(l.t_us())}), l);
      case OpKind::kNotifyAbsent:
        return Called(
            state_.NotifyTaskAbsent(scheduler_, &sink_, {l.request(), l.worker(), TimeFromMicros(l.t_us())}), l);
      case OpKind::kTaskError:
        return Called(state_.AddTaskError(l.request(), l.error()), l);
      case OpKind::kAssignTasks:
        return AssignTasks(l);
      case OpKind::kCancellations:
        return CompareLists(
            "expect", l.expect(), state_.Cancellations(),
            [](const proto::TraceExpectedItem& e, const reconciler::Cancellation& a, const std::string& p) -> Diff {
              if (Diff d = Differ(p + ".worker", e.worker(), a.worker)) return d;
              if (Diff d = Differ(p + ".request", e.request(), a.request)) return d;
              return Differ(p + ".error", e.error(), a.error);
            },
            [](const proto::TraceExpectedItem& e) { return "worker=" + e.worker() + " request=" + e.request(); },
            [](const reconciler::Cancellation& a) { return "worker=" + a.worker + " request=" + a.request; });
      case OpKind::kCheck:
        return Check(l.expect_state());
      case OpKind::kRoundtrip:
        return Roundtrip();
    }
    return std::nullopt;
  }

  // Writes both states to bytes, drops the live objects and continues with
  // the ones read back, as a restarted service would.
  Diff Roundtrip() {
    Status restarted = reconciler::RestartThroughBytes(scheduler_, state_);
    if (!restarted.ok()) return "roundtrip: expected the state to restore, actual " + restarted.message();
    return std::nullopt;
  }

 private:
  // A call that must succeed, then emit the expected events.
  Diff Called(const Status& status, const TraceLine& l) {
    if (!status.ok()) return CallFailed(status);
    return CompareEvents(l, sink_.events);
  }

  Diff AssignTasks(const TraceLine& l) {
    std::vector<reconciler::IdleWorker> workers;
    workers.reserve(l.workers_size());
    for (const proto::TraceWorker& w : l.workers()) {
      workers.push_back({w.id(), std::vector<std::string>(w.labels().begin(), w.labels().end())});
    }
    auto result = state_.AssignTasks(scheduler_, TimeFromMicros(l.t_us()), &sink_, workers);
    if (!result.ok()) return CallFailed(result.status());
    if (Diff d = CompareEvents(l, sink_.events)) return d;
    return CompareLists(
        "expect", l.expect(), *result,
        [](const proto::TraceExpectedItem& e, const reconciler::Assignment& a, const std::string& p) -> Diff {
          if (Diff d = Differ(p + ".worker", e.worker(), a.worker)) return d;
          if (Diff d = Differ(p + ".request", e.request(), a.request)) return d;
          return Differ(p + ".provision_required", e.provision_required(), a.provision_required);
        },
        [](const proto::TraceExpectedItem& e) { return "worker=" + e.worker() + " request=" + e.request(); },
        [](const reconciler::Assignment& a) { return "worker=" + a.worker + " request=" + a.request; });
  }

  Diff Check(const proto::TraceState& e) {
    const std::string p = "expect_state";
    if (Diff d = Differ(p + ".last_update_us", e.last_update_us(), ToMicros(scheduler_.last_update()))) return d;

    const std::map<std::string, Balance> balance_map = scheduler_.Balances();
    const std::vector<std::pair<std::string, Balance>> balances(balance_map.begin(), balance_map.end());
    if (Diff d = CompareLists(
            p + ".balances", e.balances(), balances,
            [](const proto::TraceBalance& eb, const std::pair<std::string, Balance>& ab, const std::string& q) {
              if (Diff d = Differ(q + ".account", eb.account(), ab.first)) return d;
              return CompareFloats(q + ".balance", eb.balance(), ab.second);
            },
            [](const proto::TraceBalance& eb) { return "account " + eb.account(); },
            [](const std::pair<std::string, Balance>& ab) { return "account " + ab.first; })) {
      return d;
    }

    if (Diff d = CompareValues(p + ".queued", e.queued(), scheduler_.QueuedRequests())) return d;

    std::vector<WorkerView> running;
    std::vector<std::string> idle;
    for (WorkerView& w : scheduler_.Workers()) {
      if (w.run) {
        running.push_back(std::move(w));
      } else {
        idle.push_back(std::move(w.id));
      }
    }
    if (Diff d = CompareLists(
            p + ".running", e.running(), running,
            [](const proto::TraceRunning& er, const WorkerView& aw, const std::string& q) {
              if (Diff d = Differ(q + ".worker", er.worker(), aw.id)) return d;
              if (Diff d = Differ(q + ".request", er.request(), aw.run->request)) return d;
              if (Diff d = Differ(q + ".priority", er.priority(), aw.run->priority)) return d;
              return CompareFloats(q + ".cost", er.cost(), aw.run->cost);
            },
            [](const proto::TraceRunning& er) { return "worker=" + er.worker() + " request=" + er.request(); },
            [](const WorkerView& aw) { return "worker=" + aw.id + " request=" + aw.run->request; })) {
      return d;
    }
    if (Diff d = CompareValues(p + ".idle", e.idle(), idle)) return d;

    using Queue = std::pair<std::string, reconciler::WorkerQueue>;
    const std::vector<Queue> queues(state_.worker_queues().begin(), state_.worker_queues().end());
    if (Diff d = CompareLists(
            p + ".worker_queues", e.worker_queues(), queues,
            [](const proto::TraceWorkerQueue& eq, const Queue& aq, const std::string& q) {
              if (Diff d = Differ(q + ".worker", eq.worker(), aq.first)) return d;
              if (Diff d = Differ(q + ".assign", eq.assign(), aq.second.task_to_assign)) return d;
              if (Diff d = Differ(q + ".abort", eq.abort(), aq.second.task_to_abort)) return d;
              return Differ(q + ".enqueue_us", eq.enqueue_us(), ToMicros(aq.second.enqueue_time));
            },
            [](const proto::TraceWorkerQueue& eq) { return "worker=" + eq.worker() + " assign=" + eq.assign(); },
            [](const Queue& aq) { return "worker=" + aq.first + " assign=" + aq.second.task_to_assign; })) {
      return d;
    }

    using Error = std::pair<std::string, std::string>;
    const std::vector<Error> errors(state_.task_errors().begin(), state_.task_errors().end());
    return CompareLists(
        p + ".task_errors", e.task_errors(), errors,
        [](const proto::TraceTaskError& ee, const Error& ae, const std::string& q) {
          if (Diff d = Differ(q + ".request", ee.request(), ae.first)) return d;
          return Differ(q + ".error", ee.error(), ae.second);
        },
        [](const proto::TraceTaskError& ee) { return "request " + ee.request(); },
        [](const Error& ae) { return "request " + ae.first; });
  }

  Scheduler scheduler_;
  reconciler::State state_;
  RecordingEventSink sink_;
};

}  // namespace

std::string TraceOutcome::Summary() const {
  switch (result) {
    case Result::kPass:
      return "PASS " + name + " (" + std::to_string(ops) + " ops)";
    case Result::kFail:
      return "FAIL " + name + " line " + std::to_string(line) + " op " + op + ": " + difference;
    case Result::kBadInput:
      return error;
  }
  return error;
}

TraceOutcome ReplayTraceText(std::string_view text, std::string_view file, const ReplayOptions& options) {
  TraceOutcome outcome;
  StatusOr<internal::Trace> trace = internal::ParseTrace(text, file);
  if (!trace.ok()) {
    outcome.result = TraceOutcome::Result::kBadInput;
    outcome.name = std::string(file);
    outcome.error = trace.status().message();
    return outcome;
  }
  outcome.name = trace->name;
  outcome.ops = static_cast<int>(trace->ops.size());
  Replayer replayer(trace->start_us, trace->policy);
  const int every = options.roundtrip_every_n_ops;
  for (size_t i = 0; i < trace->ops.size(); ++i) {
    const TraceOp& op = trace->ops[i];
    Diff d;
    if (every > 0 && i % every == 0 && op.kind != OpKind::kRoundtrip) d = replayer.Roundtrip();
    if (!d) d = replayer.Run(op);
    if (d) {
      outcome.result = TraceOutcome::Result::kFail;
      outcome.line = op.line;
      outcome.op = std::string(internal::OpName(op.kind));
      outcome.difference = std::move(*d);
      return outcome;
    }
  }
  return outcome;
}

TraceOutcome ReplayTraceFile(const std::string& path, const ReplayOptions& options) {
  StatusOr<std::string> text = internal::ReadTraceText(path);
  if (!text.ok()) {
    TraceOutcome outcome;
    outcome.result = TraceOutcome::Result::kBadInput;
    outcome.name = path;
    outcome.error = text.status().message();
    return outcome;
  }
  return ReplayTraceText(*text, path, options);
}

}  // namespace qsim::replay

namespace qsim {

int RunReplayCommand(const std::vector<std::string>& files, bool verbose, std::ostream& out, std::ostream& err) {
  int passed = 0;
  int failed = 0;
  bool bad_input = false;
  for (const std::string& file : files) {
    replay::TraceOutcome outcome = replay::ReplayTraceFile(file);
    switch (outcome.result) {
      case replay::TraceOutcome::Result::kPass:
        ++passed;
        if (verbose) out << outcome.Summary() << "\n";
        break;
      case replay::TraceOutcome::Result::kFail:
        ++failed;
        out << outcome.Summary() << "\n";
        break;
      case replay::TraceOutcome::Result::kBadInput:
        ++failed;
        bad_input = true;
        err << outcome.Summary() << "\n";
        break;
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  if (bad_input) return 2;
  return failed > 0 ? 1 : 0;
}

}  // namespace qsim
