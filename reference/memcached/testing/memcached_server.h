// MemcachedServer: a real memcached for tests, on a free loopback port, TCP only (see
// reference/testing/server_process.h for how it is started and stopped).
#ifndef CACHELAB_REFERENCE_MEMCACHED_TESTING_MEMCACHED_SERVER_H_
#define CACHELAB_REFERENCE_MEMCACHED_TESTING_MEMCACHED_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reference/testing/server_process.h"

namespace cachelab::testing {

struct MemcachedServer {
  // Starts memcached (Debian's /usr/bin/memcached) on `port`, or on a free port if 0, with
  // `extra_args` after its own; returns once it listens.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      int port = 0, const std::vector<std::string>& extra_args = {});
};

// One server for the whole test process, started on first use.
inline absl::StatusOr<ServerProcess*> SharedMemcachedServer() {
  return SharedServer<MemcachedServer>();
}

// Records that namespace `name_space` is in use on the server; returns true if no one had
// recorded it before (since the last flush). Returns kUnavailable if it cannot be reached.
absl::StatusOr<bool> MarkFirstUse(int port, const std::string& name_space);

// Empties the server (flush_all). Returns kUnavailable if it cannot be reached.
absl::Status FlushMemcachedServer(int port);

}  // namespace cachelab::testing

#endif  // CACHELAB_REFERENCE_MEMCACHED_TESTING_MEMCACHED_SERVER_H_
