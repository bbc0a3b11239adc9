// PolicyCache: the one in-memory engine behind every reference memory cache. It owns the
// entries, their deadlines and the statistics; an Order (orders.h) decides the victim.
//
// Thread-safety: writes and whole-cache calls hold one Mutex (reference/mutex.h). Lookups hold
// it too where a hit reorders the entries (LRU, LFU); where it does not (FIFO, random, none) a
// lookup takes no lock: it probes a table that readers may search while the lock holder
// changes it (reference/fast/internal/table.h), reads an entry that is never changed once
// published (an overwrite publishes a new node) and counts into its thread's own counters.
// Removed nodes are freed by epochs (reference/fast/internal/epoch.h) once no reader can hold
// them. Every call is atomic (linearizable) either way: a lock-free hit is ordered before a
// concurrent removal of its entry, which it does not influence.
// Complexity: Lookup, Insert, Erase O(1) expected, plus O(log n) for an entry whose deadline
// came before the latest one scheduled (one from a default TTL over a clock that does not go
// back never does: expiry_index.h). Size, Keys, Stats and Clear O(n) at worst (expired entries
// are purged first, and Keys copies).
// Cost: a call reads the clock only if an entry it touches has a deadline (or the engine gives
// plain inserts one); a hit allocates nothing unless copying V does; where hits take no lock,
// an overwrite allocates a new node and the old one is freed later, in batches of 1024; each
// cache keeps 8 KiB of per-thread counters.
// Memory: a node per entry (its order's links, 16 bytes of deadline-queue links, hash, key,
// value, deadline) and the table's slot for it.
// Removal reports (SetRemovalListener): collected while the call holds the lock, delivered by
// the same call after it lets go; nothing is collected while no listener is set, and a call
// with nothing to report pays one extra load.
#ifndef CACHELAB_REFERENCE_MEMORY_INTERNAL_POLICY_CACHE_H_
#define CACHELAB_REFERENCE_MEMORY_INTERNAL_POLICY_CACHE_H_

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"
#include "reference/cache.h"
#include "reference/fast/internal/epoch.h"
#include "reference/fast/internal/table.h"
#include "reference/memory/internal/expiry_index.h"
#include "reference/mutex.h"

namespace cachelab::internal {

template <typename K, typename V, typename Order>
class PolicyCache final : public Cache<K, V> {
 public:
  // Computes the deadline of a plain Insert from the key, the value and now (cachetools' ttu).
  using Ttu = std::function<absl::Time(const K&, const V&, absl::Time)>;

  // Precondition: `options` passed ValidateOptions for `capabilities`.
  PolicyCache(const CacheOptions& options, Capabilities capabilities, Ttu ttu)
      : capabilities_(capabilities),
        capacity_(options.capacity),
        default_ttl_(options.default_ttl),
        clock_(options.clock ? options.clock : DefaultClock()),
        ttu_(std::move(ttu)),
        counts_(new ThreadCounts[fast_internal::kMaxThreads]),
        table_(std::min<size_t>(options.capacity.value_or(0), kPresizeLimit)),
        order_(options.seed) {}

  // Precondition: no call is running (the owner destroys the cache).
  ~PolicyCache() override {
    std::vector<Node*> nodes;
    table_.ForEach([&](Node* node) { nodes.push_back(node); });
    for (Node* node : nodes) delete node;
  }

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    const uint64_t hash = absl::Hash<K>{}(key);
    if constexpr (kLockFreeHits) {
      const int slot = fast_internal::ThreadSlot();
      if (slot != fast_internal::kNoSlot) {
        fast_internal::EpochGuard guard(slot);
        const Node* node = table_.Find(hash, key);
        if (node == nullptr) {
          counts_[slot].Count(counts_[slot].misses);
          return std::nullopt;
        }
        if (node->deadline == absl::InfiniteFuture() || node->deadline > clock_->Now()) {
          counts_[slot].Count(counts_[slot].hits);
          return node->value;
        }
      }  // expired (to remove and count under the lock) or no slot for this thread
    }
    Call call(*this);
    Now now(*clock_);
    // Built straight from the node: one copy of the value (an optional returned first and
    // moved into the StatusOr was a second, 3-4 ns of an 8-byte hit).
    const Node* node = LockedUse(key, hash, now);
    if (node == nullptr) return std::nullopt;
    return node->value;
  }

  absl::Status Insert(const K& key, V value) override {
    Call call(*this);
    Now now(*clock_);
    PlainInsert(key, std::move(value), now);
    return absl::OkStatus();
  }

  // One lock for the whole batch (the calls stay in order, as the contract says).
  absl::StatusOr<std::vector<std::optional<V>>> LookupMany(const std::vector<K>& keys) override {
    std::vector<std::optional<V>> values;
    values.reserve(keys.size());
    Call call(*this);
    Now now(*clock_);
    for (const K& key : keys) {
      const Node* node = LockedUse(key, absl::Hash<K>{}(key), now);
      if (node == nullptr) {
        values.emplace_back();
      } else {
        values.emplace_back(node->value);
      }
    }
    return values;
  }

  absl::Status InsertMany(std::vector<std::pair<K, V>> entries) override {
    Call call(*this);
    Now now(*clock_);
    for (auto& [key, value] : entries) PlainInsert(key, std::move(value), now);
    return absl::OkStatus();
  }

  absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
    if (ttl < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          "InsertWithTtl: ttl must not be negative; use 0 for an entry that is already expired");
    }
    Call call(*this);
    Now now(*clock_);
    Store(key, std::move(value), now.Get() + ttl, now);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Erase(const K& key) override {
    Call call(*this);
    Now now(*clock_);
    Node* node = FindLive(key, absl::Hash<K>{}(key), now);
    if (node == nullptr) return false;
    Remove(node);
    ++stats_.removals;
    return true;
  }

  absl::Status Clear() override {
    Call call(*this);
    Now now(*clock_);
    PurgeExpired(now);
    std::vector<Node*> nodes;
    table_.ForEach([&](Node* node) { nodes.push_back(node); });
    for (Node* node : nodes) Remove(node);
    stats_.removals += nodes.size();
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Size() override {
    Call call(*this);
    Now now(*clock_);
    PurgeExpired(now);
    return table_.size();
  }

  std::optional<size_t> Capacity() const override { return capacity_; }

  absl::StatusOr<std::vector<K>> Keys() override {
    Call call(*this);
    Now now(*clock_);
    PurgeExpired(now);
    std::vector<K> keys;
    keys.reserve(table_.size());
    table_.ForEach([&](const Node* node) { keys.push_back(node->key); });
    return keys;
  }

  CacheStats Stats() override {
    Call call(*this);
    Now now(*clock_);
    PurgeExpired(now);
    CacheStats stats = stats_;
    const int slots = fast_internal::SlotHighWater();
    for (int i = 0; i < slots; ++i) {
      stats.hits += counts_[i].hits.load(std::memory_order_relaxed);
      stats.misses += counts_[i].misses.load(std::memory_order_relaxed);
    }
    return stats;
  }

  Capabilities capabilities() const override { return capabilities_; }

  absl::Status SetRemovalListener(RemovalListener<K> listener) override {
    MutexLock lock(&mu_);
    listener_ = std::move(listener);
    reporting_ = listener_ != nullptr;
    return absl::OkStatus();
  }

 private:
  // One call's hold on mu_. What the call evicts or expires is collected in pending_ while it
  // holds the lock and reported to the listener after it lets go, so the listener may call back
  // in. Without removals to report, this is a plain lock.
  class ABSL_SCOPED_LOCKABLE Call {
   public:
    explicit Call(PolicyCache& cache) ABSL_EXCLUSIVE_LOCK_FUNCTION(cache.mu_) : cache_(cache) {
      cache_.mu_.Lock();
    }
    ~Call() ABSL_UNLOCK_FUNCTION() {
      if (ABSL_PREDICT_TRUE(!cache_.reporting_ || cache_.pending_.empty())) {
        cache_.mu_.Unlock();
      } else {
        cache_.ReportAndUnlock();
      }
    }
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

   private:
    PolicyCache& cache_;
  };

  [[gnu::noinline]] void ReportAndUnlock() ABSL_UNLOCK_FUNCTION(mu_) {
    std::vector<std::pair<K, RemovalCause>> removed;
    removed.swap(pending_);
    RemovalListener<K> listener = listener_;
    mu_.Unlock();
    for (const auto& [key, cause] : removed) listener(key, cause);
  }

  // Notes, for the listener if there is one, that `key` is about to be removed for `cause`.
  void Report(const K& key, RemovalCause cause) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reporting_) pending_.emplace_back(key, cause);
  }

  // Hits that do not reorder take no lock.
  static constexpr bool kLockFreeHits = !Order::kHitsReorder;

  // An entry. Where hits take no lock, value and deadline never change once the node is
  // published (an overwrite publishes a new node), so readers may read them while the lock
  // holder relinks the handle; otherwise an overwrite changes them in place, under the lock.
  struct Node : Order::Handle, ExpiryHook {
    Node(uint64_t h, const K& k, V v, absl::Time d)
        : hash(h), key(k), value(std::move(v)), deadline(d) {}
    const uint64_t hash;
    const K key;
    V value;
    absl::Time deadline;
  };
  using Table = fast_internal::Table<Node, K>;

  // Hits and misses of lock-free lookups, one owner thread per slot at a time.
  struct alignas(64) ThreadCounts {
    // Single writer, so a load and a store, not a locked add.
    static void Count(std::atomic<uint64_t>& counter) {
      counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
  };

  // Removed nodes are freed in batches: each epoch advance interrupts every core (membarrier).
  static constexpr size_t kReclaimBatch = 1024;
  // The table is sized for the capacity up to this many entries; beyond, it grows as it fills.
  static constexpr size_t kPresizeLimit = size_t{1} << 16;

  // The clock, read at most once per call and only if something needs the time.
  class Now {
   public:
    explicit Now(const Clock& clock) : clock_(clock) {}
    absl::Time Get() {
      if (!known_) {
        now_ = clock_.Now();
        known_ = true;
      }
      return now_;
    }

   private:
    const Clock& clock_;
    // Not std::optional: GCC 12 at -O2 reports its payload as maybe-uninitialized here.
    absl::Time now_;
    bool known_ = false;
  };

  // A lookup's work but the copy: counts the hit or miss, records the use; the live node or null.
  const Node* LockedUse(const K& key, uint64_t hash, Now& now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Node* node = FindLive(key, hash, now);
    if (node == nullptr) {
      ++stats_.misses;
      return nullptr;
    }
    ++stats_.hits;
    order_.Use(*node);
    return node;
  }

  // Returns the live node for `key`, or null; an expired one is removed and counted.
  Node* FindLive(const K& key, uint64_t hash, Now& now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Node* node = table_.Find(hash, key);
    if (node != nullptr && node->deadline != absl::InfiniteFuture() &&
        node->deadline <= now.Get()) {
      Report(node->key, RemovalCause::kExpired);
      Remove(node);
      ++stats_.expirations;
      return nullptr;
    }
    return node;
  }

  // Insert's work: the deadline from the ttu, the default TTL or none.
  void PlainInsert(const K& key, V value, Now& now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Time deadline = absl::InfiniteFuture();
    if (ttu_) {
      deadline = ttu_(key, value, now.Get());
    } else if (default_ttl_.has_value()) {
      deadline = now.Get() + *default_ttl_;
    }
    Store(key, std::move(value), deadline, now);
  }

  void Store(const K& key, V value, absl::Time deadline, Now& now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const uint64_t hash = absl::Hash<K>{}(key);
    Node* existing = FindLive(key, hash, now);
    if (deadline != absl::InfiniteFuture() && deadline <= now.Get()) {
      // Already expired: never stored, and it replaces the old value.
      if (existing != nullptr) {
        Remove(existing);
        ++stats_.removals;
      }
      return;
    }
    if (!kLockFreeHits && existing != nullptr) {  // no reader without the lock: in place
      existing->value = std::move(value);
      if (deadline != existing->deadline) {
        Unschedule(existing);
        existing->deadline = deadline;
        Schedule(existing);
      }
      order_.Overwrite(*existing);
      ++stats_.updates;
      return;
    }
    auto* fresh = new Node(hash, key, std::move(value), deadline);
    if (existing != nullptr) {
      Unschedule(existing);
      table_.Replace(existing, fresh);
      order_.Replace(*existing, *fresh);
      order_.Overwrite(*fresh);
      Schedule(fresh);
      Retire(existing);
      ++stats_.updates;
      return;
    }
    if (capacity_.has_value() && table_.size() >= *capacity_) {
      PurgeExpired(now);
      if (table_.size() >= *capacity_) {
        Node* victim = static_cast<Node*>(order_.Victim());
        Report(victim->key, RemovalCause::kEvicted);
        Remove(victim);
        ++stats_.evictions;
      }
    }
    if (auto* old = table_.Insert(fresh)) Retire(old);
    order_.Add(*fresh);
    Schedule(fresh);
    ++stats_.insertions;
  }

  void Schedule(Node* node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (node->deadline != absl::InfiniteFuture()) expiry_.Add(node);
  }
  void Unschedule(Node* node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (node->deadline != absl::InfiniteFuture()) expiry_.Remove(node);
  }

  // Takes `node` out of the table, the order and the deadlines, and retires it.
  void Remove(Node* node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Unschedule(node);
    order_.Remove(*node);
    table_.Erase(node);
    Retire(node);
  }

  void PurgeExpired(Now& now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (Node* expired = expiry_.Soonest(); expired != nullptr && expired->deadline <= now.Get();
         expired = expiry_.Soonest()) {
      Report(expired->key, RemovalCause::kExpired);
      Remove(expired);
      ++stats_.expirations;
    }
  }

  // Frees `garbage` (a node or a replaced table array) once no lock-free reader can hold it: at
  // once where every reader holds the lock.
  template <typename T>
  void Retire(T* garbage) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if constexpr (!kLockFreeHits) {
      delete garbage;
    } else {
      retired_.Retire(garbage);
      retired_.MaybeReclaim(kReclaimBatch, [] {});
    }
  }

  const Capabilities capabilities_;
  const std::optional<size_t> capacity_;
  const std::optional<absl::Duration> default_ttl_;
  const std::shared_ptr<const Clock> clock_;
  const Ttu ttu_;
  const std::unique_ptr<ThreadCounts[]> counts_;

  Mutex mu_;
  bool reporting_ ABSL_GUARDED_BY(mu_) = false;  // a listener is set (beside mu_: read per call)
  Table table_;  // written under mu_, searched by anyone
  ExpiryIndex<Node> expiry_ ABSL_GUARDED_BY(mu_);  // every entry that has a deadline
  Order order_ ABSL_GUARDED_BY(mu_);
  CacheStats stats_ ABSL_GUARDED_BY(mu_);  // all but the lock-free lookups' hits and misses
  RemovalListener<K> listener_ ABSL_GUARDED_BY(mu_);
  // What the current call removed, to report when it lets go of mu_.
  std::vector<std::pair<K, RemovalCause>> pending_ ABSL_GUARDED_BY(mu_);
  fast_internal::RetireList retired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_MEMORY_INTERNAL_POLICY_CACHE_H_
