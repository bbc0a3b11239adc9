#include "reference/testing/server_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cachelab::testing {

int BindLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  return ok ? ntohs(address.sin_port) : -1;
}

std::pair<int, int> EphemeralPortRange(const std::string& path) {
  std::ifstream in(path);
  int first = 0, last = 0;
  if (in >> first >> last && 0 < first && first <= last && last < 65536) return {first, last};
  return {32768, 60999};
}

absl::StatusOr<int> FreeLoopbackPort() {
  constexpr int kLowest = 10000;  // above the ports of services a developer may run
  const int below = EphemeralPortRange("/proc/sys/net/ipv4/ip_local_port_range").first;
  if (below - kLowest >= 1000) {
    absl::BitGen random;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const int port = BindLoopback(absl::Uniform(random, kLowest, below));
      if (port > 0) return port;
    }
  }
  const int port = BindLoopback(0);
  if (port < 0) return absl::InternalError("cannot find a free loopback port");
  return port;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::vector<std::string>& argv, int port, Stream ready_on, const std::string& ready_text,
    const std::string& hint) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe() failed");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork() failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    if (getppid() != parent) _exit(1);
    dup2(out[1], ready_on == Stream::kStdout ? STDOUT_FILENO : STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  std::unique_ptr<ServerProcess> server(new ServerProcess(pid, port));
  // Read until the ready line; EOF means the server exited.
  FILE* log = fdopen(out[0], "r");
  std::string seen;
  char line[512];
  bool ready = false;
  while (!ready && fgets(line, sizeof(line), log) != nullptr) {
    seen += line;
    ready = std::string(line).find(ready_text) != std::string::npos;
  }
  fclose(log);
  if (!ready) {
    return absl::UnavailableError(absl::StrCat(absl::StrJoin(argv, " "), " did not start (", hint,
                                               "): ", seen));
  }
  return server;
}

ServerProcess::~ServerProcess() { Stop(); }

void ServerProcess::Pause() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void ServerProcess::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

void ServerProcess::Stop() {
  if (pid_ > 0) kill(pid_, SIGCONT);  // a paused server must be able to die
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);  // test servers keep nothing worth a graceful shutdown
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace cachelab::testing
