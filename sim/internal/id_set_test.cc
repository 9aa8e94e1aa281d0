#include "sim/internal/id_set.h"

#include <set>
#include <vector>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <gtest/gtest.h>

namespace qsim::sim {
namespace {

std::vector<uint32_t> Members(IdSet& s) {
  std::vector<uint32_t> out;
  s.ForEach([&](uint32_t id) { out.push_back(id); });
  return out;
}

TEST(IdSet, WalksMembersInIncreasingOrder) {
  IdSet s;
  for (uint32_t id : {130u, 5u, 64u, 63u, 0u, 200u}) EXPECT_TRUE(s.Insert(id));
  EXPECT_EQ(Members(s), (std::vector<uint32_t>{0, 5, 63, 64, 130, 200}));
  EXPECT_EQ(s.size(), 6u);
}

TEST(IdSet, InsertAndEraseReportWhetherTheyChangedTheSet) {
  IdSet s;
  EXPECT_TRUE(s.Insert(7));
  EXPECT_FALSE(s.Insert(7));
  EXPECT_TRUE(s.Contains(7));
  EXPECT_TRUE(s.Erase(7));
  EXPECT_FALSE(s.Erase(7));
  EXPECT_FALSE(s.Erase(100000));  // beyond anything inserted
  EXPECT_FALSE(s.Contains(7));
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(Members(s).empty());
}

TEST(IdSet, ReinsertingBelowTheWalkStartIsStillWalked) {
  IdSet s;
  s.Insert(3);
  s.Insert(1000);
  s.Erase(3);
  EXPECT_EQ(Members(s), (std::vector<uint32_t>{1000}));  // the walk skips the empty words
  s.Insert(2);
  EXPECT_EQ(Members(s), (std::vector<uint32_t>{2, 1000}));
}

TEST(IdSet, MatchesStdSetUnderRandomOperations) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    boost::random::mt19937 gen(seed);
    boost::random::uniform_int_distribution<uint32_t> id_of(0, 1000), op_of(0, 9);
    IdSet s;
    std::set<uint32_t> model;
    for (int step = 0; step < 2000; ++step) {
      uint32_t id = id_of(gen);
      uint32_t op = op_of(gen);
      if (op < 5) {
        EXPECT_EQ(s.Insert(id), model.insert(id).second);
      } else if (op < 9) {
        EXPECT_EQ(s.Erase(id), model.erase(id) == 1);
      } else {
        ASSERT_EQ(Members(s), std::vector<uint32_t>(model.begin(), model.end()));
      }
      ASSERT_EQ(s.size(), model.size());
      ASSERT_EQ(s.Contains(id), model.count(id) == 1);
    }
  }
}

}  // namespace
}  // namespace qsim::sim
