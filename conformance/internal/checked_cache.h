// CheckedCache: the proxy every battery test talks to. It forwards each call to the engine,
// records the hits and misses the test observed, and Validate() checks the contract's
// invariants, so a test that forgets an assertion still catches a corrupted engine.
//
// Thread-safety: as the engine's; the observation counters are atomic.
#ifndef CACHELAB_CONFORMANCE_INTERNAL_CHECKED_CACHE_H_
#define CACHELAB_CONFORMANCE_INTERNAL_CHECKED_CACHE_H_

#include <atomic>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "reference/forwarding_cache.h"

namespace cachelab::conformance {

template <typename K, typename V>
class CheckedCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    auto result = this->inner().Lookup(key);
    if (result.ok()) ++(result->has_value() ? observed_hits_ : observed_misses_);
    return result;
  }
  // The engine's own batch calls (not the contract's looping defaults) are what is tested.
  absl::StatusOr<std::vector<std::optional<V>>> LookupMany(const std::vector<K>& keys) override {
    auto result = this->inner().LookupMany(keys);
    if (!result.ok()) return result;
    if (result->size() != keys.size()) {
      ADD_FAILURE() << "LookupMany returned " << result->size() << " answers for " << keys.size()
                    << " keys";
    }
    for (const auto& value : *result) ++(value.has_value() ? observed_hits_ : observed_misses_);
    return result;
  }
  absl::Status InsertMany(std::vector<std::pair<K, V>> entries) override {
    return this->inner().InsertMany(std::move(entries));
  }

  // Adds a gtest failure for every invariant the engine breaks, each message naming it.
  void Validate() {
    auto keys = this->inner().Keys();
    ASSERT_TRUE(keys.ok()) << "invariant: Keys() fails: " << keys.status();
    absl::flat_hash_set<K> unique(keys->begin(), keys->end());
    EXPECT_EQ(unique.size(), keys->size()) << "invariant: Keys() lists a key twice";
    auto size = this->inner().Size();
    ASSERT_TRUE(size.ok()) << "invariant: Size() fails: " << size.status();
    EXPECT_EQ(*size, keys->size()) << "invariant: Size() differs from the keys a scan finds";
    if (auto capacity = this->Capacity(); capacity.has_value()) {
      EXPECT_LE(*size, *capacity) << "invariant: more live entries than the capacity";
    }
    const CacheStats stats = this->inner().Stats();
    EXPECT_EQ(stats.hits, observed_hits_.load()) << "invariant: hits differ from those observed";
    EXPECT_EQ(stats.misses, observed_misses_.load())
        << "invariant: misses differ from those observed";
    const Capabilities caps = this->capabilities();
    if (!caps.persistent && !caps.multi_process) {
      EXPECT_EQ(stats.Balance(), static_cast<int64_t>(*size))
          << "invariant: insertions - evictions - expirations - removals != size";
    }
    for (const K& key : *keys) {
      auto found = this->inner().Lookup(key);
      EXPECT_TRUE(found.ok() && found->has_value())
          << "invariant: a key that Keys() lists is not found by Lookup()";
    }
  }

 private:
  std::atomic<uint64_t> observed_hits_{0};
  std::atomic<uint64_t> observed_misses_{0};
};

// Stands in for an engine that could not be created: every call returns the creation error,
// so the test that asked for the engine fails on its first use instead of crashing.
template <typename K, typename V>
class FailedCache final : public Cache<K, V> {
 public:
  explicit FailedCache(absl::Status status) : status_(std::move(status)) {}
  absl::StatusOr<std::optional<V>> Lookup(const K&) override { return status_; }
  absl::Status Insert(const K&, V) override { return status_; }
  absl::Status InsertWithTtl(const K&, V, absl::Duration) override { return status_; }
  absl::StatusOr<bool> Erase(const K&) override { return status_; }
  absl::Status Clear() override { return status_; }
  absl::StatusOr<size_t> Size() override { return status_; }
  std::optional<size_t> Capacity() const override { return std::nullopt; }
  absl::StatusOr<std::vector<K>> Keys() override { return status_; }
  CacheStats Stats() override { return {}; }
  Capabilities capabilities() const override { return {}; }

 private:
  absl::Status status_;
};

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_INTERNAL_CHECKED_CACHE_H_
