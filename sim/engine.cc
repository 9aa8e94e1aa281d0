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

void Engine::UseFifoFor(Duration d) {
  QSIM_CHECK(d.count() >= 0, "negative delay %lld us", static_cast<long long>(d.count()));
  for (const Fifo& f : fifos_) {
    if (f.delay == d.count()) return;
  }
  fifos_.push_back(Fifo{d.count(), {}});
}

size_t Engine::pending() const {
  size_t n = heap_.size();
  for (const Fifo& f : fifos_) n += f.entries.size();
  return n;
}

const Engine::Entry* Engine::Next(Fifo** from) {
  const Entry* best = heap_.empty() ? nullptr : &heap_.top();
  *from = nullptr;
  for (Fifo& f : fifos_) {
    if (f.entries.empty()) continue;
    const Entry& e = f.entries.front();
    if (!best || Earlier(e, *best)) {
      best = &e;
      *from = &f;
    }
  }
  return best;
}

bool Engine::CancelLive(EventHandle* h) {
  bool cancelled = false;
  if (h->slot < slots_.size() && slots_[h->slot].seq == h->seq) {
    // The heap entry stays and is skipped when popped: its seq no longer
    // matches the slot's.
    Slot& s = slots_[h->slot];
    if (s.call.fn == &Engine::RunHandler) {
      handlers_[s.call.arg] = nullptr;
      free_handlers_.push_back(s.call.arg);
    }
    s.call = Call{};
    s.seq = 0;
    free_slots_.push_back(h->slot);
    cancelled = true;
  }
  *h = EventHandle{};
  return cancelled;
}

void Engine::PopAndRun(Fifo* from) {
  Entry e;
  if (from) {
    e = from->entries.front();
    from->entries.pop_front();
  } else {
    e = heap_.top();
    heap_.pop();
  }
  const uint32_t slot = static_cast<uint32_t>(e.key & kSlotMask);
  Slot& s = slots_[slot];
  if (s.seq != e.key >> kSlotBits) return;  // cancelled
  QSIM_CHECK(e.time >= ToMicros(now_), "time went back: event at %lld us, now %lld us",
                 static_cast<long long>(e.time), static_cast<long long>(ToMicros(now_)));
  now_ = TimeFromMicros(e.time);
  const Call call = s.call;
  s.seq = 0;
  free_slots_.push_back(slot);
  ++events_run_;
  call.fn(call.ctx, call.arg);
}

bool Engine::Step() {
  Fifo* from;
  if (!Next(&from)) return false;
  PopAndRun(from);
  return true;
}

bool Engine::RunUntil(Time end, const std::function<bool()>& on_progress, uint64_t progress_every) {
  uint64_t next_report = events_run_ + progress_every;
  Fifo* from;
  for (const Entry* next = Next(&from); next && next->time <= ToMicros(end); next = Next(&from)) {
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
