#include "sim/event_heap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace qsim::sim {
namespace {

TEST(EventHeap, PopsByTimeThenKey) {
  EventHeap h;
  h.push({20, 1});
  h.push({10, 7});
  h.push({10, 3});
  h.push({5, 9});
  std::vector<std::pair<int64_t, uint64_t>> got;
  while (!h.empty()) {
    got.emplace_back(h.top().time, h.top().key);
    h.pop();
  }
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, uint64_t>>{{5, 9}, {10, 3}, {10, 7}, {20, 1}}));
}

// Interleaved pushes and pops, many equal times, against an ordered set:
// every pop returns the set's smallest entry.
TEST(EventHeap, MatchesAnOrderedSetUnderRandomPushesAndPops) {
  std::mt19937_64 rng(7);
  EventHeap h;
  std::set<std::pair<int64_t, uint64_t>> want;
  uint64_t key = 0;
  for (int step = 0; step < 200000; ++step) {
    if (want.empty() || rng() % 3 != 0) {
      HeapEntry e{static_cast<int64_t>(rng() % 500), key++};
      h.push(e);
      want.emplace(e.time, e.key);
    } else {
      ASSERT_FALSE(h.empty());
      ASSERT_EQ(h.top().time, want.begin()->first);
      ASSERT_EQ(h.top().key, want.begin()->second);
      h.pop();
      want.erase(want.begin());
    }
    ASSERT_EQ(h.size(), want.size());
  }
  while (!want.empty()) {
    ASSERT_EQ(std::make_pair(h.top().time, h.top().key), *want.begin());
    h.pop();
    want.erase(want.begin());
  }
  EXPECT_TRUE(h.empty());
}

TEST(EventHeap, KeepsTheChildrenOfANodeOnOneCacheLine) {
  EventHeap h;
  for (uint64_t k = 0; k < 100; ++k) h.push({0, k});
  // The root's children (nodes 1..4) start a 64-byte line.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(&h.top() + 1) % 64, 0u);
}

// Pushes and pops that wrap around the ring and make it grow, against a
// reference FIFO: the same entries come out in the same order, and every
// entry is found by its position while it is in the ring, and only then.
TEST(EventRing, IsAFifoWhosePositionsSurviveWrapAroundAndGrowth) {
  EventRing<HeapEntry> ring;
  std::vector<uint64_t> want;  // by position: the entry's key
  size_t next_out = 0;
  std::mt19937_64 rng(3);
  for (int step = 0; step < 100000; ++step) {
    // Pushes outnumber pops early on (growth), then pops catch up (wrap).
    bool push = next_out == want.size() || rng() % 100 < (step < 50000 ? 60u : 45u);
    if (push) {
      const uint64_t key = rng();
      ASSERT_EQ(ring.push_back({0, key}), want.size());
      want.push_back(key);
    } else {
      ASSERT_FALSE(ring.empty());
      ASSERT_EQ(ring.front().key, want[next_out]);
      ring.pop_front();
      ++next_out;
    }
    ASSERT_EQ(ring.size(), want.size() - next_out);
    const size_t probe = rng() % want.size();
    HeapEntry* found = ring.find(static_cast<uint32_t>(probe));
    if (probe < next_out) {
      ASSERT_EQ(found, nullptr) << probe;
    } else {
      ASSERT_NE(found, nullptr) << probe;
      ASSERT_EQ(found->key, want[probe]);
    }
  }
  while (!ring.empty()) {
    ASSERT_EQ(ring.front().key, want[next_out++]);
    ring.pop_front();
  }
  EXPECT_EQ(next_out, want.size());
  EXPECT_EQ(ring.find(0), nullptr);
}

}  // namespace
}  // namespace qsim::sim
