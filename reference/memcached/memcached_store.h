// MemcachedStore: the byte-level memcached client behind MemcachedCache (memcached_cache.h):
// libmemcached for reads, memcached's meta protocol for writes.
//
// Layout: one memcached item per entry, named and framed as internal/entry.h says; the value
// carries the entry's deadline, judged against the engine's injected clock. Memcached has no
// scripts, so each call classifies an entry (absent, expired, live, damaged) with `gets` and
// acts on it with a compare-and-swap (an add for a new entry, a swap for an overwrite or to
// replace an entry by a short-lived tombstone: memcached's delete has no CAS); if another
// client changed the entry in between, the call starts over. So each call is atomic against
// every other client and the statistics follow reference/cache.h exactly. The server also
// expires entries on its own (the TTL plus an hour's grace) to reclaim memory.
//
// Writes go through the meta protocol's `ms` (memcached 1.6 or newer), which answers with the
// item's new CAS. The handle keeps the CAS and deadline of the item it last read or wrote under
// each name (up to 65,536 names, with the server instance they came from: a restarted server
// numbers its items afresh). An overwrite or erase of such an item is one swap with that CAS
// (an erase swaps in a tombstone), one round trip: if it succeeds, the item it replaced was
// exactly the one remembered, so the remembered deadline says whether it was live or expired.
// If another client changed the item meanwhile, the swap fails and the call reads the item as
// above. An entry too large to be sure it fits the server's item size limit (within 256 bytes of
// `item_size_max`) is written with the text protocol instead, because a meta set the server
// refuses as too large also drops the old item; a meta set refused for want of memory
// (memcached -M) drops it too.
//
// Keys, Clear and Stats list the namespace with `lru_crawler metadump hash`
// (internal/key_dump.h): they need memcached 1.6.9 or newer and are not atomic against other
// clients (an entry written or removed during the listing may or may not be seen).
//
// Errors: an unreachable server, or one that answers too late, gives kUnavailable within the
// timeouts, naming host and port; the next call reconnects. A value above the server's item
// size limit (memcached -I, 1 MB by default) gives kInvalidArgument. Thread-safety: all methods
// may be called from any thread; calls use a pool of connections (ServerOptions::connections),
// each a libmemcached client and a meta-protocol socket.
#ifndef CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_STORE_H_
#define CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_STORE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "reference/codec/remote_cache.h"
#include "reference/memcached/internal/entry.h"
#include "reference/memcached/internal/line_connection.h"
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

  // One pooled connection, and the failure generation it was made in: after any connection
  // loses the server, the others are made afresh before their next use.
  struct Connection {
    memcached_st* client = nullptr;                              // reads
    std::unique_ptr<memcached_internal::LineConnection> meta;  // writes
    uint64_t generation = 0;
    uint64_t instance = 0;       // the server process it reached (pid and start time)
    uint64_t item_size_max = 0;  // that server's item size limit
  };

  // What a write did: stored (with the item's new CAS, 0 if the protocol did not say), or not,
  // because the item existed (an add) or had changed (a swap), or had vanished (a swap).
  struct Written {
    enum Outcome { kStored, kExists, kAbsent } outcome = kStored;
    uint64_t cas = 0;
  };

  // The item this handle last read or wrote under a name. Its CAS identifies it on the server
  // instance it came from, so a swap with that CAS that succeeds proves what it replaced.
  struct Seen {
    uint64_t instance = 0;
    uint64_t cas = 0;
    absl::Time deadline;
    bool tombstone = false;
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
  // Asks the server who it is and its item size limit (`stats`, `stats settings`).
  absl::Status Identify(Connection& c);
  // Drops both halves of the connection and starts a new failure generation; kUnavailable.
  absl::Status Lost(Connection& c, const absl::Status& why);
  absl::Status TooLarge() const;
  std::string Where() const;  // "memcached cache <host>:<port>", for messages
  // Writes `bytes` as item `name`: an add if `cas` is nullopt, else a swap of the item with that
  // CAS. Through `ms` when the entry surely fits the item size limit, else the text protocol.
  absl::StatusOr<Written> Write(Connection& c, const std::string& name,
                                std::optional<uint64_t> cas, const std::string& bytes,
                                time_t expiry);
  absl::StatusOr<Written> MetaWrite(Connection& c, const std::string& name,
                                    std::optional<uint64_t> cas, const std::string& bytes,
                                    time_t expiry);
  // Writes `bytes` (an entry with `deadline`, or a tombstone) over the item read with `cas`,
  // and remembers the item written; false if it changed or vanished meanwhile.
  absl::StatusOr<bool> Swap(Connection& c, const std::string& name, uint64_t cas,
                            const std::string& bytes, time_t expiry, absl::Time deadline,
                            bool tombstone);
  // Counts the removal of an entry found `found` (expired, corrupt or live).
  // What an item read (or remembered) as a tombstone or an entry with `deadline` is at `now`.
  static Found Classify(bool tombstone, absl::Time deadline, absl::Time now);
  void CountRemoved(Found found);
  // Counts a write over an entry found `found`: an update of a live one, else an insertion
  // (and the removal of an expired or damaged one).
  void CountReplaced(Found found);
  // Removes the entry if it is expired or damaged, or live and `remove_live`; counts it and
  // returns what it found (with the entry, for a live one kept).
  absl::StatusOr<Item> Remove(Connection& c, const std::string& name, bool remove_live);
  // Removes every expired or damaged entry of the namespace, and every live one if
  // `remove_live`; returns the live keys kept.
  absl::StatusOr<std::vector<std::string>> Sweep(Connection& c, bool remove_live);

  // The item last seen under `name` on the server `c` reaches, if this handle remembers one.
  std::optional<Seen> Recall(const Connection& c, const std::string& name);
  // Remembers the item with `cas` that c's server holds under `name`; a CAS of 0 forgets it.
  void Remember(const Connection& c, const std::string& name, uint64_t cas, absl::Time deadline,
                bool tombstone);

  const RemoteStoreOptions options_;
  const std::string prefix_;
  ConnectionPool<Connection> pool_;
  // Writes of one key from this process's threads take turns (a stripe per hash of the name),
  // so they never fail each other's compare-and-swap; other processes are met by CAS retries.
  Mutex& WriteStripe(const std::string& name) {
    return write_stripes_[absl::HashOf(name) % write_stripes_.size()];
  }
  std::array<Mutex, 64> write_stripes_;
  Mutex seen_mu_;
  absl::flat_hash_map<std::string, Seen> seen_ ABSL_GUARDED_BY(seen_mu_);
  std::atomic<uint64_t> failures_{0};  // the failure generation
  std::atomic<uint64_t> connects_{0};  // for servers that do not say who they are
  Mutex stats_mu_;
  CacheStats stats_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_STORE_H_
