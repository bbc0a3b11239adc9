// Battery factory for RedisCache: every engine talks to one redis-server started for the test
// process (SharedRedisServer), each in the namespace the battery gives it.
#ifndef CACHELAB_REFERENCE_REDIS_TESTING_REDIS_FACTORY_H_
#define CACHELAB_REFERENCE_REDIS_TESTING_REDIS_FACTORY_H_

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
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_REDIS_TESTING_REDIS_FACTORY_H_
