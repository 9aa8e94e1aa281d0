#include "base/short_id.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>

namespace qsim {
namespace {

TEST(SameId, EqualExactlyWhenEveryByteAndTheLengthAre) {
  const std::string base = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t n = 0; n <= base.size(); ++n) {
    const std::string a = base.substr(0, n);
    EXPECT_TRUE(SameId(a, std::string(a)));
    EXPECT_FALSE(SameId(a, a + "x")) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = '#';
      EXPECT_FALSE(SameId(a, b)) << n << " " << i;
    }
  }
  EXPECT_TRUE(SameIds({"a", "bb"}, {"a", "bb"}));
  EXPECT_FALSE(SameIds({"a", "bb"}, {"a", "bc"}));
  EXPECT_FALSE(SameIds({"a"}, {"a", "bb"}));
}

TEST(HashId, EveryByteOfShortAndLongIdsCounts) {
  // Changing any one byte of an id of any length up to 40 changes the hash:
  // the short load and the word loop with its overlapping last word cover
  // every byte.
  for (size_t n = 1; n <= 40; ++n) {
    std::string id(n, 'a');
    const uint64_t h = HashId(id);
    for (size_t i = 0; i < n; ++i) {
      std::string changed = id;
      changed[i] = 'b';
      EXPECT_NE(HashId(changed), h) << "length " << n << ", byte " << i;
    }
  }
  EXPECT_NE(HashId(""), HashId(std::string(1, '\0')));  // the length counts too
}

// Bot names differ only in their last digits. Placed in a table by the low
// bits (the scheduler's bucket arrays) or by the top bits (the reconciler's
// open addressing), 10,000 of them must fill it about as a random function
// would.
TEST(HashId, BotNamesSpreadOverLowAndTopBits) {
  std::set<uint64_t> low;
  std::map<uint64_t, int> top;
  for (int i = 1; i <= 10000; ++i) {
    low.insert(HashId("linux-small-" + std::to_string(100000 + i)) & 16383);
    char name[32];
    std::snprintf(name, sizeof name, "linux-%05d", i);
    ++top[HashId(name) >> 52];
  }
  EXPECT_GT(low.size(), 7200u);  // ~7,490 of 16,384 expected
  EXPECT_GT(top.size(), 3650u);  // ~3,750 of 4,096 expected
  for (const auto& [slot, count] : top) EXPECT_LE(count, 14) << "slot " << slot;
}

}  // namespace
}  // namespace qsim
