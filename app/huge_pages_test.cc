#include "app/huge_pages.h"

#include <gtest/gtest.h>

namespace qsim::app {
namespace {

TEST(HugePages, UnsetTunablesGainTheHugePageOne) {
  EXPECT_EQ(TunablesWithHugePages(std::nullopt), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(TunablesWithHugePages(""), "glibc.malloc.hugetlb=1");
}

TEST(HugePages, OtherTunablesAreKeptAndExtended) {
  EXPECT_EQ(TunablesWithHugePages("glibc.malloc.arena_max=2"), "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
}

// Set either way (the child of a restart, or a user's choice, 0 included):
// no restart, so a restart cannot loop and a user can opt out.
TEST(HugePages, AnExistingChoiceStands) {
  EXPECT_EQ(TunablesWithHugePages("glibc.malloc.hugetlb=1"), std::nullopt);
  EXPECT_EQ(TunablesWithHugePages("glibc.malloc.hugetlb=0"), std::nullopt);
  EXPECT_EQ(TunablesWithHugePages("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0"), std::nullopt);
}

}  // namespace
}  // namespace qsim::app
