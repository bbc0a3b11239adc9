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

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reference/codec/encoded_cache.h"
#include "reference/mutex.h"

namespace cachelab {

struct ServerOptions {
  explicit ServerOptions(int default_port) : port(default_port) {}
  std::string host = "127.0.0.1";
  int port;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(1);  // for each wait on the server
  // Connections kept open (at least 1): threads make round trips in parallel, one per
  // connection; more threads than connections wait for one.
  int connections = 4;
};

// A fixed set of connections, each used by one thread at a time. Connections are made lazily
// (a value-initialized Conn is "not connected") by the store that leases them.
//
// Thread-safety: Acquire from any thread. Complexity: O(connections) per Acquire at worst.
template <typename Conn>
class ConnectionPool {
  struct Slot {
    Mutex mu;
    Conn conn ABSL_GUARDED_BY(mu){};
  };

 public:
  explicit ConnectionPool(int size) {
    for (int i = 0; i < std::max(1, size); ++i) slots_.push_back(std::make_unique<Slot>());
  }

  // The connection of one slot, held until the lease ends.
  class Lease {
   public:
    explicit Lease(Slot* slot) : slot_(slot) {}
    Lease(Lease&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
    ~Lease() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      if (slot_ != nullptr) slot_->mu.Unlock();
    }
    Conn& conn() ABSL_NO_THREAD_SAFETY_ANALYSIS { return slot_->conn; }

   private:
    Slot* slot_;
  };

  // A free connection if there is one; otherwise waits for the next one in turn.
  Lease Acquire() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot* slot = slots_[(start + i) % slots_.size()].get();
      if (slot->mu.TryLock()) return Lease(slot);
    }
    Slot* slot = slots_[start % slots_.size()].get();
    slot->mu.Lock();
    return Lease(slot);
  }

  // Calls f(conn) for every connection (taking each in turn), e.g. to close them.
  template <typename F>
  void ForEach(F&& f) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (auto& slot : slots_) {
      MutexLock lock(&slot->mu);
      f(slot->conn);
    }
  }

 private:
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<size_t> next_{0};
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
