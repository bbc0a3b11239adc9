// Battery factory for MemcachedCache: every engine talks to one memcached started for the test
// process (SharedMemcachedServer), each in the namespace the battery gives it.
//
// Keys, Size and Stats list the whole server (memcached cannot list one namespace), so a long
// battery run would slow down as finished tests leave entries behind (measured: the
// conformance battery 64 s instead of 23 s, the properties 154 s instead of 24 s). The factory
// therefore empties the server when the test process opens a namespace that no process has
// opened on this server before (a marker item records each one) while none of its engines is
// open: a new test or property case starts on an empty server, as a persistent engine starts in
// an empty directory. Reopening a namespace, engines open side by side, and namespaces first
// opened by forked children never trigger it; children never flush. Namespaces stay apart on
// one server regardless; that is tested without this factory (memcached_cache_test).
#ifndef CACHELAB_REFERENCE_MEMCACHED_TESTING_MEMCACHED_FACTORY_H_
#define CACHELAB_REFERENCE_MEMCACHED_TESTING_MEMCACHED_FACTORY_H_

#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reference/forwarding_cache.h"
#include "reference/memcached/memcached_cache.h"
#include "reference/memcached/testing/memcached_server.h"
#include "reference/mutex.h"

namespace cachelab {

struct MemcachedFactory {
  // The test process (not a child it forks): initialized before main.
  static inline const pid_t test_process = getpid();

  static cachelab::Capabilities Capabilities() { return MemcachedCache<int, int>::Declared(); }

  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    auto server = testing::SharedMemcachedServer();
    if (!server.ok()) return server.status();
    {
      State& state = GetState();
      MutexLock lock(&state.mu);
      const int port = (*server)->port();
      auto first = testing::MarkFirstUse(port, options.location);  // in every process
      if (!first.ok()) return first.status();
      if (*first && getpid() == test_process && state.open == 0) {
        absl::Status emptied = testing::FlushMemcachedServer(port);
        if (emptied.ok()) emptied = testing::MarkFirstUse(port, options.location).status();
        if (!emptied.ok()) return emptied;
      }
    }
    MemcachedOptions memcached;
    memcached.port = (*server)->port();
    auto engine = MemcachedCache<K, V>::Open(options, memcached);
    if (!engine.ok()) return engine.status();
    return std::unique_ptr<Cache<K, V>>(new Counted<K, V>(*std::move(engine)));
  }

  // Server faults (stress/server_fault_suite.h): a server of the test's own, short of memory
  // with 16 MB and 1 MB items, and an engine on it.
  static absl::StatusOr<std::unique_ptr<testing::ServerProcess>> StartServer(int port,
                                                                            bool short_of_memory) {
    return testing::MemcachedServer::Start(
        port, short_of_memory ? std::vector<std::string>{"-m", "16", "-I", "1m"}
                              : std::vector<std::string>{});
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> CreateOnServer(const CacheOptions& options,
                                                                     int port,
                                                                     absl::Duration timeout) {
    MemcachedOptions memcached;
    memcached.port = port;
    memcached.connect_timeout = memcached.command_timeout = timeout;
    return MemcachedCache<K, V>::Open(options, memcached);
  }

 private:
  struct State {
    Mutex mu;
    int open ABSL_GUARDED_BY(mu) = 0;
  };
  static State& GetState() {
    static State* const state = new State();
    return *state;
  }
  // Counts the factory's open engines.
  template <typename K, typename V>
  class Counted final : public ForwardingCache<K, V> {
   public:
    explicit Counted(std::unique_ptr<Cache<K, V>> inner) : ForwardingCache<K, V>(std::move(inner)) {
      MutexLock lock(&GetState().mu);
      ++GetState().open;
    }
    ~Counted() override {
      MutexLock lock(&GetState().mu);
      --GetState().open;
    }
  };
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMCACHED_TESTING_MEMCACHED_FACTORY_H_
