#include "reference/redis/testing/redis_server.h"

#include <string>

namespace cachelab::testing {

absl::StatusOr<std::unique_ptr<ServerProcess>> RedisServer::Start(
    int port, const std::vector<std::string>& extra_args) {
  if (port == 0) {
    auto free_port = FreeLoopbackPort();
    if (!free_port.ok()) return free_port.status();
    port = *free_port;
  }
  std::vector<std::string> argv = {
      "/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save",
      "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return ServerProcess::Start(
      argv, port, ServerProcess::Stream::kStdout, "Ready to accept connections",
      "is the redis-server package installed? run tools/setup");
}

}  // namespace cachelab::testing
