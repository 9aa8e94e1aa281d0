#include "replay/replay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "replay/trace_file_internal.h"
#include "replay/trace_parse_internal.h"
#include "scheduler/policy_schema.h"

namespace qsim::replay {
namespace {

using ::testing::HasSubstr;
using Result = TraceOutcome::Result;

const std::string kHeader =
    R"({"kind":"header","format":"qscheduler-trace/1","name":"tiny","seed":0,"start_us":1700000000000000,)"
    R"("reference":"hand","description":"the reconciler example, shortened"})";
const std::string kConfig = R"({"op":"config","disable_preemption":false,"bot_expiration_us":0,"expect_events":[]})";
const std::string kWaiting =
    R"({"op":"notify_waiting","t_us":1700000000001000,"request":"R1","account":"A1","base_labels":[],)"
    R"("provisionable_labels":["label1"],"enqueue_us":1700000000001000,"tags":["x"],"expect_events":[)"
    R"({"type":"ENQUEUED","t_us":1700000000001000,"task":"R1","worker":"","account":"A1","tags":["x"]}]})";
const std::string kAssign =
    R"({"op":"assign_tasks","t_us":1700000000002000,"workers":[{"id":"W1","labels":[]}],)"
    R"("expect":[{"worker":"W1","request":"R1","provision_required":true}],"expect_events":[)"
    R"({"type":"ASSIGNED","t_us":1700000000002000,"task":"R1","worker":"W1","account":"A1","priority":5,)"
    R"("preempting":false,"provision_required":true,"preempted_task":"","preemption_cost":[]}]})";
const std::string kCheck =
    R"({"op":"check","expect_state":{"last_update_us":1700000000002000,"balances":[],"queued":[],)"
    R"("running":[{"worker":"W1","request":"R1","priority":5,"cost":[0,0,0,0,0]}],"idle":[],)"
    R"("worker_queues":[{"worker":"W1","assign":"R1","abort":"","enqueue_us":1700000000002000}],"task_errors":[]}})";
const std::string kRoundtrip = R"({"op":"roundtrip"})";
const std::string kAck =
    R"({"op":"notify_running","t_us":1700000000004000,"request":"R1","worker":"W1","expect_events":[]})";
const std::string kCancellations = R"({"op":"cancellations","expect":[]})";

std::string Lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  return text;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

// The header with `policy_json` as its policy.
std::string WithPolicy(const std::string& policy_json) {
  return Replace(kHeader, R"("description":"the reconciler example, shortened"})",
                 R"("description":"the reconciler example, shortened","policy":)" + policy_json + "}");
}

std::string BadInput(const std::string& text) {
  TraceOutcome outcome = ReplayTraceText(text, "t.jsonl");
  EXPECT_EQ(outcome.result, Result::kBadInput) << outcome.Summary();
  return outcome.error;
}

TEST(ReplayTraceText, MatchingTrace_Passes) {
  TraceOutcome outcome =
      ReplayTraceText(Lines({kHeader, kConfig, kWaiting, kAssign, kCheck, kRoundtrip, kAck, kCancellations}), "t");
  EXPECT_EQ(outcome.result, Result::kPass) << outcome.Summary();
  EXPECT_EQ(outcome.name, "tiny");
  EXPECT_EQ(outcome.ops, 7);
  EXPECT_EQ(outcome.Summary(), "PASS tiny (7 ops)");
}

TEST(ReplayTraceText, RoundTripBeforeEveryOp_StillPasses) {
  TraceOutcome outcome =
      ReplayTraceText(Lines({kHeader, kConfig, kWaiting, kAssign, kCheck, kAck, kCancellations}), "t",
                      ReplayOptions{.roundtrip_every_n_ops = 1});
  EXPECT_EQ(outcome.result, Result::kPass) << outcome.Summary();
}

TEST(ReplayTraceText, WrongStateExpectation_FailsAtThatLineAndField) {
  std::string check = Replace(kCheck, R"("cost":[0,0,0,0,0])", R"("cost":[0,0,1.5,0,0])");
  TraceOutcome outcome = ReplayTraceText(Lines({kHeader, kConfig, kWaiting, kAssign, check, kAck}), "t");
  ASSERT_EQ(outcome.result, Result::kFail);
  EXPECT_EQ(outcome.line, 5);
  EXPECT_EQ(outcome.op, "check");
  EXPECT_EQ(outcome.difference, "expect_state.running[0].cost[2]: expected 1.5, actual 0");
  EXPECT_EQ(outcome.Summary(), "FAIL tiny line 5 op check: expect_state.running[0].cost[2]: expected 1.5, actual 0");
}

TEST(ReplayTraceText, WrongEventOrAssignment_FailsWithFirstDifference) {
  TraceOutcome priority = ReplayTraceText(
      Lines({kHeader, kConfig, kWaiting, Replace(kAssign, R"("priority":5)", R"("priority":4)")}), "t");
  ASSERT_EQ(priority.result, Result::kFail);
  EXPECT_EQ(priority.line, 4);
  EXPECT_EQ(priority.difference, "expect_events[0].priority: expected 4, actual 5");

  TraceOutcome missing = ReplayTraceText(
      Lines({kHeader, kConfig, kWaiting, Replace(kAssign, R"("expect":[{"worker":"W1","request":"R1","provision_required":true}])", R"("expect":[])")}),
      "t");
  ASSERT_EQ(missing.result, Result::kFail);
  EXPECT_EQ(missing.difference, "expect[0]: expected nothing, actual worker=W1 request=R1 (0 expected, 1 actual)");

  TraceOutcome tags = ReplayTraceText(Lines({kHeader, kConfig, Replace(kWaiting, R"("tags":["x"]})", R"("tags":["y"]})")}), "t");
  ASSERT_EQ(tags.result, Result::kFail);
  EXPECT_EQ(tags.line, 3);
  EXPECT_EQ(tags.difference, "expect_events[0].tags[0]: expected \"y\", actual \"x\"");
}

TEST(ReplayTraceText, BadJson_ReportsLine) {
  EXPECT_THAT(BadInput(Lines({kHeader, kConfig, R"({"op":"roundtrip")"})),
              HasSubstr("t.jsonl:3: invalid JSON: "));
  EXPECT_EQ(BadInput(Lines({kHeader, "", kConfig})), "t.jsonl:2: empty line (expected one JSON object per line)");
  EXPECT_EQ(BadInput(""), "t.jsonl:1: empty trace (expected a header line)");
}

TEST(ReplayTraceText, UnknownField_ReportsFieldPath) {
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, R"("expect_events")", R"("bogus":1,"expect_events")")})),
            "t.jsonl:2: field \"bogus\": unknown field");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kWaiting, R"("tags":["x"]})", R"("tags":["x"],"zz":0})")})),
            "t.jsonl:3: field \"expect_events[0].zz\": unknown field");
}

TEST(ReplayTraceText, MissingField_ReportsFieldAndType) {
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, R"("bot_expiration_us":0,)", "")})),
            "t.jsonl:2: field \"bot_expiration_us\": expected an integer, missing");
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, R"(,"expect_events":[])", "")})),
            "t.jsonl:2: field \"expect_events\": expected a list, missing");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, kWaiting, Replace(kAssign, R"("labels":[])", R"("x":1)")})),
            "t.jsonl:4: field \"workers[0].x\": unknown field");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, kWaiting, Replace(kAssign, R"(,"labels":[])", "")})),
            "t.jsonl:4: field \"workers[0].labels\": expected a list, missing");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, kWaiting, kAssign, Replace(kCheck, R"("idle":[],)", "")})),
            "t.jsonl:5: field \"expect_state.idle\": expected a list, missing");
}

TEST(ReplayTraceText, InputProtobufWouldAccept_Rejected) {
  // Protobuf's JSON parser appends repeated lists, reads camelCase aliases
  // and takes a single value for a list; the format allows none of these.
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kWaiting, R"("tags":["x"],"expect_events")",
                                                       R"("tags":["x"],"tags":["y"],"expect_events")")})),
            "t.jsonl:3: field \"tags\": expected once, given twice");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAck, R"("t_us")", R"("tUs")")})),
            "t.jsonl:3: field \"tUs\": unknown field");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kWaiting, R"("tags":["x"],"expect_events")",
                                                       R"("tags":"x","expect_events")")})),
            "t.jsonl:3: field \"tags\": expected a list, got a single value");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAck, R"("request":"R1")", R"("request":["R1"])")})),
            "t.jsonl:3: field \"request\": expected a single value, got a list");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, kWaiting, Replace(kAssign, R"("workers":[{"id":"W1","labels":[]}])", R"("workers":5)")})),
            "t.jsonl:4: field \"workers\": expected an object, got 5");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig + kConfig})), "t.jsonl:2: invalid JSON: Parsing terminated before end of input.");
}

TEST(ReplayTraceText, FieldOfAnotherOp_Rejected) {
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, R"("op":"config")", R"("op":"config","t_us":5)")})),
            "t.jsonl:2: field \"t_us\": unexpected in op config");
}

TEST(ReplayTraceText, WrongType_ReportsExpectedType) {
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAck, "1700000000004000", "\"soon\"")})),
            "t.jsonl:3: field \"t_us\": expected an integer, got \"soon\"");
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, "false", "0")})),
            "t.jsonl:2: field \"disable_preemption\": expected true or false, got 0");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, kWaiting, kAssign, Replace(kCheck, "[0,0,0,0,0]", "[0,0,\"a\",0,0]")})),
            "t.jsonl:5: field \"expect_state.running[0].cost[2]\": expected a number, got \"a\"");
}

TEST(ReplayTraceText, BadValues_Rejected) {
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, "config", "configure")})),
            "t.jsonl:2: field \"op\": expected one of config, add_account, delete_account, notify_waiting, "
            "notify_running, notify_absent, task_error, assign_tasks, cancellations, check, roundtrip; got "
            "\"configure\"");
  EXPECT_EQ(BadInput(Lines({Replace(kHeader, "trace/1", "trace/2")})),
            "t.jsonl:1: field \"format\": expected \"qscheduler-trace/1\", got \"qscheduler-trace/2\"");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, kWaiting, kAssign, Replace(kCheck, "[0,0,0,0,0]", "[0,0]")})),
            "t.jsonl:5: field \"expect_state.running[0].cost\": expected 5 numbers, got 2");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kWaiting, "ENQUEUED", "QUEUED")})),
            "t.jsonl:3: field \"expect_events[0].type\": expected ENQUEUED, ASSIGNED, PREEMPTED, REPRIORITIZED, "
            "COMPLETED or UNASSIGNED, got \"QUEUED\"");
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, R"("op":"config")", R"("op":"config","op":"check")")})),
            "t.jsonl:2: field \"op\": expected once, given twice");
}

// --- Input that must be an error, never a crash or a mismatch -------------

const std::string kAddAccount =
    R"({"op":"add_account","account":"A1","charge_rate":[1,0,0,0,0],"max_charge_seconds":60,)"
    R"("disable_free_tasks":false,"initial_balance":[],"expect_events":[]})";

TEST(ReplayTraceText, DeeplyNestedJson_LocatedErrorNotStackOverflow) {
  const std::string lists(100000, '[');
  EXPECT_EQ(BadInput(Lines({kHeader, R"({"op":"config","expect_events":)" + lists})),
            "t.jsonl:2: column 95: lists and objects nested more than 64 deep");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, objects})),
            "t.jsonl:3: column 321: lists and objects nested more than 64 deep");
  // Inside the header's policy (a Struct, which protobuf reads recursively).
  EXPECT_THAT(BadInput(Lines({WithPolicy(R"({"x":)" + lists + "}")})),
              ::testing::MatchesRegex("t.jsonl:1: column [0-9]+: lists and objects nested more than 64 deep"));
  // 64 levels are allowed (and this line fails later, for its content).
  EXPECT_THAT(BadInput(Lines({kHeader, R"({"op":"config","expect_events":)" + std::string(63, '[') +
                                           std::string(63, ']') + "}"})),
              ::testing::Not(HasSubstr("nested")));
}

TEST(ReplayTraceText, NanOrInfinity_LocatedError) {
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAddAccount, "[1,0,0,0,0]", R"([1,"NaN",0,0,0])")})),
            "t.jsonl:3: field \"charge_rate[1]\": expected a finite number, got nan");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAddAccount, ":60,", R"(:"-Infinity",)")})),
            "t.jsonl:3: field \"max_charge_seconds\": expected a finite number, got -inf");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, kWaiting, kAssign,
                            Replace(kCheck, "[0,0,0,0,0]", R"([0,0,0,0,"Infinity"])")})),
            "t.jsonl:5: field \"expect_state.running[0].cost[4]\": expected a finite number, got inf");
  // JSON has no NaN literal: a bare one is not JSON.
  EXPECT_THAT(BadInput(Lines({kHeader, kConfig, Replace(kAddAccount, "[1,0,0,0,0]", "[1,NaN,0,0,0]")})),
              HasSubstr("t.jsonl:3: invalid JSON"));
}

TEST(ReplayTraceText, OutOfRangeNumber_LocatedError) {
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAddAccount, "[1,0,0,0,0]", "[1,1e39,0,0,0]")})),
            "t.jsonl:3: field \"charge_rate[1]\": expected a number, got 1e+39");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAck, "1700000000004000", "1e30")})),
            "t.jsonl:3: field \"t_us\": expected an integer, got 1e+30");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAck, "1700000000004000", "9223372036854775807")})),
            "t.jsonl:3: field \"t_us\": expected microseconds within +-2^53 (9007199254740992), got "
            "9223372036854775807");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, kWaiting, kAssign,
                            Replace(kCheck, "\"enqueue_us\":1700000000002000", "\"enqueue_us\":-9007199254740993")})),
            "t.jsonl:5: field \"expect_state.worker_queues[0].enqueue_us\": expected microseconds within +-2^53 "
            "(9007199254740992), got -9007199254740993");
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAddAccount, "[],", R"([],"max_fanout":4294967296,)")})),
            "t.jsonl:3: field \"max_fanout\": expected an integer, got 4294967296");
}

TEST(ReplayTraceText, SeveralBadLines_TheFirstIsReported) {
  const std::string deep = R"({"op":"config","expect_events":)" + std::string(100, '[');
  EXPECT_THAT(BadInput(Lines({kHeader, R"({"op":)", deep})), HasSubstr("t.jsonl:2: invalid JSON"));
  EXPECT_THAT(BadInput(Lines({kHeader, R"({"op":"bogus"})", "", deep})), HasSubstr("t.jsonl:2: field \"op\""));
  EXPECT_THAT(BadInput(Lines({kHeader, deep, R"({"op":)"})), HasSubstr("t.jsonl:2: column 95: "));
}

TEST(ReplayTraceText, HugeChargeRate_PromotesTheRun) {
  // A charge rate near float's maximum leaves room for ~3e38 promotions; the
  // scheduler once converted that count to size_t (undefined behaviour; on
  // x86 it came out as 0, and nothing was promoted).
  const std::string readd = Replace(Replace(kAddAccount, "[1,0,0,0,0]", "[3e38,0,0,0,0]"), ":60,", ":1,");
  const std::string later =
      R"({"op":"assign_tasks","t_us":1700000000010000,"workers":[],"expect":[],"expect_events":[)"
      R"({"type":"REPRIORITIZED","t_us":1700000000010000,"task":"R1","worker":"W1","account":"A1",)"
      R"("old_priority":5,"new_priority":1}]})";
  TraceOutcome outcome = ReplayTraceText(Lines({kHeader, kConfig, kWaiting, kAssign, readd, later}), "t");
  EXPECT_EQ(outcome.result, Result::kPass) << outcome.Summary();
}

TEST(ReplayTraceText, OverlongLine_LocatedErrorWithTheLimit) {
  const std::string long_account(internal::kMaxTraceLineBytes, 'a');
  EXPECT_EQ(BadInput(Lines({kHeader, kConfig, Replace(kAddAccount, "\"A1\"", "\"" + long_account + "\"")})),
            "t.jsonl:3: line of " + std::to_string(kAddAccount.size() - 2 + long_account.size()) +
                " bytes, longer than the 1024 KiB a trace line may be");
}

TEST(ReplayTraceText, TruncatedLine_LocatedError) {
  const std::string text = Lines({kHeader, kConfig, kWaiting});
  for (size_t cut : {text.size() - 2, text.size() - 20, text.size() - kWaiting.size() / 2}) {
    EXPECT_THAT(BadInput(text.substr(0, cut)), HasSubstr("t.jsonl:3: ")) << "cut at " << cut;
  }
  EXPECT_THAT(BadInput(Lines({kHeader, kConfig}) + "{\"op\":\"notify_runn"), HasSubstr("t.jsonl:3: invalid JSON"));
}

class RunReplayCommandTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "qsim_replay_test";
    std::filesystem::create_directories(dir);
    std::string path = (dir / name).string();
    std::ofstream(path) << text;
    return path;
  }
  int Run(std::vector<std::string> files, bool verbose = false) {
    out_.str("");
    err_.str("");
    return RunReplayCommand(files, verbose, out_, err_);
  }
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(RunReplayCommandTest, AllPass_ExitZeroAndCountLine) {
  std::string good = Write("good.jsonl", Lines({kHeader, kConfig, kWaiting, kAssign, kCheck}));
  EXPECT_EQ(Run({good}), 0);
  EXPECT_EQ(out_.str(), "1 passed, 0 failed\n");
  EXPECT_EQ(Run({good, good}, /*verbose=*/true), 0);
  EXPECT_EQ(out_.str(), "PASS tiny (4 ops)\nPASS tiny (4 ops)\n2 passed, 0 failed\n");
}

TEST_F(RunReplayCommandTest, Mismatch_ExitOneWithFailLine) {
  std::string good = Write("good.jsonl", Lines({kHeader, kConfig, kWaiting, kAssign, kCheck}));
  std::string bad = Write("bad.jsonl", Lines({kHeader, kConfig, kWaiting, kAssign,
                                             Replace(kCheck, "1700000000002000,\"balances\"", "1700000000002001,\"balances\"")}));
  EXPECT_EQ(Run({good, bad}), 1);
  EXPECT_EQ(out_.str(),
            "FAIL tiny line 5 op check: expect_state.last_update_us: expected 1700000000002001, actual "
            "1700000000002000\n1 passed, 1 failed\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(RunReplayCommandTest, MissingOrMalformedFile_ExitTwo) {
  std::string good = Write("good.jsonl", Lines({kHeader, kConfig}));
  std::string missing = (std::filesystem::path(::testing::TempDir()) / "no-such-trace.jsonl").string();
  EXPECT_EQ(Run({missing, good}), 2);
  EXPECT_EQ(err_.str(), missing + ": no such file\n");
  EXPECT_EQ(out_.str(), "1 passed, 1 failed\n");

  std::string malformed = Write("malformed.jsonl", Lines({kHeader, "{\"op\":"}));
  EXPECT_EQ(Run({malformed}), 2);
  EXPECT_THAT(err_.str(), HasSubstr(malformed + ":2: invalid JSON"));
}

TEST_F(RunReplayCommandTest, HostileInput_ExitTwoWithLocatedError) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nested.jsonl", Lines({kHeader, std::string(100000, '[')})},
      {"nan.jsonl", Lines({kHeader, kConfig, Replace(kAddAccount, "[1,0,0,0,0]", R"([1,"NaN",0,0,0])")})},
      {"inf.jsonl", Lines({kHeader, kConfig, Replace(kAddAccount, ":60,", R"(:"Infinity",)")})},
      {"long.jsonl", Lines({kHeader, std::string(internal::kMaxTraceLineBytes + 1, ' ')})},
      {"truncated.jsonl", Lines({kHeader, kConfig}) + kWaiting.substr(0, 40)},
  };
  for (const auto& [name, text] : cases) {
    std::string path = Write(name, text);
    EXPECT_EQ(Run({path}), 2) << name;
    EXPECT_THAT(err_.str(), ::testing::StartsWith(path + ":")) << name;
    EXPECT_EQ(out_.str(), "0 passed, 1 failed\n") << name;
  }
}

// --- gzip-compressed traces ----------------------------------------------

// `text` as gzip data, the way `gzip -9` writes it.
std::string Gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(TraceFile, GunzipOneOrSeveralMembers_GivesTheText) {
  const std::string text = Lines({kHeader, kConfig, kWaiting});
  StatusOr<std::string> one = internal::Gunzip(Gzip(text), "t.jsonl.gz");
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(*one, text);
  // gzip allows members one after another (`cat a.gz b.gz`).
  StatusOr<std::string> two = internal::Gunzip(Gzip(text) + Gzip(kAck + "\n"), "t.jsonl.gz");
  ASSERT_TRUE(two.ok()) << two.status().message();
  EXPECT_EQ(*two, text + kAck + "\n");
}

TEST(TraceFile, GunzipTruncatedData_ErrorNamesFileAndSaysTruncated) {
  const std::string gz = Gzip(Lines({kHeader, kConfig, kWaiting, kAssign, kCheck}));
  for (size_t keep : {size_t{0}, size_t{5}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    StatusOr<std::string> text = internal::Gunzip(std::string_view(gz).substr(0, keep), "dir/t.jsonl.gz");
    ASSERT_FALSE(text.ok()) << "kept " << keep << " of " << gz.size() << " bytes";
    EXPECT_EQ(text.status().code(), StatusCode::kDataLoss);
    EXPECT_THAT(text.status().message(), ::testing::StartsWith("dir/t.jsonl.gz: truncated gzip data: "))
        << "kept " << keep;
  }
}

TEST(TraceFile, GunzipCorruptData_ErrorNamesFileAndByte) {
  const std::string gz = Gzip(Lines({kHeader, kConfig, kWaiting, kAssign, kCheck}));
  // Every single-byte change past the 10-byte header is caught: by the
  // deflate decoder, or at the latest by the CRC-32 or length trailer.
  for (size_t at = 10; at < gz.size(); ++at) {
    std::string bad = gz;
    bad[at] = static_cast<char>(bad[at] ^ 0x55);
    StatusOr<std::string> text = internal::Gunzip(bad, "t.jsonl.gz");
    ASSERT_FALSE(text.ok()) << "byte " << at;
    EXPECT_THAT(text.status().message(), ::testing::StartsWith("t.jsonl.gz: ")) << "byte " << at;
  }
  StatusOr<std::string> text = internal::Gunzip(gz + "junk", "t.jsonl.gz");
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(), ::testing::MatchesRegex("t.jsonl.gz: corrupt gzip data at byte [0-9]+: .+"));
}

TEST_F(RunReplayCommandTest, GzipTrace_ReplaysLikeThePlainOne) {
  const std::string text = Lines({kHeader, kConfig, kWaiting, kAssign, kCheck});
  std::string plain = Write("same.jsonl", text);
  std::string gz = Write("same.jsonl.gz", Gzip(text));
  EXPECT_EQ(Run({plain, gz}, /*verbose=*/true), 0);
  EXPECT_EQ(out_.str(), "PASS tiny (4 ops)\nPASS tiny (4 ops)\n2 passed, 0 failed\n");
  // Line numbers in errors count lines of the decompressed text.
  std::string bad = Write("bad.jsonl.gz", Gzip(Lines({kHeader, kConfig, "{\"op\":"})));
  EXPECT_EQ(Run({bad}), 2);
  EXPECT_THAT(err_.str(), HasSubstr(bad + ":3: invalid JSON"));
}

TEST_F(RunReplayCommandTest, CorruptOrTruncatedGzip_ExitTwoNamingTheFile) {
  const std::string gz = Gzip(Lines({kHeader, kConfig, kWaiting, kAssign, kCheck}));
  std::string truncated = Write("truncated.jsonl.gz", gz.substr(0, gz.size() / 2));
  EXPECT_EQ(Run({truncated}), 2);
  EXPECT_THAT(err_.str(), ::testing::StartsWith(truncated + ": truncated gzip data: "));
  EXPECT_EQ(out_.str(), "0 passed, 1 failed\n");

  std::string corrupt = gz;
  corrupt[gz.size() - 6] = static_cast<char>(corrupt[gz.size() - 6] ^ 1);  // inside the CRC-32
  std::string corrupt_path = Write("corrupt.jsonl.gz", corrupt);
  EXPECT_EQ(Run({corrupt_path}), 2);
  EXPECT_EQ(err_.str(), corrupt_path + ": corrupt gzip data at byte " + std::to_string(gz.size() - 4) +
                            ": incorrect data check\n");

  std::string not_gzip = Write("plain-text.jsonl.gz", Lines({kHeader, kConfig}));
  EXPECT_EQ(Run({not_gzip}), 2);
  EXPECT_THAT(err_.str(), ::testing::StartsWith(not_gzip + ": expected gzip data"));
}

// --- The header's policy and add_account's limits -------------------------

// A header whose `policy` sets every switch of scheduler/policy_schema.h to
// a value other than its default, built from the same list, so that a switch
// added there is covered here without a change.
Policy EverySwitchChanged() {
  Policy p;
  ForEachPolicyField(p, [](PolicyFieldName, auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, bool>) {
      value = !value;
    } else if constexpr (std::is_same_v<T, Duration>) {
      value = value + Seconds(7);
    } else if constexpr (std::is_same_v<T, float>) {
      value = value + 0.25f;
    } else {
      value = value + 3;
    }
  });
  return p;
}

std::string PolicyJson(const Policy& p) {
  std::string json;
  ForEachPolicyField(p, [&](PolicyFieldName name, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    json += (json.empty() ? "{\"" : ",\"") + std::string(name.proto) + "\":";
    if constexpr (std::is_same_v<T, bool>) {
      json += value ? "true" : "false";
    } else if constexpr (std::is_same_v<T, Duration>) {
      json += std::to_string(ToMicros(value));
    } else if constexpr (std::is_same_v<T, float>) {
      std::ostringstream s;
      s << value;
      json += s.str();
    } else {
      json += std::to_string(value);
    }
  });
  return json + "}";
}

StatusOr<internal::Trace> Parse(const std::string& text) { return internal::ParseTrace(text, "t.jsonl"); }

TEST(TraceHeaderPolicy, NoPolicy_DefaultPolicy) {
  StatusOr<internal::Trace> trace = Parse(Lines({kHeader, kConfig}));
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  EXPECT_EQ(trace->policy, Policy());
}

TEST(TraceHeaderPolicy, EverySwitch_ReadOverTheDefaults) {
  const Policy want = EverySwitchChanged();
  ASSERT_NE(want, Policy());
  StatusOr<internal::Trace> trace = Parse(Lines({WithPolicy(PolicyJson(want)), kConfig}));
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  EXPECT_EQ(trace->policy, want);
  ForEachPolicyField(want, [&](PolicyFieldName name, const auto& value) {
    // Names the switch that differs, should the whole-struct comparison fail.
    bool same = false;
    ForEachPolicyField(trace->policy, [&](PolicyFieldName other, const auto& got) {
      if constexpr (std::is_same_v<decltype(value), decltype(got)>) {
        if (other.proto == name.proto) same = got == value;
      }
    });
    EXPECT_TRUE(same) << name.proto;
  });
}

TEST(TraceHeaderPolicy, SomeSwitches_OthersKeepDefaults) {
  StatusOr<internal::Trace> trace = Parse(Lines(
      {WithPolicy(R"({"enforce_fanout":true,"worker_queue_timeout_us":3600000000,"demote_threshold":-700.5})"),
       kConfig}));
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  Policy want;
  want.enforce_fanout = true;
  want.worker_queue_timeout = Hours(1);
  want.demote_threshold = -700.5f;
  EXPECT_EQ(trace->policy, want);
}

TEST(TraceHeaderPolicy, UnknownSwitch_LocatedError) {
  EXPECT_THAT(BadInput(Lines({WithPolicy(R"({"enforce_fanout":true,"enforce_fanouts":true})"), kConfig})),
              ::testing::StartsWith("t.jsonl:1: field \"policy.enforce_fanouts\": unknown field (the policy "
                                    "switches are "));
  // The YAML name of a duration is not the trace's name for it.
  EXPECT_THAT(BadInput(Lines({WithPolicy(R"({"bot_expiration":5})"), kConfig})),
              ::testing::StartsWith("t.jsonl:1: field \"policy.bot_expiration\": unknown field"));
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"({"skipStalePairs":true})"), kConfig})),
            "t.jsonl:1: field \"policy.skipStalePairs\": unknown field");
}

TEST(TraceHeaderPolicy, BadValues_LocatedError) {
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"({"enforce_fanout":1})"), kConfig})),
            "t.jsonl:1: field \"policy.enforce_fanout\": expected true or false, got 1");
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"({"match_sort_cutoff":2.5})"), kConfig})),
            "t.jsonl:1: field \"policy.match_sort_cutoff\": expected an integer >= 0, got 2.5");
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"({"max_queue_age_us":0})"), kConfig})),
            "t.jsonl:1: field \"policy.max_queue_age_us\": expected an integer >= 1 (microseconds), got 0");
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"({"promote_threshold":1e39})"), kConfig})),
            "t.jsonl:1: field \"policy.promote_threshold\": expected a finite number, got 1e+39");
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"({"promote_threshold":"high"})"), kConfig})),
            "t.jsonl:1: field \"policy.promote_threshold\": expected a finite number, got \"high\"");
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"({"promote_threshold":-1000})"), kConfig})),
            "t.jsonl:1: field \"policy.demote_threshold\": expected <= promote_threshold");
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"([true])"), kConfig})),
            "t.jsonl:1: field \"policy\": expected a single value, got a list");
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"("strict")"), kConfig})),
            "t.jsonl:1: field \"policy\": expected an object, got \"strict\"");
  EXPECT_EQ(BadInput(Lines({WithPolicy(R"({"enforce_fanout":true,"enforce_fanout":false})"), kConfig})),
            "t.jsonl:1: field \"policy.enforce_fanout\": expected once, given twice");
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, R"("op":"config")", R"("op":"config","policy":{})")})),
            "t.jsonl:2: field \"policy\": unexpected in op config");
}

TEST(TraceAccountLimits, Optional_ReadWhenGiven) {
  std::string limited = Replace(kAddAccount, R"(,"expect_events")",
                                R"(,"max_fanout":2,"per_label_task_limits":{"os:":1,"pool:":3},"expect_events")");
  StatusOr<internal::Trace> trace = Parse(Lines({kHeader, kConfig, kAddAccount, limited}));
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  EXPECT_FALSE(trace->ops[1].fields.has_max_fanout());
  EXPECT_EQ(trace->ops[2].fields.max_fanout(), 2);
  EXPECT_EQ(trace->ops[2].fields.per_label_task_limits().size(), 2u);
  EXPECT_EQ(trace->ops[2].fields.per_label_task_limits().at("pool:"), 3);
}

TEST(TraceAccountLimits, BadValues_LocatedError) {
  auto with = [](const std::string& fields) {
    return Lines({kHeader, kConfig, Replace(kAddAccount, R"(,"expect_events")", fields + R"(,"expect_events")")});
  };
  EXPECT_EQ(BadInput(with(R"(,"max_fanout":-1)")),
            "t.jsonl:3: field \"max_fanout\": expected an integer >= 0 (0 = no limit), got -1");
  EXPECT_EQ(BadInput(with(R"(,"per_label_task_limits":{"os:":-2})")),
            "t.jsonl:3: field \"per_label_task_limits.os:\": expected an integer >= 0, got -2");
  EXPECT_EQ(BadInput(with(R"(,"per_label_task_limits":{"os:":1,"os:":2})")),
            "t.jsonl:3: field \"per_label_task_limits.os:\": expected once, given twice");
  EXPECT_EQ(BadInput(with(R"(,"per_label_task_limits":["os:"])")),
            "t.jsonl:3: field \"per_label_task_limits\": expected an object, got a list");
  EXPECT_EQ(BadInput(with(R"(,"per_label_task_limits":{"":1})")),
            "t.jsonl:3: field \"per_label_task_limits\": expected non-empty label prefixes, got \"\"");
  EXPECT_EQ(BadInput(Lines({kHeader, Replace(kConfig, R"("op":"config")", R"("op":"config","max_fanout":1)")})),
            "t.jsonl:2: field \"max_fanout\": unexpected in op config");
}

// The limits reach the scheduler and survive the persistent form: with
// fanout enforced and a limit of 1, the second paid task of the same
// (account, labels) group waits.
TEST(TraceAccountLimits, FanoutLimit_ReachesTheScheduler) {
  const std::string header = WithPolicy(R"({"enforce_fanout":true})");
  // Free tasks disabled: a request over the limit would otherwise run in the free bucket.
  const std::string account =
      Replace(Replace(kAddAccount, R"(,"expect_events")", R"(,"max_fanout":1,"expect_events")"),
              R"("disable_free_tasks":false)", R"("disable_free_tasks":true)");
  auto waiting = [](const std::string& r, int64_t t) {
    const std::string ts = std::to_string(t);
    return R"({"op":"notify_waiting","t_us":)" + ts + R"(,"request":")" + r +
           R"(","account":"A1","base_labels":[],"provisionable_labels":[],"enqueue_us":)" + ts +
           R"(,"tags":[],"expect_events":[{"type":"ENQUEUED","t_us":)" + ts + R"(,"task":")" + r +
           R"(","worker":"","account":"A1","tags":[]}]})";
  };
  const std::string assign =
      R"({"op":"assign_tasks","t_us":1700000000003000,"workers":[{"id":"W1","labels":[]},{"id":"W2","labels":[]}],)"
      R"("expect":[{"worker":"W1","request":"R1","provision_required":false}],"expect_events":[)"
      R"({"type":"ASSIGNED","t_us":1700000000003000,"task":"R1","worker":"W1","account":"A1","priority":0,)"
      R"("preempting":false,"provision_required":false,"preempted_task":"","preemption_cost":[]}]})";
  const std::string text = Lines({header, Replace(kConfig, "false", "true"), Replace(account, "[]", "[60]"),
                                  waiting("R1", 1700000000001000), waiting("R2", 1700000000002000), assign});
  for (int every : {0, 1}) {
    TraceOutcome outcome = ReplayTraceText(text, "t", ReplayOptions{.roundtrip_every_n_ops = every});
    EXPECT_EQ(outcome.result, Result::kPass) << "round trip every " << every << ": " << outcome.Summary();
  }
  // Without the limit both tasks start, so the recorded expectation fails.
  TraceOutcome unlimited = ReplayTraceText(Replace(text, R"("max_fanout":1,)", ""), "t");
  ASSERT_EQ(unlimited.result, Result::kFail) << unlimited.Summary();
  EXPECT_EQ(unlimited.line, 6);
}

}  // namespace
}  // namespace qsim::replay
