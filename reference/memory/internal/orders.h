// Eviction orders for PolicyCache: each tracks the live keys (as pointers to the keys stored in
// PolicyCache's node map, which never move) and names the next victim.
//
// Interface of an Order (all O(1), none thread-safe; PolicyCache holds the lock):
//   explicit Order(uint64_t seed);
//   Handle Add(const K* key);              // a new entry
//   void Use(Handle& h);                   // a lookup hit
//   void Overwrite(Handle& h);             // an overwrite of a live entry
//   void Remove(Handle& h, const K* key);  // the entry leaves, for whatever reason
//   const K* Victim();                     // precondition: at least one entry
//   void Clear();
#ifndef CACHELAB_REFERENCE_MEMORY_INTERNAL_ORDERS_H_
#define CACHELAB_REFERENCE_MEMORY_INTERNAL_ORDERS_H_

#include <cstdint>
#include <iterator>
#include <list>
#include <random>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "reference/cache.h"

namespace cachelab::internal {

// A queue of keys; `kUseMovesToBack` makes it LRU, otherwise FIFO (overwrites move to the back
// in both, as cachetools' FIFOCache does).
template <typename K, bool kUseMovesToBack>
class QueueOrder {
 public:
  static constexpr EvictionPolicy kPolicy =
      kUseMovesToBack ? EvictionPolicy::kLru : EvictionPolicy::kFifo;
  using Handle = typename std::list<const K*>::iterator;

  explicit QueueOrder(uint64_t /*seed*/) {}
  Handle Add(const K* key) { return queue_.insert(queue_.end(), key); }
  void Use(Handle& h) {
    if constexpr (kUseMovesToBack) MoveToBack(h);
  }
  void Overwrite(Handle& h) { MoveToBack(h); }
  void Remove(Handle& h, const K* /*key*/) { queue_.erase(h); }
  const K* Victim() { return queue_.front(); }
  void Clear() { queue_.clear(); }

 private:
  void MoveToBack(Handle h) { queue_.splice(queue_.end(), queue_, h); }
  std::list<const K*> queue_;
};

template <typename K>
using LruOrder = QueueOrder<K, true>;
template <typename K>
using FifoOrder = QueueOrder<K, false>;

// Least frequently used, ties broken by least recent use: buckets of equal count in ascending
// count order, each bucket a queue in the order its keys reached that count.
template <typename K>
class LfuOrder {
  struct Bucket {
    uint64_t count;
    std::list<const K*> keys;
  };

 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kLfu;
  struct Handle {
    typename std::list<Bucket>::iterator bucket;
    typename std::list<const K*>::iterator item;
  };

  explicit LfuOrder(uint64_t /*seed*/) {}
  Handle Add(const K* key) {
    if (buckets_.empty() || buckets_.front().count != 1) buckets_.push_front(Bucket{1, {}});
    auto bucket = buckets_.begin();
    return Handle{bucket, bucket->keys.insert(bucket->keys.end(), key)};
  }
  void Use(Handle& h) {
    auto next = std::next(h.bucket);
    if (next == buckets_.end() || next->count != h.bucket->count + 1) {
      next = buckets_.insert(next, Bucket{h.bucket->count + 1, {}});
    }
    next->keys.splice(next->keys.end(), h.bucket->keys, h.item);
    if (h.bucket->keys.empty()) buckets_.erase(h.bucket);
    h.bucket = next;
  }
  void Overwrite(Handle& h) { Use(h); }
  void Remove(Handle& h, const K* /*key*/) {
    h.bucket->keys.erase(h.item);
    if (h.bucket->keys.empty()) buckets_.erase(h.bucket);
  }
  const K* Victim() { return buckets_.front().keys.front(); }
  void Clear() { buckets_.clear(); }

 private:
  std::list<Bucket> buckets_;
};

// Uniform random victim from a seeded generator: a dense array for O(1) choice, with an index
// so removal is a swap with the last element.
template <typename K>
class RandomOrder {
 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kRandom;
  struct Handle {};

  explicit RandomOrder(uint64_t seed) : rng_(seed) {}
  Handle Add(const K* key) {
    index_[key] = keys_.size();
    keys_.push_back(key);
    return {};
  }
  void Use(Handle&) {}
  void Overwrite(Handle&) {}
  void Remove(Handle&, const K* key) {
    auto it = index_.find(key);
    const K* last = keys_.back();
    keys_[it->second] = last;
    index_[last] = it->second;
    keys_.pop_back();
    index_.erase(key);
  }
  const K* Victim() {
    std::uniform_int_distribution<size_t> pick(0, keys_.size() - 1);
    return keys_[pick(rng_)];
  }
  void Clear() {
    keys_.clear();
    index_.clear();
  }

 private:
  std::vector<const K*> keys_;
  absl::flat_hash_map<const K*, size_t> index_;
  std::mt19937_64 rng_;
};

// Never evicts: for unbounded engines, whose Victim() is never called.
template <typename K>
class NoOrder {
 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kNone;
  struct Handle {};

  explicit NoOrder(uint64_t /*seed*/) {}
  Handle Add(const K*) { return {}; }
  void Use(Handle&) {}
  void Overwrite(Handle&) {}
  void Remove(Handle&, const K*) {}
  const K* Victim() { return nullptr; }
  void Clear() {}
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_MEMORY_INTERNAL_ORDERS_H_
