#include "reference/redis/testing/redis_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"

namespace cachelab::testing {
namespace {

// A port the kernel says is free now (there is a small window before the server binds it).
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) return absl::InternalError("cannot find a free loopback port");
  return ntohs(address.sin_port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(int port) {
  if (port == 0) {
    auto free_port = FreePort();
    if (!free_port.ok()) return free_port.status();
    port = *free_port;
  }
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe() failed");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork() failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    if (getppid() != parent) _exit(1);
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    const std::string port_text = std::to_string(port);
    execl("/usr/bin/redis-server", "redis-server", "--port", port_text.c_str(), "--bind",
          "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel",
          "notice", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::unique_ptr<RedisServer> server(new RedisServer(pid, port));
  // Wait for the line that says the server is ready; EOF means it exited.
  FILE* log = fdopen(out[0], "r");
  std::string seen;
  char line[512];
  bool ready = false;
  while (!ready && fgets(line, sizeof(line), log) != nullptr) {
    seen += line;
    ready = std::string(line).find("Ready to accept connections") != std::string::npos;
  }
  // Keep reading the log in the background would block nobody: close it, the server writes to
  // a closed pipe only on errors (it ignores SIGPIPE).
  fclose(log);
  if (!ready) {
    return absl::UnavailableError(absl::StrCat(
        "redis-server did not start on port ", port,
        " (is the redis-server package installed? run tools/setup): ", seen));
  }
  return server;
}

RedisServer::~RedisServer() { Stop(); }

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

absl::StatusOr<RedisServer*> SharedRedisServer() {
  static auto* const server = new absl::StatusOr<std::unique_ptr<RedisServer>>(
      RedisServer::Start());
  static const bool stop_at_exit = [] {
    std::atexit([] {
      if (server->ok()) server->value()->Stop();
    });
    return true;
  }();
  (void)stop_at_exit;
  if (!server->ok()) return server->status();
  return server->value().get();
}

}  // namespace cachelab::testing
