// Eviction orders for PolicyCache: each tracks the live entries and names the next victim.
// Orders are intrusive: each of PolicyCache's nodes derives from its order's Handle (nodes never
// move), so tracking an entry allocates nothing beyond the node itself.
//
// Interface of an Order (all O(1), none thread-safe; PolicyCache holds the lock):
//   static constexpr bool kHitsReorder;  // false: Use is a no-op, hits may skip the lock
//   explicit Order(uint64_t seed);
//   void Add(Handle& h);                 // a new entry
//   void Use(Handle& h);                 // a lookup hit
//   void Replace(Handle& old, Handle& fresh);  // `fresh` takes `old`'s place; `old` leaves
//   void Overwrite(Handle& h);           // an overwrite of a live entry (after Replace)
//   void Remove(Handle& h);              // the entry leaves, for whatever reason
//   Handle* Victim();                    // precondition: at least one entry
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
struct Link {
  Link* prev = this;
  Link* next = this;

  // False for a lone link: a sentinel of an empty list, or a handle reset after unlinking.
  bool Linked() const { return next != this; }
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
  // Puts this (unlinked) handle where `old` is, and unlinks `old`.
  void TakePlaceOf(Link& old) {
    prev = old.prev;
    next = old.next;
    prev->next = this;
    next->prev = this;
    old.prev = old.next = &old;
  }
};

// A queue of keys; `kUseMovesToBack` makes it LRU, otherwise FIFO (overwrites move to the back
// in both, as cachetools' FIFOCache does).
template <bool kUseMovesToBack>
class QueueOrder {
 public:
  static constexpr EvictionPolicy kPolicy =
      kUseMovesToBack ? EvictionPolicy::kLru : EvictionPolicy::kFifo;
  static constexpr bool kHitsReorder = kUseMovesToBack;
  using Handle = Link;

  explicit QueueOrder(uint64_t /*seed*/) {}
  QueueOrder(const QueueOrder&) = delete;
  QueueOrder& operator=(const QueueOrder&) = delete;

  void Add(Handle& h) { h.InsertBefore(&queue_); }  // the back: newest
  void Use(Handle& h) {
    if constexpr (kUseMovesToBack) MoveToBack(h);
  }
  void Replace(Handle& old, Handle& fresh) { fresh.TakePlaceOf(old); }
  void Overwrite(Handle& h) { MoveToBack(h); }
  void Remove(Handle& h) { h.Unlink(); }
  Handle* Victim() { return queue_.next; }  // the front: oldest

 private:
  void MoveToBack(Handle& h) {
    if (queue_.prev == &h) return;  // already the newest
    h.Unlink();
    h.InsertBefore(&queue_);
  }
  Handle queue_;  // sentinel
};

using LruOrder = QueueOrder<true>;
using FifoOrder = QueueOrder<false>;

// Least frequently used, ties broken by least recent use: buckets of equal count in ascending
// count order, each bucket a queue in the order its keys reached that count.
class LfuOrder {
  struct Bucket {
    uint64_t count;
    Link keys;  // sentinel; oldest at next
  };

 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kLfu;
  static constexpr bool kHitsReorder = true;
  struct Handle : Link {
    typename std::list<Bucket>::iterator bucket;
  };

  explicit LfuOrder(uint64_t /*seed*/) {}
  LfuOrder(const LfuOrder&) = delete;
  LfuOrder& operator=(const LfuOrder&) = delete;

  void Add(Handle& h) {
    if (buckets_.empty() || buckets_.front().count != 1) EmplaceBucket(buckets_.begin(), 1);
    h.bucket = buckets_.begin();
    h.InsertBefore(&h.bucket->keys);
  }
  void Use(Handle& h) {
    const uint64_t count = h.bucket->count + 1;
    auto next = std::next(h.bucket);
    if (next == buckets_.end() || next->count != count) {
      // A key alone in its bucket takes the bucket up with it (the order of counts holds):
      // no bucket allocated and none freed, as would otherwise happen on most hits of a key
      // whose count no other key shares.
      if (h.bucket->keys.next == &h && h.bucket->keys.prev == &h) {
        h.bucket->count = count;
        return;
      }
      next = EmplaceBucket(next, count);
    }
    h.Unlink();
    ReleaseIfEmpty(h.bucket);
    h.bucket = next;
    h.InsertBefore(&next->keys);
  }
  void Replace(Handle& old, Handle& fresh) {
    fresh.bucket = old.bucket;
    fresh.TakePlaceOf(old);
  }
  void Overwrite(Handle& h) { Use(h); }
  void Remove(Handle& h) {
    h.Unlink();
    ReleaseIfEmpty(h.bucket);
  }
  Handle* Victim() { return static_cast<Handle*>(buckets_.front().keys.next); }

 private:
  typename std::list<Bucket>::iterator EmplaceBucket(typename std::list<Bucket>::iterator at,
                                                     uint64_t count) {
    auto it = buckets_.emplace(at);
    it->count = count;
    it->keys.prev = it->keys.next = &it->keys;  // the sentinel points at itself where it lives
    return it;
  }
  void ReleaseIfEmpty(typename std::list<Bucket>::iterator bucket) {
    if (!bucket->keys.Linked()) buckets_.erase(bucket);
  }
  std::list<Bucket> buckets_;
};

// Uniform random victim from a seeded generator: a dense array of handles for O(1) choice;
// each handle knows its index, so removal is a swap with the last element.
class RandomOrder {
 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kRandom;
  static constexpr bool kHitsReorder = false;
  struct Handle {
    size_t index = 0;
  };

  explicit RandomOrder(uint64_t seed) : rng_(seed) {}
  void Add(Handle& h) {
    h.index = handles_.size();
    handles_.push_back(&h);
  }
  void Use(Handle&) {}
  void Replace(Handle& old, Handle& fresh) {
    fresh.index = old.index;
    handles_[old.index] = &fresh;
  }
  void Overwrite(Handle&) {}
  void Remove(Handle& h) {
    Handle* last = handles_.back();
    handles_[h.index] = last;
    last->index = h.index;
    handles_.pop_back();
  }
  Handle* Victim() {
    std::uniform_int_distribution<size_t> pick(0, handles_.size() - 1);
    return handles_[pick(rng_)];
  }

 private:
  std::vector<Handle*> handles_;
  std::mt19937_64 rng_;
};

// Never evicts: for unbounded engines, whose Victim() is never called.
class NoOrder {
 public:
  static constexpr EvictionPolicy kPolicy = EvictionPolicy::kNone;
  static constexpr bool kHitsReorder = false;
  struct Handle {};

  explicit NoOrder(uint64_t /*seed*/) {}
  void Add(Handle&) {}
  void Use(Handle&) {}
  void Replace(Handle&, Handle&) {}
  void Overwrite(Handle&) {}
  void Remove(Handle&) {}
  Handle* Victim() { return nullptr; }
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_MEMORY_INTERNAL_ORDERS_H_
