// What the engines over a shared server (Redis, memcached) have in common: where the server is
// and how long to wait for it (ServerOptions), what they declare (RemoteCapabilities), and how
// they open (OpenRemoteCache).
//
// A remote engine keeps its entries in a namespace of the server (CacheOptions::location), so
// several caches share one server; it never evicts itself (unbounded), though the server may drop
// entries under memory pressure (server_evicts); entries outlive the client (persistent) and
// every client sees the others' writes (multi_process).
#ifndef CACHELAB_REFERENCE_CODEC_REMOTE_CACHE_H_
#define CACHELAB_REFERENCE_CODEC_REMOTE_CACHE_H_

#include <memory>
#include <string>
#include <utility>

#include "reference/codec/encoded_cache.h"

namespace cachelab {

struct ServerOptions {
  explicit ServerOptions(int default_port) : port(default_port) {}
  std::string host = "127.0.0.1";
  int port;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(1);  // for each wait on the server
};

// What a store behind a remote engine is opened with.
struct RemoteStoreOptions {
  ServerOptions server;
  std::string name_space;              // CacheOptions::location
  std::shared_ptr<const Clock> clock;  // null: DefaultClock()
};

inline Capabilities RemoteCapabilities() {
  Capabilities caps;
  caps.eviction = EvictionPolicy::kNone;
  caps.per_entry_ttl = true;
  caps.default_ttl = true;
  caps.thread_safe = true;
  caps.persistent = true;
  caps.multi_process = true;
  caps.server_evicts = true;
  return caps;
}

// Validates `options` for RemoteCapabilities() (messages prefixed by `engine`), then opens a
// `Store` (with a static Open(RemoteStoreOptions) returning absl::StatusOr<unique_ptr<Store>>)
// on `server`. Returns kInvalidArgument for options it cannot honour (an empty location, a
// capacity), or the store's error (kUnavailable if the server cannot be reached).
template <typename Store, typename K, typename V, typename KeyCodec, typename ValueCodec>
absl::StatusOr<std::unique_ptr<Cache<K, V>>> OpenRemoteCache(const CacheOptions& options,
                                                             const ServerOptions& server,
                                                             absl::string_view engine) {
  return OpenEncodedCache<K, V, KeyCodec, ValueCodec>(
      options, RemoteCapabilities(), engine,
      [&] { return Store::Open(RemoteStoreOptions{server, options.location, options.clock}); });
}

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_CODEC_REMOTE_CACHE_H_
