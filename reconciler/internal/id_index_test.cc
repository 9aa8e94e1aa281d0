#include "reconciler/internal/id_index.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>

#include "reconciler/internal/worker_queue_table.h"
#include "reconciler/reconciler.h"

namespace qsim::reconciler::internal {
namespace {

using Map = std::map<std::string, int>;

// Random inserts and erases against a plain map, with hashes taken from a
// tiny range so that runs, wrap-around and backward shifts all happen; after
// each step every key of the universe is looked up.
TEST(IdIndex, AgreesWithTheMapUnderCollidingHashesAndErasures) {
  const unsigned seed = 16;
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  Map map;
  IdIndex<Map::iterator> index;
  // Four distinct top-bit patterns (including the last slots, so probes wrap),
  // whatever the table's size.
  auto hash_of = [](const std::string& key) {
    static const uint64_t kHashes[] = {0, ~uint64_t{0}, uint64_t{1} << 63, ~uint64_t{0} - 1};
    return kHashes[std::hash<std::string>{}(key) % 4];
  };
  std::vector<std::string> universe;
  for (int i = 0; i < 300; ++i) universe.push_back("w" + std::to_string(i));
  for (int step = 0; step < 5000; ++step) {
    const std::string& key = universe[random() % universe.size()];
    auto it = map.find(key);
    if (it == map.end()) {
      index.Insert(hash_of(key), map.emplace(key, step).first);
    } else if (random() % 3 != 0) {
      index.Erase(hash_of(key), it);
      map.erase(it);
    }
    ASSERT_EQ(index.size(), map.size());
    if (step % 50 != 0) continue;
    for (const std::string& k : universe) {
      const Map::iterator* found = index.Find(k, hash_of(k));
      auto want = map.find(k);
      if (want == map.end()) {
        ASSERT_EQ(found, nullptr) << k << " at step " << step;
      } else {
        ASSERT_NE(found, nullptr) << k << " at step " << step;
        ASSERT_EQ(*found, want) << k << " at step " << step;
      }
    }
  }
}

TEST(WorkerQueueTable, CopyIndexesItsOwnEntries) {
  using Table = WorkerQueueTable<WorkerQueue>;
  const Time t = TimeFromMicros(0);
  Table original;
  for (int i = 0; i < 40; ++i) original.Set("w" + std::to_string(i), WorkerQueue{"t" + std::to_string(i), "", t});
  Table copy = original;
  // Erasing from the original must not disturb the copy's lookups, and the
  // copy finds its own entries (not the original's).
  for (int i = 0; i < 40; i += 2) original.Erase(original.find("w" + std::to_string(i)));
  for (int i = 0; i < 40; ++i) {
    std::string w = "w" + std::to_string(i);
    auto it = copy.find(w);
    ASSERT_NE(it, copy.end()) << w;
    EXPECT_EQ(it->second.task_to_assign, "t" + std::to_string(i));
    EXPECT_EQ(&*it, &*copy.map().find(w));
    EXPECT_EQ(original.find(w) == original.end(), i % 2 == 0) << w;
  }
  copy = original;  // copy assignment re-indexes too
  EXPECT_EQ(copy.find("w0"), copy.end());
  EXPECT_EQ(copy.find("w1")->second.task_to_assign, "t1");
  Table moved = std::move(copy);
  EXPECT_EQ(moved.find("w3")->second.task_to_assign, "t3");
  EXPECT_EQ(&*moved.find("w3"), &*moved.map().find("w3"));
}

}  // namespace
}  // namespace qsim::reconciler::internal
