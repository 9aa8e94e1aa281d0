// The scheduler's persistent form (proto/state.proto). Written sorted by id;
// read back with every reference checked, so a damaged snapshot is an error,
// never a crash.
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <type_traits>

#include "proto/state.pb.h"
#include "scheduler/config_check.h"
#include "scheduler/internal/state.h"
#include "scheduler/policy_schema.h"
#include "scheduler/scheduler.h"

namespace qsim {

using internal::Request;
using internal::Worker;

namespace {

template <typename Field>
Status ReadBalance(const Field& values, const std::string& what, Balance& out) {
  if (values.size() > kNumPriorities) {
    return DataLoss(what + " has " + std::to_string(values.size()) + " values, at most 5 allowed");
  }
  out = Balance{};
  for (int i = 0; i < values.size(); ++i) out[i] = values.Get(i);
  return Status::Ok();
}

// A balance or a run's cost may not be NaN: no arithmetic of the library
// makes one from values it accepts. (A balance may be +inf: a finite charge
// rate times a finite max_charge_seconds can overflow float.)
Status RequireNoNaN(const Balance& values, const std::string& what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) return DataLoss(what + "[" + std::to_string(i) + "] is NaN");
  }
  return Status::Ok();
}

void WriteRequest(const Scheduler::Impl& s, const Request& r, proto::Request& out) {
  out.set_id(r.id);
  out.set_account(r.account);
  for (auto& l : s.BaseLabels(r)) out.add_base_labels(std::move(l));
  for (auto& l : s.ProvisionableLabels(r)) out.add_provisionable_labels(std::move(l));
  out.set_enqueue_us(ToMicros(r.enqueue_time));
  out.set_confirmed_us(ToMicros(r.confirmed_time));
  out.set_examined_us(ToMicros(r.examined_time()));
  for (const auto& t : r.tags) out.add_tags(t);
}

// Through reflection on the schema's proto names, so that a switch is listed
// once (scheduler/policy_schema.h). Every switch is written; a missing one
// reads as its default.
void WritePolicy(const Policy& p, proto::Policy& out) {
  const google::protobuf::Reflection& reflection = *out.GetReflection();
  ForEachPolicyField(p, [&](PolicyFieldName name, const auto& value) {
    const google::protobuf::FieldDescriptor* field = out.GetDescriptor()->FindFieldByName(std::string(name.proto));
    QSIM_CHECK(field != nullptr, "policy switch %s has no proto field", std::string(name.proto).c_str());
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, bool>) {
      reflection.SetBool(&out, field, value);
    } else if constexpr (std::is_same_v<T, Duration>) {
      reflection.SetInt64(&out, field, ToMicros(value));
    } else if constexpr (std::is_same_v<T, float>) {
      reflection.SetFloat(&out, field, value);
    } else {
      static_assert(std::is_same_v<T, int64_t>);
      reflection.SetInt64(&out, field, value);
    }
  });
}

Policy ReadPolicy(const proto::Policy& in) {
  Policy p;
  const google::protobuf::Reflection& reflection = *in.GetReflection();
  ForEachPolicyField(p, [&](PolicyFieldName name, auto& value) {
    const google::protobuf::FieldDescriptor* field = in.GetDescriptor()->FindFieldByName(std::string(name.proto));
    QSIM_CHECK(field != nullptr, "policy switch %s has no proto field", std::string(name.proto).c_str());
    if (!reflection.HasField(in, field)) return;
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, bool>) {
      value = reflection.GetBool(in, field);
    } else if constexpr (std::is_same_v<T, Duration>) {
      value = Micros(reflection.GetInt64(in, field));
    } else if constexpr (std::is_same_v<T, float>) {
      value = reflection.GetFloat(in, field);
    } else {
      static_assert(std::is_same_v<T, int64_t>);
      value = reflection.GetInt64(in, field);
    }
  });
  return p;
}

}  // namespace

proto::SchedulerSnapshot Scheduler::ToProto() const {
  const Impl& s = *impl_;
  proto::SchedulerSnapshot snapshot;
  proto::SchedulerConfig& config = *snapshot.mutable_config();
  for (const auto& [id, c] : s.accounts) {
    proto::AccountConfig& a = *config.add_accounts();
    a.set_id(id);
    for (float r : c.charge_rate) a.add_charge_rate(r);
    a.set_max_charge_seconds(c.max_charge_seconds);
    a.set_max_fanout(c.max_fanout);
    for (const auto& [prefix, limit] : c.per_label_task_limits) {
      proto::LabelLimit& l = *a.add_per_label_task_limits();
      l.set_prefix(prefix);
      l.set_limit(limit);
    }
    a.set_disable_free_tasks(c.disable_free_tasks);
    a.set_description(c.description);
  }
  WritePolicy(s.policy, *config.mutable_policy());

  proto::SchedulerState& state = *snapshot.mutable_state();
  state.set_last_update_us(ToMicros(s.last_update));
  for (const Request* r : s.queued.SortedById()) WriteRequest(s, *r, *state.add_queued());
  for (const auto& [id, w] : s.workers) {
    if (w->departed()) continue;
    proto::Worker& out = *state.add_workers();
    out.set_id(internal::IdString(w->id));
    for (const auto& l : s.LabelsOf(*w)) out.add_labels(l);
    out.set_confirmed_us(ToMicros(w->confirmed_time));
    out.set_modified_us(ToMicros(w->modified_time));
    if (w->run) {
      proto::Run& run = *out.mutable_run();
      WriteRequest(s, *w->run->request, *run.mutable_request());
      run.set_priority(w->run->priority);
      for (float c : s.CostOf(*w)) run.add_cost(c);
    }
  }
  for (const auto& [account, b] : s.balances) {
    proto::AccountBalance& out = *state.add_balances();
    out.set_account(account);
    for (float v : b) out.add_balance(v);
  }
  return snapshot;
}

StatusOr<Scheduler> Scheduler::NewFromProto(const proto::SchedulerSnapshot& snapshot) {
  const proto::SchedulerState& state = snapshot.state();
  const Policy policy = ReadPolicy(snapshot.config().policy());
  if (std::optional<ConfigProblem> bad = FindPolicyProblem(policy)) {
    return DataLoss("snapshot: policy." + bad->Describe());
  }
  Scheduler result = New(TimeFromMicros(state.last_update_us()), policy);
  Impl& s = *result.impl_;

  for (const auto& a : snapshot.config().accounts()) {
    if (a.id().empty()) return DataLoss("snapshot: an account config has an empty id");
    if (s.accounts.count(a.id())) return DataLoss("snapshot: account \"" + a.id() + "\" appears twice");
    AccountConfig c;
    QSIM_RETURN_IF_ERROR(ReadBalance(a.charge_rate(), "snapshot: account \"" + a.id() + "\" charge_rate",
                                     c.charge_rate));
    c.max_charge_seconds = a.max_charge_seconds();
    c.max_fanout = a.max_fanout();
    for (const auto& l : a.per_label_task_limits()) c.per_label_task_limits[l.prefix()] = l.limit();
    c.disable_free_tasks = a.disable_free_tasks();
    c.description = a.description();
    // Exactly AddAccount's rules (scheduler/config_check.h).
    if (std::optional<ConfigProblem> bad = FindAccountConfigProblem(c)) {
      return DataLoss("snapshot: account \"" + a.id() + "\" " + bad->Describe());
    }
    s.accounts.emplace(a.id(), std::move(c));
  }
  for (const auto& b : state.balances()) {
    if (!s.accounts.count(b.account())) {
      return DataLoss("snapshot: balance for unconfigured account \"" + b.account() + "\"");
    }
    QSIM_RETURN_IF_ERROR(
        ReadBalance(b.balance(), "snapshot: balance of \"" + b.account() + "\"", s.balances[b.account()]));
    QSIM_RETURN_IF_ERROR(RequireNoNaN(s.balances[b.account()], "snapshot: balance of \"" + b.account() + "\""));
  }
  for (const auto& [id, c] : s.accounts) s.balances.try_emplace(id, Balance{});
  s.account_index_stale = true;

  std::set<std::string> request_ids;
  auto read_request = [&](const proto::Request& in) -> StatusOr<std::unique_ptr<Request>> {
    if (in.id().empty()) return DataLoss("snapshot: a request has an empty id");
    if (!request_ids.insert(in.id()).second) {
      return DataLoss("snapshot: request \"" + in.id() + "\" appears twice");
    }
    RequestSpec spec{in.id(),
                     in.account(),
                     {in.base_labels().begin(), in.base_labels().end()},
                     {in.provisionable_labels().begin(), in.provisionable_labels().end()},
                     TimeFromMicros(in.enqueue_us()),
                     {in.tags().begin(), in.tags().end()}};
    auto r = s.MakeRequest(spec, TimeFromMicros(in.confirmed_us()));
    r->SetExamined(TimeFromMicros(in.examined_us()));
    return r;
  };

  for (const auto& q : state.queued()) {
    auto r = read_request(q);
    if (!r.ok()) return r.status();
    s.queued.Add(std::move(*r));
  }
  for (const auto& in : state.workers()) {
    if (in.id().empty()) return DataLoss("snapshot: a worker has an empty id");
    if (s.FindWorkerOrTombstone(in.id())) return DataLoss("snapshot: worker \"" + in.id() + "\" appears twice");
    Worker& w = s.AddWorker(in.id(), MakeLabelSet({in.labels().begin(), in.labels().end()}),
                            TimeFromMicros(in.confirmed_us()), TimeFromMicros(in.modified_us()));
    if (!in.has_run()) continue;
    const proto::Run& run = in.run();
    if (run.priority() < 0 || run.priority() > kFreeBucket) {
      return DataLoss("snapshot: worker \"" + in.id() + "\" runs at priority " +
                      std::to_string(run.priority()));
    }
    auto r = read_request(run.request());
    if (!r.ok()) return r.status();
    Balance cost;
    QSIM_RETURN_IF_ERROR(ReadBalance(run.cost(), "snapshot: cost on worker \"" + in.id() + "\"", cost));
    QSIM_RETURN_IF_ERROR(RequireNoNaN(cost, "snapshot: cost on worker \"" + in.id() + "\""));
    s.StartRun(w, std::move(*r), run.priority(), cost);
  }
  return result;
}

}  // namespace qsim
