// MemcachedStore: the byte-level memcached client behind MemcachedCache (memcached_cache.h),
// through libmemcached.
//
// Layout: one memcached item per entry, named and framed as internal/entry.h says; the value
// carries the entry's deadline, judged against the engine's injected clock. Memcached has no
// scripts, so each call classifies an entry (absent, expired, live, damaged) with `gets` and
// acts on it with a compare-and-swap (`add` for a new entry, `cas` for an overwrite or to
// replace an entry by a short-lived tombstone: memcached's delete has no CAS); if another
// client changed the entry in between, the call starts over. So each call is atomic against
// every other client and the statistics follow reference/cache.h exactly. The server also
// expires entries on its own (the TTL plus an hour's grace) to reclaim memory.
//
// Keys, Clear and Stats list the namespace with `lru_crawler metadump hash`
// (internal/key_dump.h): they need memcached 1.6.9 or newer and are not atomic against other
// clients (an entry written or removed during the listing may or may not be seen).
//
// Errors: an unreachable server, or one that answers too late, gives kUnavailable within the
// timeouts, naming host and port; the next call reconnects. A value above the server's item
// size limit (memcached -I, 1 MB by default) gives kInvalidArgument. Thread-safety: all methods
// may be called from any thread (one connection, one mutex).
#ifndef CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_STORE_H_
#define CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_STORE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "reference/codec/remote_cache.h"
#include "reference/memcached/internal/entry.h"
#include "reference/mutex.h"

struct memcached_st;

namespace cachelab {

class MemcachedStore final : public ByteStore {
 public:
  // Connects (and asks the server's version) once; returns kInvalidArgument for an empty
  // namespace, kUnavailable if the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<MemcachedStore>> Open(RemoteStoreOptions options);
  ~MemcachedStore() override;

  absl::StatusOr<std::optional<std::string>> Lookup(const std::string& key) override;
  absl::Status Store(const std::string& key, const std::string& value,
                     absl::Time deadline) override;
  absl::StatusOr<bool> Erase(const std::string& key) override;
  absl::Status Clear() override;
  absl::StatusOr<std::vector<std::string>> Keys() override;
  CacheStats Stats() override;
  // One multi-get for every key (one round trip), then the single calls' decisions in order.
  absl::StatusOr<std::vector<std::optional<std::string>>> LookupMany(
      const std::vector<std::string>& keys) override;
  std::optional<size_t> capacity() const override { return std::nullopt; }

 private:
  enum class Found { kAbsent, kExpired, kLive, kCorrupt };
  // What `gets` returned for one item name.
  struct Item {
    Found found = Found::kAbsent;
    bool on_server = false;  // an item exists (a tombstone reads as kAbsent but is one)
    uint64_t cas = 0;
    memcached_internal::DecodedEntry entry;
  };

  // One pooled client, and the failure generation it was made in: after any client loses the
  // server, the others are made afresh before their next use.
  struct Connection {
    memcached_st* client = nullptr;
    uint64_t generation = 0;
  };

  explicit MemcachedStore(RemoteStoreOptions options);

  absl::Status Connect(Connection& c);
  // Connects unless connected (a network failure, here or on another client, drops it).
  absl::Status Connected(Connection& c);
  // Maps a libmemcached failure to a status; drops the connection if it was a network failure.
  absl::Status Failure(Connection& c, int code, const std::string& what);
  absl::Time Now() const;
  // `gets` for several names at once; names with no item map to an Item that is not on_server.
  absl::StatusOr<std::vector<Item>> Fetch(Connection& c, const std::vector<std::string>& names);
  absl::StatusOr<Item> FetchOne(Connection& c, const std::string& name);
  // Writes `bytes` over the item read with `cas`; false if it changed or vanished meanwhile.
  absl::StatusOr<bool> Swap(Connection& c, const std::string& name, uint64_t cas,
                            const std::string& bytes, time_t expiry);
  // Counts the removal of an entry found `found` (expired, corrupt or live).
  void CountRemoved(Found found);
  // Removes the entry if it is expired or damaged, or live and `remove_live`; counts it and
  // returns what it found (with the entry, for a live one kept).
  absl::StatusOr<Item> Remove(Connection& c, const std::string& name, bool remove_live);
  // Removes every expired or damaged entry of the namespace, and every live one if
  // `remove_live`; returns the live keys kept.
  absl::StatusOr<std::vector<std::string>> Sweep(Connection& c, bool remove_live);

  // Names this handle has seen on the server: a hint that picks the faster way to overwrite.
  bool Known(const std::string& name);
  void Remember(const std::string& name);

  const RemoteStoreOptions options_;
  const std::string prefix_;
  ConnectionPool<Connection> pool_;
  // Writes of one key from this process's threads take turns (a stripe per hash of the name),
  // so they never fail each other's compare-and-swap; other processes are met by CAS retries.
  Mutex& WriteStripe(const std::string& name) {
    return write_stripes_[absl::HashOf(name) % write_stripes_.size()];
  }
  std::array<Mutex, 64> write_stripes_;
  Mutex known_mu_;
  absl::flat_hash_set<std::string> known_ ABSL_GUARDED_BY(known_mu_);
  std::atomic<uint64_t> failures_{0};  // the failure generation
  Mutex stats_mu_;
  CacheStats stats_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_STORE_H_
