// PolicyCache: the one in-memory engine behind every reference memory cache. It owns the
// entries, their deadlines and the statistics; an Order (orders.h) decides the victim.
//
// Thread-safety: every method holds one Mutex (reference/mutex.h), so each call is atomic.
// Complexity: Lookup, Insert, Erase O(1) expected plus O(log n) when the entry has a deadline;
// Size, Keys, Stats and Clear O(n) at worst (expired entries are purged first, and Keys copies).
// Cost: a call reads the clock only if an entry it touches has a deadline (or the engine gives
// plain inserts one); a hit allocates nothing unless copying V does.
// Removal reports (SetRemovalListener): collected while the call holds the lock, delivered by
// the same call after it lets go; nothing is collected while no listener is set, and a call
// with nothing to report pays one extra load.
#ifndef CACHELAB_REFERENCE_MEMORY_INTERNAL_POLICY_CACHE_H_
#define CACHELAB_REFERENCE_MEMORY_INTERNAL_POLICY_CACHE_H_

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/node_hash_map.h"
#include "reference/mutex.h"
#include "reference/cache.h"

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
        order_(options.seed) {}

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    Call call(*this);
    Now now(*clock_);
    auto it = FindLive(key, now);
    if (it == map_.end()) {
      ++stats_.misses;
      return std::nullopt;
    }
    ++stats_.hits;
    order_.Use(it->second.handle);
    return it->second.value;
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
      auto it = FindLive(key, now);
      if (it == map_.end()) {
        ++stats_.misses;
        values.emplace_back();
      } else {
        ++stats_.hits;
        order_.Use(it->second.handle);
        values.emplace_back(it->second.value);
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
    auto it = FindLive(key, now);
    if (it == map_.end()) return false;
    Remove(it);
    ++stats_.removals;
    return true;
  }

  absl::Status Clear() override {
    Call call(*this);
    Now now(*clock_);
    PurgeExpired(now);
    stats_.removals += map_.size();
    map_.clear();
    expiry_.clear();
    order_.Clear();
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Size() override {
    Call call(*this);
    Now now(*clock_);
    PurgeExpired(now);
    return map_.size();
  }

  std::optional<size_t> Capacity() const override { return capacity_; }

  absl::StatusOr<std::vector<K>> Keys() override {
    Call call(*this);
    Now now(*clock_);
    PurgeExpired(now);
    std::vector<K> keys;
    keys.reserve(map_.size());
    for (const auto& [key, entry] : map_) keys.push_back(key);
    return keys;
  }

  CacheStats Stats() override {
    Call call(*this);
    Now now(*clock_);
    PurgeExpired(now);
    return stats_;
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

  struct Entry {
    V value;
    absl::Time deadline;
    typename Order::Handle handle;
  };
  // The clock, read at most once per call and only if something needs the time.
  class Now {
   public:
    explicit Now(const Clock& clock) : clock_(clock) {}
    absl::Time Get() {
      if (!now_.has_value()) now_ = clock_.Now();
      return *now_;
    }

   private:
    const Clock& clock_;
    std::optional<absl::Time> now_;
  };
  using Map = absl::node_hash_map<K, Entry>;
  using MapIterator = typename Map::iterator;

  // Returns the live entry for `key`, or end(); an expired one is removed and counted.
  MapIterator FindLive(const K& key, Now& now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = map_.find(key);
    if (it != map_.end() && it->second.deadline != absl::InfiniteFuture() &&
        it->second.deadline <= now.Get()) {
      Report(it->first, RemovalCause::kExpired);
      Remove(it);
      ++stats_.expirations;
      return map_.end();
    }
    return it;
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
    auto it = FindLive(key, now);
    if (deadline != absl::InfiniteFuture() && deadline <= now.Get()) {
      // Already expired: never stored, and it replaces the old value.
      if (it != map_.end()) {
        Remove(it);
        ++stats_.removals;
      }
      return;
    }
    if (it != map_.end()) {
      it->second.value = std::move(value);
      SetDeadline(it, deadline);
      order_.Overwrite(it->second.handle);
      ++stats_.updates;
      return;
    }
    if (capacity_.has_value() && map_.size() >= *capacity_) {
      PurgeExpired(now);
      if (map_.size() >= *capacity_) {
        auto victim = map_.find(*order_.Victim());
        Report(victim->first, RemovalCause::kEvicted);
        Remove(victim);
        ++stats_.evictions;
      }
    }
    it = map_.try_emplace(key, Entry{std::move(value), absl::InfiniteFuture(), {}}).first;
    order_.Add(it->second.handle, &it->first);
    SetDeadline(it, deadline);
    ++stats_.insertions;
  }

  void SetDeadline(MapIterator it, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (it->second.deadline != absl::InfiniteFuture()) {
      expiry_.erase({it->second.deadline, &it->first});
    }
    it->second.deadline = deadline;
    if (deadline != absl::InfiniteFuture()) expiry_.insert({deadline, &it->first});
  }

  void Remove(MapIterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (it->second.deadline != absl::InfiniteFuture()) {
      expiry_.erase({it->second.deadline, &it->first});
    }
    order_.Remove(it->second.handle);
    map_.erase(it);
  }

  void PurgeExpired(Now& now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!expiry_.empty() && expiry_.begin()->first <= now.Get()) {
      auto expired = map_.find(*expiry_.begin()->second);
      Report(expired->first, RemovalCause::kExpired);
      Remove(expired);
      ++stats_.expirations;
    }
  }

  const Capabilities capabilities_;
  const std::optional<size_t> capacity_;
  const std::optional<absl::Duration> default_ttl_;
  const std::shared_ptr<const Clock> clock_;
  const Ttu ttu_;

  Mutex mu_;
  bool reporting_ ABSL_GUARDED_BY(mu_) = false;  // a listener is set (beside mu_: read per call)
  Map map_ ABSL_GUARDED_BY(mu_);
  // (deadline, key) of every entry that has one, soonest first.
  absl::btree_set<std::pair<absl::Time, const K*>> expiry_ ABSL_GUARDED_BY(mu_);
  Order order_ ABSL_GUARDED_BY(mu_);
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
  RemovalListener<K> listener_ ABSL_GUARDED_BY(mu_);
  // What the current call removed, to report when it lets go of mu_.
  std::vector<std::pair<K, RemovalCause>> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_MEMORY_INTERNAL_POLICY_CACHE_H_
