// Battery factory for MemcachedCache: every engine talks to one memcached started for the test
// process (SharedMemcachedServer), each in the namespace the battery gives it.
//
// Keys, Size and Stats list the whole server (memcached cannot list one namespace), so a long
// battery run would slow down as finished tests leave entries behind. The factory therefore
// empties the server when it opens a namespace it has not opened before while none of its
// engines is open: a new test or property case starts on an empty server, as a persistent
// engine starts in an empty directory. Reopening a namespace (the persistence suite) and engines
// open side by side never trigger it. Namespaces stay apart on one server regardless; that is
// tested without this factory (memcached_cache_test).
#ifndef CACHELAB_REFERENCE_MEMCACHED_TESTING_MEMCACHED_FACTORY_H_
#define CACHELAB_REFERENCE_MEMCACHED_TESTING_MEMCACHED_FACTORY_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "reference/forwarding_cache.h"
#include "reference/memcached/memcached_cache.h"
#include "reference/memcached/testing/memcached_server.h"
#include "reference/mutex.h"

namespace cachelab {

struct MemcachedFactory {
  static cachelab::Capabilities Capabilities() { return MemcachedCache<int, int>::Declared(); }

  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    auto server = testing::SharedMemcachedServer();
    if (!server.ok()) return server.status();
    {
      State& state = GetState();
      MutexLock lock(&state.mu);
      if (state.open == 0 && state.seen.insert(options.location).second) {
        if (absl::Status flushed = testing::FlushMemcachedServer((*server)->port());
            !flushed.ok()) {
          return flushed;
        }
      }
    }
    MemcachedOptions memcached;
    memcached.port = (*server)->port();
    auto engine = MemcachedCache<K, V>::Open(options, memcached);
    if (!engine.ok()) return engine.status();
    return std::unique_ptr<Cache<K, V>>(new Counted<K, V>(*std::move(engine)));
  }

 private:
  struct State {
    Mutex mu;
    int open ABSL_GUARDED_BY(mu) = 0;
    absl::flat_hash_set<std::string> seen ABSL_GUARDED_BY(mu);
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
