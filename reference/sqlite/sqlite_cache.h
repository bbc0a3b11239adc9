// SqliteCache: a persistent cache in one SQLite database (the seeds' bcache, after diskcache).
//
// Exact LRU among live entries with per-entry and default TTL, as reference/cache.h says, kept
// inside SQLite: it survives close and reopen with every acknowledged write, and several
// handles and processes may share one location at once (WAL mode, a busy timeout). Keys and
// values are stored as bytes through codecs (reference/codec/codec.h). The location directory
// is created with mode 0700 and the database files are 0600.
//
// SqliteOptions::single_process trades the sharing for speed: one handle owns the file.
//
// Thread-safety: safe for concurrent use. Complexity: each call is one SQLite transaction,
// O(log n) plus the bytes moved; Keys is O(n), Size O(1) after purging expired entries. A
// lookup hit writes nothing: its recency is written in batches (sqlite_store.h says when).
// Errors: I/O, a busy database past the busy timeout, a corrupt file or a value its codec
// cannot decode come back as a status (kUnavailable, kDataLoss, kFailedPrecondition); an
// unusable location or a database that is not a cachelab cache is refused at Open.
// Not promised: statistics shared between handles (each handle counts its own calls).
#ifndef CACHELAB_REFERENCE_SQLITE_SQLITE_CACHE_H_
#define CACHELAB_REFERENCE_SQLITE_SQLITE_CACHE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reference/cache.h"
#include "reference/codec/codec.h"
#include "reference/codec/encoded_cache.h"
#include "reference/sqlite/sqlite_store.h"

namespace cachelab {

struct SqliteOptions {
  std::optional<uint64_t> max_bytes;  // bound on keys + values, besides the entry capacity
  absl::Duration busy_timeout = absl::Seconds(5);
  bool synchronous_full = true;  // false: faster, may lose the last commits on power loss
  // One handle owns the cache from Open until it is destroyed (SQLite's exclusive locking): a
  // set makes no lock or shared-memory system calls, so it is faster (see README), and every
  // other handle, in this process or another, is refused at Open with kUnavailable after
  // busy_timeout. A killed owner's lock goes with its process. Declares multi_process = false.
  bool single_process = false;
};

template <typename K, typename V, typename KeyCodec = Codec<K>, typename ValueCodec = Codec<V>>
struct SqliteCache {
  static Capabilities Declared(const SqliteOptions& sqlite = {}) {
    Capabilities caps;
    caps.eviction = EvictionPolicy::kLru;
    caps.per_entry_ttl = true;
    caps.default_ttl = true;
    caps.thread_safe = true;
    caps.persistent = true;
    caps.multi_process = !sqlite.single_process;
    caps.local_files = true;
    return caps;
  }

  // Opens or creates the cache in `options.location` (a directory). Returns kInvalidArgument
  // for options it cannot honour, kFailedPrecondition for an unusable location or a database
  // that is not a cachelab cache, kDataLoss for a corrupt file.
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Open(const CacheOptions& options,
                                                           SqliteOptions sqlite = {}) {
    SqliteStoreOptions store_options;
    store_options.directory = options.location;
    store_options.capacity = options.capacity;
    store_options.max_bytes = sqlite.max_bytes;
    store_options.clock = options.clock;
    store_options.busy_timeout = sqlite.busy_timeout;
    store_options.synchronous_full = sqlite.synchronous_full;
    store_options.single_process = sqlite.single_process;
    return OpenEncodedCache<K, V, KeyCodec, ValueCodec>(
        options, Declared(sqlite), "sqlite",
        [&] { return SqliteStore::Open(std::move(store_options)); });
  }
};

// Battery factories (conformance/battery.h). The battery cannot observe power-loss durability,
// so they run with synchronous=NORMAL, which keeps every write across close and reopen and
// keeps the battery fast; users get FULL unless they ask otherwise. The single-process one has
// its own battery, without the multi-process suites.
template <bool kSingleProcess>
struct SqliteBatteryFactory {
  static SqliteOptions Options() {
    SqliteOptions sqlite;
    sqlite.synchronous_full = false;
    sqlite.single_process = kSingleProcess;
    return sqlite;
  }
  static cachelab::Capabilities Capabilities() {
    return SqliteCache<int, int>::Declared(Options());
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    return SqliteCache<K, V>::Open(options, Options());
  }
};
using SqliteFactory = SqliteBatteryFactory<false>;
using SqliteSingleProcessFactory = SqliteBatteryFactory<true>;

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_SQLITE_SQLITE_CACHE_H_
