// Unit tests, one per rule of docs/scheduler.md.
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "base/short_id.h"
#include "proto/state.pb.h"

namespace qsim {
namespace {

constexpr Time kT0 = TimeFromMicros(1700000000000000);

RequestSpec Req(const std::string& id, const std::string& account, std::vector<std::string> base = {},
                std::vector<std::string> provisionable = {}, Time enqueue = kT0) {
  return RequestSpec{id, account, std::move(base), std::move(provisionable), enqueue, {}};
}

AccountConfig Rates(Balance rate, float max_charge_seconds) {
  AccountConfig c;
  c.charge_rate = rate;
  c.max_charge_seconds = max_charge_seconds;
  return c;
}

std::vector<EventType> Types(const RecordingEventSink& sink) {
  std::vector<EventType> out;
  for (const auto& e : sink.events) out.push_back(e.type);
  return out;
}

// A scheduler with `account` able to pay at level 0, and worker `w1` running
// request `run` of `running_account` at `running_priority` (free bucket by default).
struct Fixture {
  Scheduler s = Scheduler::New(kT0);
  RecordingEventSink sink;

  void Idle(const std::string& w, std::vector<std::string> labels = {}, Time t = kT0) {
    ASSERT_TRUE(s.MarkIdle(w, std::move(labels), t, &sink).ok());
  }
  void Queue(const RequestSpec& r, Time t = kT0) { ASSERT_TRUE(s.AddRequest(r, t, &sink).ok()); }
  std::vector<SchedulerAssignment> Pass() { return s.RunOnce(&sink); }
};

// --- label sets ---

TEST(LabelSets, SortedAndDeduplicatedWhateverTheInputOrder) {
  EXPECT_EQ(MakeLabelSet({"b", "a", "b", "c"}), (LabelSet{"a", "b", "c"}));
  EXPECT_EQ(MakeLabelSet({"a", "b", "c"}), (LabelSet{"a", "b", "c"}));  // already a set: kept
  EXPECT_EQ(MakeLabelSet({"a", "a"}), (LabelSet{"a"}));                 // ascending, not strictly
  EXPECT_EQ(MakeLabelSet({"a", "c", "b"}), (LabelSet{"a", "b", "c"}));  // out of order late
  EXPECT_EQ(MakeLabelSet({}), LabelSet{});
}

// --- §2 time and balances ---

TEST(SchedulerTime, BalanceRechargesAtRateUpToCap) {
  Scheduler s = Scheduler::New(kT0);
  ASSERT_TRUE(s.AddAccount("a", Rates({1, 2, 0, 0, 0}, 100), std::vector<float>{10}).ok());
  s.UpdateTime(kT0 + Seconds(30));
  EXPECT_EQ(*s.GetBalance("a"), (Balance{40, 60, 0, 0, 0}));
  s.UpdateTime(kT0 + Seconds(300));
  EXPECT_EQ(*s.GetBalance("a"), (Balance{100, 200, 0, 0, 0}));  // capped at rate * max_charge_seconds
}

TEST(SchedulerTime, RunningWorkChargesAccountAndAccumulatesCost) {
  Fixture f;
  ASSERT_TRUE(f.s.AddAccount("a", Rates({0.5, 0, 0, 0, 0}, 1000), std::vector<float>{100}).ok());
  f.Queue(Req("r", "a"));
  f.Idle("w");
  ASSERT_EQ(f.Pass().size(), 1u);
  f.s.UpdateTime(kT0 + Seconds(10));
  // 100 - 10 * 1 running + 10 * 0.5 recharge
  EXPECT_EQ(f.s.GetBalance("a")->at(0), 95.0f);
  EXPECT_EQ(f.s.GetWorker("w")->run->cost, (Balance{10, 0, 0, 0, 0}));
}

TEST(SchedulerTime, BalanceAboveCapIsLeftAboveIt) {
  Scheduler s = Scheduler::New(kT0);
  ASSERT_TRUE(s.AddAccount("a", Rates({1, 0, 0, 0, 0}, 10), std::vector<float>{50}).ok());
  s.UpdateTime(kT0 + Seconds(5));
  EXPECT_EQ(s.GetBalance("a")->at(0), 50.0f);
}

TEST(SchedulerTime, EarlierTimeIsIgnored) {
  Scheduler s = Scheduler::New(kT0);
  ASSERT_TRUE(s.AddAccount("a", Rates({1, 0, 0, 0, 0}, 100)).ok());
  s.UpdateTime(kT0 + Seconds(10));
  s.UpdateTime(kT0 + Seconds(5));
  EXPECT_EQ(s.last_update(), kT0 + Seconds(10));
  EXPECT_EQ(s.GetBalance("a")->at(0), 10.0f);
}

TEST(SchedulerTime, ElapsedSecondsAreFloat32OfWholePlusNanos) {
  Scheduler s = Scheduler::New(kT0);
  ASSERT_TRUE(s.AddAccount("a", Rates({1, 0, 0, 0, 0}, 1e9)).ok());
  s.UpdateTime(kT0 + Micros(1234567));
  EXPECT_EQ(s.GetBalance("a")->at(0), static_cast<float>(1.0 + 234567000.0 / 1e9));
}

TEST(SchedulerTime, IdleWorkerExpiresAfterBotExpiration) {
  Policy policy;
  policy.bot_expiration = Seconds(60);
  Scheduler s = Scheduler::New(kT0, policy);
  ASSERT_TRUE(s.MarkIdle("w", {}, kT0, nullptr).ok());
  s.UpdateTime(kT0 + Seconds(60));
  EXPECT_TRUE(s.GetWorker("w").has_value()) << "expiry is strictly after bot_expiration";
  s.UpdateTime(kT0 + Seconds(60) + Micros(1));
  EXPECT_FALSE(s.GetWorker("w").has_value());
}

TEST(SchedulerTime, BusyWorkerDoesNotExpire) {
  Fixture f;
  f.Queue(Req("r", ""));
  f.Idle("w");
  ASSERT_EQ(f.Pass().size(), 1u);
  f.s.UpdateTime(kT0 + Hours(1));
  EXPECT_TRUE(f.s.GetWorker("w").has_value());
}

// --- §3 accounts ---

TEST(SchedulerAccounts, RejectsMisuseWithoutChangingState) {
  Scheduler s = Scheduler::New(kT0);
  std::vector<float> six(6, 1.0f);
  Status st = s.AddAccount("a", AccountConfig{}, six);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("at most 5"), std::string::npos);
  EXPECT_NE(st.message().find("AddAccount(a)"), std::string::npos);
  EXPECT_FALSE(s.AddAccount("", AccountConfig{}).ok());
  EXPECT_FALSE(s.AddAccount("b", Rates({-1, 0, 0, 0, 0}, 10)).ok());
  EXPECT_TRUE(s.Balances().empty());
}

TEST(SchedulerAccounts, AddAccountResetsBalanceOfExistingAccount) {
  Scheduler s = Scheduler::New(kT0);
  ASSERT_TRUE(s.AddAccount("a", Rates({1, 0, 0, 0, 0}, 100), std::vector<float>{5, 6}).ok());
  s.UpdateTime(kT0 + Seconds(10));
  ASSERT_TRUE(s.AddAccount("a", Rates({2, 0, 0, 0, 0}, 100), std::vector<float>{1}).ok());
  EXPECT_EQ(*s.GetBalance("a"), (Balance{1, 0, 0, 0, 0}));
}

TEST(SchedulerAccounts, UnknownAccountRunsOnlyInFreeBucket) {
  Fixture f;
  f.Queue(Req("r", "nobody"));
  f.Idle("w");
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].priority, kFreeBucket);
}

TEST(SchedulerAccounts, BestPriorityIsFirstPositiveLevel) {
  EXPECT_EQ(BestPriority({0, -1, 3, 4, 0}), 2);
  EXPECT_EQ(BestPriority({0, 0, 0, 0, 0}), kFreeBucket);
}

// --- §4 notifications ---

TEST(SchedulerAddRequest, QueuedRequestOnlyRefreshesConfirmedTime) {
  Fixture f;
  f.Queue(Req("r", "a", {"x"}));
  f.Queue(Req("r", "b", {"y"}), kT0 + Seconds(5));
  auto r = f.s.GetRequest("r");
  EXPECT_EQ(r->account, "a");
  EXPECT_EQ(r->base_labels, LabelSet{"x"});
  EXPECT_EQ(r->confirmed_time, kT0 + Seconds(5));
  EXPECT_EQ(Types(f.sink), std::vector<EventType>{EventType::kEnqueued});
}

TEST(SchedulerAddRequest, RunningRequestIsRequeuedWhenNotificationIsNewer) {
  Fixture f;
  f.Queue(Req("r", ""));
  f.Idle("w");
  f.Pass();
  f.Queue(Req("r", ""), kT0 - Seconds(1));  // stale: nothing happens
  EXPECT_TRUE(f.s.IsAssigned("r", "w"));
  f.Queue(Req("r", ""), kT0 + Seconds(1));
  EXPECT_FALSE(f.s.GetWorker("w").has_value()) << "the worker is removed";
  auto r = f.s.GetRequest("r");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->confirmed_time, kT0 + Seconds(1));
  EXPECT_EQ(r->examined_time, Time{});
  EXPECT_EQ(f.sink.events.back().type, EventType::kEnqueued);
}

TEST(SchedulerMarkIdle, StaleMarkIdleIsIgnored) {
  Fixture f;
  f.Idle("w", {"a"}, kT0 + Seconds(10));
  f.Idle("w", {"b"}, kT0 + Seconds(5));
  EXPECT_EQ(f.s.GetWorker("w")->labels, LabelSet{"a"});
}

TEST(SchedulerMarkIdle, WrongHashIsRejectedNotAddedTwice) {
  Fixture f;
  f.Idle("w", {"a"});
  const uint64_t wrong = HashId("w") ^ 1;
  const Status st = f.s.MarkIdle("w", wrong, {"b"}, kT0 + Seconds(1), &f.sink);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("worker_hash"), std::string::npos) << st.message();
  EXPECT_EQ(f.s.NumWorkers(), 1u);
  EXPECT_EQ(f.s.GetWorker("w")->labels, LabelSet{"a"});
  EXPECT_EQ(f.s.MarkIdle("new", wrong, {}, kT0, &f.sink).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.s.NumWorkers(), 1u);
  EXPECT_TRUE(f.s.MarkIdle("w", HashId("w"), {"b"}, kT0 + Seconds(1), &f.sink).ok());
  EXPECT_EQ(f.s.GetWorker("w")->labels, LabelSet{"b"});
}

TEST(SchedulerMarkIdle, LabelChangeSetsModifiedTime) {
  Fixture f;
  f.Idle("w", {"a"});
  f.s.UpdateTime(kT0 + Seconds(30));
  f.Idle("w", {"a"}, kT0 + Seconds(30));
  EXPECT_EQ(f.s.GetWorker("w")->modified_time, kT0);
  f.Idle("w", {"b", "a"}, kT0 + Seconds(31));
  EXPECT_EQ(f.s.GetWorker("w")->modified_time, kT0 + Seconds(30));
  EXPECT_EQ(f.s.GetWorker("w")->confirmed_time, kT0 + Seconds(31));
}

TEST(SchedulerMarkIdle, BusyWorkerPollingCompletesItsRequest) {
  Fixture f;
  f.Queue(Req("r", ""));
  f.Idle("w");
  f.Pass();
  f.Idle("w", {}, kT0 + Seconds(1));
  ASSERT_EQ(f.sink.events.back().type, EventType::kCompleted);
  EXPECT_EQ(f.sink.events.back().reason, CompletedReason::kBotIdle);
  EXPECT_FALSE(f.s.GetRequest("r").has_value());
  EXPECT_FALSE(f.s.GetWorker("w")->run.has_value());
}

TEST(SchedulerNotifyRunning, ConfirmsMatchingRun) {
  Fixture f;
  f.Queue(Req("r", ""));
  f.Idle("w");
  f.Pass();
  ASSERT_TRUE(f.s.NotifyTaskRunning("r", "w", kT0 + Seconds(3), &f.sink).ok());
  EXPECT_EQ(f.s.GetWorker("w")->confirmed_time, kT0 + Seconds(3));
  EXPECT_EQ(f.s.GetRequest("r")->confirmed_time, kT0 + Seconds(3));
}

TEST(SchedulerNotifyRunning, RunOnOtherWorkerRemovesBoth) {
  Fixture f;
  f.Queue(Req("r1", ""));
  f.Queue(Req("r2", ""));
  f.Idle("v");
  f.Idle("w");
  f.Pass();  // v runs r1, w runs r2
  ASSERT_TRUE(f.s.IsAssigned("r1", "v"));
  f.sink.events.clear();
  ASSERT_TRUE(f.s.NotifyTaskRunning("r1", "w", kT0 + Seconds(1), &f.sink).ok());
  ASSERT_EQ(f.sink.events.size(), 2u);
  EXPECT_EQ(f.sink.events[0].reason, CompletedReason::kInconsistentBotForTask);
  EXPECT_EQ(f.sink.events[0].other_bot, "w");
  EXPECT_EQ(f.sink.events[1].reason, CompletedReason::kInconsistentTaskForBot);
  EXPECT_EQ(f.sink.events[1].task, "r2");
  EXPECT_EQ(f.sink.events[1].other_task, "r1");
  EXPECT_EQ(f.s.NumWorkers(), 0u);
  EXPECT_EQ(f.s.NumRunning(), 0u);
}

TEST(SchedulerNotifyRunning, NeverStartsTrackingARun) {
  Fixture f;
  f.Queue(Req("r", ""));
  ASSERT_TRUE(f.s.NotifyTaskRunning("r", "ghost", kT0 + Seconds(1), &f.sink).ok());
  EXPECT_FALSE(f.s.IsAssigned("r", "ghost"));
  EXPECT_EQ(f.s.NumQueued(), 1u);
  EXPECT_FALSE(f.s.NotifyTaskRunning("", "w", kT0, &f.sink).ok());
}

TEST(SchedulerNotifyRunning, StaleNotificationIsIgnored) {
  Fixture f;
  f.Queue(Req("r", ""), kT0 + Seconds(10));
  f.Idle("w", {}, kT0 + Seconds(10));
  f.s.UpdateTime(kT0 + Seconds(10));
  f.Pass();
  f.Queue(Req("q", ""), kT0 + Seconds(10));
  ASSERT_TRUE(f.s.NotifyTaskRunning("q", "w", kT0 + Seconds(5), &f.sink).ok());
  EXPECT_TRUE(f.s.IsAssigned("r", "w"));
}

TEST(SchedulerNotifyAbsent, RunningAndQueuedCases) {
  Fixture f;
  f.Queue(Req("r", ""));
  f.Idle("w");
  f.Pass();
  f.Queue(Req("q", ""), kT0 + Seconds(10));
  ASSERT_TRUE(f.s.NotifyTaskAbsent("q", kT0 + Seconds(9), &f.sink).ok());
  EXPECT_EQ(f.s.NumQueued(), 1u) << "older than the request's confirmation";
  ASSERT_TRUE(f.s.NotifyTaskAbsent("q", kT0 + Seconds(10), &f.sink).ok());
  EXPECT_EQ(f.s.NumQueued(), 0u);
  EXPECT_EQ(f.sink.events.back().reason, CompletedReason::kIdleTaskAbsent);
  ASSERT_TRUE(f.s.NotifyTaskAbsent("r", kT0 + Seconds(1), &f.sink).ok());
  EXPECT_EQ(f.sink.events.back().reason, CompletedReason::kRunningTaskAbsent);
  EXPECT_FALSE(f.s.GetWorker("w").has_value());
  ASSERT_TRUE(f.s.NotifyTaskAbsent("unknown", kT0, &f.sink).ok());
}

// Ended requests' objects are reused (Impl::spare_requests): a new request
// must carry only its own fields, never a finished one's leftovers.
TEST(SchedulerAddRequest, NewRequestAfterEndedOnesHasOnlyItsOwnFields) {
  Fixture f;
  RequestSpec big{"a-long-request-id-that-is-not-inline", "acct-1", {"z", "y", "x", "y"}, {"p1", "p2"},
                  kT0, {"t1", "t2", "t3"}};
  f.Queue(big);
  f.Idle("w", {"x", "y", "z", "p1", "p2"});
  ASSERT_EQ(f.Pass().size(), 1u);
  f.Idle("w", {"x", "y", "z", "p1", "p2"}, kT0 + Seconds(1));  // ends the run: its request is spare
  f.Queue(Req("q-gone", "acct-3", {"k"}));
  ASSERT_TRUE(f.s.NotifyTaskAbsent("q-gone", kT0 + Seconds(2), &f.sink).ok());  // spare too
  const Time enqueue = kT0 + Seconds(3);
  f.Queue(RequestSpec{"b", "", {"x"}, {}, enqueue, {"only"}}, enqueue);
  f.Queue(RequestSpec{"c", "acct-2", {}, {"p2"}, enqueue, {}}, enqueue);
  std::optional<RequestView> b = f.s.GetRequest("b");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->id, "b");
  EXPECT_EQ(b->account, "");
  EXPECT_EQ(b->base_labels, (LabelSet{"x"}));
  EXPECT_TRUE(b->provisionable_labels.empty());
  EXPECT_EQ(b->tags, (std::vector<std::string>{"only"}));
  EXPECT_EQ(b->confirmed_time, enqueue);
  EXPECT_EQ(b->examined_time, Time{});
  std::optional<RequestView> c = f.s.GetRequest("c");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->account, "acct-2");
  EXPECT_TRUE(c->base_labels.empty());
  EXPECT_EQ(c->provisionable_labels, (LabelSet{"p2"}));
  EXPECT_TRUE(c->tags.empty());
  EXPECT_EQ(f.s.QueuedRequests(), (std::vector<std::string>{"b", "c"}));
}

// ConfirmQueuedRun looks ids up several at a time (prefetching ahead): it
// must still confirm exactly the leading queued ids, for runs shorter and
// longer than its look-ahead.
TEST(SchedulerAddRequest, ConfirmQueuedRunConfirmsExactlyTheLeadingQueuedIds) {
  Fixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back("r" + std::to_string(i));
  for (const std::string& id : ids) f.Queue(Req(id, ""));
  std::vector<std::string_view> run(ids.begin(), ids.end());
  EXPECT_EQ(f.s.ConfirmQueuedRun(run, kT0 + Seconds(5)), 40u);
  EXPECT_EQ(f.s.GetRequest("r39")->confirmed_time, kT0 + Seconds(5));
  run[13] = "absent";
  EXPECT_EQ(f.s.ConfirmQueuedRun(run, kT0 + Seconds(7)), 13u);
  EXPECT_EQ(f.s.GetRequest("r12")->confirmed_time, kT0 + Seconds(7));
  EXPECT_EQ(f.s.GetRequest("r14")->confirmed_time, kT0 + Seconds(5)) << "after the stop: untouched";
  EXPECT_EQ(f.s.ConfirmQueuedRun(std::span<const std::string_view>(run.data(), 3), kT0 + Seconds(9)), 3u);
  EXPECT_EQ(f.s.GetRequest("r3")->confirmed_time, kT0 + Seconds(7));
  EXPECT_EQ(f.s.ConfirmQueuedRun({}, kT0), 0u);
}

TEST(SchedulerUnassign, RequeuesKeepingTimesOrDropsAfter46Hours) {
  Fixture f;
  f.Queue(Req("r", "", {}, {}, kT0 - Hours(1)));
  f.Queue(Req("old", "", {}, {}, kT0 - Hours(47)));
  f.Idle("w1");
  f.Idle("w2");
  f.Pass();
  const std::string old_worker = f.s.IsAssigned("old", "w1") ? "w1" : "w2";
  const std::string r_worker = old_worker == "w1" ? "w2" : "w1";
  EXPECT_FALSE(f.s.Unassign("r", old_worker, kT0, &f.sink).ok()) << "not running there";
  ASSERT_TRUE(f.s.Unassign("r", r_worker, kT0 + Minutes(10), &f.sink).ok());
  EXPECT_EQ(f.sink.events.back().type, EventType::kUnassigned);
  auto r = f.s.GetRequest("r");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->enqueue_time, kT0 - Hours(1));
  EXPECT_EQ(r->confirmed_time, kT0) << "same object, times kept";
  EXPECT_FALSE(f.s.GetWorker(r_worker).has_value());
  ASSERT_TRUE(f.s.Unassign("old", old_worker, kT0 + Minutes(10), &f.sink).ok());
  EXPECT_FALSE(f.s.GetRequest("old").has_value());
}

// --- §5 the pass ---

TEST(SchedulerPass, ProvisionMatchBeatsEarlierPlainMatch) {
  Fixture f;
  f.Queue(Req("r1", "", {"pool"}, {"img:a"}, kT0));
  f.Queue(Req("r2", "", {"pool"}, {"img:b"}, kT0 + Seconds(1)));
  f.Idle("w", {"pool", "img:b"});
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].request, "r2");
  EXPECT_FALSE(out[0].provision_required);
}

TEST(SchedulerPass, HigherQualityFirstThenListOrder) {
  Fixture f;
  f.Queue(Req("r1", "", {}, {}, kT0));
  f.Queue(Req("r2", "", {"a", "b"}, {}, kT0 + Seconds(2)));
  f.Queue(Req("r3", "", {"a"}, {}, kT0 + Seconds(1)));
  f.Idle("w", {"a", "b"});
  f.Idle("x", {"a", "b"});
  f.Idle("y", {"a", "b"});
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].request, "r2");
  EXPECT_EQ(out[1].request, "r3");
  EXPECT_EQ(out[2].request, "r1");
  EXPECT_EQ(out[0].worker, "w") << "idle workers in ascending id";
}

TEST(SchedulerPass, IdOrderSurvivesRenumberingOfWorkers) {
  // Each id sorts just before "b" and after the previous one, so each new
  // worker halves the gap between its neighbours' ranks until the scheduler
  // must renumber them all; the idle sets must follow.
  Fixture f;
  std::vector<std::string> ids = {"a"};
  for (int i = 0; i < 40; ++i) ids.push_back(ids.back() + "0");
  ids.push_back("b");
  f.Idle("a");
  f.Idle("b");
  for (size_t i = 1; i + 1 < ids.size(); ++i) f.Idle(ids[i]);
  for (size_t i = 0; i < ids.size(); ++i) {
    f.Queue(Req("r" + std::to_string(100 + i), "", {}, {}, kT0 + Seconds(static_cast<int64_t>(i))));
  }
  auto out = f.Pass();
  ASSERT_EQ(out.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(out[i].worker, ids[i]) << i;
    EXPECT_EQ(out[i].request, "r" + std::to_string(100 + i)) << i;
  }
  // Every worker left the idle sets when it was placed.
  f.Queue(Req("late", "", {}, {}, kT0));
  EXPECT_TRUE(f.Pass().empty());
  // Only idle workers expire: every busy one is still there, still running.
  f.s.UpdateTime(kT0 + f.s.policy().bot_expiration + Seconds(1));
  for (const std::string& id : ids) {
    ASSERT_NE(f.s.GetWorker(id), std::nullopt) << id;
    EXPECT_TRUE(f.s.GetWorker(id)->run.has_value()) << id;
  }
}

TEST(SchedulerPass, SeesAccountsAddedAndDeletedAfterTheirRequestsArrived) {
  // A pass reads accounts through an index of request slots; adding or
  // deleting an account after its requests arrived must reach the next pass.
  Fixture f;
  f.Queue(Req("r1", "a"));
  EXPECT_TRUE(f.Pass().empty());  // no idle worker yet; "a" is unknown
  ASSERT_TRUE(f.s.AddAccount("a", Rates({1, 0, 0, 0, 0}, 100), std::vector<float>{10}).ok());
  f.Idle("w1");
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].priority, 0);
  ASSERT_TRUE(f.s.DeleteAccount("a").ok());
  f.Queue(Req("r2", "a"));
  f.Idle("w2");
  out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].request, "r2");
  EXPECT_EQ(out[0].priority, kFreeBucket);
  // And the deleted account's running request is no longer charged.
  f.s.UpdateTime(kT0 + Seconds(10));
  EXPECT_EQ(f.s.GetBalance("a"), std::nullopt);
}

TEST(SchedulerPass, ProvisionRequiredWhenWorkerLacksProvisionableLabel) {
  Fixture f;
  f.Queue(Req("r", "", {"pool"}, {"img:a"}));
  f.Idle("w", {"pool"});
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].provision_required);
  EXPECT_TRUE(f.sink.events.back().provision_required);
}

TEST(SchedulerPass, ExaminedRequestIsNotRetriedAgainstUnchangedWorker) {
  Fixture f;
  f.Queue(Req("r", "", {"gpu"}));
  f.Idle("w", {"cpu"});
  EXPECT_TRUE(f.Pass().empty());
  f.s.UpdateTime(kT0 + Seconds(1));
  EXPECT_TRUE(f.Pass().empty());
  EXPECT_EQ(f.s.GetRequest("r")->examined_time, kT0 + Seconds(1));
  // The worker gains the label: its modified time moves, the pair is tried again.
  f.Idle("w", {"cpu", "gpu"}, kT0 + Seconds(2));
  f.s.UpdateTime(kT0 + Seconds(2));
  EXPECT_EQ(f.Pass().size(), 1u);
}

TEST(SchedulerPass, StalePairRuleSkipsRequestExaminedAfterWorkerChanged) {
  for (bool skip : {true, false}) {
    Fixture f;
    Policy p;
    p.skip_stale_pairs = skip;
    f.s.SetPolicy(p);
    ASSERT_TRUE(f.s.AddAccount("low", AccountConfig{}).ok());
    ASSERT_TRUE(f.s.AddAccount("high", AccountConfig{}).ok());
    f.Queue(Req("L", "low"));
    f.Queue(Req("H0", "high"));
    f.Idle("w1");  // modified = kT0
    f.Idle("w2");
    ASSERT_EQ(f.Pass().size(), 2u);  // w1 runs L, w2 runs H0, both free
    ASSERT_TRUE(f.s.AddAccount("high", Rates({1, 0, 0, 0, 0}, 3600), std::vector<float>{100}).ok());
    f.s.UpdateTime(kT0 + Seconds(10));
    f.Queue(Req("H1", "high"), kT0 + Seconds(10));
    EXPECT_TRUE(f.Pass().empty()) << "high runs below level 0: banned";
    ASSERT_EQ(f.s.GetRequest("H1")->examined_time, kT0 + Seconds(10));
    ASSERT_TRUE(f.s.NotifyTaskAbsent("H0", kT0 + Seconds(11), &f.sink).ok());
    f.s.UpdateTime(kT0 + Seconds(20));
    // H1 was examined after w1 last changed: with the rule the pair is not tried again.
    EXPECT_EQ(f.Pass().size(), skip ? 0u : 1u) << "skip_stale_pairs=" << skip;
  }
}

TEST(SchedulerPass, DisableFreeTasksLeavesRequestOutOfThePass) {
  Fixture f;
  AccountConfig c;
  c.disable_free_tasks = true;
  ASSERT_TRUE(f.s.AddAccount("paid", c).ok());
  f.Queue(Req("r", "paid"));
  f.Idle("w");
  EXPECT_TRUE(f.Pass().empty());
  EXPECT_EQ(f.s.GetRequest("r")->examined_time, Time{}) << "not examined: left out entirely";
}

TEST(SchedulerPass, DemoteAtThresholdMovesCheapestRunsDown) {
  Fixture f;
  ASSERT_TRUE(f.s.AddAccount("a", Rates({1, 0, 0, 0, 0}, 10000), std::vector<float>{1000}).ok());
  for (const char* id : {"r1", "r2", "r3"}) f.Queue(Req(id, "a"));
  for (const char* w : {"w1", "w2", "w3"}) f.Idle(w);
  ASSERT_EQ(f.Pass().size(), 3u);  // all three at priority 0
  // 3 running at rate 1: -2 per second net; after 1000 s the balance is -1000.
  f.s.UpdateTime(kT0 + Seconds(1000));
  ASSERT_LT(f.s.GetBalance("a")->at(0), -600.0f);
  f.sink.events.clear();
  f.Pass();
  // room = 1 - 3 = -2: two runs demoted to priority 1.
  int demoted = 0;
  for (const auto& e : f.sink.events) {
    if (e.type == EventType::kReprioritized) {
      EXPECT_EQ(e.old_priority, 0);
      EXPECT_EQ(e.new_priority, 1);
      ++demoted;
    }
  }
  EXPECT_EQ(demoted, 2);
  // From now on each run is charged at its new priority, and only there.
  f.s.UpdateTime(kT0 + Seconds(1010));
  int at_0 = 0, at_1 = 0;
  for (const char* w : {"w1", "w2", "w3"}) {
    const RunView run = *f.s.GetWorker(w)->run;
    if (run.priority == 0) {
      EXPECT_EQ(run.cost, (Balance{1010, 0, 0, 0, 0})) << w;
      ++at_0;
    } else {
      EXPECT_EQ(run.priority, 1) << w;
      EXPECT_EQ(run.cost, (Balance{1000, 10, 0, 0, 0})) << w;
      ++at_1;
    }
  }
  EXPECT_EQ(at_0, 1);
  EXPECT_EQ(at_1, 2);
}

TEST(SchedulerPass, DemoteThresholdSwitch) {
  Fixture f;
  Policy p;
  p.demote_threshold = -5000;
  f.s.SetPolicy(p);
  ASSERT_TRUE(f.s.AddAccount("a", Rates({1, 0, 0, 0, 0}, 10000), std::vector<float>{1000}).ok());
  for (const char* id : {"r1", "r2", "r3"}) f.Queue(Req(id, "a"));
  for (const char* w : {"w1", "w2", "w3"}) f.Idle(w);
  f.Pass();
  f.s.UpdateTime(kT0 + Seconds(1000));
  f.sink.events.clear();
  f.Pass();
  EXPECT_TRUE(f.sink.events.empty()) << "-1000 is above the lowered threshold";
}

TEST(SchedulerPass, PromoteReportsTrueNewPriority) {
  Fixture f;
  ASSERT_TRUE(f.s.AddAccount("a", Rates({0, 0, 0, 0, 0}, 0)).ok());
  f.Queue(Req("r", "a"));
  f.Idle("w");
  ASSERT_EQ(f.Pass()[0].priority, kFreeBucket);
  ASSERT_TRUE(f.s.AddAccount("a", Rates({2, 0, 0, 0, 0}, 1000), std::vector<float>{700}).ok());
  f.sink.events.clear();
  f.Pass();
  ASSERT_EQ(f.sink.events.size(), 1u);
  EXPECT_EQ(f.sink.events[0].type, EventType::kReprioritized);
  EXPECT_EQ(f.sink.events[0].old_priority, kFreeBucket);
  EXPECT_EQ(f.sink.events[0].new_priority, 0);
  EXPECT_EQ(f.s.GetWorker("w")->run->priority, 0);
}

// Worker w1 runs a free-bucket request of "low"; "high" can pay at level 0.
struct PreemptFixture : Fixture {
  PreemptFixture() {
    EXPECT_TRUE(s.AddAccount("low", AccountConfig{}).ok());
    EXPECT_TRUE(s.AddAccount("high", Rates({1, 0, 0, 0, 0}, 3600), std::vector<float>{100}).ok());
    Queue(Req("L", "low"));
    Idle("w1");
    EXPECT_EQ(Pass().size(), 1u);
    s.UpdateTime(kT0 + Seconds(10));
  }
};

// A level of many label sets is matched worker by worker, through an index
// whose keys are chosen once per census epoch and reused by later passes.
// A request with no base label is keyed by "no label", which must still
// mean that after workers bring labels the table has never seen; and a key
// chosen while a label was rare still finds the request once it is common.
TEST(SchedulerPass, ManyLabelSetsMatchThroughKeysChosenInEarlierPasses) {
  Fixture f;
  for (int i = 0; i < 80; ++i) f.Queue(Req("x" + std::to_string(i), "", {"x" + std::to_string(i), "rare"}));
  f.Queue(Req("plain", ""));
  f.Idle("w0", {"only-x0"});
  EXPECT_EQ(f.Pass().size(), 1u);  // "plain": w0 holds no x label
  f.Queue(Req("plain2", ""));
  // Labels no request or worker had before; w1 can take only "plain2".
  f.Idle("w1", {"brand-new-a", "brand-new-b"});
  std::vector<SchedulerAssignment> got = f.Pass();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request, "plain2");
  EXPECT_EQ(got[0].worker, "w1");
  // x7's key was chosen while no worker held "x7" or "rare"; now a worker
  // holds both, alongside many that hold "rare" alone.
  for (int i = 0; i < 20; ++i) f.Idle("r" + std::to_string(i), {"rare"});
  EXPECT_TRUE(f.Pass().empty());
  f.Idle("w7", {"rare", "x7"});
  got = f.Pass();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request, "x7");
  EXPECT_EQ(got[0].worker, "w7");
}

// A restored state indexes its idle workers one by one, in id order, each
// with its saved confirmed time, here each older than the one before: the
// later ones are kept on the list of stale idle workers rather than by the
// floor, and must still expire exactly when their time comes.
TEST(SchedulerTime, RestoredIdleWorkersExpireEachAtItsOwnTime) {
  Policy policy;
  policy.bot_expiration = Seconds(300);
  Scheduler s = Scheduler::New(kT0, policy);
  ASSERT_TRUE(s.MarkIdle("c", {}, kT0, nullptr).ok());
  ASSERT_TRUE(s.MarkIdle("b", {}, kT0 + Seconds(50), nullptr).ok());
  ASSERT_TRUE(s.MarkIdle("a", {}, kT0 + Seconds(100), nullptr).ok());
  auto restored = Scheduler::NewFromProto(s.ToProto());
  ASSERT_TRUE(restored.ok());
  Scheduler& r = *restored;
  auto known = [&r] {
    std::string ids;
    for (const std::string& id : {"a", "b", "c"}) ids += r.GetWorker(id) ? id : "";
    return ids;
  };
  r.UpdateTime(kT0 + Seconds(300));
  EXPECT_EQ(known(), "abc");
  r.UpdateTime(kT0 + Seconds(301));  // c: confirmed 301 s ago
  EXPECT_EQ(known(), "ab");
  r.UpdateTime(kT0 + Seconds(350));
  EXPECT_EQ(known(), "ab");
  r.UpdateTime(kT0 + Seconds(351));
  EXPECT_EQ(known(), "a");
  r.UpdateTime(kT0 + Seconds(401));
  EXPECT_EQ(known(), "");
}

TEST(SchedulerPreempt, PaidRequestPreemptsFreeRunAndPaysItsCost) {
  PreemptFixture f;
  f.Queue(Req("H", "high"), kT0 + Seconds(10));
  f.sink.events.clear();
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, AssignmentType::kPreemptWorker);
  EXPECT_EQ(out[0].task_to_abort, "L");
  EXPECT_EQ(Types(f.sink), (std::vector<EventType>{EventType::kAssigned, EventType::kPreempted}));
  EXPECT_FALSE(f.s.GetRequest("L").has_value()) << "the victim is forgotten";
  EXPECT_EQ(f.s.GetWorker("w1")->run->request, "H");
  EXPECT_EQ(f.s.GetWorker("w1")->run->priority, 0);
}

TEST(SchedulerPreempt, RefundsVictimAndChargesPreemptorTheRunCost) {
  Fixture f;
  ASSERT_TRUE(f.s.AddAccount("low", Rates({1, 0, 0, 0, 0}, 3600), std::vector<float>{0, 0, 0, 0, 0}).ok());
  ASSERT_TRUE(f.s.AddAccount("high", Rates({0, 0, 0, 0, 0}, 0), std::vector<float>{500}).ok());
  // low earns 10 s of p0 quota, then runs at p0... make it run at p1 instead:
  ASSERT_TRUE(f.s.AddAccount("low", Rates({0, 1, 0, 0, 0}, 3600), std::vector<float>{0, 50}).ok());
  f.Queue(Req("L", "low"));
  f.Idle("w1");
  ASSERT_EQ(f.Pass()[0].priority, 1);
  f.s.UpdateTime(kT0 + Seconds(20));  // cost {0, 20}; low: 50 - 20 + 20 = 50
  f.Queue(Req("H", "high"), kT0 + Seconds(20));
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*f.s.GetBalance("low"), (Balance{0, 70, 0, 0, 0}));
  EXPECT_EQ(*f.s.GetBalance("high"), (Balance{500, -20, 0, 0, 0}));
  EXPECT_EQ(f.s.GetWorker("w1")->run->cost, (Balance{0, 20, 0, 0, 0})) << "the victim's cost carries over";
}

TEST(SchedulerPreempt, DisablePreemptionSwitch) {
  PreemptFixture f;
  Policy p;
  p.disable_preemption = true;
  f.s.SetPolicy(p);
  f.Queue(Req("H", "high"), kT0 + Seconds(10));
  EXPECT_TRUE(f.Pass().empty());
}

TEST(SchedulerPreempt, AccountRunningBelowLevelIsBanned) {
  PreemptFixture f;
  // "low" now has quota at level 0 but already runs below it: banned.
  ASSERT_TRUE(f.s.AddAccount("low", Rates({1, 0, 0, 0, 0}, 3600), std::vector<float>{100}).ok());
  f.Queue(Req("L2", "low"), kT0 + Seconds(10));
  auto out = f.Pass();
  for (const auto& a : out) EXPECT_NE(a.type, AssignmentType::kPreemptWorker);
}

TEST(SchedulerPreempt, NeedsBalanceStrictlyAboveCost) {
  PreemptFixture f;
  ASSERT_TRUE(f.s.AddAccount("high", Rates({0, 0, 0, 0, 0}, 0), std::vector<float>{0}).ok());
  f.Queue(Req("H", "high"), kT0 + Seconds(10));
  EXPECT_TRUE(f.Pass().empty()) << "balance {0...} is not above cost {0...}: H is free-bucket anyway";
}

TEST(SchedulerPreempt, WalkDoesNotStopAfterPreemptionUnlessSwitched) {
  for (bool once : {false, true}) {
    PreemptFixture f;
    Policy p;
    p.preempt_once_per_worker = once;
    f.s.SetPolicy(p);
    ASSERT_TRUE(f.s.AddAccount("high2", Rates({1, 0, 0, 0, 0}, 3600), std::vector<float>{100}).ok());
    f.Queue(Req("H", "high"), kT0 + Seconds(10));
    f.Queue(Req("H2", "high2", {}, {}, kT0 + Seconds(5)), kT0 + Seconds(10));
    auto out = f.Pass();
    if (once) {
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].request, "H");
    } else {
      // H (earlier enqueue) preempts L, then H2 preempts H, which is forgotten.
      ASSERT_EQ(out.size(), 2u);
      EXPECT_EQ(out[1].task_to_abort, "H");
      EXPECT_EQ(f.s.GetWorker("w1")->run->request, "H2");
      EXPECT_FALSE(f.s.GetRequest("H").has_value());
    }
  }
}

// --- §9 switches of the 2019-2022 production rules ---

TEST(SchedulerPolicy, FanoutLimitsPaidTasksPerGroup) {
  for (bool enforce : {false, true}) {
    Fixture f;
    Policy p;
    p.enforce_fanout = enforce;
    f.s.SetPolicy(p);
    AccountConfig c = Rates({5, 0, 0, 0, 0}, 100);
    c.max_fanout = 2;
    ASSERT_TRUE(f.s.AddAccount("a", c, std::vector<float>{100}).ok());
    for (const char* id : {"r1", "r2", "r3"}) f.Queue(Req(id, "a", {"x"}));
    for (const char* w : {"w1", "w2", "w3"}) f.Idle(w, {"x"});
    auto out = f.Pass();
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[2].priority, enforce ? kFreeBucket : 0) << "enforce=" << enforce;
  }
}

TEST(SchedulerPolicy, PerLabelLimitSkipsWorkersAtTheLimit) {
  for (bool enforce : {false, true}) {
    Fixture f;
    Policy p;
    p.enforce_per_label_limits = enforce;
    f.s.SetPolicy(p);
    AccountConfig c;
    c.per_label_task_limits["model:"] = 1;
    ASSERT_TRUE(f.s.AddAccount("a", c).ok());
    f.Queue(Req("r1", "a"));
    f.Queue(Req("r2", "a"));
    f.Idle("w1", {"model:pixel"});
    f.Idle("w2", {"model:pixel"});
    f.Idle("w3", {"model:nexus"});
    auto out = f.Pass();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].worker, enforce ? "w3" : "w2") << "enforce=" << enforce;
  }
}

// spec-derived/fanout-free-bucket-run-counts.jsonl, settled the other way
// (docs/historic-switches.md): every running task of a group counts against
// max_fanout, free-bucket runs included, as in the original; the group's next
// request is not paid even though none of its running tasks is.
TEST(SchedulerPolicy, FanoutCountsTheGroupsFreeBucketRuns) {
  Fixture f;
  Policy p;
  p.enforce_fanout = true;
  p.disable_preemption = true;
  f.s.SetPolicy(p);
  AccountConfig c = Rates({1, 0, 0, 0, 0}, 60);
  c.max_fanout = 1;
  ASSERT_TRUE(f.s.AddAccount("a", c, std::vector<float>{-100}).ok());
  f.Queue(Req("t1", "a"), kT0 + Seconds(1));
  f.s.UpdateTime(kT0 + Seconds(10));
  f.Idle("w1", {"os:linux"}, kT0 + Seconds(10));
  auto first = f.Pass();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].priority, kFreeBucket);  // the balance is negative
  f.s.UpdateTime(kT0 + Seconds(200));
  EXPECT_EQ(f.s.GetBalance("a")->at(0), 60);  // paid for again
  f.Queue(Req("t2", "a"), kT0 + Seconds(200));
  f.Queue(Req("u1", "a", {"os:linux"}), kT0 + Seconds(200));  // another group
  f.Idle("w2", {"os:linux"}, kT0 + Seconds(200));
  f.Idle("w3", {"os:linux"}, kT0 + Seconds(200));
  auto second = f.Pass();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].request, "u1");  // better quality: w2 takes it first
  EXPECT_EQ(second[0].priority, 0);
  EXPECT_EQ(second[1].request, "t2");
  EXPECT_EQ(second[1].priority, kFreeBucket);  // t1's free-bucket run filled the group
}

// spec-derived/per-label-limit-multivalued-key.jsonl: a worker holding two
// values of a limited key is at the limit when either value is.
TEST(SchedulerPolicy, PerLabelLimitChecksEveryValueOfTheWorker) {
  Fixture f;
  Policy p;
  p.enforce_per_label_limits = true;
  p.disable_preemption = true;
  f.s.SetPolicy(p);
  AccountConfig c = Rates({1, 0, 0, 0, 0}, 60);
  c.per_label_task_limits["os:"] = 1;
  ASSERT_TRUE(f.s.AddAccount("a", c, std::vector<float>{60}).ok());
  f.Queue(Req("t1", "a"), kT0 + Seconds(1));
  f.s.UpdateTime(kT0 + Seconds(2));
  f.Idle("w1", {"os:ubuntu"}, kT0 + Seconds(2));
  ASSERT_EQ(f.Pass().size(), 1u);
  f.Queue(Req("t2", "a"), kT0 + Seconds(3));
  f.s.UpdateTime(kT0 + Seconds(4));
  f.Idle("w2", {"os:linux", "os:ubuntu"}, kT0 + Seconds(4));
  EXPECT_TRUE(f.Pass().empty());  // os:linux is free, but os:ubuntu is at 1
  EXPECT_EQ(f.s.QueuedRequests(), std::vector<std::string>{"t2"});
  // Another account is not limited by a's runs.
  ASSERT_TRUE(f.s.AddAccount("b", c, std::vector<float>{60}).ok());
  f.Queue(Req("t3", "b"), kT0 + Seconds(5));
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].request, "t3");
}

// spec-derived/per-label-limit-multivalued-key-random-s200074.jsonl, the
// other way round: a run counts under every value of its worker, free-bucket
// runs included, so a single-valued worker sees it.
TEST(SchedulerPolicy, PerLabelLimitCountsARunUnderEveryValueOfItsWorker) {
  Fixture f;
  Policy p;
  p.enforce_per_label_limits = true;
  f.s.SetPolicy(p);
  AccountConfig c;  // no quota: everything runs in the free bucket
  c.per_label_task_limits["os:"] = 1;
  ASSERT_TRUE(f.s.AddAccount("a", c).ok());
  f.Queue(Req("t002", "a"));
  f.Queue(Req("t028", "a"));
  f.Idle("bot-4", {"os:win", "os:ubuntu", "pool:try"});
  auto first = f.Pass();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].request, "t002");
  EXPECT_EQ(first[0].priority, kFreeBucket);
  f.Idle("bot-3", {"os:win", "pool:ci"});
  EXPECT_TRUE(f.Pass().empty());  // one task of a already runs on an os:win worker
  f.Idle("bot-5", {"os:mac"});
  auto third = f.Pass();
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].worker, "bot-5");
}

// A limit of 0 keeps the account off every worker holding the prefix, as in
// the original (its count of a value never run under is 0, and 0 >= 0).
TEST(SchedulerPolicy, PerLabelLimitOfZeroBarsTheAccountFromThePrefix) {
  Fixture f;
  Policy p;
  p.enforce_per_label_limits = true;
  f.s.SetPolicy(p);
  AccountConfig c;
  c.per_label_task_limits["gpu:"] = 0;
  ASSERT_TRUE(f.s.AddAccount("a", c).ok());
  f.Queue(Req("r1", "a"));
  f.Idle("w1", {"gpu:nvidia", "os:linux"});
  EXPECT_TRUE(f.Pass().empty());
  f.Idle("w2", {"os:linux"});
  auto out = f.Pass();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].worker, "w2");
}

TEST(SchedulerPolicy, MatchSortCutoffLeavesLongListsInListOrder) {
  for (int64_t cutoff : {int64_t{50000}, int64_t{2}}) {
    Fixture f;
    Policy p;
    p.match_sort_cutoff = cutoff;
    f.s.SetPolicy(p);
    f.Queue(Req("r1", "", {}, {}, kT0));
    f.Queue(Req("r2", "", {"a"}, {}, kT0 + Seconds(1)));
    f.Idle("w", {"a"});
    auto out = f.Pass();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].request, cutoff == 2 ? "r1" : "r2") << "cutoff=" << cutoff;
  }
}

TEST(SchedulerPolicy, MaxQueueAgeSwitch) {
  Fixture f;
  Policy p;
  p.max_queue_age = Hours(1);
  f.s.SetPolicy(p);
  f.Queue(Req("r", "", {}, {}, kT0 - Hours(2)));
  f.Idle("w");
  f.Pass();
  ASSERT_TRUE(f.s.Unassign("r", "w", kT0, &f.sink).ok());
  EXPECT_FALSE(f.s.GetRequest("r").has_value());
}

// --- persistent state ---

TEST(SchedulerProto, RoundTripKeepsEverything) {
  PreemptFixture f;
  f.Queue(Req("Q", "high", {"b", "a"}, {"img"}, kT0 + Seconds(3)), kT0 + Seconds(4));
  proto::SchedulerSnapshot snap = f.s.ToProto();
  auto restored = Scheduler::NewFromProto(snap);
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  EXPECT_EQ(restored->ToProto().SerializeAsString(), snap.SerializeAsString());
}

TEST(SchedulerProto, RejectsDamagedSnapshot) {
  proto::SchedulerSnapshot snap = Scheduler::New(kT0).ToProto();
  auto* w = snap.mutable_state()->add_workers();
  w->set_id("w");
  w->mutable_run()->set_priority(9);
  w->mutable_run()->mutable_request()->set_id("r");
  auto restored = Scheduler::NewFromProto(snap);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(restored.status().message().find("priority 9"), std::string::npos);
}

// A snapshot of one account "a" whose config is `config` (written through
// the proto directly, so values AddAccount refuses can be stated).
proto::SchedulerSnapshot SnapshotWithAccount(const AccountConfig& config) {
  proto::SchedulerSnapshot snap = Scheduler::New(kT0).ToProto();
  proto::AccountConfig& a = *snap.mutable_config()->add_accounts();
  a.set_id("a");
  for (float r : config.charge_rate) a.add_charge_rate(r);
  a.set_max_charge_seconds(config.max_charge_seconds);
  a.set_max_fanout(config.max_fanout);
  for (const auto& [prefix, limit] : config.per_label_task_limits) {
    proto::LabelLimit& l = *a.add_per_label_task_limits();
    l.set_prefix(prefix);
    l.set_limit(limit);
  }
  return snap;
}

// Every config AddAccount refuses, the snapshot reader refuses too, naming
// the same field; and what AddAccount accepts, it accepts.
TEST(SchedulerProto, RefusesExactlyTheAccountConfigsAddAccountRefuses) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  struct Case {
    AccountConfig config;
    std::string field;  // "" = valid
  };
  AccountConfig fanout = Rates({1, 0, 0, 0, 0}, 10);
  fanout.max_fanout = -1;
  AccountConfig label = Rates({1, 0, 0, 0, 0}, 10);
  label.per_label_task_limits["gpu"] = -3;
  AccountConfig empty_prefix = Rates({1, 0, 0, 0, 0}, 10);
  empty_prefix.per_label_task_limits[""] = 1;
  const std::vector<Case> cases = {
      {Rates({1, 2, 0, 0, 0}, 100), ""},
      {Rates({-1, 0, 0, 0, 0}, 10), "charge_rate[0]"},
      {Rates({0, 0, nan, 0, 0}, 10), "charge_rate[2]"},
      {Rates({0, 0, 0, 0, inf}, 10), "charge_rate[4]"},
      {Rates({0, 0, 0, -inf, 0}, 10), "charge_rate[3]"},
      {Rates({1, 0, 0, 0, 0}, -5), "max_charge_seconds"},
      {Rates({1, 0, 0, 0, 0}, nan), "max_charge_seconds"},
      {Rates({1, 0, 0, 0, 0}, inf), "max_charge_seconds"},
      {fanout, "max_fanout"},
      {label, "per_label_task_limits[\"gpu\"]"},
      {empty_prefix, "per_label_task_limits"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field.empty() ? "valid" : c.field);
    Scheduler s = Scheduler::New(kT0);
    Status added = s.AddAccount("a", c.config);
    StatusOr<Scheduler> loaded = Scheduler::NewFromProto(SnapshotWithAccount(c.config));
    EXPECT_EQ(added.ok(), c.field.empty()) << added.message();
    EXPECT_EQ(loaded.ok(), c.field.empty()) << loaded.status().message();
    if (c.field.empty()) continue;
    EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(added.message().find("AddAccount(a): " + c.field + ": "), std::string::npos) << added.message();
    EXPECT_NE(loaded.status().message().find("account \"a\" " + c.field + ": "), std::string::npos)
        << loaded.status().message();
  }
}

TEST(SchedulerProto, RefusesAPolicyOutsideItsRangesNamingTheSwitch) {
  auto load = [](auto set) {
    proto::SchedulerSnapshot snap = Scheduler::New(kT0).ToProto();
    set(*snap.mutable_config()->mutable_policy());
    return Scheduler::NewFromProto(snap);
  };
  StatusOr<Scheduler> negative = load([](proto::Policy& p) { p.set_bot_expiration_us(-1); });
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("policy.bot_expiration_us: "), std::string::npos);
  StatusOr<Scheduler> huge = load([](proto::Policy& p) { p.set_max_queue_age_us(int64_t{1} << 62); });
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("policy.max_queue_age_us: "), std::string::npos);
  StatusOr<Scheduler> nan = load([](proto::Policy& p) { p.set_promote_threshold(std::nanf("")); });
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("policy.promote_threshold: "), std::string::npos);
  StatusOr<Scheduler> order = load([](proto::Policy& p) { p.set_demote_threshold(700); });
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.status().message().find("policy.demote_threshold: "), std::string::npos);
  StatusOr<Scheduler> cutoff = load([](proto::Policy& p) { p.set_match_sort_cutoff(-1); });
  ASSERT_FALSE(cutoff.ok());
  EXPECT_NE(cutoff.status().message().find("policy.match_sort_cutoff: "), std::string::npos);
  EXPECT_TRUE(load([](proto::Policy& p) { p.set_bot_expiration_us(int64_t{1} << 53); }).ok());
}

TEST(SchedulerProto, RefusesANaNBalanceOrCost) {
  proto::SchedulerSnapshot snap = SnapshotWithAccount(Rates({1, 0, 0, 0, 0}, 10));
  proto::AccountBalance& b = *snap.mutable_state()->add_balances();
  b.set_account("a");
  b.add_balance(1);
  b.add_balance(std::nanf(""));
  StatusOr<Scheduler> loaded = Scheduler::NewFromProto(snap);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("balance of \"a\"[1] is NaN"), std::string::npos)
      << loaded.status().message();
}

}  // namespace
}  // namespace qsim
