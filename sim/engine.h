// The simulator's discrete-event engine: one virtual clock, one event queue
// and the run's named random streams. Nothing here reads the wall clock or a
// global generator, and nothing is static, so two runs can share a process.
//
// Order is total: events run by (time, seq), where seq is handed out at
// insertion, so two events at the same microsecond run in the order they were
// scheduled. Cancellation goes through the handle Schedule returns.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>

#include "base/time.h"
#include "sim/event_heap.h"

namespace qsim::sim {

// Identifies one scheduled event. A default handle refers to nothing;
// cancelling it, or an event that already ran, does nothing.
struct EventHandle {
  uint32_t slot = 0;  // in the slots, or the position in the FIFO (mod 2^32)
  uint32_t fifo = 0;  // 0: a heap event, in a slot; k: in fifos_[k - 1]
  uint64_t seq = 0;   // 0 = none
  bool valid() const { return seq != 0; }
};

// A random stream for one purpose. Its seed depends only on the run seed and
// the stream's name, never on when or by whom it was created.
class RandomStream {
 public:
  RandomStream(uint64_t run_seed, std::string_view name);

  double Uniform01();                        // [0, 1)
  bool Bernoulli(double p);                  // true with probability p
  double Exponential(double mean);           // mean > 0
  double Lognormal(double mu, double sigma);  // of the underlying normal
  double Uniform(double lo, double hi);      // [lo, hi)
  uint64_t UniformInt(uint64_t lo, uint64_t hi);  // [lo, hi] inclusive

 private:
  boost::random::mt19937_64 gen_;
};

// Inline: drawn per notification by the delayed-notification fault and per
// assignment by the lost-assignment one, millions of times a run.
inline bool RandomStream::Bernoulli(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return boost::random::bernoulli_distribution<double>(p)(gen_);
}

// Derives a stream seed from (run seed, name): FNV-1a over the name mixed
// with the run seed through SplitMix64. Exposed for tests.
uint64_t StreamSeed(uint64_t run_seed, std::string_view name);

// A typed event: a plain function called with a context pointer and one
// 32-bit argument (a bot or task index). Scheduling one costs no
// std::function: the simulator's per-poll and per-run events use it.
struct Call {
  void (*fn)(void* ctx, uint32_t arg) = nullptr;
  void* ctx = nullptr;
  uint32_t arg = 0;
};

// The Call that runs `(obj->*M)(arg)`.
template <auto M, typename T>
Call MemberCall(T* obj, uint32_t arg) {
  return Call{[](void* ctx, uint32_t a) { (static_cast<T*>(ctx)->*M)(a); }, obj, arg};
}

class Engine {
 public:
  using Handler = std::function<void()>;

  Engine(uint64_t seed, Time start);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Time now() const { return now_; }
  uint64_t seed() const { return seed_; }
  uint64_t events_run() const { return events_run_; }
  size_t pending() const;

  // Schedules `fn` at `t`. REQUIRES: t >= now() (checked: the clock never
  // goes back).
  EventHandle Schedule(Time t, Handler fn);
  EventHandle After(Duration d, Handler fn);
  // The same for a typed event; it takes the same place in the order.
  EventHandle Schedule(Time t, Call call);
  EventHandle After(Duration d, Call call) {  // inline: once per poll
    for (size_t i = 0; i < fifos_.size(); ++i) {
      if (fifos_[i].delay != d.count()) continue;
      const uint64_t seq = TakeSeq();
      const uint64_t at = fifos_[i].ring.push_back(FifoEntry{ToMicros(now_ + d), seq, call});
      return EventHandle{static_cast<uint32_t>(at), static_cast<uint32_t>(i + 1), seq};
    }
    return Schedule(now_ + d, call);
  }
  // Declares `d` a delay the caller schedules with again and again (a poll
  // interval, a batching window): After(d, ...) events then go to a FIFO of
  // their own instead of the heap, which is exact (the clock never goes back,
  // so a FIFO of equal delays is in time order) and much cheaper.
  //
  // `warm`, if given, is shown each of the FIFO's events a few pops before
  // it runs, so that it can ask for the memory the event will read (speed
  // only: it must change nothing).
  using Warm = void (*)(const Call& call);
  void UseFifoFor(Duration d, Warm warm = nullptr);
  // Cancels the event if it has not run yet; returns whether it did so.
  // Clears `*h` either way. Inline: most calls get an empty handle.
  bool Cancel(EventHandle* h) {
    if (!h->valid()) return false;
    return CancelLive(h);
  }

  // Runs the next event; false when the queue is empty.
  bool Step();
  // Runs every event with time <= end, then sets the clock to `end`, and
  // returns true. `on_progress` (may be empty) is called every
  // `progress_every` events; when it returns false the loop stops there, the
  // clock stays at the last event run, and RunUntil returns false.
  bool RunUntil(Time end, const std::function<bool()>& on_progress = {},
                uint64_t progress_every = 1 << 20);

  // The run's stream named `name`, created on first use. The reference stays
  // valid for the engine's life.
  RandomStream& Stream(const std::string& name);

 private:
  // A queued event: HeapEntry{time, key}, the key being seq << kSlotBits |
  // slot, so that keys order as sequence numbers do.
  using Entry = HeapEntry;
  static constexpr int kSlotBits = 28;
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
  static Entry MakeEntry(Time t, EventHandle h) { return Entry{ToMicros(t), h.seq << kSlotBits | h.slot}; }
  // 32 bytes, two a cache line. A std::function event keeps its handler in
  // handlers_[call.arg] and runs through RunHandler.
  struct Slot {
    Call call;
    uint64_t seq = 0;  // the live event's seq; 0 when free
  };

  // An event of a FIFO carries its call: a FIFO is read in order, so a pop
  // reads no slot (at a large fleet's scale, a cache miss saved per poll).
  // A cancelled one keeps its place with a null call.
  struct FifoEntry {
    int64_t time;
    uint64_t seq;
    Call call;
  };
  struct Fifo {
    int64_t delay;
    EventRing<FifoEntry> ring;
    Warm warm = nullptr;
  };
  // How many events ahead of the front a FIFO's `warm` sees.
  static constexpr size_t kWarmAhead = 6;
  // Whether an event is left; if so, `*time` is the next one's and `*from`
  // says where it waits: a FIFO, or the heap (nullptr).
  bool Next(Fifo** from, int64_t* time);
  void PopAndRun(Fifo* from);
  uint64_t TakeSeq() {
    const uint64_t seq = next_seq_++;
    if (seq >> (64 - kSlotBits)) [[unlikely]] SequenceOverflow();
    return seq;
  }
  // Frees a std::function event's handler.
  void DropHandler(const Call& call);
  // Takes a slot and the next sequence number.
  EventHandle Store(Call call) {
    uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = NewSlot();
    }
    const uint64_t seq = TakeSeq();
    slots_[slot].call = call;
    slots_[slot].seq = seq;
    return EventHandle{slot, 0, seq};
  }
  // A slot at the end of slots_, checked to fit the queue's key (MakeEntry).
  uint32_t NewSlot();
  [[noreturn]] static void SequenceOverflow();
  bool CancelLive(EventHandle* h);  // Cancel of a valid handle
  // A Call holding `fn` in handlers_.
  Call Wrap(Handler fn);
  static void RunHandler(void* engine, uint32_t index);

  uint64_t seed_;
  Time now_;
  uint64_t next_seq_ = 1;
  uint64_t events_run_ = 0;
  EventHeap heap_;
  std::vector<Fifo> fifos_;  // few: one per declared delay
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<Handler> handlers_;  // std::function events' handlers, by Slot::call.arg
  std::vector<uint32_t> free_handlers_;
  std::map<std::string, std::unique_ptr<RandomStream>, std::less<>> streams_;
};

}  // namespace qsim::sim
