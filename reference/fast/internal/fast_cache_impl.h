// FastCacheImpl: the engine behind reference/fast/fast_cache.h (read that first).
//
// Locking: mu_ guards the policy, the timer wheel, table writes, the retire list and the exact
// write statistics. Readers touch only the table (atomics), immutable node fields (key, value,
// read_deadline: a node is never changed once published; an overwrite publishes a new node),
// and their own ThreadState.
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_FAST_CACHE_IMPL_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_FAST_CACHE_IMPL_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/hash/internal/city.h"
#include "absl/strings/str_cat.h"
#include "reference/cache.h"
#include "reference/fast/internal/epoch.h"
#include "reference/fast/internal/frequency_sketch.h"
#include "reference/fast/internal/node_pool.h"
#include "reference/fast/internal/policy.h"
#include "reference/fast/internal/table.h"
#include "reference/fast/internal/thread_state.h"
#include "reference/fast/internal/timer_wheel.h"
#include "reference/mutex.h"

namespace cachelab::fast_internal {

// What a lookup reads, at the start of the node: with the table's hash tags a hit loads one
// line of the node, which holds the deadline, the key and, for a short string (or any value of
// up to 24 bytes after a 32-byte key), the value. The deadline is TimerNode's, copied here
// because the wheel's copy lies on a later line; the hash lives in PolicyNode (writers only).
template <typename K, typename V>
struct Entry {
  Entry(K k, V v) : key(std::move(k)), value(std::move(v)) {}
  int64_t read_deadline = kNoDeadline;  // set once, before the node is published
  const K key;
  const V value;
};

// The policy's links on cache lines of their own: whoever drains the read buffers rewrites them
// on every use, and readers on other cores, which read only the entry, would otherwise miss on
// the line each time. With 8-byte keys and values this costs no heap (the aligned allocation
// rounds up to the same size either way, //reference/fast:memory_benchmark); larger entries may
// take one more line.
struct alignas(64) AlignedPolicyNode : PolicyNode {};

template <typename K, typename V>
struct alignas(64) Node final : Entry<K, V>, TimerNode, AlignedPolicyNode {
  Node(uint64_t h, K k, V v) : Entry<K, V>(std::move(k), std::move(v)) { PolicyNode::hash = h; }
  void SetDeadline(int64_t deadline) { TimerNode::deadline = this->read_deadline = deadline; }
};

// Hashes that are the same in every run (unlike absl::Hash, seeded per process), so that a
// replay is deterministic: CityHash64 for strings, the given Hash otherwise.
template <typename K, typename Hash>
struct KeyHash {
  uint64_t operator()(const K& key) const { return Hash{}(key); }
};
template <>
struct KeyHash<std::string, std::hash<std::string>> {
  uint64_t operator()(const std::string& key) const {
    return absl::hash_internal::CityHash64(key.data(), key.size());
  }
};

template <typename K, typename V, typename Hash>
class FastCacheImpl final : public Cache<K, V> {
  using NodeT = Node<K, V>;
  using TableT = Table<NodeT, K>;

 public:
  using Weigher = std::function<uint64_t(const K&, const V&)>;

  // Precondition: options passed ValidateOptions; weigher and max_weight both given or neither.
  FastCacheImpl(const CacheOptions& options, Capabilities capabilities, Weigher weigher,
                std::optional<uint64_t> max_weight)
      : capabilities_(capabilities),
        capacity_(*options.capacity),
        default_ttl_(options.default_ttl),
        clock_(options.clock ? options.clock : DefaultClock()),
        seed_(Mix64(options.seed ^ 0xC2B2AE3D27D4EB4FULL)),
        weigher_(std::move(weigher)),
        max_weight_(max_weight),
        states_(new ThreadState[kMaxThreads]),
        table_(max_weight ? 16 : capacity_),
        policy_(max_weight.value_or(capacity_), capacity_, options.seed, 0, /*adaptive=*/true,
                nullptr, &FastCacheImpl::Evicted, this),
        wheel_(absl::ToUnixNanos(clock_->Now())) {}

  ~FastCacheImpl() override {
    // No reader may be inside a call now (the caller owns the cache).
    std::vector<NodeT*> nodes;
    table_.ForEach([&](NodeT* node) { nodes.push_back(node); });
    for (NodeT* node : nodes) {
      node->~NodeT();
      NodePool::DeleteBlock(node);
    }
    const int slots = SlotHighWater();
    for (int i = 0; i < slots; ++i) {
      if (void* spare = std::exchange(states_[i].spare_node, nullptr)) NodePool::DeleteBlock(spare);
    }
  }

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    // Every path returns `result` (so it is built in place) and the value is copied straight
    // into it: copying into an optional and moving that into the StatusOr was a second copy.
    absl::StatusOr<std::optional<V>> result(absl::in_place);
    std::optional<V>& value = *result;
    const uint64_t hash = HashOf(key);
    const int slot = ThreadSlot();
    if (slot == kNoSlot) {
      LockedLookup(key, hash, nullptr, value);
      return result;
    }
    ThreadState& state = states_[slot];
    bool drain = false;
    {
      EpochGuard guard(slot);
      NodeT* node = table_.Find(hash, key);
      if (node == nullptr) {
        state.CountMiss();
        return result;
      }
      if (node->read_deadline == kNoDeadline || node->read_deadline > NowNanos()) {
        value.emplace(node->value);
        // While several threads read, the policy sees one read in kSampleUnderContention: the
        // policy's work, serialized under its lock and bouncing its cache lines between cores,
        // would otherwise cap the total rate at one thread's (Caffeine's lossy buffers drop
        // reads for the same reason). A thread reading alone records every read.
        if (!contended_.load(std::memory_order_relaxed) || state.SampleTick()) {
          drain = !state.Push(node) || state.Full();
        }
        state.CountHit();
      }
    }
    if (!value.has_value()) {  // found expired
      LockedLookup(key, hash, &state, value);
      return result;
    }
    if (drain && mu_.TryLock()) {
      DrainReads();
      mu_.Unlock();
    }
    return result;
  }

  absl::Status Insert(const K& key, V value) override {
    const int64_t ttl = default_ttl_ ? absl::ToInt64Nanoseconds(*default_ttl_) : kNoDeadline;
    return Store(key, std::move(value), ttl);
  }

  absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
    if (ttl < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          "InsertWithTtl: ttl must not be negative; use 0 for an entry that is already expired");
    }
    return Store(key, std::move(value),
                 ttl == absl::InfiniteDuration() ? kNoDeadline : absl::ToInt64Nanoseconds(ttl));
  }

  absl::StatusOr<bool> Erase(const K& key) override {
    const uint64_t hash = HashOf(key);
    MutexLock lock(&mu_);
    DrainReads();
    NodeT* node = FindLive(key, hash, NowNanos());
    if (node == nullptr) return false;
    Unlink(node);
    ++stats_.removals;
    MaybeReclaim();
    return true;
  }

  absl::Status Clear() override {
    MutexLock lock(&mu_);
    DrainReads();
    PurgeExpired(NowNanos());
    std::vector<NodeT*> nodes;
    table_.ForEach([&](NodeT* node) { nodes.push_back(node); });
    for (NodeT* node : nodes) {
      Unlink(node);
      ++stats_.removals;
    }
    MaybeReclaim();
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Size() override {
    MutexLock lock(&mu_);
    PurgeExpired(NowNanos());
    return table_.size();
  }

  std::optional<size_t> Capacity() const override { return capacity_; }

  absl::StatusOr<std::vector<K>> Keys() override {
    MutexLock lock(&mu_);
    PurgeExpired(NowNanos());
    std::vector<K> keys;
    keys.reserve(table_.size());
    table_.ForEach([&](NodeT* node) { keys.push_back(node->key); });
    return keys;
  }

  CacheStats Stats() override {
    MutexLock lock(&mu_);
    PurgeExpired(NowNanos());
    CacheStats stats = stats_;
    const int slots = SlotHighWater();
    for (int i = 0; i < slots; ++i) {
      stats.hits += states_[i].hits();
      stats.misses += states_[i].misses();
    }
    return stats;
  }

  Capabilities capabilities() const override { return capabilities_; }

  // Whether readers now record one read in ThreadState::kSampleUnderContention (tests only).
  bool SamplingReadsForTesting() const { return contended_.load(std::memory_order_relaxed); }

 private:
  // Retired nodes wait for a batch this large before the epoch is advanced: each advance is a
  // membarrier, an interrupt to every core running this process (in this VM 12% of a 2-thread
  // overwrite run at 64). 1024 against 64, reports/bench pair, 8 rounds: overwrite -24% and Zipf
  // get-or-insert -23% at two threads, no significant regression. Costs up to about two batches
  // of nodes not yet freed.
  static constexpr size_t kReclaimBatch = 1024;

  uint64_t HashOf(const K& key) const { return Mix64(KeyHash<K, Hash>{}(key) ^ seed_); }
  int64_t NowNanos() const { return absl::ToUnixNanos(clock_->Now()); }
  static bool Expired(const NodeT* node, int64_t now) { return node->deadline <= now; }

  // The slow lookup: the node found was expired (or this thread has no slot). Sets `value` to
  // the live entry's value, if there is one.
  void LockedLookup(const K& key, uint64_t hash, ThreadState* state, std::optional<V>& value) {
    MutexLock lock(&mu_);
    DrainReads();
    NodeT* node = FindLive(key, hash, NowNanos());
    if (node == nullptr) {
      state ? state->CountMiss() : void(++stats_.misses);
      return;
    }
    state ? state->CountHit() : void(++stats_.hits);
    policy_.OnUse(node);
    value.emplace(node->value);
  }

  absl::Status Store(const K& key, V value, int64_t ttl) {
    const uint64_t hash = HashOf(key);
    const int slot = ThreadSlot();
    ThreadState* state = slot == kNoSlot ? nullptr : &states_[slot];
    NodeT* node = NewNode(state, hash, key, std::move(value));  // outside the lock
    node->weight = weigher_ ? std::max<uint64_t>(1, weigher_(node->key, node->value)) : 1;
    if (max_weight_ && node->weight > *max_weight_) {
      const uint64_t weight = node->weight;
      node->~NodeT();
      // Back to this thread's spare (NewNode left it empty), or to the allocator.
      state != nullptr ? void(state->spare_node = node) : NodePool::DeleteBlock(node);
      return absl::InvalidArgumentError(absl::StrCat(
          "fast: an entry of weight ", weight, " is heavier than max_weight (", *max_weight_,
          "); raise max_weight or do not cache it"));
    }
    MutexLock lock(&mu_);
    DrainReads();
    if (state != nullptr && state->spare_node == nullptr) state->spare_node = pool_.TryAllocate();
    const int64_t now = NowNanos();
    node->SetDeadline(ttl == kNoDeadline || ttl > kNoDeadline - now ? kNoDeadline : now + ttl);
    NodeT* existing = FindLive(key, hash, now);
    if (node->deadline <= now) {  // already expired: never stored, and it replaces the old value
      if (existing != nullptr) {
        Unlink(existing);
        ++stats_.removals;
      }
      FreeNode(this, node);
      return absl::OkStatus();
    }
    NodeT* fresh = node;
    if (existing != nullptr) {
      wheel_.Cancel(existing);
      table_.Replace(existing, fresh);
      policy_.Replace(existing, fresh);
      Retire(existing);
      wheel_.Schedule(fresh);
      ++stats_.updates;
    } else {
      if (table_.size() >= capacity_ || policy_.weight() + fresh->weight > policy_.capacity()) {
        PurgeExpired(now);  // expired entries leave before any live one is evicted
      }
      policy_.OnAdd(fresh);  // evicts (never `fresh`) before it becomes visible
      if (auto* old = table_.Insert(fresh)) retired_.Retire(old);
      wheel_.Schedule(fresh);
      ++stats_.insertions;
    }
    MaybeReclaim();
    return absl::OkStatus();
  }

  // The live node for `key`, or null; an expired one is removed and counted.
  NodeT* FindLive(const K& key, uint64_t hash, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    NodeT* node = table_.Find(hash, key);
    if (node != nullptr && Expired(node, now)) {
      Unlink(node);
      ++stats_.expirations;
      return nullptr;
    }
    return node;
  }

  // Takes `node` out of the table, the policy and the wheel, and retires it.
  void Unlink(NodeT* node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    table_.Erase(node);
    policy_.Remove(node);
    wheel_.Cancel(node);
    Retire(node);
  }

  // The policy's eviction callback: the node has left the policy already.
  static void Evicted(void* self, PolicyNode* policy_node) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    auto* cache = static_cast<FastCacheImpl*>(self);
    auto* node = static_cast<NodeT*>(policy_node);
    cache->table_.Erase(node);
    cache->wheel_.Cancel(node);
    cache->Retire(node);
    ++cache->stats_.evictions;
  }

  void PurgeExpired(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    wheel_.Advance(now, [&](TimerNode* timer) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      auto* node = static_cast<NodeT*>(timer);
      table_.Erase(node);
      policy_.Remove(node);
      Retire(node);
      ++stats_.expirations;
    });
    MaybeReclaim();
  }

  // Applies every thread's buffered reads to the policy, oldest first per thread.
  void DrainReads() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int slots = SlotHighWater();
    int readers = 0;
    for (int i = 0; i < slots; ++i) {
      const uint32_t drained = states_[i].Drain(
          [](PolicyNode* node) { Policy::PrefetchNode(node); },
          [&](PolicyNode* node) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            // Only read a node still cached: a removed one's links are cleared (null).
            if (node->region != Region::kNone) policy_.PrefetchNeighbours(node);
          },
          [&](PolicyNode* node) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            if (node->region != Region::kNone) policy_.OnUse(node);  // still cached
          });
      readers += drained > 0;
    }
    // Readers sample while more than one thread had reads waiting; one alone records them all.
    if (readers > 0 && (readers > 1) != contended_.load(std::memory_order_relaxed)) {
      contended_.store(readers > 1, std::memory_order_relaxed);
    }
  }

  // A node built in `state`'s spare memory if it has some (no allocation), else in a new block.
  static NodeT* NewNode(ThreadState* state, uint64_t hash, const K& key, V value) {
    void* memory = state != nullptr && state->spare_node != nullptr
                       ? std::exchange(state->spare_node, nullptr)
                       : NodePool::NewBlock(sizeof(NodeT));
    return new (memory) NodeT(hash, key, std::move(value));
  }

  // Destroys a node no reader can reach any more and pools its memory (RetireList calls it, with
  // mu_ held, or while the cache is destroyed).
  static void FreeNode(void* self, void* node) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    static_cast<NodeT*>(node)->~NodeT();
    static_cast<FastCacheImpl*>(self)->pool_.Free(node);
  }

  void Retire(NodeT* node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    retired_.Retire(node, &FastCacheImpl::FreeNode, this);
  }

  // Frees what no reader can still hold. Buffered reads are applied first, so no read buffer
  // still points to a node being freed.
  void MaybeReclaim() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    retired_.MaybeReclaim(kReclaimBatch, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { DrainReads(); });
  }

  const Capabilities capabilities_;
  const size_t capacity_;
  const std::optional<absl::Duration> default_ttl_;
  const std::shared_ptr<const Clock> clock_;
  const uint64_t seed_;
  const Weigher weigher_;
  const std::optional<uint64_t> max_weight_;
  const std::unique_ptr<ThreadState[]> states_;
  // Set by the drainer when several threads had buffered reads; read by every reader.
  alignas(64) std::atomic<bool> contended_{false};

  Mutex mu_;
  TableT table_;  // written under mu_, read by anyone
  Policy policy_ ABSL_GUARDED_BY(mu_);
  TimerWheel wheel_ ABSL_GUARDED_BY(mu_);
  CacheStats stats_ ABSL_GUARDED_BY(mu_);  // all but hits and misses of threads with a slot
  // Two reclaim batches: what one reclaim frees is pooled, and the next batch's inserts use it.
  NodePool pool_ ABSL_GUARDED_BY(mu_){sizeof(NodeT), 2 * kReclaimBatch};
  RetireList retired_ ABSL_GUARDED_BY(mu_);  // after pool_: its destructor frees into pool_
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_FAST_CACHE_IMPL_H_
