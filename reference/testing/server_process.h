// ServerProcess: a real server program (redis-server, memcached) started by a test on a free
// loopback port and stopped with it. Start() returns once the server has printed the line that
// says it is ready; the destructor, and the test process's death (PR_SET_PDEATHSIG), stop it,
// so nothing is left running. Not thread-safe: owned by one test.
#ifndef CACHELAB_REFERENCE_TESTING_SERVER_PROCESS_H_
#define CACHELAB_REFERENCE_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cachelab::testing {

// Returns a loopback TCP port that is free now and lies below the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range), picked at random: the kernel never gives such a port
// to an outgoing connection, so a server stopped and started again on it (the fault tests)
// cannot lose it to a client of another test, as a port from bind(0) can. Another test's server
// may still pick the same port (1 in ~20,000); its Start() then fails and says so. Falls back to
// bind(0) if the range leaves too little room below it.
absl::StatusOr<int> FreeLoopbackPort();

// Binds a loopback TCP socket to `port` (0: any free one), closes it and returns the port it
// was bound to, or -1 if the port is taken.
int BindLoopback(int port);

// The ephemeral range [first, last] read from `path` (ip_local_port_range's format), or
// {32768, 60999}, Linux's default, if it cannot be read.
std::pair<int, int> EphemeralPortRange(const std::string& path);

class ServerProcess {
 public:
  enum class Stream { kStdout, kStderr };

  // Runs argv[0] (an absolute path) with `argv`, a server that listens on loopback `port`, and
  // waits until a line of its `ready_on` stream
  // contains `ready_text`. Returns kUnavailable, with what the server printed and `hint`, if it
  // exits first. After the ready line the stream is closed; the server must ignore SIGPIPE.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const std::vector<std::string>& argv,
                                                              int port, Stream ready_on,
                                                              const std::string& ready_text,
                                                              const std::string& hint);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  // Stops the server (SIGKILL: memcached takes a second to stop gracefully) and waits for it
  // to exit. Idempotent.
  void Stop();
  // Freezes the server (SIGSTOP): it keeps its connections but answers nothing until Resume().
  void Pause();
  void Resume();

 private:
  ServerProcess(pid_t pid, int port) : pid_(pid), port_(port) {}
  pid_t pid_;
  const int port_;
};

// The one server of type `Server` (a class with a static Start(int port) returning
// absl::StatusOr<std::unique_ptr<ServerProcess>>) for the whole test process: started on first
// use on a free port, stopped at exit.
template <typename Server>
absl::StatusOr<ServerProcess*> SharedServer() {
  static auto* const server =
      new absl::StatusOr<std::unique_ptr<ServerProcess>>(Server::Start(0));
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

#endif  // CACHELAB_REFERENCE_TESTING_SERVER_PROCESS_H_
