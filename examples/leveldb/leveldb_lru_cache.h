// LevelDbLruCache: LevelDB's block cache, leveldb::NewLRUCache (Debian libleveldb-dev 1.23),
// behind the cachelab contract, as a user would plug it in: each entry charged 1, so the
// capacity passed to NewLRUCache counts entries. Keys become bytes through cachelab::Codec<K>;
// values live on the heap and LevelDB's deleter frees them. Declared an LRU, because that is what
// leveldb/cache.h says it is ("a fixed size capacity ... least-recently-used eviction policy").
//
// What the adapter adds, and only this: the contract's statistics and Keys(), which LevelDB does
// not keep. Both are maintained from LevelDB's deleter: every stored value carries its adapter,
// and a deleter call for the key's current value that the adapter did not ask for (by Erase or
// Clear) is an eviction. The adapter holds no handle between calls, so LevelDB calls the deleter
// before the call that removed the entry returns.
//
// Thread-safety: not declared (LevelDB's cache is thread-safe; the adapter's bookkeeping is not).
// Complexity: O(1) expected per call, as LevelDB's; Keys() O(n). Ownership: the adapter owns the
// LevelDB cache and, through it, every value.
#ifndef CACHELAB_EXAMPLES_LEVELDB_LEVELDB_LRU_CACHE_H_
#define CACHELAB_EXAMPLES_LEVELDB_LEVELDB_LRU_CACHE_H_

#include <leveldb/cache.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "reference/cache.h"
#include "reference/codec/codec.h"

namespace example {

template <typename K, typename V>
class LevelDbLruCache final : public cachelab::Cache<K, V> {
 public:
  static cachelab::Capabilities Declared() {
    cachelab::Capabilities caps;
    caps.eviction = cachelab::EvictionPolicy::kLru;
    return caps;
  }

  explicit LevelDbLruCache(size_t capacity)
      : capacity_(capacity), cache_(leveldb::NewLRUCache(capacity)) {}

  // LevelDB frees the values still held (through the deleter) before the bookkeeping goes.
  ~LevelDbLruCache() override {
    closing_ = true;
    cache_.reset();
  }

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    const std::string bytes = cachelab::Codec<K>::Encode(key);
    leveldb::Cache::Handle* handle = cache_->Lookup(bytes);
    if (handle == nullptr) {
      ++stats_.misses;
      return std::optional<V>();
    }
    std::optional<V> value(static_cast<Stored*>(cache_->Value(handle))->value);
    cache_->Release(handle);
    ++stats_.hits;
    return value;
  }

  absl::Status Insert(const K& key, V value) override {
    const std::string bytes = cachelab::Codec<K>::Encode(key);
    auto* stored = new Stored{std::move(value), this};
    // The new value is current before LevelDB drops the old one, so the old one's deleter call
    // reads as an overwrite, not an eviction.
    auto [it, created] = current_.insert_or_assign(bytes, stored);
    (void)it;
    ++(created ? stats_.insertions : stats_.updates);
    cache_->Release(cache_->Insert(bytes, stored, /*charge=*/1, &Delete));
    return absl::OkStatus();
  }

  absl::Status InsertWithTtl(const K&, V, absl::Duration ttl) override {
    if (ttl < absl::ZeroDuration()) return absl::InvalidArgumentError("ttl must not be negative");
    return absl::UnimplementedError("LevelDB's cache has no TTL");
  }

  absl::StatusOr<bool> Erase(const K& key) override {
    const std::string bytes = cachelab::Codec<K>::Encode(key);
    const bool erased = current_.erase(bytes) > 0;
    cache_->Erase(bytes);
    stats_.removals += erased;
    return erased;
  }

  absl::Status Clear() override {
    stats_.removals += current_.size();
    current_.clear();
    cache_->Prune();  // every entry: the adapter holds no handle
    return absl::OkStatus();
  }

  // LevelDB's own count: the total charge, each entry being charged 1.
  absl::StatusOr<size_t> Size() override { return cache_->TotalCharge(); }
  std::optional<size_t> Capacity() const override { return capacity_; }

  absl::StatusOr<std::vector<K>> Keys() override {
    std::vector<K> keys;
    keys.reserve(current_.size());
    for (const auto& [bytes, stored] : current_) {
      auto decoded = cachelab::Codec<K>::Decode(bytes);
      if (!decoded.ok()) return decoded.status();
      keys.push_back(*std::move(decoded));
    }
    return keys;
  }

  cachelab::CacheStats Stats() override { return stats_; }
  cachelab::Capabilities capabilities() const override { return Declared(); }

 private:
  struct Stored {
    V value;
    LevelDbLruCache* owner;
  };

  static void Delete(const leveldb::Slice& key, void* value) {
    auto* stored = static_cast<Stored*>(value);
    stored->owner->Dropped(absl::string_view(key.data(), key.size()), stored);
    delete stored;
  }

  // LevelDB let go of `stored`: an eviction if it was the key's current value.
  void Dropped(absl::string_view key, const Stored* stored) {
    if (closing_) return;
    auto it = current_.find(key);
    if (it == current_.end() || it->second != stored) return;  // overwritten, erased, cleared
    current_.erase(it);
    ++stats_.evictions;
  }

  const size_t capacity_;
  bool closing_ = false;
  absl::flat_hash_map<std::string, const Stored*> current_;  // key bytes -> current value
  cachelab::CacheStats stats_;
  std::unique_ptr<leveldb::Cache> cache_;  // last: destroyed first, while the rest is alive
};

// Battery factory (conformance/battery.h).
struct LevelDbLruCacheFactory {
  static cachelab::Capabilities Capabilities() { return LevelDbLruCache<int, int>::Declared(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<cachelab::Cache<K, V>>> Create(
      const cachelab::CacheOptions& options) {
    if (absl::Status valid = cachelab::ValidateOptions(options, Capabilities(), "leveldb_lru");
        !valid.ok()) {
      return valid;
    }
    return std::unique_ptr<cachelab::Cache<K, V>>(new LevelDbLruCache<K, V>(*options.capacity));
  }
};

}  // namespace example

#endif  // CACHELAB_EXAMPLES_LEVELDB_LEVELDB_LRU_CACHE_H_
