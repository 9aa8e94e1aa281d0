#include "reports/sweep_meta.h"

#include <gtest/gtest.h>

namespace qsim::reports {
namespace {

constexpr const char* kMeta =
    "scenario: s.yaml\nseeds: 2\nfirst_seed: 7\nalpha: 0.05\ngates: sweep.gates.yaml\ngrid: a=1,2\npoints: 2\n";

std::string Replaced(const std::string& line, const std::string& with) {
  std::string text = kMeta;
  const size_t at = text.find(line);
  return text.replace(at, line.size(), with);
}

TEST(ParseSweepMeta, ReadsWhatMergeNeeds) {
  StatusOr<SweepMeta> m = ParseSweepMeta(kMeta, "sweep.meta");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->seeds, 2);
  EXPECT_EQ(m->first_seed, 7u);
  EXPECT_EQ(m->alpha, 0.05);
  ASSERT_EQ(m->grid.size(), 1u);
  EXPECT_EQ(m->grid[0].values, (std::vector<std::string>{"1", "2"}));
}

TEST(ParseSweepMeta, OutOfRangeLinesAreErrorsAtTheirLine) {
  struct Case {
    std::string line, with, where;
  };
  const std::vector<Case> cases = {
      {"first_seed: 7", "first_seed: 99999999999999999999999", "sweep.meta:3: bad first_seed line"},
      {"first_seed: 7", "first_seed: -1", "sweep.meta:3: bad first_seed line"},
      {"first_seed: 7", "first_seed: 9223372036854775807", "past the largest seed"},
      {"seeds: 2", "seeds: 1e300", "sweep.meta:2: bad seeds line"},
      {"seeds: 2", "seeds: 0", "sweep.meta:2: bad seeds line"},
      {"seeds: 2", "seeds: 10001", "sweep.meta:2: bad seeds line"},
      {"alpha: 0.05", "alpha: nan", "sweep.meta:4: bad alpha line"},
      {"alpha: 0.05", "alpha: 1", "sweep.meta:4: bad alpha line"},
      {"grid: a=1,2", "grid: a=1,2\ngrid: a=3", "sweep.meta:7: grid key \"a\" given twice"},
      {"seeds: 2", "seeds: 2\nseeds: 3", "sweep.meta:3: seeds given twice"},
      {"grid: a=1,2", "grid: a=1,2,3,4,5,6,7,8,9,10\ngrid: b=1,2,3,4,5,6,7,8,9,10\ngrid: c=1,2,3,4,5,6,7,8,9,10\n"
                      "grid: d=1,2,3,4,5,6,7,8,9,10\ngrid: e=1,2",
       "sweep.meta:10: the grid has more than 10000 points"},
  };
  for (const Case& c : cases) {
    StatusOr<SweepMeta> m = ParseSweepMeta(Replaced(c.line, c.with), "sweep.meta");
    ASSERT_FALSE(m.ok()) << c.with;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find(c.where), std::string::npos) << m.status().message();
  }
  EXPECT_FALSE(ParseSweepMeta(Replaced("alpha: 0.05\n", ""), "sweep.meta").ok());
}

TEST(SplitShardMeta, TakesTheShardLineOutOnce) {
  StatusOr<ShardMeta> m = SplitShardMeta(std::string(kMeta) + "shard: 1/3\n", "sweep.meta");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->meta, kMeta);
  EXPECT_EQ(m->shard, 1);
  EXPECT_EQ(m->shards, 3);
  EXPECT_FALSE(SplitShardMeta(std::string(kMeta) + "shard: 3/3\n", "sweep.meta").ok());
  EXPECT_FALSE(SplitShardMeta(std::string(kMeta) + "shard: 0/2\nshard: 1/2\n", "sweep.meta").ok());
}

TEST(CollectSweepRuns, EveryRunOnceAndBadRowsLocated) {
  StatusOr<SweepMeta> meta = ParseSweepMeta(Replaced("seeds: 2", "seeds: 1"), "sweep.meta");
  ASSERT_TRUE(meta.ok());
  auto table = [](const std::string& rows) {
    StatusOr<runfolder::CsvTable> t = runfolder::ParseCsv("point,seed,account,tasks\n" + rows, "summaries.csv");
    EXPECT_TRUE(t.ok()) << t.status().message();
    return *t;
  };
  std::map<RunKey, std::string> holder;
  StatusOr<Summaries> all = CollectSweepRuns({{"s0", table("baseline,7,*,1\n0,7,*,1\n1,7,*,1\n")}}, *meta, holder);
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(all->runs.size(), 3u);

  holder.clear();
  StatusOr<Summaries> huge =
      CollectSweepRuns({{"s0", table("baseline,7,*,1\n99999999999999999999,7,*,1\n")}}, *meta, holder);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("summaries.csv:3: bad point"), std::string::npos) << huge.status().message();

  holder.clear();
  StatusOr<Summaries> missing = CollectSweepRuns({{"s0", table("baseline,7,*,1\n0,7,*,1\n")}}, *meta, holder);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no shard holds point 1 seed 7"), std::string::npos);

  holder.clear();
  StatusOr<Summaries> foreign = CollectSweepRuns({{"s0", table("baseline,8,*,1\n")}}, *meta, holder);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.status().message().find("seed \"8\" is not in the sweep"), std::string::npos);
}

}  // namespace
}  // namespace qsim::reports
