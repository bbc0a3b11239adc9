// EncodedCache: a Cache<K, V> over a ByteStore, which keeps keys and values as bytes; codecs
// (codec.h) turn K and V into bytes and back. The persistent and remote engines are ByteStores.
//
// A ByteStore applies reference/cache.h to byte strings and counts its statistics; EncodedCache
// adds only the codecs, the default TTL and the capabilities. A value or key its codec cannot
// decode is reported as kDataLoss. Thread-safety: that of the store.
#ifndef CACHELAB_REFERENCE_CODEC_ENCODED_CACHE_H_
#define CACHELAB_REFERENCE_CODEC_ENCODED_CACHE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reference/cache.h"
#include "reference/codec/codec.h"

namespace cachelab {

// What a store holds for one live key, as the inspection tool lists it.
struct StoredEntry {
  std::string key;
  uint64_t stored_bytes = 0;  // the value as stored (after compression / encryption)
  absl::Time deadline = absl::InfiniteFuture();
};

// What Verify found: damaged entries (by key) and problems of the store as a whole.
struct IntegrityReport {
  uint64_t checked = 0;
  std::vector<std::string> damaged_keys;
  std::vector<std::string> problems;
  bool ok() const { return damaged_keys.empty() && problems.empty(); }
};

class ByteStore {
 public:
  virtual ~ByteStore() = default;
  virtual absl::StatusOr<std::optional<std::string>> Lookup(const std::string& key) = 0;
  // deadline: absl::InfiniteFuture() for none; at or before now: removes any live entry.
  virtual absl::Status Store(const std::string& key, const std::string& value,
                             absl::Time deadline) = 0;
  virtual absl::StatusOr<bool> Erase(const std::string& key) = 0;
  virtual absl::Status Clear() = 0;
  virtual absl::StatusOr<std::vector<std::string>> Keys() = 0;
  // The number of live keys. Stores with a cheaper count may override it.
  virtual absl::StatusOr<size_t> Size() {
    auto keys = Keys();
    if (!keys.ok()) return keys.status();
    return keys->size();
  }
  virtual CacheStats Stats() = 0;
  virtual std::optional<size_t> capacity() const = 0;

  // Batches, with Cache::LookupMany / InsertMany's meaning (the single calls in order). Stores
  // that can do better (one transaction, one round trip) override them.
  virtual absl::StatusOr<std::vector<std::optional<std::string>>> LookupMany(
      const std::vector<std::string>& keys) {
    std::vector<std::optional<std::string>> values;
    values.reserve(keys.size());
    for (const std::string& key : keys) {
      auto value = Lookup(key);
      if (!value.ok()) return value.status();
      values.push_back(*std::move(value));
    }
    return values;
  }
  struct Write {
    std::string key;
    std::string value;
    absl::Time deadline;
  };
  virtual absl::Status StoreMany(const std::vector<Write>& writes) {
    for (const Write& write : writes) {
      if (absl::Status status = Store(write.key, write.value, write.deadline); !status.ok()) {
        return status;
      }
    }
    return absl::OkStatus();
  }

  // Maintenance, for the inspection tool (reference/inspect); kUnimplemented by default.
  // List: every live entry, in no order; not a use, changes nothing.
  virtual absl::StatusOr<std::vector<StoredEntry>> List() {
    return absl::UnimplementedError("this store cannot list its entries");
  }
  // Purge: removes the expired entries (counted as expirations); returns how many.
  virtual absl::StatusOr<uint64_t> Purge() {
    return absl::UnimplementedError("this store cannot purge");
  }
  // Verify: reads every entry and checks it; changes nothing (damaged entries stay until a
  // lookup or Keys() drops them, or Clear()).
  virtual absl::StatusOr<IntegrityReport> Verify() {
    return absl::UnimplementedError("this store cannot verify its entries");
  }
};

template <typename K, typename V, typename KeyCodec = Codec<K>, typename ValueCodec = Codec<V>>
class EncodedCache final : public Cache<K, V> {
 public:
  // Precondition: `options` passed ValidateOptions for `capabilities`.
  EncodedCache(std::unique_ptr<ByteStore> store, const CacheOptions& options,
               Capabilities capabilities)
      : store_(std::move(store)),
        default_ttl_(options.default_ttl),
        clock_(options.clock ? options.clock : DefaultClock()),
        capabilities_(capabilities) {}

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    auto bytes = store_->Lookup(KeyCodec::Encode(key));
    if (!bytes.ok()) return bytes.status();
    if (!bytes->has_value()) return std::optional<V>();
    auto value = ValueCodec::Decode(**bytes);
    if (!value.ok()) return value.status();
    return std::optional<V>(*std::move(value));
  }
  absl::Status Insert(const K& key, V value) override {
    const absl::Time deadline =
        default_ttl_ ? clock_->Now() + *default_ttl_ : absl::InfiniteFuture();
    return store_->Store(KeyCodec::Encode(key), ValueCodec::Encode(value), deadline);
  }
  absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
    if (ttl < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("InsertWithTtl: ttl must not be negative");
    }
    return store_->Store(KeyCodec::Encode(key), ValueCodec::Encode(value), clock_->Now() + ttl);
  }
  absl::StatusOr<bool> Erase(const K& key) override { return store_->Erase(KeyCodec::Encode(key)); }
  absl::Status Clear() override { return store_->Clear(); }
  absl::StatusOr<size_t> Size() override { return store_->Size(); }
  std::optional<size_t> Capacity() const override { return store_->capacity(); }
  absl::StatusOr<std::vector<K>> Keys() override {
    auto encoded = store_->Keys();
    if (!encoded.ok()) return encoded.status();
    std::vector<K> keys;
    keys.reserve(encoded->size());
    for (const std::string& bytes : *encoded) {
      auto key = KeyCodec::Decode(bytes);
      if (!key.ok()) return key.status();
      keys.push_back(*std::move(key));
    }
    return keys;
  }
  CacheStats Stats() override { return store_->Stats(); }
  Capabilities capabilities() const override { return capabilities_; }

  absl::StatusOr<std::vector<std::optional<V>>> LookupMany(const std::vector<K>& keys) override {
    std::vector<std::string> encoded;
    encoded.reserve(keys.size());
    for (const K& key : keys) encoded.push_back(KeyCodec::Encode(key));
    auto bytes = store_->LookupMany(encoded);
    if (!bytes.ok()) return bytes.status();
    std::vector<std::optional<V>> values;
    values.reserve(bytes->size());
    for (const std::optional<std::string>& found : *bytes) {
      if (!found.has_value()) {
        values.emplace_back();
        continue;
      }
      auto value = ValueCodec::Decode(*found);
      if (!value.ok()) return value.status();
      values.emplace_back(*std::move(value));
    }
    return values;
  }
  absl::Status InsertMany(std::vector<std::pair<K, V>> entries) override {
    const absl::Time deadline =
        default_ttl_ ? clock_->Now() + *default_ttl_ : absl::InfiniteFuture();
    std::vector<ByteStore::Write> writes;
    writes.reserve(entries.size());
    for (const auto& [key, value] : entries) {
      writes.push_back({KeyCodec::Encode(key), ValueCodec::Encode(value), deadline});
    }
    return store_->StoreMany(writes);
  }

 private:
  const std::unique_ptr<ByteStore> store_;
  const std::optional<absl::Duration> default_ttl_;
  const std::shared_ptr<const Clock> clock_;
  const Capabilities capabilities_;
};

// Opens an engine over a ByteStore: validates `options` for `capabilities` (messages prefixed
// by `engine`), calls `open_store()` (returning absl::StatusOr<std::unique_ptr<Store>>), and
// wraps the store. Returns the first error.
template <typename K, typename V, typename KeyCodec, typename ValueCodec, typename OpenStore>
absl::StatusOr<std::unique_ptr<Cache<K, V>>> OpenEncodedCache(const CacheOptions& options,
                                                              const Capabilities& capabilities,
                                                              absl::string_view engine,
                                                              OpenStore open_store) {
  if (absl::Status valid = ValidateOptions(options, capabilities, engine); !valid.ok()) {
    return valid;
  }
  auto store = open_store();
  if (!store.ok()) return store.status();
  return std::unique_ptr<Cache<K, V>>(
      new EncodedCache<K, V, KeyCodec, ValueCodec>(*std::move(store), options, capabilities));
}

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_CODEC_ENCODED_CACHE_H_
