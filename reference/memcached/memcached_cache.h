// MemcachedCache: a cache shared through a memcached server (libmemcached), for several
// processes and machines. Keys live under a namespace (CacheOptions::location), so several
// caches share one server; per-entry and default TTL follow the engine's injected clock exactly
// (see memcached_store.h); the client never evicts (it is unbounded), but the server drops
// entries when its memory is full (server_evicts). Entries outlive the client: reopening the
// same namespace finds them (persistent), and every client sees the others' writes
// (multi_process). Keys and values go through codecs (reference/codec/codec.h); any key works,
// whatever its bytes or length (memcached's own 250-byte limit is hidden by hashing).
//
// Thread-safety: safe for concurrent use (a pool of connections, ServerOptions::connections, makes
// round trips in parallel). Complexity: Lookup is one or two round trips; Insert and Erase one
// when this handle last read or wrote the entry and no other client has changed it since, else one
// to three (more if other clients keep changing the entry); Keys, Size, Stats and Clear list the
// whole server's keys (`lru_crawler metadump hash`, memcached 1.6.9 or newer) and read the
// namespace's entries, O(server's items) bytes and O(namespace's items / 256) round trips. Errors:
// an unreachable or slow server gives kUnavailable within the timeouts, naming host and port, and
// the next call reconnects. Not promised: Keys and Clear are not atomic against other clients; an
// entry the server evicted is simply gone.
#ifndef CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_CACHE_H_
#define CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_CACHE_H_

#include <memory>

#include "reference/codec/codec.h"
#include "reference/codec/remote_cache.h"
#include "reference/memcached/memcached_store.h"

namespace cachelab {

// Where the memcached server is (port 11211 unless told otherwise) and how long to wait for it.
struct MemcachedOptions : ServerOptions {
  MemcachedOptions() : ServerOptions(11211) {}
};

template <typename K, typename V, typename KeyCodec = Codec<K>, typename ValueCodec = Codec<V>>
struct MemcachedCache {
  static Capabilities Declared() { return RemoteCapabilities(); }

  // Connects to the server. Returns kInvalidArgument for options it cannot honour (an empty
  // location, a capacity), kUnavailable if the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Open(const CacheOptions& options,
                                                           const MemcachedOptions& memcached = {}) {
    return OpenRemoteCache<MemcachedStore, K, V, KeyCodec, ValueCodec>(options, memcached,
                                                                       "memcached");
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMCACHED_MEMCACHED_CACHE_H_
