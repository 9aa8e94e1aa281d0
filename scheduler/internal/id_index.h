// Owning id -> object index for the scheduler's workers and queued requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/string.hpp>
#include <boost/intrusive/unordered_set.hpp>

#include "base/short_id.h"

namespace qsim::internal {

// The hook an IdIndex object carries (as a member named `index_hook`): one
// pointer.
using IdIndexHook =
    boost::intrusive::unordered_set_member_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>>;

// An id whose characters sit inside the object for up to 22 of them (where
// std::string keeps 15): typical bot ids such as "linux-small-0042" would
// otherwise cost each lookup a read of a separate heap block.
using InlineId = boost::container::string;
// An InlineId as a std::string. GCC converts implicitly through boost's
// conversion operator; clang 14 does not, so every conversion is spelled out.
inline std::string IdString(const InlineId& id) { return std::string(id.data(), id.size()); }

// The hash and equality of the scheduler's id tables (base/short_id.h);
// transparent, so a std::unordered_map keyed by std::string can be searched
// with a std::string_view.
struct IdHash {
  using is_transparent = void;
  size_t operator()(std::string_view id) const { return static_cast<size_t>(HashId(id)); }
};
struct SameIdAs {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return SameId(a, b); }
};

// The hook of an object in an IdLookup that keeps each object's hash beside
// its link, so a lookup passes the other objects of a bucket without
// reading them (for keys that take more than one read to reach).
using HashedIdHook = boost::intrusive::unordered_set_member_hook<
    boost::intrusive::store_hash<true>, boost::intrusive::link_mode<boost::intrusive::normal_link>>;

// Objects of type T found by the id KeyOf reads from them, not owned: an
// intrusive hash table on the hook T::*kHook (IdIndexHook or HashedIdHook).
// The buckets point at the objects themselves, so a lookup misses the cache
// once, on the object the caller reads next, where std::unordered_map's
// buckets point at the node *before* a bucket's first node (an unrelated
// one) and its nodes are separate allocations. Iteration order is
// unspecified: there is no iteration.
template <typename T, typename Hook, Hook T::*kHook, typename KeyOf>
class IdLookup {
 public:
  IdLookup() : set_(typename Set::bucket_traits(Buckets(kInitialBuckets), kInitialBuckets)) {}
  IdLookup(const IdLookup&) = delete;
  IdLookup& operator=(const IdLookup&) = delete;

  T* Find(std::string_view id) const {
    auto it = set_.find(id);
    return it == set_.end() ? nullptr : const_cast<T*>(&*it);
  }
  // The hash Find uses for `id`, for the three calls below: a caller walking
  // a list of ids hashes each once, asks for its bucket a few ids ahead,
  // then for the bucket's first object, then finds it, so that the cache
  // misses of several lookups overlap. The prefetches affect speed only.
  static uint64_t HashOf(std::string_view id) { return HashId(id); }
  void PrefetchBucket(uint64_t hash) const { __builtin_prefetch(&buckets_[BucketOf(hash)]); }
  // Best once PrefetchBucket(hash) has had time to land: reads the bucket.
  void PrefetchFirst(uint64_t hash) const {
    // A bucket is one link (a circular list's head): to the hook of its
    // first object, or to itself when empty.
    const void* first;
    std::memcpy(&first, &buckets_[BucketOf(hash)], sizeof first);
    __builtin_prefetch(first);
  }
  // Find(id), given hash == HashOf(id).
  T* FindHashed(std::string_view id, uint64_t hash) const {
    auto it = set_.find(id, [hash](std::string_view) { return static_cast<size_t>(hash); }, SameIdAs());
    return it == set_.end() ? nullptr : const_cast<T*>(&*it);
  }
  // REQUIRES: no object with x's id is indexed (callers look up first); x's
  // id stays as it is until Remove.
  void Insert(T& x) {
    // At most one object per two buckets: a lookup then passes on average
    // under a quarter of another object (each a likely cache miss) before
    // its own, for one more pointer per object.
    if (2 * set_.size() >= buckets_.size()) Grow();
    set_.insert(x);
  }
  // REQUIRES: `x` is indexed here.
  void Remove(T& x) { set_.erase(set_.iterator_to(x)); }
  size_t size() const { return set_.size(); }
  template <typename Disposer>
  void ClearAndDispose(Disposer d) {
    set_.clear_and_dispose(d);
  }

 private:
  using Set = boost::intrusive::unordered_set<
      T, boost::intrusive::member_hook<T, Hook, kHook>, boost::intrusive::key_of_value<KeyOf>,
      boost::intrusive::hash<IdHash>, boost::intrusive::equal<SameIdAs>, boost::intrusive::power_2_buckets<true>>;
  using Bucket = typename Set::bucket_type;
  static constexpr size_t kInitialBuckets = 64;
  static_assert(sizeof(Bucket) == sizeof(void*), "PrefetchFirst reads a bucket as one link");
  size_t BucketOf(uint64_t hash) const { return static_cast<size_t>(hash) & (buckets_.size() - 1); }

  Bucket* Buckets(size_t n) {
    buckets_ = std::vector<Bucket>(n);
    return buckets_.data();
  }
  void Grow() {
    std::vector<Bucket> bigger(buckets_.size() * 2);
    set_.rehash(typename Set::bucket_traits(bigger.data(), bigger.size()));
    buckets_.swap(bigger);
  }

  std::vector<Bucket> buckets_;  // must outlive set_: declared first
  Set set_;
};

// The id of an object with an `id` member viewable as a std::string_view.
template <typename T>
struct IdMemberOf {
  using type = std::string_view;
  std::string_view operator()(const T& x) const { return std::string_view(x.id.data(), x.id.size()); }
};

// Objects of type T (with an `id` viewable as a std::string_view and
// `IdIndexHook index_hook`), owned and found by id. Every poll looks a worker
// up by id, tens of millions of times in a long run. No stored hash: telling
// a bucket's objects apart reads each id, which for an InlineId is in the
// object the link already led to.
template <typename T>
class IdIndex {
 public:
  IdIndex() = default;
  IdIndex(const IdIndex&) = delete;
  IdIndex& operator=(const IdIndex&) = delete;
  ~IdIndex() { lookup_.ClearAndDispose(std::default_delete<T>()); }

  T* Find(std::string_view id) const { return lookup_.Find(id); }
  // As in IdLookup.
  static uint64_t HashOf(std::string_view id) { return HashId(id); }
  void PrefetchBucket(uint64_t hash) const { lookup_.PrefetchBucket(hash); }
  void PrefetchFirst(uint64_t hash) const { lookup_.PrefetchFirst(hash); }
  T* FindHashed(std::string_view id, uint64_t hash) const { return lookup_.FindHashed(id, hash); }
  // REQUIRES: no object with x->id is indexed (callers look up first).
  T& Insert(std::unique_ptr<T> x) {
    T& ref = *x.release();
    lookup_.Insert(ref);
    return ref;
  }
  // REQUIRES: `x` is indexed here.
  std::unique_ptr<T> Remove(T& x) {
    lookup_.Remove(x);
    return std::unique_ptr<T>(&x);
  }
  size_t size() const { return lookup_.size(); }

 private:
  IdLookup<T, IdIndexHook, &T::index_hook, IdMemberOf<T>> lookup_;
};

}  // namespace qsim::internal
