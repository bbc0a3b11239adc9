// RedisServer: a real redis-server for tests, on a free loopback port, without persistence.
// Start() returns once the server logs that it accepts connections; the destructor (and the
// test process's death, through PR_SET_PDEATHSIG) stops it, so nothing is left running.
#ifndef CACHELAB_REFERENCE_REDIS_TESTING_REDIS_SERVER_H_
#define CACHELAB_REFERENCE_REDIS_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>

#include "absl/status/statusor.h"

namespace cachelab::testing {

class RedisServer {
 public:
  // Starts redis-server (Debian's /usr/bin/redis-server) on `port`, or on a free port if 0.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(int port = 0);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // Stops the server and waits for it to exit.
  void Stop();

 private:
  RedisServer(pid_t pid, int port) : pid_(pid), port_(port) {}
  pid_t pid_;
  int port_;
};

// One server for the whole test process, started on first use.
absl::StatusOr<RedisServer*> SharedRedisServer();

}  // namespace cachelab::testing

#endif  // CACHELAB_REFERENCE_REDIS_TESTING_REDIS_SERVER_H_
