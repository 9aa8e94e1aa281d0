// RequestQueue keeps its list in examination order through arrivals and
// re-examination; checked here against a full sort of the same requests.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "scheduler/internal/request_queue.h"

namespace qsim::internal {
namespace {

constexpr Time kT0 = TimeFromMicros(1700000000000000);

std::unique_ptr<Request> MakeQueued(const std::string& id, Time enqueue, Time examined) {
  auto r = std::make_unique<Request>();
  r->id = id;
  for (size_t i = 0; i < 8; ++i) {
    r->id_prefix = (r->id_prefix << 8) | static_cast<unsigned char>(i < id.size() ? id[i] : 0);
  }
  r->enqueue_time = enqueue;
  r->SetExamined(examined);
  return r;
}

void ExpectSorted(RequestQueue& queue, const std::vector<Request*>& expected_members) {
  std::vector<Request*> expected = expected_members;
  std::sort(expected.begin(), expected.end(), ExaminationOrder);
  EXPECT_EQ(queue.all(), expected);
}

// Batches of every size around the cut between the binary-search placement
// (a few on one side) and the linear merge, against backlogs large and small.
TEST(RequestQueue, StaysInExaminationOrderThroughArrivalsAndExamination) {
  std::mt19937_64 rng(7);
  RequestQueue queue;
  std::vector<Request*> members;
  int next_id = 0;
  Time now = kT0;
  for (int round = 0; round < 60; ++round) {
    const int arrivals = std::vector<int>{0, 1, 2, 7, 8, 9, 30}[rng() % 7];
    for (int i = 0; i < arrivals; ++i) {
      // Shared enqueue times and id prefixes make the later keys decide.
      Time enqueue = kT0 + Seconds(static_cast<int64_t>(rng() % 50));
      std::string id = "request-" + std::to_string(rng() % 3) + "-" + std::to_string(next_id++);
      auto r = MakeQueued(id, enqueue, rng() % 4 == 0 ? kT0 : Time{});
      members.push_back(r.get());
      queue.Add(std::move(r));
    }
    ExpectSorted(queue, members);
    // A pass examines most of the list (sometimes all, sometimes a few) and
    // places some, which leave.
    // Sometimes two passes at one time: the cohort cannot hold that.
    if (rng() % 5 != 0) now += Seconds(1);
    const uint64_t pass = static_cast<uint64_t>(round) + 1;
    std::vector<Request*> examined, unlisted;
    const int keep_one_in = std::vector<int>{1, 2, 40}[rng() % 3];
    const std::vector<Request*> listed = queue.all();  // Remove changes all()
    // Taken requests stay in the list until MarkExamined, so they must live
    // until then (a pass keeps them as runs).
    std::vector<std::unique_ptr<Request>> taken;
    for (Request* r : listed) {
      if (rng() % 10 == 0 && members.size() > 5) {
        members.erase(std::find(members.begin(), members.end(), r));
        if (rng() % 2 == 0) {
          queue.Remove(r);
        } else {
          taken.push_back(queue.Take(r));
          EXPECT_EQ(queue.Find(r->id), nullptr);
        }
        ASSERT_EQ(queue.size(), members.size());
      } else if (rng() % keep_one_in == 0) {
        r->listed_in_pass = pass;
        examined.push_back(r);
      } else {
        unlisted.push_back(r);
      }
    }
    queue.MarkExamined(pass, now, unlisted);
    for (Request* r : examined) EXPECT_EQ(r->examined_time(), now);
    for (const auto& r : taken) EXPECT_FALSE(r->taken);
    ExpectSorted(queue, members);
    ASSERT_EQ(queue.size(), members.size());
  }
}

// A part's in-place changes against a plain vector: members leave and join
// at the front, the back and between, so both ends move and the free slots
// before the members are used, reclaimed and compacted away.
TEST(CohortPart, InPlaceChangesMatchAVector) {
  std::mt19937_64 rng(5);
  std::vector<std::unique_ptr<Request>> owned;
  auto key_of = [](size_t n) { return PassKey{static_cast<uint32_t>(n % 7), static_cast<uint32_t>(n), static_cast<uint32_t>(n / 3), 0}; };
  CohortPart part;
  std::vector<Request*> model;
  for (int step = 0; step < 20000; ++step) {
    // Grow to about 300, shrink to a few (the free slots then outnumber the
    // members, and are compacted), grow again.
    const uint64_t join_pct = step < 8000 ? (model.size() < 300 ? 55 : 45) : step < 14000 ? 35 : 60;
    const bool join = model.empty() || rng() % 100 < join_pct;
    // Near the front, near the back, or anywhere.
    const uint64_t where = rng() % 3;
    const size_t n = model.size() + (join ? 1 : 0);
    size_t i = where == 0 ? rng() % std::min<size_t>(n, 4) : where == 1 ? n - 1 - rng() % std::min<size_t>(n, 4) : rng() % n;
    if (join) {
      owned.push_back(std::make_unique<Request>());
      Request* r = owned.back().get();
      r->signature = static_cast<uint32_t>(owned.size());
      part.InsertAt(i, r, key_of(owned.size()));
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(i), r);
    } else if (rng() % 2 == 0) {
      part.RemoveAt(i);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      // Several at once (RemoveAll), on both sides of the middle or one.
      std::vector<size_t> at;
      for (size_t j = 0; j < model.size(); ++j) {
        if (rng() % std::max<size_t>(model.size() / 3, 1) == 0) at.push_back(j);
      }
      if (at.empty()) at.push_back(i);
      part.RemoveAll(at);
      for (size_t j = at.size(); j-- > 0;) model.erase(model.begin() + static_cast<std::ptrdiff_t>(at[j]));
    }
    ASSERT_EQ(part.size(), model.size()) << "step " << step;
    if (step % 97 == 0 || part.size() < 8) {
      ASSERT_EQ(part.RequestList(), model) << "step " << step;
      for (size_t j = 0; j < model.size(); ++j) {
        const PassKey want = key_of(model[j]->signature);
        ASSERT_EQ(part.signature()[j], want.signature);
        ASSERT_EQ(part.base_signature()[j], want.base_signature);
        ASSERT_EQ(part.account_slot()[j], want.account_slot);
      }
    }
  }
  EXPECT_EQ(part.RequestList(), model);
}

// The cohort's parts and their pair lists after a table change, arrivals,
// removals and passes: equal to a split of tail() from scratch.
void ExpectPartsSplit(const RequestQueue& queue, const std::vector<uint8_t>& table, size_t num_parts) {
  std::vector<std::vector<Request*>> want(num_parts);
  // Per part: (account slot, signature, base signature) -> members.
  std::vector<std::map<std::tuple<uint32_t, uint32_t, uint32_t>, uint32_t>> want_pairs(num_parts);
  for (Request* r : queue.tail()) {
    want[table[r->account_slot]].push_back(r);
    ++want_pairs[table[r->account_slot]][{r->account_slot, r->signature, r->base_signature}];
  }
  for (size_t k = 0; k < num_parts; ++k) {
    EXPECT_EQ(queue.part(k).RequestList(), want[k]) << "part " << k;
    std::map<std::tuple<uint32_t, uint32_t, uint32_t>, uint32_t> got;
    for (uint32_t id : queue.part_pairs(k)) {
      const PairKey& key = queue.pair_key(id);
      got[{key.account_slot, key.signature, key.base_signature}] += queue.pair_count(id);
    }
    EXPECT_EQ(got, want_pairs[k]) << "part " << k;
    for (size_t i = 0; i < queue.part(k).size(); ++i) {
      EXPECT_EQ(queue.part(k).base_signature()[i], want[k][i]->base_signature);
      EXPECT_EQ(queue.part(k).account_slot()[i], want[k][i]->account_slot);
    }
  }
}

TEST(RequestQueue, PartsFollowTheTableThroughChanges) {
  constexpr size_t kSlots = 6, kParts = 4;
  std::mt19937_64 rng(11);
  RequestQueue queue;
  std::vector<Request*> members;
  std::vector<uint8_t> table(kSlots, 0);
  int next_id = 0;
  Time now = kT0;
  for (int round = 0; round < 80; ++round) {
    const int arrivals = static_cast<int>(rng() % 12);
    for (int i = 0; i < arrivals; ++i) {
      auto r = MakeQueued("r" + std::to_string(next_id++), kT0 + Seconds(static_cast<int64_t>(rng() % 50)), Time{});
      r->account_slot = static_cast<uint32_t>(rng() % kSlots);
      // A signature determines its base signature, as the scheduler's do.
      r->signature = static_cast<uint32_t>(rng() % 6);
      r->base_signature = r->signature % 3;
      members.push_back(r.get());
      queue.Add(std::move(r));
    }
    queue.Settle();
    // Unchanged, one slot moved, or a new table altogether.
    const uint64_t change = rng() % 3;
    if (change == 1) table[rng() % kSlots] = static_cast<uint8_t>(rng() % kParts);
    if (change == 2) {
      for (uint8_t& k : table) k = static_cast<uint8_t>(rng() % kParts);
    }
    queue.Partition(table, kParts);
    ExpectPartsSplit(queue, table, kParts);
    now += Seconds(1);
    const uint64_t pass = static_cast<uint64_t>(round) + 1;
    std::vector<Request*> unlisted;
    std::vector<std::unique_ptr<Request>> taken;
    for (Request* r : queue.all()) {
      const uint64_t pick = rng() % 12;
      if (pick == 0) {
        members.erase(std::find(members.begin(), members.end(), r));
        queue.Remove(r);
        ExpectPartsSplit(queue, table, kParts);
      } else if (pick == 1) {
        members.erase(std::find(members.begin(), members.end(), r));
        taken.push_back(queue.Take(r));
      } else if (pick == 2) {
        unlisted.push_back(r);
      } else {
        r->listed_in_pass = pass;
      }
    }
    queue.MarkExamined(pass, now, unlisted);
    ExpectPartsSplit(queue, table, kParts);
    ExpectSorted(queue, members);
  }
}

// Many passes over a standing backlog, each placing a few and listing a few
// arrivals, read as a pass reads them (head() and the parts), with the
// whole order asked for only now and then: the cohort's deferred changes
// pile up across passes, are flushed past their limit or when tail() is
// read, and through all of it the parts, the size, the by-id list and (when
// read) the order are the spec's.
TEST(RequestQueue, DeferredCohortChangesKeepTheOrder) {
  constexpr size_t kSlots = 5, kParts = 3;
  std::mt19937_64 rng(23);
  RequestQueue queue;
  std::vector<Request*> members;
  const std::vector<uint8_t> table{0, 1, 2, 1, 0};
  int next_id = 0;
  Time now = kT0;
  auto add = [&](int count) {
    for (int i = 0; i < count; ++i) {
      // Mostly later than the backlog, sometimes in its middle.
      const int64_t enqueue = rng() % 8 == 0 ? static_cast<int64_t>(rng() % (next_id + 1)) : next_id;
      auto r = MakeQueued("q" + std::to_string(next_id++), kT0 + Seconds(enqueue), Time{});
      r->account_slot = static_cast<uint32_t>(rng() % kSlots);
      members.push_back(r.get());
      queue.Add(std::move(r));
    }
  };
  add(400);
  for (int round = 0; round < 300; ++round) {
    add(static_cast<int>(rng() % 4));
    queue.Settle();
    queue.Partition(table, kParts);
    now += Seconds(1);
    const uint64_t pass = static_cast<uint64_t>(round) + 1;
    std::vector<Request*> listed(queue.head().begin(), queue.head().end());
    for (size_t k = 0; k < kParts; ++k) {
      const std::vector<Request*> part = queue.part(k).RequestList();
      listed.insert(listed.end(), part.begin(), part.end());
    }
    ASSERT_EQ(listed.size(), members.size());
    std::vector<Request*> unlisted;
    std::vector<std::unique_ptr<Request>> taken;
    for (Request* r : listed) {
      const uint64_t pick = rng() % 200;
      if (pick < 3 || (pick < 6 && r->enqueue_time < kT0 + Seconds(next_id / 2))) {
        members.erase(std::find(members.begin(), members.end(), r));
        taken.push_back(queue.Take(r));
      } else if (pick == 6) {
        unlisted.push_back(r);
      } else {
        r->listed_in_pass = pass;
      }
    }
    // Read part by part, the cohort's members are out of its order;
    // MarkExamined takes the left-out ones in it, as a pass meets them.
    std::sort(unlisted.begin(), unlisted.end(), ExaminationOrder);
    queue.MarkExamined(pass, now, unlisted);
    if (rng() % 4 == 0 && !queue.head().empty()) {
      Request* r = queue.head()[rng() % queue.head().size()];
      members.erase(std::find(members.begin(), members.end(), r));
      queue.Remove(r);
    }
    if (rng() % 3 == 0 && !members.empty()) {  // a cohort member, likely
      Request* r = members[rng() % members.size()];
      members.erase(std::find(members.begin(), members.end(), r));
      queue.Remove(r);
    }
    ASSERT_EQ(queue.size(), members.size());
    std::vector<const Request*> by_id(members.begin(), members.end());
    std::sort(by_id.begin(), by_id.end(), [](const Request* a, const Request* b) { return a->id < b->id; });
    ASSERT_EQ(queue.SortedById(), by_id);
    // After a pass the queue is head() and the cohort: the parts must split
    // the rest, in (enqueue, id) order, whatever is deferred.
    std::vector<Request*> cohort;
    for (Request* r : members) {
      if (std::find(queue.head().begin(), queue.head().end(), r) == queue.head().end()) cohort.push_back(r);
    }
    std::sort(cohort.begin(), cohort.end(), CohortOrder);
    std::vector<std::vector<Request*>> want(kParts);
    for (Request* r : cohort) want[table[r->account_slot]].push_back(r);
    for (size_t k = 0; k < kParts; ++k) ASSERT_EQ(queue.part(k).RequestList(), want[k]) << "round " << round;
    if (round % 50 == 49) {
      ExpectPartsSplit(queue, table, kParts);  // reads tail(): applies the changes
      ExpectSorted(queue, members);
    }
  }
}

// A batch merged into a list many times its length (arrivals into a long
// head, a long batch into a short head, all before, all after, interleaved)
// comes out in examination order whichever way the merge goes.
TEST(RequestQueue, MergesABatchIntoALongListInOrder) {
  std::mt19937_64 rng(41);
  int next_id = 0;
  // `count` requests, examined at random in [from, from + spread) seconds.
  auto add = [&](RequestQueue& queue, std::vector<Request*>& members, int count, int64_t from, int64_t spread) {
    for (int i = 0; i < count; ++i) {
      const Time examined = kT0 + Seconds(from + static_cast<int64_t>(rng() % spread));
      auto r = MakeQueued("m" + std::to_string(next_id++), kT0 + Seconds(static_cast<int64_t>(rng() % 100)), examined);
      members.push_back(r.get());
      queue.Add(std::move(r));
    }
  };
  struct Shape {
    int first, second;
    int64_t second_from, second_spread;
  };
  for (const Shape& shape : {Shape{3000, 40, 0, 1000}, Shape{40, 3000, 0, 1000}, Shape{3000, 40, -500, 100},
                             Shape{3000, 40, 2000, 100}, Shape{2000, 200, 0, 1000}, Shape{300, 30, 0, 1000}}) {
    RequestQueue queue;
    std::vector<Request*> members;
    add(queue, members, shape.first, 0, 1000);
    queue.Settle();
    add(queue, members, shape.second, shape.second_from, shape.second_spread);
    ExpectSorted(queue, members);  // all() settles the batch
    ASSERT_EQ(queue.size(), members.size());
  }
}

// A pass leaves out the requests of the left-out part's slots; the queue
// parks them out of head() and puts them back, in examination order, when
// their slot's part changes. Checked against the members' own record: every
// request queued is in head(), the cohort or parked only if its slot is
// left out; listed ones are examined at the pass, the rest keep their
// times; the whole order (parked ones included), the size and the by-id
// list stay right through removals of parked requests.
TEST(RequestQueue, LeftOutSlotsParkAndReturnInOrder) {
  constexpr size_t kSlots = 6, kParts = 4, kLeftOut = 3;
  std::mt19937_64 rng(31);
  RequestQueue queue;
  std::vector<Request*> members;
  std::map<const Request*, Time> examined;
  std::vector<uint8_t> table{0, 1, 2, 3, 3, 0};
  int next_id = 0;
  Time now = kT0;
  size_t parked_seen = 0, returned = 0;
  std::vector<Request*> was_parked;
  for (int round = 0; round < 200; ++round) {
    // Now and then a burst: merged into long parked lists and a long head.
    const int arrivals = static_cast<int>(rng() % 8 == 0 ? 30 + rng() % 90 : rng() % 10);
    for (int i = 0; i < arrivals; ++i) {
      const Time at = rng() % 5 == 0 ? kT0 + Seconds(static_cast<int64_t>(rng() % 30)) : Time{};
      auto r = MakeQueued("p" + std::to_string(next_id++), kT0 + Seconds(static_cast<int64_t>(rng() % 40)), at);
      r->account_slot = static_cast<uint32_t>(rng() % kSlots);
      examined[r.get()] = at;
      members.push_back(r.get());
      queue.Add(std::move(r));
    }
    queue.Settle();
    if (rng() % 4 == 0) table[rng() % kSlots] = static_cast<uint8_t>(rng() % kParts);
    queue.Partition(table, kParts, kLeftOut);
    for (Request* r : was_parked) {
      if (std::find(members.begin(), members.end(), r) != members.end() && table[r->account_slot] != kLeftOut) {
        ++returned;
        EXPECT_NE(std::find(queue.head().begin(), queue.head().end(), r), queue.head().end()) << r->id;
      }
    }
    // What a pass reads: head(), then the cohort (tail(), its parts' union).
    std::vector<Request*> read(queue.head().begin(), queue.head().end());
    read.insert(read.end(), queue.tail().begin(), queue.tail().end());
    was_parked.clear();
    for (Request* r : members) {
      if (std::find(read.begin(), read.end(), r) != read.end()) continue;
      EXPECT_EQ(table[r->account_slot], kLeftOut) << r->id << " is neither read nor left out";
      was_parked.push_back(r);
      ++parked_seen;
    }
    now += Seconds(1);
    const uint64_t pass = static_cast<uint64_t>(round) + 1;
    std::vector<Request*> unlisted;
    std::vector<std::unique_ptr<Request>> taken;
    for (Request* r : read) {
      const uint64_t pick = rng() % 40;
      if (table[r->account_slot] == kLeftOut || pick == 0) {  // pick 0: left out otherwise (fanout)
        unlisted.push_back(r);
      } else if (pick == 1) {
        members.erase(std::find(members.begin(), members.end(), r));
        examined.erase(r);
        taken.push_back(queue.Take(r));
      } else {
        r->listed_in_pass = pass;
        examined[r] = now;
      }
    }
    queue.MarkExamined(pass, now, unlisted);
    for (const Request* r : members) ASSERT_EQ(r->examined_time(), examined[r]) << r->id << " round " << round;
    if (rng() % 2 == 0 && !members.empty()) {  // often a parked one
      Request* r = was_parked.empty() || rng() % 2 == 0 ? members[rng() % members.size()]
                                                         : was_parked[rng() % was_parked.size()];
      if (std::find(members.begin(), members.end(), r) != members.end()) {
        members.erase(std::find(members.begin(), members.end(), r));
        examined.erase(r);
        queue.Remove(r);
      }
    }
    ASSERT_EQ(queue.size(), members.size());
    std::vector<const Request*> by_id(members.begin(), members.end());
    std::sort(by_id.begin(), by_id.end(), [](const Request* a, const Request* b) { return a->id < b->id; });
    ASSERT_EQ(queue.SortedById(), by_id);
    if (round % 10 == 9) ExpectSorted(queue, members);
  }
  // The run reached both sides: requests parked, and parked ones returned.
  EXPECT_GT(parked_seen, 200u);
  EXPECT_GT(returned, 20u);
}

}  // namespace
}  // namespace qsim::internal
