// Differential test of the scheduling pass: random sessions drive the library
// through the reconciler's seed API (notifications, polls, task errors,
// restarts through bytes, policy and account changes). Before every pass the
// scheduler and reconciler states are snapshotted (ToProto), the plain
// reference of tests/reference_pass.h runs the same call on the snapshot,
// and every output must be equal: the answers, every event with every field
// (floats bit for bit), the SchedulerAssignments of a direct RunOnce, and the
// resulting states, byte for byte (balances, costs and examined times
// included).
//
// Sessions draw their own shape: deep queues, many label classes, small
// match_sort_cutoff, stale pairs on or off, large balances and low thresholds
// (promotions, demotions, preemption chains), the historic switches.
//
// Seeded; a failure names its seed and step. A few seconds by default; more:
//   QSIM_DIFF_SESSIONS=20000 [QSIM_DIFF_SEED=N] [QSIM_DIFF_STEPS=200] pass_differential_test
#include <gtest/gtest.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <google/protobuf/util/message_differencer.h>

#include <bit>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "proto/state.pb.h"
#include "reconciler/reconciler.h"
#include "reconciler/restart.h"
#include "tests/reference_pass.h"

namespace qsim {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr Time kStart = TimeFromMicros(1700000000000000);

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

void PutFloats(std::ostringstream& out, const char* name, const Balance& b) {
  out << " " << name << "=";
  for (float f : b) out << std::hex << std::bit_cast<uint32_t>(f) << std::dec << ",";
}

void PutLabels(std::ostringstream& out, const char* name, const std::vector<std::string>& labels) {
  out << " " << name << "=[";
  for (const auto& l : labels) out << l << ",";
  out << "]";
}

// Every field of an event; floats as their bits.
std::string EventKey(const TaskEvent& e) {
  std::ostringstream out;
  out << EventTypeName(e.type) << " t=" << ToMicros(e.time) << " task=" << e.task << " account=" << e.account;
  if (e.account_balance) PutFloats(out, "balance", *e.account_balance);
  PutLabels(out, "base", e.task_base_labels);
  PutLabels(out, "prov", e.task_provisionable_labels);
  out << " worker=" << e.worker;
  PutLabels(out, "wlabels", e.worker_labels);
  PutFloats(out, "cost", e.cost);
  PutLabels(out, "tags", e.tags);
  out << " p=" << e.priority << " preempting=" << e.preempting << " prov_req=" << e.provision_required
      << " victim=" << e.preempted_task;
  PutFloats(out, "pcost", e.preemption_cost);
  out << " by=" << e.preempting_task << "/" << e.preempting_account << "/" << e.preempting_priority
      << " old=" << e.old_priority << " new=" << e.new_priority << " reason=" << CompletedReasonName(e.reason)
      << " other=" << e.other_task << "/" << e.other_bot;
  return out.str();
}

std::string AssignmentKey(const SchedulerAssignment& a) {
  std::ostringstream out;
  out << (a.type == AssignmentType::kIdleWorker ? "idle " : "preempt ") << a.worker << "<-" << a.request
      << " abort=" << a.task_to_abort << " p=" << a.priority << " t=" << ToMicros(a.time)
      << " prov_req=" << a.provision_required;
  return out.str();
}

// Event counts over all sessions: the test proves nothing unless the
// sessions reach every kind of outcome.
struct Coverage {
  int64_t passes = 0, assigned = 0, preempted = 0, chains = 0, promoted = 0, demoted = 0, examined = 0;
  // Requests a pass left out (an account in the free bucket with free tasks
  // disabled), and left-out requests a later pass listed again.
  int64_t left_out = 0, listed_again = 0;
};

// UpdateTime(t) and RunOnce on `s` and, on its snapshot, on the reference:
// each side's assignments and events as keys (every field), and the
// reference's state after.
struct BothPasses {
  std::vector<std::string> got_assignments, want_assignments, got_events, want_events;
  std::vector<TaskEvent> got_event_list;
  reference::State want;
};
BothPasses RunBothPasses(Scheduler& s, Time t) {
  BothPasses out;
  out.want = reference::State::FromProto(s.ToProto());
  RecordingEventSink want_events, got_events;
  reference::UpdateTime(out.want, t);
  for (const auto& a : reference::RunOnce(out.want, &want_events)) out.want_assignments.push_back(AssignmentKey(a));
  s.UpdateTime(t);
  for (const auto& a : s.RunOnce(&got_events)) out.got_assignments.push_back(AssignmentKey(a));
  for (const auto& e : want_events.events) out.want_events.push_back(EventKey(e));
  for (const auto& e : got_events.events) out.got_events.push_back(EventKey(e));
  out.got_event_list = std::move(got_events.events);
  return out;
}

class Session {
 public:
  Session(uint64_t seed, Coverage& coverage) : rng_(seed), coverage_(coverage) {
    requests_ = 4 + Pick(Pick(4) == 0 ? 400 : 60);
    bots_ = 2 + Pick(Pick(3) == 0 ? 40 : 10);
    labels_ = 1 + Pick(Pick(3) == 0 ? 12 : 4);
  }

  int Pick(int n) { return boost::random::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Coin() { return Pick(2) == 1; }
  std::string Id(const char* prefix, int n) { return prefix + std::to_string(Pick(n)); }

  Policy RandomPolicy() {
    Policy p;
    p.disable_preemption = Pick(5) == 0;
    p.bot_expiration = Seconds(60 * (1 + Pick(20)));
    p.worker_queue_timeout = Minutes(1 + Pick(15));
    p.max_queue_age = Hours(1 + Pick(48));
    const float thresholds[] = {0, 30, 600};
    p.promote_threshold = thresholds[Pick(3)];
    p.demote_threshold = -thresholds[Pick(3)];
    p.enforce_fanout = Pick(4) == 0;
    p.enforce_per_label_limits = Pick(4) == 0;
    p.skip_stale_pairs = Pick(4) != 0;
    p.preempt_once_per_worker = Pick(4) == 0;
    const int64_t cutoffs[] = {50000, 50000, 1, 2, 3, 8};
    p.match_sort_cutoff = cutoffs[Pick(6)];
    return p;
  }

  AccountConfig RandomAccount() {
    AccountConfig c;
    // Some accounts earn nothing: with a balance at or below zero they stay
    // in the free bucket, and with free tasks disabled their requests are
    // left out of passes until the account changes.
    const bool earns = Pick(4) != 0;
    for (auto& r : c.charge_rate) r = earns ? 0.5f * static_cast<float>(Pick(7)) : 0;
    c.max_charge_seconds = static_cast<float>(60 * (1 + Pick(60)));
    c.disable_free_tasks = Pick(earns ? 6 : 2) == 0;
    c.max_fanout = Pick(3) == 0 ? 1 + Pick(3) : 0;
    const char* prefixes[] = {"os:", "pool:", "gpu:"};
    for (const char* prefix : prefixes) {
      if (Pick(4) == 0) c.per_label_task_limits[prefix] = Pick(4);
    }
    return c;
  }

  std::vector<float> RandomBalance() {
    std::vector<float> b(Pick(6));
    for (auto& v : b) v = static_cast<float>(Pick(6000) - 2000) + 0.25f * static_cast<float>(Pick(4));
    return b;
  }

  // Labels drawn from a corpus whose size the session chose: with many,
  // workers fall into many classes and requests into many label sets.
  std::string Label(const char* key) { return std::string(key) + std::to_string(Pick(labels_)); }

  std::vector<std::string> WorkerLabels() {
    std::vector<std::string> l{Label("os:"), Label("pool:")};
    if (Pick(3) == 0) l.push_back(Label("os:"));
    if (Coin()) l.push_back(Label("gpu:"));
    if (Coin()) l.push_back(Label("img:"));
    if (Pick(3) == 0) l.push_back(Label("img:"));
    return l;
  }

  void Start() {
    scheduler_.SetPolicy(RandomPolicy());
    for (int i = 0; i < 1 + Pick(4); ++i) {
      ASSERT_TRUE(scheduler_.AddAccount("acct" + std::to_string(i), RandomAccount(), RandomBalance()).ok());
    }
  }

  void Step(int step);

 private:
  void Waiting(Time t);
  void Poll(Time t, int step);
  void Tick(Time t, int step);
  void Expect(const std::string& what, const std::vector<std::string>& got, const std::vector<std::string>& want,
              int step);
  void ExpectSameState(const reference::State& want, const reference::Reconciler* want_rec, int step);
  void Count(const std::vector<TaskEvent>& events);
  // After a pass, from the reference's state: which requests it left out.
  void CountLeftOut(const reference::State& after);
  std::set<std::string> left_out_;  // left out by an earlier pass, still queued

  boost::random::mt19937_64 rng_;
  Coverage& coverage_;
  int requests_, bots_, labels_;
  Scheduler scheduler_ = Scheduler::New(kStart);
  reconciler::State state_ = reconciler::State::New();
  Time now_ = kStart;
};

void Session::Waiting(Time t) {
  reconciler::TaskWaitingRequest r;
  r.account = Pick(10) == 0 ? "" : Id("acct", 5);
  if (Pick(3) != 0) r.base_labels.push_back(Label("os:"));
  if (Pick(3) == 0) r.base_labels.push_back(Label("pool:"));
  if (Pick(4) == 0) r.base_labels.push_back(Label("gpu:"));
  if (Coin()) r.provisionable_labels.push_back(Label("img:"));
  r.request = Id("t", requests_);
  r.enqueue_time = t - Seconds(Pick(6) == 0 ? 60 * 60 * 47 : Pick(600));
  r.tags = {"tag" + std::to_string(Pick(3))};
  r.time = t;
  ASSERT_TRUE(state_.NotifyTaskWaiting(scheduler_, nullptr, r).ok());
}

void Session::Step(int step) {
  now_ += Micros(Pick(3) == 0 ? 0 : boost::random::uniform_int_distribution<int64_t>(1, 90000000)(rng_));
  const Time t = Pick(12) == 0 ? now_ - Seconds(Pick(300)) : now_;  // late news
  const int op = Pick(100);
  if (op < 2) {
    ASSERT_TRUE(scheduler_.AddAccount(Id("acct", 5), RandomAccount(), RandomBalance()).ok());
  } else if (op < 3) {
    ASSERT_TRUE(scheduler_.DeleteAccount(Id("acct", 5)).ok());
  } else if (op < 5) {
    scheduler_.SetPolicy(RandomPolicy());
  } else if (op < 7) {
    Status restarted = reconciler::RestartThroughBytes(scheduler_, state_);
    ASSERT_TRUE(restarted.ok()) << restarted.message();
  } else if (op < 40) {
    // Bursts fill deep queues.
    for (int i = Pick(4) == 0 ? 1 + Pick(30) : 1; i > 0; --i) Waiting(t);
  } else if (op < 66) {
    Poll(t, step);
  } else if (op < 72) {
    Tick(t, step);
  } else if (op < 84) {
    ASSERT_TRUE(state_.NotifyTaskRunning(scheduler_, nullptr, {Id("t", requests_), Id("bot", bots_), t}).ok());
  } else if (op < 95) {
    ASSERT_TRUE(state_.NotifyTaskAbsent(scheduler_, nullptr, {Id("t", requests_), Id("bot", bots_), t}).ok());
  } else {
    ASSERT_TRUE(state_.AddTaskError(Id("t", requests_), "boom").ok());
  }
}

// AssignTasks, checked against the reference's §6.
void Session::Poll(Time t, int step) {
  std::vector<reconciler::IdleWorker> polls;
  std::vector<reference::Poll> ref_polls;
  for (int i = Pick(Pick(3) == 0 ? bots_ + 1 : 5); i > 0; --i) {
    polls.push_back({Id("bot", bots_), Pick(6) == 0 ? WorkerLabels() : std::vector<std::string>{}});
    // Most bots keep their labels: a worker's first labels stick to its id.
    if (polls.back().labels.empty()) {
      uint64_t h = 1469598103934665603ull;  // FNV-1a of the id: stable everywhere
      for (char c : polls.back().id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      boost::random::mt19937_64 own(h ^ static_cast<uint64_t>(labels_));
      std::swap(rng_, own);
      polls.back().labels = WorkerLabels();
      std::swap(rng_, own);
    }
    ref_polls.push_back({polls.back().id, polls.back().labels});
  }
  reference::State want = reference::State::FromProto(scheduler_.ToProto());
  reference::Reconciler want_rec = reference::Reconciler::FromProto(state_.ToProto());
  RecordingEventSink want_events, got_events;
  const std::vector<reference::Answer> answers = reference::AssignTasks(want, want_rec, t, ref_polls, &want_events);
  StatusOr<std::vector<reconciler::Assignment>> got = state_.AssignTasks(scheduler_, t, &got_events, polls);
  ASSERT_TRUE(got.ok()) << got.status().message();
  std::vector<std::string> got_keys, want_keys;
  for (const auto& a : *got) got_keys.push_back(a.worker + "<-" + a.request + (a.provision_required ? "+" : ""));
  for (const auto& a : answers) want_keys.push_back(a.worker + "<-" + a.request + (a.provision_required ? "+" : ""));
  Expect("answers", got_keys, want_keys, step);
  got_keys.clear();
  want_keys.clear();
  for (const auto& e : got_events.events) got_keys.push_back(EventKey(e));
  for (const auto& e : want_events.events) want_keys.push_back(EventKey(e));
  Expect("events", got_keys, want_keys, step);
  ExpectSameState(want, &want_rec, step);
  Count(got_events.events);
  CountLeftOut(want);
}

// UpdateTime and RunOnce on the scheduler alone: the assignments' every field.
void Session::Tick(Time t, int step) {
  const BothPasses both = RunBothPasses(scheduler_, t);
  Expect("assignments", both.got_assignments, both.want_assignments, step);
  Expect("events", both.got_events, both.want_events, step);
  ExpectSameState(both.want, nullptr, step);
  Count(both.got_event_list);
  CountLeftOut(both.want);
}

void Session::CountLeftOut(const reference::State& after) {
  std::set<std::string> now_left_out;
  for (const auto& [id, r] : after.queued) {
    if (r.examined_time == after.last_update) {  // listed by the pass
      coverage_.listed_again += left_out_.count(id);
      continue;
    }
    const auto config = after.accounts.find(r.account);
    if (config == after.accounts.end() || !config->second.disable_free_tasks) continue;
    ++coverage_.left_out;
    now_left_out.insert(id);
  }
  left_out_ = std::move(now_left_out);
}

void Session::Expect(const std::string& what, const std::vector<std::string>& got,
                     const std::vector<std::string>& want, int step) {
  if (got == want) return;
  std::ostringstream out;
  out << "step " << step << ": " << what << " differ\n";
  for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    const std::string g = i < got.size() ? got[i] : "(none)";
    const std::string w = i < want.size() ? want[i] : "(none)";
    out << (g == w ? "   " : "!! ") << "library:   " << g << "\n" << (g == w ? "   " : "!! ") << "reference: " << w
        << "\n";
  }
  ADD_FAILURE() << out.str();
}

void Session::ExpectSameState(const reference::State& want, const reference::Reconciler* want_rec, int step) {
  const proto::SchedulerSnapshot got = scheduler_.ToProto();
  const proto::SchedulerSnapshot expected = want.ToProto();
  // Bytes, so that floats compare bit for bit (-0 and 0 differ).
  if (got.SerializeAsString() != expected.SerializeAsString()) {
    std::string diff;
    MessageDifferencer d;
    d.ReportDifferencesToString(&diff);
    d.Compare(expected, got);
    ADD_FAILURE() << "step " << step << ": scheduler states differ (reference -> library)\n" << diff;
  }
  if (!want_rec) return;
  if (state_.ToProto().SerializeAsString() != want_rec->ToProto().SerializeAsString()) {
    ADD_FAILURE() << "step " << step << ": reconciler states differ\nlibrary:\n"
                  << state_.ToProto().DebugString() << "reference:\n"
                  << want_rec->ToProto().DebugString();
  }
}

void Session::Count(const std::vector<TaskEvent>& events) {
  ++coverage_.passes;
  std::string last_preempted_by;
  for (const TaskEvent& e : events) {
    coverage_.assigned += e.type == EventType::kAssigned;
    if (e.type == EventType::kPreempted) {
      ++coverage_.preempted;
      // A chain: the victim itself preempted someone in this pass.
      coverage_.chains += e.task == last_preempted_by;
      last_preempted_by = e.preempting_task;
    }
    if (e.type == EventType::kReprioritized) {
      (e.new_priority < e.old_priority ? coverage_.promoted : coverage_.demoted) += 1;
    }
  }
  coverage_.examined += static_cast<int64_t>(scheduler_.NumQueued());
}

TEST(PassDifferential, LibraryPassEqualsTheStepByStepReference) {
  const uint64_t sessions = EnvOr("QSIM_DIFF_SESSIONS", 1500);
  const uint64_t first_seed = EnvOr("QSIM_DIFF_SEED", 1);
  const int steps = static_cast<int>(EnvOr("QSIM_DIFF_STEPS", 120));
  Coverage coverage;
  for (uint64_t seed = first_seed; seed < first_seed + sessions; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun: QSIM_DIFF_SEED=" + std::to_string(seed) +
                 " QSIM_DIFF_SESSIONS=1)");
    Session session(seed, coverage);
    session.Start();
    for (int step = 0; step < steps && !HasFailure(); ++step) session.Step(step);
    if (HasFailure()) return;
  }
  std::cout << "passes " << coverage.passes << ", assigned " << coverage.assigned << ", preempted "
            << coverage.preempted << " (chained " << coverage.chains << "), promoted " << coverage.promoted
            << ", demoted " << coverage.demoted << ", queued at passes " << coverage.examined << ", left out "
            << coverage.left_out << " (listed again " << coverage.listed_again << ")\n";
  // Unless the sessions reach every outcome, the comparison proves little.
  const auto n = static_cast<int64_t>(sessions);
  EXPECT_GT(coverage.assigned, n * 5);
  EXPECT_GT(coverage.preempted, n / 10);
  EXPECT_GT(coverage.chains, 0);
  EXPECT_GT(coverage.promoted, n / 20);
  EXPECT_GT(coverage.demoted, n / 20);
  EXPECT_GT(coverage.left_out, n);
  EXPECT_GT(coverage.listed_again, n / 20);
}

// The sessions above are small, so a pass matches idle workers against a
// level's list through the label bit matrix. A fleet whose every bot has a
// label of its own makes that matrix quadratic in the fleet, and the pass
// matches worker by worker instead: 12,000 such bots (past the matrix's
// bound, 2^21 words), two passes, levels of both kinds, stale pairs on, a
// cutoff of 1 (every level matched by worker), against the reference.
TEST(PassDifferential, FleetOfDistinctLabelsMatchesWorkerByWorkerLikeTheReference) {
  Policy policy;
  policy.match_sort_cutoff = 1;
  policy.skip_stale_pairs = true;
  Scheduler s = Scheduler::New(kStart, policy);
  AccountConfig config;
  config.charge_rate = {1, 1, 1, 1, 1};
  config.max_charge_seconds = 600;
  const std::vector<float> balance{100, 0, 0, 0, 0};
  ASSERT_TRUE(s.AddAccount("acct", config, balance).ok());
  constexpr int kBots = 12000;
  for (int i = 0; i < kBots; ++i) {
    const std::string id = "bot" + std::to_string(i);
    ASSERT_TRUE(s.MarkIdle(id, {"id:" + id, i % 3 == 0 ? "os:linux" : "os:mac", "pool:" + std::to_string(i % 7)},
                           kStart, nullptr)
                    .ok());
  }
  auto add = [&](int n, Time t) {
    for (int i = 0; i < n; ++i) {
      RequestSpec r;
      r.id = "t" + std::to_string(t.time_since_epoch().count()) + "-" + std::to_string(i);
      r.account = i % 4 == 0 ? "" : "acct";
      if (i % 5 == 0) {
        r.base_labels = {"id:bot" + std::to_string((i * 7919) % kBots)};
      } else {
        r.base_labels = {i % 2 == 0 ? "os:linux" : "os:mac"};
        if (i % 3 == 0) r.base_labels.push_back("pool:" + std::to_string(i % 7));
      }
      if (i % 6 == 0) r.provisionable_labels = {"pool:" + std::to_string(i % 5)};
      r.enqueue_time = t;
      ASSERT_TRUE(s.AddRequest(r, t, nullptr).ok());
    }
  };
  for (int pass = 0; pass < 2; ++pass) {
    const Time t = kStart + Seconds(1 + pass);
    add(300, t);
    const BothPasses both = RunBothPasses(s, t);
    ASSERT_GT(both.want_assignments.size(), 100u);
    EXPECT_EQ(both.got_assignments, both.want_assignments) << "pass " << pass;
    EXPECT_EQ(both.got_events, both.want_events) << "pass " << pass;
    EXPECT_EQ(s.ToProto().SerializeAsString(), both.want.ToProto().SerializeAsString()) << "pass " << pass;
  }
}

}  // namespace
}  // namespace qsim
