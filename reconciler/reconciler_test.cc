#include "reconciler/reconciler.h"

#include <algorithm>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "proto/state.pb.h"
#include "reconciler/internal/worker_queue_table.h"

namespace qsim::reconciler {
namespace {

using WorkerQueueTable = internal::WorkerQueueTable<WorkerQueue>;

constexpr Time kStart = TimeFromMicros(1700000000000000);

std::vector<IdleWorker> Workers(std::vector<IdleWorker> w) { return w; }

// A reconciler restored from queues and errors written directly, so a test
// can set up pending aborts without driving a preemption.
State StateWith(std::vector<std::tuple<std::string, std::string, std::string, Time>> queues,
                std::vector<std::pair<std::string, std::string>> errors = {}) {
  proto::ReconcilerState p;
  for (const auto& [worker, assign, abort, enqueue] : queues) {
    proto::WorkerQueue* q = p.add_worker_queues();
    q->set_worker(worker);
    q->set_task_to_assign(assign);
    q->set_task_to_abort(abort);
    q->set_enqueue_us(ToMicros(enqueue));
  }
  for (const auto& [request, message] : errors) {
    proto::TaskError* e = p.add_task_errors();
    e->set_request(request);
    e->set_message(message);
  }
  StatusOr<State> state = State::NewFromProto(p);
  EXPECT_TRUE(state.ok()) << state.status().message();
  return std::move(state).value();
}

TaskWaitingRequest Waiting(const std::string& id, Time t, std::vector<std::string> provisionable = {}) {
  TaskWaitingRequest r;
  r.request = id;
  r.account = "Account1";
  r.provisionable_labels = std::move(provisionable);
  r.enqueue_time = t;
  r.time = t;
  return r;
}

// The reconciler package's own example (hand-reconciler-example.jsonl).
TEST(ReconcilerAssignTasks, Example_AssignsReoffersUntilAckThenNothing) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  RecordingEventSink sink;
  ASSERT_TRUE(state.NotifyTaskWaiting(s, &sink, Waiting("Request1", kStart + Millis(1), {"label1"})).ok());

  auto workers = Workers({{"Worker1", {"label1"}}});
  auto first = state.AssignTasks(s, kStart + Millis(2), &sink, workers);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (std::vector<Assignment>{{"Worker1", "Request1", false}}));
  EXPECT_EQ(state.worker_queues().at("Worker1"),
            (WorkerQueue{"Request1", "", kStart + Millis(2)}));

  // Not yet acknowledged: the same assignment again, and the scheduler is not
  // told the worker is idle (no COMPLETED event).
  sink.events.clear();
  auto again = state.AssignTasks(s, kStart + Millis(3), &sink, workers);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, (std::vector<Assignment>{{"Worker1", "Request1", false}}));
  EXPECT_TRUE(sink.events.empty());

  ASSERT_TRUE(state.NotifyTaskRunning(s, &sink, {"Request1", "Worker1", kStart + Millis(4)}).ok());
  EXPECT_TRUE(state.worker_queues().empty());

  // After the ack, a poll means the bot is idle again: its task is done.
  auto after = state.AssignTasks(s, kStart + Millis(5), &sink, workers);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].type, EventType::kCompleted);
  EXPECT_EQ(sink.events[0].reason, CompletedReason::kBotIdle);
  EXPECT_EQ(sink.events[0].task, "Request1");
  EXPECT_TRUE(state.Cancellations().empty());
}

TEST(ReconcilerAssignTasks, ProvisionRequired_JudgedAgainstLabelsOfThisCall) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  ASSERT_TRUE(state.NotifyTaskWaiting(s, nullptr, Waiting("r1", kStart, {"image:a"})).ok());
  auto bare = state.AssignTasks(s, kStart + Seconds(1), nullptr, Workers({{"w1", {}}}));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, (std::vector<Assignment>{{"w1", "r1", true}}));
  // The bot reports the image while the assignment is pending.
  auto provisioned = state.AssignTasks(s, kStart + Seconds(2), nullptr, Workers({{"w1", {"image:a"}}}));
  ASSERT_TRUE(provisioned.ok());
  EXPECT_EQ(*provisioned, (std::vector<Assignment>{{"w1", "r1", false}}));
}

TEST(ReconcilerAssignTasks, ResultsFollowArgumentOrder) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  ASSERT_TRUE(state.NotifyTaskWaiting(s, nullptr, Waiting("r1", kStart)).ok());
  ASSERT_TRUE(state.NotifyTaskWaiting(s, nullptr, Waiting("r2", kStart)).ok());
  auto got = state.AssignTasks(s, kStart + Seconds(1), nullptr, Workers({{"w2", {}}, {"w1", {}}, {"w3", {}}}));
  ASSERT_TRUE(got.ok());
  // The scheduler visits idle workers by id (w1 gets r1), the result lists
  // them as given; w3 got nothing.
  EXPECT_EQ(*got, (std::vector<Assignment>{{"w2", "r2", false}, {"w1", "r1", false}}));
}

TEST(ReconcilerAssignTasks, UnacknowledgedForTenMinutes_TimesOutAndRequeues) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  ASSERT_TRUE(state.NotifyTaskWaiting(s, nullptr, Waiting("r1", kStart)).ok());
  const Time assigned = kStart + Seconds(1);
  ASSERT_TRUE(state.AssignTasks(s, assigned, nullptr, Workers({{"w1", {}}})).ok());

  RecordingEventSink sink;
  ASSERT_TRUE(state.AssignTasks(s, assigned + Minutes(10) - Micros(1), &sink, {}).ok());
  EXPECT_TRUE(sink.events.empty());
  EXPECT_EQ(state.worker_queues().count("w1"), 1u);

  ASSERT_TRUE(state.AssignTasks(s, assigned + Minutes(10), &sink, {}).ok());
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].type, EventType::kUnassigned);
  EXPECT_EQ(sink.events[0].task, "r1");
  EXPECT_EQ(sink.events[0].worker, "w1");
  EXPECT_TRUE(state.worker_queues().empty());
  EXPECT_EQ(s.QueuedRequests(), std::vector<std::string>{"r1"});
  EXPECT_FALSE(s.GetWorker("w1").has_value());
}

TEST(ReconcilerAssignTasks, PolicyQueueTimeout_OverridesTenMinutes) {
  Policy policy;
  policy.worker_queue_timeout = Minutes(1);
  Scheduler s = Scheduler::New(kStart, policy);
  State state = State::New();
  ASSERT_TRUE(state.NotifyTaskWaiting(s, nullptr, Waiting("r1", kStart)).ok());
  ASSERT_TRUE(state.AssignTasks(s, kStart, nullptr, Workers({{"w1", {}}})).ok());
  RecordingEventSink sink;
  ASSERT_TRUE(state.AssignTasks(s, kStart + Minutes(1), &sink, {}).ok());
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].type, EventType::kUnassigned);
  EXPECT_TRUE(state.worker_queues().empty());
}

TEST(ReconcilerAssignTasks, TimedOutQueueWithStaleTask_DroppedAndErrorIgnored) {
  // The scheduler does not run "gone" on w1, so Unassign fails: the queue is
  // still dropped and the call succeeds.
  Scheduler s = Scheduler::New(kStart);
  State state = StateWith({{"w1", "gone", "", kStart}});
  RecordingEventSink sink;
  auto got = state.AssignTasks(s, kStart + Minutes(10), &sink, {});
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(state.worker_queues().empty());
  EXPECT_TRUE(sink.events.empty());
}

TEST(ReconcilerAssignTasks, EmptyWorkerId_ErrorAndStateUnchanged) {
  Scheduler s = Scheduler::New(kStart);
  State state = StateWith({{"w1", "gone", "", kStart}});
  RecordingEventSink sink;
  auto empty = state.AssignTasks(s, kStart + Hours(1), &sink, Workers({{"w2", {}}, {"", {}}}));
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(state.worker_queues().size(), 1u);  // not timed out
  EXPECT_EQ(s.last_update(), kStart);           // time not moved
  EXPECT_EQ(s.NumWorkers(), 0u);
  EXPECT_TRUE(sink.events.empty());
}

// The by-name fast path of a re-notification: confirms queued requests in
// order and stops at the first it cannot confirm (not queued, or empty).
TEST(ReconcilerConfirmWaiting, ConfirmsQueuedRequestsUpToTheFirstOther) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  for (const char* id : {"r1", "r2", "r4"}) ASSERT_TRUE(state.NotifyTaskWaiting(s, nullptr, Waiting(id, kStart)).ok());
  const Time later = kStart + Seconds(30);
  std::vector<std::string_view> run = {"r1", "r2", "r3", "r4"};
  EXPECT_EQ(state.ConfirmWaiting(s, run, later), 2u);
  EXPECT_EQ(s.GetRequest("r1")->confirmed_time, later);
  EXPECT_EQ(s.GetRequest("r2")->confirmed_time, later);
  EXPECT_EQ(s.GetRequest("r4")->confirmed_time, kStart);  // after the stop: untouched
  EXPECT_FALSE(s.GetRequest("r3").has_value());           // nothing added
  // An older time confirms nothing backwards, as NotifyTaskWaiting.
  std::vector<std::string_view> again = {"r1"};
  EXPECT_EQ(state.ConfirmWaiting(s, again, kStart), 1u);
  EXPECT_EQ(s.GetRequest("r1")->confirmed_time, later);
  // An empty id stops the run (NotifyTaskWaiting refuses it).
  std::vector<std::string_view> with_empty = {"r4", "", "r1"};
  EXPECT_EQ(state.ConfirmWaiting(s, with_empty, later), 1u);
  EXPECT_EQ(s.GetRequest("r4")->confirmed_time, later);
  EXPECT_EQ(state.ConfirmWaiting(s, {}, later), 0u);
}

TEST(ReconcilerNotifyTaskRunning, OlderThanQueue_LeavesQueue) {
  Scheduler s = Scheduler::New(kStart);
  State state = StateWith({{"w1", "r1", "", kStart + Seconds(10)}});
  ASSERT_TRUE(state.NotifyTaskRunning(s, nullptr, {"r1", "w1", kStart + Seconds(9)}).ok());
  EXPECT_EQ(state.worker_queues().size(), 1u);
  // Any request, not only the assigned one, clears the queue once it is news.
  ASSERT_TRUE(state.NotifyTaskRunning(s, nullptr, {"other", "w1", kStart + Seconds(10)}).ok());
  EXPECT_TRUE(state.worker_queues().empty());
}

TEST(ReconcilerNotifyTaskRunning, EmptyIds_Error) {
  Scheduler s = Scheduler::New(kStart);
  State state = StateWith({{"w1", "r1", "", kStart}});
  EXPECT_EQ(state.NotifyTaskRunning(s, nullptr, {"", "w1", kStart}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(state.NotifyTaskRunning(s, nullptr, {"r1", "", kStart}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(state.worker_queues().size(), 1u);
}

TEST(ReconcilerNotifyTaskAbsent, AbortedTask_DropsQueuesEnqueuedStrictlyBefore) {
  Scheduler s = Scheduler::New(kStart);
  const Time t = kStart + Seconds(60);
  State state = StateWith({{"w1", "h1", "l1", t}, {"w2", "h2", "l1", t - Micros(1)}, {"w3", "h3", "l3", kStart}});
  ASSERT_TRUE(state.NotifyTaskAbsent(s, nullptr, {"l1", "", t}).ok());
  // w1's queue was made at t itself: kept; w2's is older: dropped; w3 aborts another task.
  EXPECT_EQ(state.worker_queues().count("w1"), 1u);
  EXPECT_EQ(state.worker_queues().count("w2"), 0u);
  EXPECT_EQ(state.worker_queues().count("w3"), 1u);
  ASSERT_TRUE(state.NotifyTaskAbsent(s, nullptr, {"l1", "w1", t + Micros(1)}).ok());
  EXPECT_EQ(state.worker_queues().count("w1"), 0u);
}

TEST(ReconcilerNotifyTaskAbsent, TaskWithError_ErrorRemoved) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  ASSERT_TRUE(state.AddTaskError("r1", "boom").ok());
  ASSERT_TRUE(state.AddTaskError("r2", "bang").ok());
  ASSERT_TRUE(state.NotifyTaskAbsent(s, nullptr, {"r1", "", kStart}).ok());
  EXPECT_EQ(state.task_errors(), (std::map<std::string, std::string>{{"r2", "bang"}}));
}

TEST(ReconcilerAddTaskError, EmptyIdOrMessage_Error) {
  State state = State::New();
  EXPECT_EQ(state.AddTaskError("", "boom").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(state.AddTaskError("r1", "").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(state.task_errors().empty());
}

TEST(ReconcilerCancellations, AbortsByWorkerThenErrorsByRequest) {
  State state = StateWith({{"w2", "h2", "a", kStart}, {"w1", "h1", "b", kStart}, {"w0", "h0", "", kStart}},
                          {{"r2", "e2"}, {"r1", "e1"}});
  EXPECT_EQ(state.Cancellations(), (std::vector<Cancellation>{
                                       {"w1", "b", ""}, {"w2", "a", ""}, {"", "r1", "e1"}, {"", "r2", "e2"}}));
}

TEST(ReconcilerProto, RoundTrip_SameStateSortedByKey) {
  State state = StateWith({{"w2", "h2", "a", kStart}, {"w1", "h1", "", kStart + Seconds(1)}}, {{"r2", "e2"}, {"r1", "e1"}});
  proto::ReconcilerState written = state.ToProto();
  ASSERT_EQ(written.worker_queues_size(), 2);
  EXPECT_EQ(written.worker_queues(0).worker(), "w1");
  EXPECT_EQ(written.worker_queues(0).enqueue_us(), ToMicros(kStart + Seconds(1)));
  EXPECT_EQ(written.task_errors(0).request(), "r1");

  std::string bytes;
  ASSERT_TRUE(written.SerializeToString(&bytes));
  proto::ReconcilerState parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  StatusOr<State> restored = State::NewFromProto(parsed);
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(restored->ToProto(), written));
  EXPECT_EQ(restored->worker_queues(), state.worker_queues());
  EXPECT_EQ(restored->task_errors(), state.task_errors());
}

TEST(ReconcilerProto, MalformedState_DataLoss) {
  proto::ReconcilerState dup;
  for (int i = 0; i < 2; ++i) {
    proto::WorkerQueue* q = dup.add_worker_queues();
    q->set_worker("w1");
    q->set_task_to_assign("r" + std::to_string(i));
  }
  EXPECT_EQ(State::NewFromProto(dup).status().code(), StatusCode::kDataLoss);

  proto::ReconcilerState no_task;
  no_task.add_worker_queues()->set_worker("w1");
  EXPECT_EQ(State::NewFromProto(no_task).status().code(), StatusCode::kDataLoss);

  proto::ReconcilerState dup_error;
  for (int i = 0; i < 2; ++i) {
    proto::TaskError* e = dup_error.add_task_errors();
    e->set_request("r1");
    e->set_message("m");
  }
  EXPECT_EQ(State::NewFromProto(dup_error).status().code(), StatusCode::kDataLoss);
}

// spec-derived/duplicate-worker-in-one-assign-tasks.jsonl: the same worker
// twice in one call, labels in another order, nothing queued. Each entry is
// one poll: accepted, no events, no assignments.
TEST(ReconcilerAssignTasks, WorkerGivenTwiceWithNothingQueued_AcceptedWithoutEvents) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  RecordingEventSink sink;
  auto got = state.AssignTasks(s, kStart + Seconds(1), &sink,
                               Workers({{"bot-006", {"gpu:nvidia", "pool:ci", "os:mac"}},
                                        {"bot-006", {"os:mac", "pool:ci", "gpu:nvidia"}}}));
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_TRUE(got->empty());
  EXPECT_TRUE(sink.events.empty());
  ASSERT_EQ(s.NumWorkers(), 1u);
  EXPECT_EQ(s.GetWorker("bot-006")->labels, (LabelSet{"gpu:nvidia", "os:mac", "pool:ci"}));
}

// A worker given twice gets an answer per entry, in argument order, each
// judged against that entry's labels; the scheduler saw the last entry's
// labels, and placed the request once.
TEST(ReconcilerAssignTasks, WorkerGivenTwice_OneAssignmentPerEntryLastLabelsWin) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  RecordingEventSink sink;
  ASSERT_TRUE(state.NotifyTaskWaiting(s, nullptr, Waiting("r1", kStart, {"img:b"})).ok());
  auto got = state.AssignTasks(s, kStart + Seconds(1), &sink,
                               Workers({{"w1", {"img:a"}}, {"w0", {}}, {"w1", {"img:b"}}}));
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, (std::vector<Assignment>{{"w1", "r1", true}, {"w1", "r1", false}}));
  EXPECT_EQ(s.GetWorker("w1")->labels, LabelSet{"img:b"});
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].type, EventType::kAssigned);
  EXPECT_FALSE(sink.events[0].provision_required);
  EXPECT_EQ(state.worker_queues().size(), 1u);
  // Polling twice again: both entries are told the pending assignment again.
  got = state.AssignTasks(s, kStart + Seconds(2), &sink, Workers({{"w1", {"img:b"}}, {"w1", {"img:b"}}}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, (std::vector<Assignment>{{"w1", "r1", false}, {"w1", "r1", false}}));
  EXPECT_EQ(sink.events.size(), 1u);
}

TEST(ReconcilerAssignTasks, EmptyWorkerIdAmongRepeats_ErrorAndStateUnchanged) {
  Scheduler s = Scheduler::New(kStart);
  State state = State::New();
  ASSERT_TRUE(state.NotifyTaskWaiting(s, nullptr, Waiting("r1", kStart)).ok());
  auto got = state.AssignTasks(s, kStart + Seconds(1), nullptr, Workers({{"w2", {}}, {"w2", {}}, {"", {}}}));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.NumWorkers(), 0u);
  EXPECT_EQ(s.NumQueued(), 1u);
}

// The table skips its scans on summaries (the earliest enqueue time, the
// number of aborts); these check the summaries stay right as entries are
// replaced, erased and partly expired.
std::vector<std::string> Keys(const WorkerQueueTable& table) {
  std::vector<std::string> keys;
  for (const auto& [worker, q] : table.map()) keys.push_back(worker);
  return keys;
}

TEST(WorkerQueueTable, EraseExpired_FindsEveryExpiredEntryAfterPartialScansAndReplacements) {
  WorkerQueueTable table;
  table.Set("b", WorkerQueue{"t1", "", kStart + Minutes(5)});
  table.Set("a", WorkerQueue{"t2", "", kStart + Minutes(1)});
  table.Set("c", WorkerQueue{"t3", "", kStart + Minutes(3)});
  std::vector<std::string> expired;
  auto record = [&](const std::string& worker, const WorkerQueue&) { expired.push_back(worker); };
  // Nothing is ten minutes old yet.
  table.EraseExpired(kStart + Minutes(10), Minutes(10), record);
  EXPECT_TRUE(expired.empty());
  // Only "a" is; the scan leaves b and c.
  table.EraseExpired(kStart + Minutes(11), Minutes(10), record);
  EXPECT_EQ(expired, std::vector<std::string>{"a"});
  // Replacing "b" with an older enqueue time must still let it expire.
  table.Set("b", WorkerQueue{"t4", "", kStart});
  table.EraseExpired(kStart + Minutes(12), Minutes(10), record);
  EXPECT_EQ(expired, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Keys(table), std::vector<std::string>{"c"});
  table.EraseExpired(kStart + Minutes(13), Minutes(10), record);
  EXPECT_EQ(expired, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(table.map().empty());
}

TEST(WorkerQueueTable, EraseAbortsOf_FollowsReplacedAndErasedAborts) {
  WorkerQueueTable table;
  table.Set("w1", WorkerQueue{"t1", "old", kStart});
  table.Set("w2", WorkerQueue{"t2", "old", kStart});
  // w1's abort is replaced by a plain assignment: only w2 still aborts "old".
  table.Set("w1", WorkerQueue{"t3", "", kStart});
  table.EraseAbortsOf("old", kStart + Seconds(1));
  EXPECT_EQ(Keys(table), std::vector<std::string>{"w1"});
  // A plain assignment gains an abort again.
  table.Set("w1", WorkerQueue{"t4", "t3", kStart});
  table.EraseAbortsOf("t3", kStart);  // not strictly before: kept
  EXPECT_EQ(Keys(table), std::vector<std::string>{"w1"});
  table.EraseAbortsOf("t3", kStart + Seconds(1));
  EXPECT_TRUE(table.map().empty());
}

// The aborts are found by task, not by a walk: every entry aborting the
// task and made before the time goes, whatever else the table holds, in a
// copy and a moved-to table as in the original.
TEST(WorkerQueueTable, EraseAbortsOf_OnlyThatTasksEarlierAbortsInAFullTable) {
  WorkerQueueTable table;
  for (int i = 0; i < 200; ++i) {
    const std::string abort = i % 3 == 0 ? "victim" : (i % 3 == 1 ? "other" : "");
    table.Set("w" + std::to_string(1000 + i), WorkerQueue{"t" + std::to_string(i), abort, kStart + Seconds(i % 7)});
  }
  EXPECT_EQ(table.with_abort(), 134u);  // 67 "victim", 67 "other"
  WorkerQueueTable copy = table;
  table.EraseAbortsOf("victim", kStart + Seconds(3));  // enqueued at 0, 1 or 2 s
  std::vector<std::string> kept = Keys(table);
  for (int i = 0; i < 200; ++i) {
    const std::string w = "w" + std::to_string(1000 + i);
    const bool gone = i % 3 == 0 && i % 7 < 3;
    EXPECT_EQ(std::find(kept.begin(), kept.end(), w) == kept.end(), gone) << w;
  }
  EXPECT_EQ(table.map().size(), 200u - 29u);
  EXPECT_EQ(table.with_abort(), 134u - 29u);
  // The copy kept its own index: all of its entries, and its own aborts.
  EXPECT_EQ(copy.map().size(), 200u);
  WorkerQueueTable moved = std::move(copy);
  moved.EraseAbortsOf("other", kStart + Seconds(7));
  EXPECT_EQ(moved.map().size(), 200u - 67u);
  EXPECT_EQ(moved.with_abort(), 67u);
  moved.EraseAbortsOf("victim", kStart + Seconds(7));
  EXPECT_EQ(moved.with_abort(), 0u);
  EXPECT_EQ(moved.map().size(), 66u);
}

TEST(WorkerQueueTable, Find_WithOrWithoutTheCallersHash) {
  WorkerQueueTable table;
  EXPECT_TRUE(table.Add("w1", WorkerQueue{"t1", "", kStart}));
  EXPECT_FALSE(table.Add("w1", WorkerQueue{"t2", "", kStart}));
  EXPECT_EQ(table.find("w1")->second.task_to_assign, "t1");
  EXPECT_EQ(table.find("w1", WorkerQueueTable::Hash("w1"))->second.task_to_assign, "t1");
  EXPECT_EQ(table.find("w2"), table.end());
  table.Erase(table.find("w1"));
  EXPECT_EQ(table.find("w1"), table.end());
}

}  // namespace
}  // namespace qsim::reconciler
