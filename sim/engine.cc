#include "sim/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include "base/check.h"

namespace qsim::sim {

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t StreamSeed(uint64_t run_seed, std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return SplitMix64(SplitMix64(run_seed) ^ h);
}

RandomStream::RandomStream(uint64_t run_seed, std::string_view name)
    : gen_(StreamSeed(run_seed, name)) {}

double RandomStream::Uniform01() { return boost::random::uniform_01<double>()(gen_); }

double RandomStream::Exponential(double mean) {
  return boost::random::exponential_distribution<double>(1.0 / mean)(gen_);
}

double RandomStream::Lognormal(double mu, double sigma) {
  if (sigma == 0) return std::exp(mu);
  // boost::random::lognormal_distribution (1.74) takes the underlying normal's parameters.
  return boost::random::lognormal_distribution<double>(mu, sigma)(gen_);
}

double RandomStream::Uniform(double lo, double hi) {
  if (hi <= lo) return lo;
  return boost::random::uniform_real_distribution<double>(lo, hi)(gen_);
}

uint64_t RandomStream::UniformInt(uint64_t lo, uint64_t hi) {
  return boost::random::uniform_int_distribution<uint64_t>(lo, hi)(gen_);
}

Engine::Engine(uint64_t seed, Time start) : seed_(seed), now_(start) {}

uint32_t Engine::NewSlot() {
  // Slot and sequence number share the queue's 64-bit key: 2^28 events
  // pending at once and 2^36 scheduled in a run are far beyond sim/limits.h's.
  QSIM_CHECK(slots_.size() <= kSlotMask, "event queue full: %zu events pending", slots_.size());
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

void Engine::SequenceOverflow() {
  QSIM_CHECK(false, "more than 2^%d events scheduled in one run", 64 - kSlotBits);
  std::abort();
}

Call Engine::Wrap(Handler fn) {
  uint32_t index;
  if (!free_handlers_.empty()) {
    index = free_handlers_.back();
    free_handlers_.pop_back();
    handlers_[index] = std::move(fn);
  } else {
    index = static_cast<uint32_t>(handlers_.size());
    handlers_.push_back(std::move(fn));
  }
  return Call{&Engine::RunHandler, this, index};
}

void Engine::RunHandler(void* engine, uint32_t index) {
  Engine& e = *static_cast<Engine*>(engine);
  Handler fn = std::move(e.handlers_[index]);
  e.handlers_[index] = nullptr;
  e.free_handlers_.push_back(index);
  fn();
}

EventHandle Engine::Schedule(Time t, Handler fn) { return Schedule(t, Wrap(std::move(fn))); }

EventHandle Engine::Schedule(Time t, Call call) {
  QSIM_CHECK(t >= now_, "event scheduled at %lld us, before now %lld us",
                 static_cast<long long>(ToMicros(t)), static_cast<long long>(ToMicros(now_)));
  const EventHandle h = Store(call);
  heap_.push(MakeEntry(t, h));
  return h;
}

EventHandle Engine::After(Duration d, Handler fn) { return After(d, Wrap(std::move(fn))); }

void Engine::UseFifoFor(Duration d, Warm warm) {
  QSIM_CHECK(d.count() >= 0, "negative delay %lld us", static_cast<long long>(d.count()));
  for (Fifo& f : fifos_) {
    if (f.delay != d.count()) continue;
    if (warm) f.warm = warm;
    return;
  }
  fifos_.push_back(Fifo{d.count(), {}, warm});
}

size_t Engine::pending() const {
  size_t n = heap_.size();
  for (const Fifo& f : fifos_) n += f.ring.size();
  return n;
}

bool Engine::Next(Fifo** from, int64_t* time) {
  bool found = !heap_.empty();
  int64_t best_time = found ? heap_.top().time : 0;
  uint64_t best_seq = found ? heap_.top().key >> kSlotBits : 0;
  *from = nullptr;
  for (Fifo& f : fifos_) {
    if (f.ring.empty()) continue;
    const FifoEntry& e = f.ring.front();
    if (!found || e.time < best_time || (e.time == best_time && e.seq < best_seq)) {
      found = true;
      best_time = e.time;
      best_seq = e.seq;
      *from = &f;
    }
  }
  *time = best_time;
  return found;
}

void Engine::DropHandler(const Call& call) {
  if (call.fn != &Engine::RunHandler) return;
  handlers_[call.arg] = nullptr;
  free_handlers_.push_back(call.arg);
}

bool Engine::CancelLive(EventHandle* h) {
  bool cancelled = false;
  if (h->fifo != 0) {
    // The entry stays in its FIFO with a null call, skipped when popped.
    FifoEntry* e = fifos_[h->fifo - 1].ring.find(h->slot);
    if (e && e->seq == h->seq && e->call.fn) {
      DropHandler(e->call);
      e->call = Call{};
      cancelled = true;
    }
  } else if (h->slot < slots_.size() && slots_[h->slot].seq == h->seq) {
    // The heap entry stays and is skipped when popped: its seq no longer
    // matches the slot's.
    Slot& s = slots_[h->slot];
    DropHandler(s.call);
    s.call = Call{};
    s.seq = 0;
    free_slots_.push_back(h->slot);
    cancelled = true;
  }
  *h = EventHandle{};
  return cancelled;
}

void Engine::PopAndRun(Fifo* from) {
  int64_t time;
  Call call;
  if (from) {
    if (from->warm) {
      if (const FifoEntry* ahead = from->ring.peek(kWarmAhead); ahead && ahead->call.fn) from->warm(ahead->call);
    }
    const FifoEntry& e = from->ring.front();
    time = e.time;
    call = e.call;
    from->ring.pop_front();
    if (!call.fn) return;  // cancelled
  } else {
    const Entry e = heap_.top();
    heap_.pop();
    const uint32_t slot = static_cast<uint32_t>(e.key & kSlotMask);
    Slot& s = slots_[slot];
    if (s.seq != e.key >> kSlotBits) return;  // cancelled
    time = e.time;
    call = s.call;
    s.seq = 0;
    free_slots_.push_back(slot);
  }
  QSIM_CHECK(time >= ToMicros(now_), "time went back: event at %lld us, now %lld us", static_cast<long long>(time),
             static_cast<long long>(ToMicros(now_)));
  now_ = TimeFromMicros(time);
  ++events_run_;
  call.fn(call.ctx, call.arg);
}

bool Engine::Step() {
  Fifo* from;
  int64_t time;
  if (!Next(&from, &time)) return false;
  PopAndRun(from);
  return true;
}

bool Engine::RunUntil(Time end, const std::function<bool()>& on_progress, uint64_t progress_every) {
  uint64_t next_report = events_run_ + progress_every;
  const int64_t last = ToMicros(end);
  Fifo* from;
  int64_t time;
  while (Next(&from, &time) && time <= last) {
    PopAndRun(from);
    if (on_progress && events_run_ >= next_report) {
      next_report = events_run_ + progress_every;
      if (!on_progress()) return false;
    }
  }
  if (end > now_) now_ = end;
  return true;
}

RandomStream& Engine::Stream(const std::string& name) {
  auto it = streams_.find(name);
  if (it == streams_.end()) {
    it = streams_.emplace(name, std::make_unique<RandomStream>(seed_, name)).first;
  }
  return *it->second;
}

}  // namespace qsim::sim
