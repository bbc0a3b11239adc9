// Eviction orders for PolicyCache: each tracks the live keys and names the next victim. Orders
// are intrusive: each entry of PolicyCache's node map carries its order's Handle (the map's
// nodes never move), so tracking a key allocates nothing beyond the entry itself.
//
// Interface of an Order (all O(1), none thread-safe; PolicyCache holds the lock):
//   explicit Order(uint64_t seed);
//   void Add(Handle& h, const K* key);  // a new entry; `key` lives as long as the entry
//   void Use(Handle& h);                // a lookup hit
//   void Overwrite(Handle& h);          // an overwrite of a live entry
//   void Remove(Handle& h);             // the entry leaves, for whatever reason
//   const K* Victim();                  // precondition: at least one entry
//   void Clear();                       // forgets every entry (their handles are dropped)
#ifndef CACHELAB_REFERENCE_MEMORY_INTERNAL_ORDERS_H_
#define CACHELAB_REFERENCE_MEMORY_INTERNAL_ORDERS_H_

#include <cstdint>
#include <iterator>
#include <list>
#include <random>
#include <utility>
#include <vector>

#include "reference/cache.h"

namespace cachelab::internal {

// A circular doubly linked list of handles with a sentinel; front = most recent.
template <typename K>
struct Link {
  Link* prev = this;
  Link* next = this;
  const K* key = nullptr;

  void Unlink() {
    prev->next = next;
    next->prev = prev;
  }
  void InsertBefore(Link* at) {
    prev = at->prev;
    next = at;
    at->prev->next = this;
    at->prev = this;
  }
};

// A queue of keys; `kUseMovesToBack` makes it LRU, otherwise FIFO (overwrites move to the back
// in both, as cachetools' FIFOCache does).
template <typename K, bool kUseMovesToBack>
class QueueOrder {
 public:
  static constexpr EvictionPolicy kPolicy =
      kUseMovesToBack ? EvictionPolicy::kLru : EvictionPolicy::kFifo;
  using Handle = Link<K>;

  explicit QueueOrder(uint64_t /*seed*/) {}
  QueueOrder(const QueueOrder&) = delete;
  QueueOrder& operator=(const QueueOrder&) = delete;

  void Add(Handle& h, const K* key) {
    h.key = key;
    h.InsertBefore(&queue_);  // the back: newest
  }
  void Use(Handle& h) {
    if constexpr (kUseMovesToBack) MoveToBack(h);
  }
  void Overwrite(Handle& h) { MoveToBack(h); }
  void Remove(Handle& h) { h.Unlink(); }
  const K* Victim() { return queue_.next->key; }  // the front: oldest
  void Clear() { queue_.prev = queue_.next = &queue_; }

 private:
  void MoveToBack(Handle& h) {
    if (queue_.prev == &h) return;  // already the newest
    h.Unlink();
    h.InsertBefore(&queue_);
  }
  Handle queue_;  // sentinel
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
    Link<K> keys;  // sentinel; oldest at next
  };

 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kLfu;
  struct Handle : Link<K> {
    typename std::list<Bucket>::iterator bucket;
  };

  explicit LfuOrder(uint64_t /*seed*/) {}
  LfuOrder(const LfuOrder&) = delete;
  LfuOrder& operator=(const LfuOrder&) = delete;

  void Add(Handle& h, const K* key) {
    if (buckets_.empty() || buckets_.front().count != 1) EmplaceBucket(buckets_.begin(), 1);
    h.key = key;
    h.bucket = buckets_.begin();
    h.InsertBefore(&h.bucket->keys);
  }
  void Use(Handle& h) {
    auto next = std::next(h.bucket);
    if (next == buckets_.end() || next->count != h.bucket->count + 1) {
      next = EmplaceBucket(next, h.bucket->count + 1);
    }
    h.Unlink();
    ReleaseIfEmpty(h.bucket);
    h.bucket = next;
    h.InsertBefore(&next->keys);
  }
  void Overwrite(Handle& h) { Use(h); }
  void Remove(Handle& h) {
    h.Unlink();
    ReleaseIfEmpty(h.bucket);
  }
  const K* Victim() { return buckets_.front().keys.next->key; }
  void Clear() { buckets_.clear(); }

 private:
  typename std::list<Bucket>::iterator EmplaceBucket(typename std::list<Bucket>::iterator at,
                                                     uint64_t count) {
    auto it = buckets_.emplace(at);
    it->count = count;
    it->keys.prev = it->keys.next = &it->keys;  // the sentinel points at itself where it lives
    return it;
  }
  void ReleaseIfEmpty(typename std::list<Bucket>::iterator bucket) {
    if (bucket->keys.next == &bucket->keys) buckets_.erase(bucket);
  }
  std::list<Bucket> buckets_;
};

// Uniform random victim from a seeded generator: a dense array of handles for O(1) choice;
// each handle knows its index, so removal is a swap with the last element.
template <typename K>
class RandomOrder {
 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kRandom;
  struct Handle {
    size_t index = 0;
    const K* key = nullptr;
  };

  explicit RandomOrder(uint64_t seed) : rng_(seed) {}
  void Add(Handle& h, const K* key) {
    h.key = key;
    h.index = handles_.size();
    handles_.push_back(&h);
  }
  void Use(Handle&) {}
  void Overwrite(Handle&) {}
  void Remove(Handle& h) {
    Handle* last = handles_.back();
    handles_[h.index] = last;
    last->index = h.index;
    handles_.pop_back();
  }
  const K* Victim() {
    std::uniform_int_distribution<size_t> pick(0, handles_.size() - 1);
    return handles_[pick(rng_)]->key;
  }
  void Clear() { handles_.clear(); }

 private:
  std::vector<Handle*> handles_;
  std::mt19937_64 rng_;
};

// Never evicts: for unbounded engines, whose Victim() is never called.
template <typename K>
class NoOrder {
 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kNone;
  struct Handle {};

  explicit NoOrder(uint64_t /*seed*/) {}
  void Add(Handle&, const K*) {}
  void Use(Handle&) {}
  void Overwrite(Handle&) {}
  void Remove(Handle&) {}
  const K* Victim() { return nullptr; }
  void Clear() {}
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_MEMORY_INTERNAL_ORDERS_H_
