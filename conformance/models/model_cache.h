// ModelCache: the obviously correct executable form of reference/cache.h for the exact policies
// (kNone, kLru, kLfu, kFifo) with default and per-entry TTL. The battery compares engines with
// it decision by decision, and it passes the battery itself.
//
// It is written for clarity, not speed: one vector of entries, each carrying the counters the
// policies read, and every decision a linear scan. Do not use it as a cache.
//
// Thread-safety: none; the caller serializes. Complexity: O(n) per call.
// Not promised: kRandom or kApproximate (refused at construction).
#ifndef CACHELAB_CONFORMANCE_MODELS_MODEL_CACHE_H_
#define CACHELAB_CONFORMANCE_MODELS_MODEL_CACHE_H_

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "reference/cache.h"

namespace cachelab::models {

template <typename K, typename V>
class ModelCache final : public Cache<K, V> {
 public:
  // Returns the model of `capabilities.eviction`, or kInvalidArgument for options it refuses.
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options,
                                                             const Capabilities& capabilities) {
    if (!IsExactPolicy(capabilities.eviction)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model: no exact model of policy ", PolicyName(capabilities.eviction)));
    }
    if (absl::Status s = ValidateOptions(options, capabilities, "model"); !s.ok()) return s;
    return std::unique_ptr<Cache<K, V>>(new ModelCache(options, capabilities));
  }

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    Item* item = FindLive(key);
    if (item == nullptr) {
      ++stats_.misses;
      return std::nullopt;
    }
    ++stats_.hits;
    item->frequency += 1;
    item->last_use = ++tick_;
    return item->value;
  }

  absl::Status Insert(const K& key, V value) override {
    const absl::Time now = clock_->Now();
    return Store(key, std::move(value),
                 default_ttl_ ? now + *default_ttl_ : absl::InfiniteFuture());
  }

  absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
    if (ttl < absl::ZeroDuration()) return absl::InvalidArgumentError("negative ttl");
    return Store(key, std::move(value), clock_->Now() + ttl);
  }

  absl::StatusOr<bool> Erase(const K& key) override {
    if (FindLive(key) == nullptr) return false;
    RemoveKey(key);
    ++stats_.removals;
    return true;
  }

  absl::Status Clear() override {
    PurgeExpired();
    stats_.removals += items_.size();
    items_.clear();
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Size() override {
    PurgeExpired();
    return items_.size();
  }

  std::optional<size_t> Capacity() const override { return capacity_; }

  absl::StatusOr<std::vector<K>> Keys() override {
    PurgeExpired();
    std::vector<K> keys;
    for (const Item& item : items_) keys.push_back(item.key);
    return keys;
  }

  CacheStats Stats() override {
    PurgeExpired();
    return stats_;
  }

  Capabilities capabilities() const override { return capabilities_; }

 private:
  struct Item {
    K key;
    V value;
    absl::Time deadline;
    uint64_t frequency;  // uses, a new key starting at 1
    uint64_t last_use;   // tick of the last insert, overwrite or hit
    uint64_t enqueued;   // tick of the insert or last overwrite (FIFO position)
  };

  ModelCache(const CacheOptions& options, const Capabilities& capabilities)
      : capabilities_(capabilities),
        capacity_(options.capacity),
        default_ttl_(options.default_ttl),
        clock_(options.clock ? options.clock : DefaultClock()) {}

  Item* FindLive(const K& key) {
    for (Item& item : items_) {
      if (item.key != key) continue;
      if (item.deadline > clock_->Now()) return &item;
      RemoveKey(key);
      ++stats_.expirations;
      return nullptr;
    }
    return nullptr;
  }

  absl::Status Store(const K& key, V value, absl::Time deadline) {
    Item* item = FindLive(key);
    if (deadline <= clock_->Now()) {
      if (item != nullptr) {
        RemoveKey(key);
        ++stats_.removals;
      }
      return absl::OkStatus();
    }
    ++tick_;
    if (item != nullptr) {
      item->value = std::move(value);
      item->deadline = deadline;
      item->frequency += 1;
      item->last_use = tick_;
      item->enqueued = tick_;
      ++stats_.updates;
      return absl::OkStatus();
    }
    if (capacity_ && items_.size() >= *capacity_) PurgeExpired();
    if (capacity_ && items_.size() >= *capacity_) {
      const K victim = Victim().key;
      RemoveKey(victim);
      ++stats_.evictions;
    }
    items_.push_back(Item{key, std::move(value), deadline, 1, tick_, tick_});
    ++stats_.insertions;
    return absl::OkStatus();
  }

  // The entry the policy evicts: the smallest by the policy's ordering.
  const Item& Victim() const {
    auto rank = [this](const Item& item) {
      switch (capabilities_.eviction) {
        case EvictionPolicy::kLfu:
          return std::pair(item.frequency, item.last_use);
        case EvictionPolicy::kFifo:
          return std::pair(uint64_t{0}, item.enqueued);
        default:
          return std::pair(uint64_t{0}, item.last_use);
      }
    };
    return *std::min_element(items_.begin(), items_.end(),
                             [&](const Item& a, const Item& b) { return rank(a) < rank(b); });
  }

  void RemoveKey(const K& key) {
    items_.erase(std::find_if(items_.begin(), items_.end(),
                              [&](const Item& item) { return item.key == key; }));
  }

  void PurgeExpired() {
    const absl::Time now = clock_->Now();
    const size_t before = items_.size();
    std::erase_if(items_, [now](const Item& item) { return item.deadline <= now; });
    stats_.expirations += before - items_.size();
  }

  const Capabilities capabilities_;
  const std::optional<size_t> capacity_;
  const std::optional<absl::Duration> default_ttl_;
  const std::shared_ptr<const Clock> clock_;
  std::vector<Item> items_;
  uint64_t tick_ = 0;
  CacheStats stats_;
};

}  // namespace cachelab::models

#endif  // CACHELAB_CONFORMANCE_MODELS_MODEL_CACHE_H_
