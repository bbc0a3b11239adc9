// ForwardingCache: a Cache that passes every call to another one. Decorators (checking proxies,
// fault injectors, the deliberately broken engines) derive from it and override what they change.
//
// Ownership: owns the inner cache. Thread-safety and complexity: those of the inner cache plus
// whatever the derived class adds. Not promised: anything the inner cache does not promise.
#ifndef CACHELAB_REFERENCE_FORWARDING_CACHE_H_
#define CACHELAB_REFERENCE_FORWARDING_CACHE_H_

#include <memory>
#include <utility>

#include "reference/cache.h"

namespace cachelab {

template <typename K, typename V>
class ForwardingCache : public Cache<K, V> {
 public:
  // Precondition: inner != nullptr.
  explicit ForwardingCache(std::unique_ptr<Cache<K, V>> inner) : inner_(std::move(inner)) {}

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override { return inner_->Lookup(key); }
  absl::Status Insert(const K& key, V value) override {
    return inner_->Insert(key, std::move(value));
  }
  absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
    return inner_->InsertWithTtl(key, std::move(value), ttl);
  }
  absl::StatusOr<bool> Erase(const K& key) override { return inner_->Erase(key); }
  absl::Status Clear() override { return inner_->Clear(); }
  absl::StatusOr<size_t> Size() override { return inner_->Size(); }
  std::optional<size_t> Capacity() const override { return inner_->Capacity(); }
  absl::StatusOr<std::vector<K>> Keys() override { return inner_->Keys(); }
  CacheStats Stats() override { return inner_->Stats(); }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  absl::Status SetRemovalListener(RemovalListener<K> listener) override {
    return inner_->SetRemovalListener(std::move(listener));
  }
  // LookupMany and InsertMany are not forwarded: the contract's defaults call this class's
  // Lookup and Insert, so a decorator that overrides those sees batch calls too. A decorator
  // that changes neither may forward them for the inner engine's faster batches.

 protected:
  Cache<K, V>& inner() { return *inner_; }

 private:
  std::unique_ptr<Cache<K, V>> inner_;
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FORWARDING_CACHE_H_
