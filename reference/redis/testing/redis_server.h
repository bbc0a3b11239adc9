// RedisServer: a real redis-server for tests, on a free loopback port, without persistence
// (see reference/testing/server_process.h for how it is started and stopped).
#ifndef CACHELAB_REFERENCE_REDIS_TESTING_REDIS_SERVER_H_
#define CACHELAB_REFERENCE_REDIS_TESTING_REDIS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reference/testing/server_process.h"

namespace cachelab::testing {

struct RedisServer {
  // Starts redis-server (Debian's /usr/bin/redis-server) on `port`, or on a free port if 0;
  // returns once it accepts connections.
  // `extra_args` come after the defaults (e.g. {"--maxmemory", "1mb"}).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      int port = 0, const std::vector<std::string>& extra_args = {});
};

// One server for the whole test process, started on first use.
inline absl::StatusOr<ServerProcess*> SharedRedisServer() { return SharedServer<RedisServer>(); }

}  // namespace cachelab::testing

#endif  // CACHELAB_REFERENCE_REDIS_TESTING_REDIS_SERVER_H_
