#include "app/malloc_setup.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

#if defined(__GLIBC__)
std::vector<std::string> Names(const std::vector<MallocOption>& options) {
  std::vector<std::string> names;
  for (const MallocOption& o : options) names.emplace_back(o.tunable);
  return names;
}

TEST(HeapRetention, AllThreeSettingsUnlessTheUserNamesOne) {
  const std::vector<std::string> all = {"glibc.malloc.trim_threshold", "glibc.malloc.top_pad",
                                        "glibc.malloc.mmap_threshold"};
  EXPECT_EQ(Names(HeapRetentionOptions(std::nullopt)), all);
  EXPECT_EQ(Names(HeapRetentionOptions("glibc.malloc.hugetlb=1")), all);
  EXPECT_EQ(Names(HeapRetentionOptions("glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=131072")),
            (std::vector<std::string>{"glibc.malloc.trim_threshold", "glibc.malloc.top_pad"}));
  EXPECT_EQ(Names(HeapRetentionOptions("glibc.malloc.trim_threshold=0:glibc.malloc.top_pad=0")),
            std::vector<std::string>{"glibc.malloc.mmap_threshold"});
}

// The effect itself: a 24 MiB block, which malloc would map on its own and
// unmap when freed (its threshold starts at 128 KiB and follows the largest
// mapped block freed, and nothing this large is freed before), comes from
// the heap, and freeing it leaves the heap as large.
TEST(HeapRetention, LargeBlocksComeFromTheHeapAndStayWhenFreed) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the address sanitizer's allocator replaces glibc's malloc";
#endif
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (HeapRetentionOptions(tunables ? std::optional<std::string_view>(tunables) : std::nullopt).size() != 3) {
    GTEST_SKIP() << "GLIBC_TUNABLES names a malloc setting this test sets: " << tunables;
  }
  ASSERT_EQ(RetainFreedHeap(), "glibc.malloc.trim_threshold,glibc.malloc.top_pad,glibc.malloc.mmap_threshold");
  const struct mallinfo2 before = mallinfo2();
  constexpr size_t kBlock = 24u << 20;
  auto* block = static_cast<volatile char*>(std::malloc(kBlock));
  ASSERT_NE(block, nullptr);
  block[0] = 1;
  block[kBlock - 1] = 1;
  const struct mallinfo2 held = mallinfo2();
  EXPECT_EQ(held.hblks, before.hblks);  // not a mapping of its own
  EXPECT_GE(held.arena, before.arena + kBlock);
  std::free(const_cast<char*>(block));
  const struct mallinfo2 after = mallinfo2();
  EXPECT_EQ(after.arena, held.arena);  // not trimmed
  EXPECT_GE(after.fordblks, kBlock);
}
#endif

}  // namespace
}  // namespace qsim::app
