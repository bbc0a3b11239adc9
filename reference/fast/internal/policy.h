// The eviction policy of FastCache (see reference/fast/fast_cache.h for why this design):
//
//   window  (LRU list + LFU buckets)  ->  TinyLFU admission  ->  main: probation + protected
//
// * New entries enter the window. When the window is over its share, a candidate leaves it:
//   its least recently used entry or its least frequently used one (use counts while in the
//   window, restored from the ghost lists), chosen at random by two weights learned as LeCaR
//   does: a candidate that was evicted and comes back soon penalizes the rule that chose it.
// * The candidate enters main if main has room; otherwise it competes with main's probation
//   victim on the frequency sketch (TinyLFU), and the loser is evicted.
// * A hit in probation promotes to protected (80% of main); protected overflow demotes.
// * The window's share is adaptive (WindowController below): miniature copies of this policy at
//   window shares of 1%, 10%, 25%, 50% and 100% replay a hashed sample of the keys, and the
//   window moves toward the share whose copy has hit most lately.
//
// Sizes are in weight units (1 per entry unless a weigher is given). Nodes are intrusive: the
// owner allocates them (deriving from PolicyNode) and frees them after Evict()/Remove().
//
// Thread-safety: none; FastCache holds its policy lock. Complexity: O(1) amortized per event.
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_POLICY_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_POLICY_H_

#include <cmath>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "reference/fast/internal/frequency_sketch.h"

namespace cachelab::fast_internal {

enum class Region : uint8_t { kNone, kWindow, kProbation, kProtected };

struct LfuBucket;

struct PolicyNode {
  PolicyNode* prev = nullptr;  // in the region's list
  PolicyNode* next = nullptr;
  PolicyNode* lfu_prev = nullptr;  // window only: in its LFU bucket
  PolicyNode* lfu_next = nullptr;
  LfuBucket* bucket = nullptr;
  uint64_t hash = 0;
  uint64_t weight = 1;
  uint32_t count = 0;  // window only: uses since it entered (LeCaR's frequency)
  Region region = Region::kNone;
};

// A circular intrusive list with a sentinel: front = most recent, back = least recent.
class NodeList {
 public:
  NodeList() { sentinel_.prev = sentinel_.next = &sentinel_; }
  NodeList(const NodeList&) = delete;
  NodeList& operator=(const NodeList&) = delete;
  bool empty() const { return sentinel_.next == &sentinel_; }
  PolicyNode* front() { return empty() ? nullptr : sentinel_.next; }
  PolicyNode* back() { return empty() ? nullptr : sentinel_.prev; }
  void PushFront(PolicyNode* n) { Link(n, &sentinel_, sentinel_.next); }
  void PushBack(PolicyNode* n) { Link(n, sentinel_.prev, &sentinel_); }
  static void Unlink(PolicyNode* n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
  }
  // Puts `replacement` where `n` is.
  static void ReplaceWith(PolicyNode* n, PolicyNode* replacement) {
    replacement->prev = n->prev;
    replacement->next = n->next;
    n->prev->next = replacement;
    n->next->prev = replacement;
    n->prev = n->next = nullptr;
  }
  // Visits every node, front to back; f must not unlink nodes other than the one visited.
  template <typename F>
  void ForEach(F&& f) {
    for (PolicyNode* n = sentinel_.next; n != &sentinel_;) {
      PolicyNode* next = n->next;
      f(n);
      n = next;
    }
  }

 private:
  static void Link(PolicyNode* n, PolicyNode* prev, PolicyNode* next) {
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
  }
  PolicyNode sentinel_;
};

// Window entries by use count; within a count, least recent first.
struct LfuBucket {
  uint32_t count = 0;
  LfuBucket* prev = nullptr;
  LfuBucket* next = nullptr;
  PolicyNode head;  // sentinel of the bucket's circular list (via lfu_prev / lfu_next)
};

class LfuOrder {
 public:
  LfuOrder() { sentinel_.prev = sentinel_.next = &sentinel_; }
  ~LfuOrder();
  LfuOrder(const LfuOrder&) = delete;
  LfuOrder& operator=(const LfuOrder&) = delete;
  void Add(PolicyNode* n, uint32_t count);
  void Use(PolicyNode* n);
  void Remove(PolicyNode* n);
  // The least frequently used node, least recent among equals, other than `except`.
  PolicyNode* Min(const PolicyNode* except) const;

 private:
  LfuBucket* BucketAfter(LfuBucket* before, uint32_t count);
  void Release(LfuBucket* bucket);
  LfuBucket sentinel_;                 // count 0; buckets in ascending count order
  std::vector<LfuBucket*> free_;       // reused buckets
};

// Keys recently evicted from the window by one rule: hash -> (time, count), oldest dropped first.
class GhostList {
 public:
  struct Entry {
    uint64_t time;
    uint32_t count;
  };
  void Add(uint64_t hash, uint64_t time, uint32_t count, uint64_t limit);
  // Removes and returns the ghost of `hash`, if there is one.
  std::optional<Entry> Take(uint64_t hash);
  void Clear();

 private:
  struct Record {
    uint64_t hash;
    uint64_t sequence;
  };
  std::deque<Record> order_;
  absl::flat_hash_map<uint64_t, std::pair<uint64_t, Entry>> live_;  // hash -> (sequence, entry)
  uint64_t next_sequence_ = 0;
};

// A small deterministic generator (splitmix64).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_ += 0x9E3779B97F4A7C15ULL); }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

class Policy {
 public:
  // Called with each node the policy evicts, already unlinked; the owner frees it.
  using EvictFn = void (*)(void* owner, PolicyNode* node);

  // `capacity`: in weight units; `max_entries`: a bound on entries as well. `sketch`: shared
  // with miniature copies (null: own one). `adaptive`: whether the window share adapts
  // (miniature copies are not adaptive; they keep `window_share`).
  Policy(uint64_t capacity, uint64_t max_entries, uint64_t seed, double window_share,
         bool adaptive, FrequencySketch* sketch, EvictFn evict, void* owner);
  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  // A lookup hit, or an overwrite, of `node`.
  void OnUse(PolicyNode* node);
  // Starts loading what OnUse(node) will touch (hints, for batches of uses): first the node
  // itself, then (once it is loaded) its neighbours and its counters.
  static void PrefetchNode(const PolicyNode* node) { __builtin_prefetch(node, 1); }
  void PrefetchNeighbours(const PolicyNode* node) const {
    __builtin_prefetch(node->prev, 1);
    __builtin_prefetch(node->next, 1);
    if (node->lfu_next != nullptr) __builtin_prefetch(node->lfu_next, 1);
    sketch_->Prefetch(node->hash);
  }
  // A new node, not yet in the policy; evicts as needed (never `node` itself).
  // Precondition: node->weight <= capacity.
  void OnAdd(PolicyNode* node);
  // Takes `node` out (erase, expiry, clear); the owner frees it. Not an eviction.
  void Remove(PolicyNode* node);
  // `replacement` takes the place of `node` (an overwrite), then counts as a use. Evicts if
  // the new weight needs room (never `replacement`).
  void Replace(PolicyNode* node, PolicyNode* replacement);

  uint64_t capacity() const { return capacity_; }
  uint64_t weight() const { return window_weight_ + probation_weight_ + protected_weight_; }
  uint64_t window_limit() const { return max_window_; }
  FrequencySketch& sketch() { return *sketch_; }
  // Visits every node (any order).
  template <typename F>
  void ForEach(F&& f) {
    window_.ForEach(f);
    probation_.ForEach(f);
    protected_.ForEach(f);
  }
  // Removes every node, calling `evict` for each (as Remove would), and forgets the ghosts.
  void Clear();
  // Sets the window's limit (moves entries between window and main); never evicts `newest`.
  void SetWindow(uint64_t max_window, const PolicyNode* newest = nullptr);

 private:
  class WindowController;

  // Lets the window controller see the event, and applies its decision.
  void Tick(const PolicyNode* node);
  void AddToWindow(PolicyNode* node, uint32_t count);
  void LeaveRegion(PolicyNode* node);
  void EvictFromWindow(const PolicyNode* newest);
  void EvictOverweight(const PolicyNode* newest);
  void DemoteProtected();
  bool Admit(const PolicyNode* candidate, const PolicyNode* victim);
  void Evict(PolicyNode* node);
  void SetMainLimits();

  const uint64_t capacity_;
  const uint64_t max_entries_;
  std::unique_ptr<FrequencySketch> own_sketch_;
  FrequencySketch* const sketch_;
  const EvictFn evict_;
  void* const owner_;
  Random random_;
  uint64_t max_window_ = 1, max_main_ = 0, max_protected_ = 0;
  uint64_t window_weight_ = 0, probation_weight_ = 0, protected_weight_ = 0;
  NodeList window_, probation_, protected_;
  LfuOrder window_lfu_;
  // LeCaR: weights of the window's two eviction rules, and their ghosts.
  double weight_lru_ = 0.5, weight_lfu_ = 0.5;
  const double discount_;
  GhostList ghost_lru_, ghost_lfu_;
  uint64_t entries_ = 0;
  uint64_t time_ = 0;  // policy events so far
  std::unique_ptr<WindowController> controller_;
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_POLICY_H_
