// Deliberately broken engines: each breaks one sentence of the contract in a way a plausible
// bug would, so that suite_bites_test can prove the battery reports it, naming the test.
// Each wraps a correct reference engine and changes only the broken behaviour.
#ifndef CACHELAB_CONFORMANCE_BROKEN_BROKEN_ENGINES_H_
#define CACHELAB_CONFORMANCE_BROKEN_BROKEN_ENGINES_H_

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <thread>
#include <optional>
#include <string>
#include <utility>

#include <sqlite3.h>

#include "absl/time/clock.h"
#include "reference/files/files_cache.h"
#include "reference/forwarding_cache.h"
#include "reference/memory/memory_cache.h"
#include "reference/redis/testing/redis_factory.h"
#include "reference/sqlite/sqlite_cache.h"

namespace cachelab::broken {

// Evicts the most recently written or read key instead of the least recently used one.
template <typename K, typename V>
class EvictsNewestCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    auto found = this->inner().Lookup(key);
    if (found.ok() && found->has_value()) newest_ = key;
    return found;
  }
  absl::Status Insert(const K& key, V value) override {
    auto present = this->inner().Keys();
    if (!present.ok()) return present.status();
    const bool is_new = std::find(present->begin(), present->end(), key) == present->end();
    if (is_new && newest_.has_value() && present->size() >= this->Capacity().value_or(~0u)) {
      (void)this->inner().Erase(*newest_);
    }
    newest_ = key;
    return this->inner().Insert(key, std::move(value));
  }

 private:
  std::optional<K> newest_;
};

// Keeps entries alive one tick past their deadline.
template <typename K, typename V>
class LateExpiryCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
    return this->inner().InsertWithTtl(key, std::move(value), ttl + absl::Nanoseconds(1));
  }
};

// Counts every hit as a miss.
template <typename K, typename V>
class HitAsMissCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  CacheStats Stats() override {
    CacheStats stats = this->inner().Stats();
    stats.misses += stats.hits;
    stats.hits = 0;
    return stats;
  }
};

// Stores values as C strings would: everything from the first NUL byte on is lost.
template <typename K, typename V>
class NulDroppingCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::Status Insert(const K& key, V value) override {
    Truncate(value);
    return this->inner().Insert(key, std::move(value));
  }

 private:
  static void Truncate(std::string& value) { value.resize(std::strlen(value.c_str())); }
  static void Truncate(std::optional<std::string>& value) {
    if (value.has_value()) Truncate(*value);
  }
};

// Holds one entry more than its capacity.
template <typename K, typename V>
class OverCapacityCache final : public ForwardingCache<K, V> {
 public:
  OverCapacityCache(std::unique_ptr<Cache<K, V>> inner, size_t capacity)
      : ForwardingCache<K, V>(std::move(inner)), capacity_(capacity) {}
  std::optional<size_t> Capacity() const override { return capacity_; }

 private:
  size_t capacity_;
};

// After a Clear, once more inserts than the capacity have followed it, evicts the newest
// entry instead of the least recently used one (a stale pointer left by Clear).
template <typename K, typename V>
class ClearThenOverflowCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::Status Clear() override {
    inserts_since_clear_ = 0;
    cleared_ = true;
    return this->inner().Clear();
  }
  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    auto found = this->inner().Lookup(key);
    if (found.ok() && found->has_value()) newest_ = key;
    return found;
  }
  absl::Status Insert(const K& key, V value) override {
    if (cleared_ && ++inserts_since_clear_ > this->Capacity().value_or(~0u) && newest_) {
      auto present = this->inner().Keys();
      if (present.ok() && present->size() >= *this->Capacity() &&
          std::find(present->begin(), present->end(), key) == present->end()) {
        (void)this->inner().Erase(*newest_);
      }
    }
    newest_ = key;
    return this->inner().Insert(key, std::move(value));
  }

 private:
  bool cleared_ = false;
  size_t inserts_since_clear_ = 0;
  std::optional<K> newest_;
};

// After a Clear, the insert that would make the sixth live entry is acknowledged but not
// stored (a table that regrows wrongly once reset). No conformance test holds six entries after
// a Clear, so only the properties, which draw larger capacities, can catch it.
template <typename K, typename V>
class DropsSixthAfterClearCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::Status Clear() override {
    cleared_ = true;
    return this->inner().Clear();
  }
  absl::Status Insert(const K& key, V value) override {
    if (cleared_) {
      auto present = this->inner().Keys();
      if (present.ok() && present->size() == 5 &&
          std::find(present->begin(), present->end(), key) == present->end()) {
        return absl::OkStatus();
      }
    }
    return this->inner().Insert(key, std::move(value));
  }

 private:
  bool cleared_ = false;
};

// Reports evictions but not expirations: a listener that tracks what left the cache misses
// every entry whose TTL ran out.
template <typename K, typename V>
class SilentExpirationsCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::Status SetRemovalListener(RemovalListener<K> listener) override {
    if (!listener) return this->inner().SetRemovalListener(nullptr);
    return this->inner().SetRemovalListener(
        [listener = std::move(listener)](const K& key, RemovalCause cause) {
          if (cause == RemovalCause::kEvicted) listener(key, cause);
        });
  }
};

// ---- Concurrency bugs: each is invisible to a single thread; the stress battery must catch
// them by what they do. ----

// An overwrite done as an erase then an insert, not atomically: a reader between the two sees
// a key that was never absent go missing.
template <typename K, typename V>
class NonAtomicOverwriteCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::Status Insert(const K& key, V value) override {
    (void)this->inner().Erase(key);
    std::this_thread::yield();
    return this->inner().Insert(key, std::move(value));
  }
};

// A value written in two steps (first half, then all): a reader may see the half, a value no
// one wrote.
template <typename K, typename V>
class HalfWrittenCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::Status Insert(const K& key, V value) override {
    V half = value;
    Halve(half);
    (void)this->inner().Insert(key, std::move(half));
    std::this_thread::yield();
    return this->inner().Insert(key, std::move(value));
  }

 private:
  static void Halve(std::string& v) { v.resize(v.size() / 2); }
  static void Halve(std::optional<std::string>& v) {
    if (v) Halve(*v);
  }
};

// Keeps each thread's last reads and answers from them first: after another thread's
// acknowledged erase or overwrite, a stale value comes back.
template <typename K, typename V>
class StaleReadCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    auto& recent = Recent();
    if (auto it = recent.find(key); it != recent.end()) return std::optional<V>(it->second);
    auto found = this->inner().Lookup(key);
    if (found.ok() && found->has_value()) recent[key] = **found;
    return found;
  }
  absl::Status Insert(const K& key, V value) override {
    Recent().erase(key);  // this thread's own writes are seen, others' are not
    return this->inner().Insert(key, std::move(value));
  }
  absl::StatusOr<bool> Erase(const K& key) override {
    Recent().erase(key);
    return this->inner().Erase(key);
  }

 private:
  std::map<K, V>& Recent() {
    thread_local std::map<const void*, std::map<K, V>> recent;
    return recent[this];
  }
};

// A thread-safe engine whose lookup path skips the lock: its hit and miss counters are plain
// integers incremented by every reader at once, so increments are lost under contention (and
// ThreadSanitizer reports the race).
template <typename K, typename V>
class UnlockedLookupCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    auto found = this->inner().Lookup(key);
    if (found.ok()) {
      uint64_t& counter = found->has_value() ? hits_ : misses_;
      const uint64_t seen = counter;  // the unlocked read-modify-write
      std::this_thread::yield();
      counter = seen + 1;
    }
    return found;
  }
  CacheStats Stats() override {
    CacheStats stats = this->inner().Stats();
    stats.hits = hits_;
    stats.misses = misses_;
    return stats;
  }

 private:
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

// Battery factory for Broken<K, V> over a reference LRU. With kLateDefaultTtl the default TTL
// is stretched by one tick too, so both TTL modes are late.
template <template <typename, typename> class Broken, bool kLateDefaultTtl = false>
struct BrokenFactory {
  static cachelab::Capabilities Capabilities() {
    return MemoryEngineCapabilities(MemoryEngine::kLru);
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(CacheOptions options) {
    if (kLateDefaultTtl && options.default_ttl.has_value()) {
      *options.default_ttl += absl::Nanoseconds(1);
    }
    auto inner = NewMemoryCache<K, V>(MemoryEngine::kLru, options);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<Cache<K, V>>(new Broken<K, V>(*std::move(inner)));
  }
};

// A random policy that ignores CacheOptions::seed (it seeds itself from the wall clock), so the
// same seed does not give the same victims.
struct UnseededRandomFactory {
  static cachelab::Capabilities Capabilities() {
    return MemoryEngineCapabilities(MemoryEngine::kRandom);
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(CacheOptions options) {
    static std::atomic<uint64_t> calls{0};
    options.seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) + calls++;
    return NewMemoryCache<K, V>(MemoryEngine::kRandom, options);
  }
};

// Declares itself persistent but keeps everything in memory: reopening finds nothing.
struct ForgetfulFactory {
  static cachelab::Capabilities Capabilities() {
    cachelab::Capabilities caps = MemoryEngineCapabilities(MemoryEngine::kLru);
    caps.persistent = true;
    caps.local_files = true;
    return caps;
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    if (options.location.empty()) return absl::InvalidArgumentError("location is empty");
    auto inner = NewMemoryCache<K, V>(MemoryEngine::kLru, options);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<Cache<K, V>>(
        new ClaimsPersistence<K, V>(*std::move(inner), Capabilities()));
  }
  template <typename K, typename V>
  class ClaimsPersistence final : public ForwardingCache<K, V> {
   public:
    ClaimsPersistence(std::unique_ptr<Cache<K, V>> inner, cachelab::Capabilities caps)
        : ForwardingCache<K, V>(std::move(inner)), caps_(caps) {}
    cachelab::Capabilities capabilities() const override { return caps_; }

   private:
    cachelab::Capabilities caps_;
  };
};

// The files engine with its write errors swallowed: Insert reports success when the write
// failed, so an acknowledged write can be lost on a faulty disk.
struct SwallowsWriteErrorsFactory {
  static cachelab::Capabilities Capabilities() { return FilesCache<int, int>::Declared(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    FilesOptions files;
    files.fsync = false;
    auto inner = FilesCache<K, V>::Open(options, files);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<Cache<K, V>>(new Swallowing<K, V>(*std::move(inner)));
  }
  template <typename K, typename V>
  class Swallowing final : public ForwardingCache<K, V> {
   public:
    using ForwardingCache<K, V>::ForwardingCache;
    absl::Status Insert(const K& key, V value) override {
      (void)this->inner().Insert(key, std::move(value));
      return absl::OkStatus();
    }
    absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
      (void)this->inner().InsertWithTtl(key, std::move(value), ttl);
      return absl::OkStatus();
    }
  };
};

// ---- One per fault category of the stress battery (disk: SwallowsWriteErrorsFactory). ----

// Servers: the Redis engine with the timeout it is given ignored (an hour instead), so a call to
// a paused server hangs instead of failing.
struct IgnoresTimeoutFactory : RedisFactory {
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> CreateOnServer(const CacheOptions& options,
                                                                     int port, absl::Duration) {
    return RedisFactory::CreateOnServer<K, V>(options, port, absl::Hours(1));
  }
};

// Corruption: the SQLite engine that, when it opens a database, treats every stored row as one
// written before rows had checksums (it clears them), so damaged values are read unchecked.
struct UncheckedRowsFactory {
  static cachelab::Capabilities Capabilities() { return SqliteFactory::Capabilities(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    const std::string path = options.location + "/" + SqliteStore::kFileName;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
      sqlite3_exec(db, "UPDATE cachelab_entries SET checksum = NULL", nullptr, nullptr, nullptr);
    }
    sqlite3_close(db);  // a no-op on nullptr
    return SqliteFactory::Create<K, V>(options);
  }
};

// OverCapacityCache needs the configured capacity, so it has its own factory.
struct OverCapacityFactory {
  static cachelab::Capabilities Capabilities() {
    return MemoryEngineCapabilities(MemoryEngine::kLru);
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(CacheOptions options) {
    const std::optional<size_t> capacity = options.capacity;
    if (capacity.has_value() && *capacity > 0) options.capacity = *capacity + 1;
    auto inner = NewMemoryCache<K, V>(MemoryEngine::kLru, options);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<Cache<K, V>>(
        new OverCapacityCache<K, V>(*std::move(inner), capacity.value_or(0)));
  }
};

}  // namespace cachelab::broken

#endif  // CACHELAB_CONFORMANCE_BROKEN_BROKEN_ENGINES_H_
