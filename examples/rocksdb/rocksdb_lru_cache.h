// RocksDbLruCache: RocksDB's LRUCache (Debian librocksdb-dev 7.8) behind the cachelab contract,
// as a user would plug it in: one shard (num_shard_bits = 0) and no high- or low-priority pool,
// which make it a single LRU list; each entry charged 1, metadata not charged, so capacity
// counts entries. Keys become bytes through cachelab::Codec<K>; values live on the heap and
// RocksDB's deleter frees them.
//
// What the adapter adds, and only this: the contract's statistics (RocksDB keeps none that map
// onto them: evictions are read from the usage before and after an insert, each entry being
// charged 1) and Keys() (through ApplyToAllEntries). No TTL (RocksDB has none). Thread-safety: not
// declared; the adapter's statistics are read-modify-write sequences around RocksDB's calls.
// Complexity: O(1) per call, as RocksDB's; Keys() O(n).
#ifndef CACHELAB_EXAMPLES_ROCKSDB_ROCKSDB_LRU_CACHE_H_
#define CACHELAB_EXAMPLES_ROCKSDB_ROCKSDB_LRU_CACHE_H_

#include <rocksdb/cache.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reference/cache.h"
#include "reference/codec/codec.h"

namespace example {

template <typename K, typename V>
class RocksDbLruCache final : public cachelab::Cache<K, V> {
 public:
  static cachelab::Capabilities Declared() {
    cachelab::Capabilities caps;
    caps.eviction = cachelab::EvictionPolicy::kLru;
    return caps;
  }

  explicit RocksDbLruCache(size_t capacity) : capacity_(capacity) {
    rocksdb::LRUCacheOptions options;
    options.capacity = capacity;
    options.num_shard_bits = 0;
    options.strict_capacity_limit = false;
    options.high_pri_pool_ratio = 0;
    options.low_pri_pool_ratio = 0;
    options.metadata_charge_policy = rocksdb::kDontChargeCacheMetadata;
    cache_ = rocksdb::NewLRUCache(options);
  }

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    const std::string bytes = cachelab::Codec<K>::Encode(key);
    rocksdb::Cache::Handle* handle = cache_->Lookup(bytes);
    if (handle == nullptr) {
      ++stats_.misses;
      return std::optional<V>();
    }
    std::optional<V> value(*static_cast<V*>(cache_->Value(handle)));
    cache_->Release(handle);
    ++stats_.hits;
    return value;
  }

  absl::Status Insert(const K& key, V value) override {
    const std::string bytes = cachelab::Codec<K>::Encode(key);
    rocksdb::Cache::Handle* existing = cache_->Lookup(bytes);
    const bool update = existing != nullptr;
    if (existing != nullptr) cache_->Release(existing);
    const size_t before = Count();
    const rocksdb::Status status =
        cache_->Insert(bytes, new V(std::move(value)), /*charge=*/1, &Delete);
    if (!status.ok()) return absl::InternalError(status.ToString());
    // RocksDB may evict to make room even for an overwrite; whatever left is counted.
    const size_t after = Count();
    if (update) {
      ++stats_.updates;
      stats_.evictions += before - after;
    } else {
      ++stats_.insertions;
      stats_.evictions += before + 1 - after;
    }
    return absl::OkStatus();
  }

  absl::Status InsertWithTtl(const K&, V, absl::Duration ttl) override {
    if (ttl < absl::ZeroDuration()) return absl::InvalidArgumentError("ttl must not be negative");
    return absl::UnimplementedError("RocksDB's LRUCache has no TTL");
  }

  absl::StatusOr<bool> Erase(const K& key) override {
    const std::string bytes = cachelab::Codec<K>::Encode(key);
    const size_t before = Count();
    cache_->Erase(bytes);
    const bool erased = Count() < before;
    stats_.removals += erased;
    return erased;
  }

  absl::Status Clear() override {
    stats_.removals += Count();
    cache_->EraseUnRefEntries();
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Size() override { return Count(); }
  std::optional<size_t> Capacity() const override { return capacity_; }

  absl::StatusOr<std::vector<K>> Keys() override {
    std::vector<K> keys;
    absl::Status status;
    cache_->ApplyToAllEntries(
        [&](const rocksdb::Slice& key, void*, size_t, rocksdb::Cache::DeleterFn) {
          auto decoded = cachelab::Codec<K>::Decode(absl::string_view(key.data(), key.size()));
          if (decoded.ok()) {
            keys.push_back(*std::move(decoded));
          } else {
            status = decoded.status();
          }
        },
        {});
    if (!status.ok()) return status;
    return keys;
  }

  cachelab::CacheStats Stats() override { return stats_; }
  cachelab::Capabilities capabilities() const override { return Declared(); }

 private:
  static void Delete(const rocksdb::Slice&, void* value) { delete static_cast<V*>(value); }

  // Entries held: every entry is charged 1 and metadata is not charged, so the usage. (This
  // RocksDB's GetOccupancyCount() answered 0 for an LRUCache holding entries.)
  size_t Count() const { return cache_->GetUsage(); }

  const size_t capacity_;
  std::shared_ptr<rocksdb::Cache> cache_;
  cachelab::CacheStats stats_;
};

// Battery factory (conformance/battery.h).
struct RocksDbLruCacheFactory {
  static cachelab::Capabilities Capabilities() { return RocksDbLruCache<int, int>::Declared(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<cachelab::Cache<K, V>>> Create(
      const cachelab::CacheOptions& options) {
    if (absl::Status valid = cachelab::ValidateOptions(options, Capabilities(), "rocksdb_lru");
        !valid.ok()) {
      return valid;
    }
    return std::unique_ptr<cachelab::Cache<K, V>>(new RocksDbLruCache<K, V>(*options.capacity));
  }
};

}  // namespace example

#endif  // CACHELAB_EXAMPLES_ROCKSDB_ROCKSDB_LRU_CACHE_H_
