// Bot groups that join late and leave early (joins_at, leaves_at): whole
// runs read back through events.csv, timeseries.csv and summary.csv.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "runfolder/csv.h"
#include "sim/limits.h"
#include "sim/sim.h"
#include "tests/testing/test_util.h"

namespace qsim::sim {
namespace {

// A saturated fleet: 30 tasks of 20m an hour need 10 bots; at most 5 are
// ever present. `early` leaves at 3h, `late` joins at 2h.
const char* kFleet = R"(
duration: 6h
sample_interval: 10m
accounts: {a: {charge_rate: [1], max_charge_seconds: 3600}}
bots:
  - {group: early, count: 3, labels: ["pool:x"], poll_interval: 5s, leaves_at: 3h}
  - {group: late, count: 2, labels: ["pool:x"], poll_interval: 5s, joins_at: 2h}
workloads:
  - account: a
    base_labels: ["pool:x"]
    arrivals: {kind: poisson, rate_per_hour: 30}
    duration: 20m
)";

Scenario Parse(const std::string& text) {
  StatusOr<Scenario> s = ParseScenario(text, "test.yaml", ".");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : Scenario{};
}

RunResult MustRun(const Scenario& s, const std::string& out_dir) {
  RunOptions o;
  o.out_dir = out_dir;
  StatusOr<RunResult> r = RunScenario(s, 7, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : RunResult{};
}

struct Assignment {
  double at_s = 0;
  std::string bot;
  int64_t task = 0;
};

std::vector<Assignment> ReadAssignments(const std::string& dir) {
  std::vector<Assignment> out;
  StatusOr<runfolder::CsvReader> csv = runfolder::CsvReader::Open(dir + "/events.csv");
  EXPECT_TRUE(csv.ok()) << csv.status().message();
  if (!csv.ok()) return out;
  const int time = csv->Column("time_s"), type = csv->Column("type"), task = csv->Column("task"),
            bot = csv->Column("bot");
  while (true) {
    StatusOr<bool> more = csv->Next();
    EXPECT_TRUE(more.ok()) << more.status().message();
    if (!more.ok() || !*more) break;
    const std::vector<std::string>& row = csv->row();
    if (row[type] != "ASSIGNED") continue;
    std::string name = row[task];
    out.push_back({std::stod(row[time]), row[bot], std::stoll(name.substr(name.find_first_of("0123456789")))});
  }
  return out;
}

// The bots_* series summed per sample time: the fleet each sample counted.
std::map<double, double> FleetPerSample(const std::string& dir) {
  std::map<double, double> fleet;
  StatusOr<runfolder::CsvReader> csv = runfolder::CsvReader::Open(dir + "/timeseries.csv");
  EXPECT_TRUE(csv.ok()) << csv.status().message();
  if (!csv.ok()) return fleet;
  const int time = csv->Column("time_s"), series = csv->Column("series"), value = csv->Column("value");
  while (true) {
    StatusOr<bool> more = csv->Next();
    if (!more.ok() || !*more) break;
    const std::vector<std::string>& row = csv->row();
    if (row[series].rfind("bots_", 0) == 0) fleet[std::stod(row[time])] += std::stod(row[value]);
  }
  return fleet;
}

bool In(const std::string& bot, const std::string& group) { return bot.rfind(group + "-", 0) == 0; }

// The queue is never empty, so a polling bot is always given a task: the
// scheduler never holds an early bot idle, and so never assigns one after it
// left (in a quiet fleet it may, until policy.bot_expiration, as for a dead
// bot; production/import_test.cc allows for that).
TEST(BotPresence, ALateGroupTakesNoTaskBeforeItJoinsAndALeavingOneNoneAfter) {
  testing::ScopedTempDir dir("qsim-presence");
  RunResult r = MustRun(Parse(kFleet), dir.path());
  ASSERT_TRUE(r.violations.empty()) << r.violations.front();
  std::vector<Assignment> assigned = ReadAssignments(dir.path());
  int early = 0, late = 0;
  for (const Assignment& a : assigned) {
    if (In(a.bot, "late")) {
      ++late;
      EXPECT_GE(a.at_s, 2 * 3600.0) << a.bot << " took task " << a.task << " before its group joined";
    } else {
      ASSERT_TRUE(In(a.bot, "early")) << a.bot;
      ++early;
      EXPECT_LT(a.at_s, 3 * 3600.0) << a.bot << " took task " << a.task << " after its group left";
    }
  }
  EXPECT_GT(early, 3);  // both groups worked while present
  EXPECT_GT(late, 3);
  // The late group starts within a poll interval (5s) of joining: tasks wait.
  double first_late = 1e18;
  for (const Assignment& a : assigned) first_late = In(a.bot, "late") ? std::min(first_late, a.at_s) : first_late;
  EXPECT_LE(first_late, 2 * 3600.0 + 6);
}

TEST(BotPresence, ABotBusyWhenItsGroupLeavesFinishesItsTask) {
  testing::ScopedTempDir dir("qsim-presence");
  RunResult r = MustRun(Parse(kFleet), dir.path());
  ASSERT_TRUE(r.violations.empty()) << r.violations.front();
  // Each early bot's last assignment, with the fleet saturated, runs over 3h.
  std::map<std::string, Assignment> last;
  for (const Assignment& a : ReadAssignments(dir.path())) {
    if (In(a.bot, "early")) last[a.bot] = a;
  }
  ASSERT_EQ(last.size(), 3u);
  int crossing = 0;
  for (const auto& [bot, a] : last) {
    const TaskResult& t = r.tasks.at(static_cast<size_t>(a.task));
    if (t.start < Hours(3) && t.end >= Hours(3)) {
      ++crossing;
      EXPECT_EQ(t.outcome, Outcome::kCompleted) << bot << "'s task " << a.task << " was not finished";
      EXPECT_EQ(t.end - t.start, Minutes(20)) << bot;
    }
  }
  EXPECT_GT(crossing, 0) << "no early bot was busy at 3h: the test lost its point";
  EXPECT_EQ(r.summary.back().lost, 0);
}

TEST(BotPresence, SamplesAndUtilisationCountOnlyPresentBots) {
  testing::ScopedTempDir dir("qsim-presence");
  RunResult r = MustRun(Parse(kFleet), dir.path());
  std::map<double, double> fleet = FleetPerSample(dir.path());
  EXPECT_EQ(fleet.at(3600), 3);       // early only
  EXPECT_EQ(fleet.at(2.5 * 3600), 5);  // both
  EXPECT_EQ(fleet.at(4 * 3600), 2);   // late only: every early bot finished its last task by 3h20m
  // Saturated while present: over all five bots for 6h it would read 17/30.
  const AccountSummary& all = r.summary.back();
  EXPECT_GT(all.utilisation, 0.95);
  EXPECT_LE(all.utilisation, 1.0);
}

// Deaths and flaps around the join and leave times: a bot silent when its
// group leaves goes when it returns, and the books still balance.
TEST(BotPresence, WithDeathsAndFlapsNoLeftBotTakesWorkAndTheBooksBalance) {
  const std::string faults =
      "faults: {bot_deaths: {rate_per_bot_day: 24, downtime: 20m, scheduled: [{at: 175m, group: early, count: 1, "
      "downtime: 30m}]},\n         bot_flaps: {rate_per_bot_day: 24, downtime: {dist: uniform, min: 1m, max: 40m}}}\n";
  Scenario s = Parse(std::string(kFleet) + faults);
  for (uint64_t seed : {1, 2, 3}) {
    testing::ScopedTempDir dir("qsim-presence");
    RunOptions o;
    o.out_dir = dir.path();
    StatusOr<RunResult> r = RunScenario(s, seed, o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r->violations.empty()) << "seed " << seed << ": " << r->violations.front();
    const AccountSummary& all = r->summary.back();
    EXPECT_EQ(all.completed + all.preempted + all.failed + all.cancelled + all.lost + all.unfinished, all.tasks);
    EXPECT_LE(all.utilisation, 1.0) << "seed " << seed;
    for (const Assignment& a : ReadAssignments(dir.path())) {
      if (In(a.bot, "early")) EXPECT_LT(a.at_s, 3 * 3600.0) << "seed " << seed << ": " << a.bot;
      if (In(a.bot, "late")) EXPECT_GE(a.at_s, 2 * 3600.0) << "seed " << seed << ": " << a.bot;
    }
  }
}

TEST(BotPresence, ValidateCountsOnlyPresentBotTimeAsCapacity) {
  OfferedLoad load = EstimateOfferedLoad(Parse(kFleet));
  // early 3 x 3h, late 2 x 4h.
  EXPECT_DOUBLE_EQ(load.capacity_bot_seconds, (3 * 3 + 2 * 4) * 3600.0);
}

TEST(BotPresence, ResolvedScenarioKeepsJoinAndLeaveAndOmitsThemWhenUnset) {
  Scenario s = Parse(kFleet);
  std::string text = WriteResolvedScenario(s);
  EXPECT_NE(text.find("joins_at: 2h"), std::string::npos) << text;
  EXPECT_NE(text.find("leaves_at: 3h"), std::string::npos) << text;
  StatusOr<Scenario> back = ParseScenario(text, "resolved.yaml", ".");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(WriteResolvedScenario(*back), text);
  EXPECT_EQ(back->bots[1].joins_at, Hours(2));
  EXPECT_EQ(back->bots[0].leaves_at, Hours(3));
  EXPECT_FALSE(back->bots[1].leaves_at.has_value());
  // A group without the keys resolves without them (shipped scenarios' files stay as they were).
  Scenario plain = Parse(
      "duration: 1h\naccounts: {a: {charge_rate: [1]}}\nbots: [{group: g, count: 1}]\n");
  EXPECT_EQ(WriteResolvedScenario(plain).find("joins_at"), std::string::npos);
  EXPECT_EQ(WriteResolvedScenario(plain).find("leaves_at"), std::string::npos);
}

TEST(BotPresence, OutOfRangeJoinAndLeaveTimesAreRefusedWithTheirField) {
  struct Case {
    const char* keys;
    const char* field;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"joins_at: -1m", "bots[0].joins_at", "must be >= 0s"},
           {"joins_at: 6h", "bots[0].joins_at", "must be before the end of the run"},
           {"leaves_at: 7h", "bots[0].leaves_at", "must be at most the run's duration"},
           {"joins_at: 2h, leaves_at: 2h", "bots[0].leaves_at", "must be after joins_at"},
           {"leaves_at: 0s", "bots[0].leaves_at", "must be >= 1us"},
       }) {
    std::string text = std::string("duration: 6h\naccounts: {a: {charge_rate: [1]}}\nbots: [{group: g, count: 1, ") +
                       c.keys + "}]\n";
    StatusOr<Scenario> s = ParseScenario(text, "p.yaml", ".");
    ASSERT_FALSE(s.ok()) << c.keys;
    EXPECT_NE(s.status().message().find(std::string("p.yaml:3:")), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find(c.field), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find(c.message), std::string::npos) << s.status().message();
  }
}

}  // namespace
}  // namespace qsim::sim
