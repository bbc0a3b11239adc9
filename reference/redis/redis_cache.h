// RedisCache: a cache shared through a Redis server (hiredis), for several processes and
// machines. Keys live under a namespace (CacheOptions::location), so several caches share one
// server; per-entry and default TTL follow the engine's injected clock exactly (see
// redis_store.h); the client never evicts (it is unbounded), but the server may drop entries
// under memory pressure if it is configured to (server_evicts). Entries outlive the client:
// reopening the same namespace finds them (persistent), and every client sees the others'
// writes (multi_process). Keys and values go through codecs (reference/codec/codec.h).
//
// Thread-safety: safe for concurrent use (one connection, one mutex; use one engine per thread
// for parallel round trips). Complexity: one round trip per call; Keys, Size, Stats and Clear
// walk the namespace (O(n) round trips). Errors: an unreachable or slow server gives
// kUnavailable within the command timeout, naming host and port, and the next call reconnects.
#ifndef CACHELAB_REFERENCE_REDIS_REDIS_CACHE_H_
#define CACHELAB_REFERENCE_REDIS_REDIS_CACHE_H_

#include <memory>

#include "reference/codec/codec.h"
#include "reference/codec/remote_cache.h"
#include "reference/redis/redis_store.h"

namespace cachelab {

// Where the Redis server is (port 6379 unless told otherwise) and how long to wait for it.
struct RedisOptions : ServerOptions {
  RedisOptions() : ServerOptions(6379) {}
};

template <typename K, typename V, typename KeyCodec = Codec<K>, typename ValueCodec = Codec<V>>
struct RedisCache {
  static Capabilities Declared() { return RemoteCapabilities(); }

  // Connects to the server. Returns kInvalidArgument for options it cannot honour (an empty
  // location, a capacity), kUnavailable if the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Open(const CacheOptions& options,
                                                           const RedisOptions& redis = {}) {
    return OpenRemoteCache<RedisStore, K, V, KeyCodec, ValueCodec>(options, redis, "redis");
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_REDIS_REDIS_CACHE_H_
