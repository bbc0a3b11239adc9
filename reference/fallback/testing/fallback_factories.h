// Battery factories for FallbackCache (see conformance/battery.h).
//
// FallbackRedisFactory: Redis on the test process's real redis-server (in the battery's
// namespace), then the memory tail; the battery runs while Redis serves.
// FallbackUnusableDirectoryFactory: SQLite and files given a location that is a regular file (so
// both are skipped at construction), then an LRU tail that serves every test.
#ifndef CACHELAB_REFERENCE_FALLBACK_TESTING_FALLBACK_FACTORIES_H_
#define CACHELAB_REFERENCE_FALLBACK_TESTING_FALLBACK_FACTORIES_H_

#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reference/fallback/fallback_cache.h"
#include "reference/files/files_cache.h"
#include "reference/redis/redis_cache.h"
#include "reference/redis/testing/redis_server.h"
#include "reference/sqlite/sqlite_cache.h"

namespace cachelab {

// Silent: the battery builds thousands of chains.
inline FallbackOptions QuietFallback(std::string name) {
  FallbackOptions fallback;
  fallback.name = std::move(name);
  fallback.listener = [](const CacheEvent&) {};
  return fallback;
}

template <typename K, typename V>
FallbackEngine<K, V> RedisFallbackEngine(const CacheOptions& options, int port) {
  return {"redis", RedisCache<K, V>::Declared(), [options, port] {
            CacheOptions remote = options;
            remote.capacity.reset();  // a server-side namespace is unbounded
            RedisOptions redis;
            redis.port = port;
            return RedisCache<K, V>::Open(remote, redis);
          }};
}

struct FallbackRedisFactory {
  static cachelab::Capabilities Capabilities() {
    return FallbackCapabilities({RedisCache<int, int>::Declared(), FallbackTailCapabilities({})});
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    // This configuration is the unbounded one (a capacity would bound the tail and make the
    // chain kApproximate).
    if (absl::Status status = ValidateOptions(options, Capabilities(), "fallback_redis");
        !status.ok()) {
      return status;
    }
    auto server = testing::SharedRedisServer();
    if (!server.ok()) return server.status();
    auto chain = FallbackCache<K, V>::Open({RedisFallbackEngine<K, V>(options, (*server)->port())},
                                           options, QuietFallback("battery"));
    if (!chain.ok()) return chain.status();
    return std::unique_ptr<Cache<K, V>>(*std::move(chain));
  }
};

struct FallbackUnusableDirectoryFactory {
  static cachelab::Capabilities Capabilities() {
    CacheOptions bounded;
    bounded.capacity = 1;
    return FallbackCapabilities({SqliteCache<int, int>::Declared(),
                                 FilesCache<int, int>::Declared(),
                                 FallbackTailCapabilities(bounded)});
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    CacheOptions unusable = options;
    unusable.location = options.location + ".file";
    std::ofstream(unusable.location) << "not a directory\n";
    std::vector<FallbackEngine<K, V>> engines = {
        {"sqlite", SqliteCache<K, V>::Declared(),
         [unusable] { return SqliteCache<K, V>::Open(unusable); }},
        {"files", FilesCache<K, V>::Declared(),
         [unusable] { return FilesCache<K, V>::Open(unusable); }},
    };
    auto chain = FallbackCache<K, V>::Open(std::move(engines), options, QuietFallback("battery"));
    if (!chain.ok()) return chain.status();
    if ((*chain)->Serving() != "memory") {
      return absl::InternalError("an engine opened a location that is a regular file");
    }
    return std::unique_ptr<Cache<K, V>>(*std::move(chain));
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FALLBACK_TESTING_FALLBACK_FACTORIES_H_
