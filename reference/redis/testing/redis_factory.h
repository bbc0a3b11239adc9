// Battery factory for RedisCache: every engine talks to one redis-server started for the test
// process (SharedRedisServer), each in the namespace the battery gives it; the server-fault
// tests start servers of their own (StartServer, CreateOnServer).
#ifndef CACHELAB_REFERENCE_REDIS_TESTING_REDIS_FACTORY_H_
#define CACHELAB_REFERENCE_REDIS_TESTING_REDIS_FACTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "reference/redis/redis_cache.h"
#include "reference/redis/testing/redis_server.h"

namespace cachelab {

struct RedisFactory {
  static cachelab::Capabilities Capabilities() { return RedisCache<int, int>::Declared(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    auto server = testing::SharedRedisServer();
    if (!server.ok()) return server.status();
    RedisOptions redis;
    redis.port = (*server)->port();
    return RedisCache<K, V>::Open(options, redis);
  }

  // Server faults (stress/server_fault_suite.h): a server of the test's own, short of memory
  // with 2 MB and allkeys-lru, and an engine on it.
  static absl::StatusOr<std::unique_ptr<testing::ServerProcess>> StartServer(int port,
                                                                            bool short_of_memory) {
    return testing::RedisServer::Start(
        port, short_of_memory ? std::vector<std::string>{"--maxmemory", "2mb",
                                                         "--maxmemory-policy", "allkeys-lru"}
                              : std::vector<std::string>{});
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> CreateOnServer(const CacheOptions& options,
                                                                     int port,
                                                                     absl::Duration timeout) {
    RedisOptions redis;
    redis.port = port;
    redis.connect_timeout = redis.command_timeout = timeout;
    return RedisCache<K, V>::Open(options, redis);
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_REDIS_TESTING_REDIS_FACTORY_H_
