// Child processes for the stress battery: every wait bounded, every failure named.
#ifndef CACHELAB_STRESS_INTERNAL_PROCESS_H_
#define CACHELAB_STRESS_INTERNAL_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cachelab::stress {

// The positive integer in environment variable `name`, or `fallback`.
inline int EnvInt(const char* name, int fallback) {
  const char* text = std::getenv(name);
  int value = 0;
  return text != nullptr && absl::SimpleAtoi(text, &value) && value > 0 ? value : fallback;
}

// Waits for `pid` at most `limit`; kills it if it is still running. Returns its wait status,
// or -1 if it had to be killed.
inline int WaitBounded(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// Runs `body` in a forked child (a fault injected there stays there) and waits at most `limit`.
// Returns the body's summary; an error if the body failed (its message), crashed, or hung.
inline absl::StatusOr<std::string> RunInChild(
    const std::function<absl::StatusOr<std::string>()>& body, std::chrono::seconds limit) {
  int report[2];
  if (pipe(report) != 0) return absl::InternalError("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    close(report[0]);
    const absl::StatusOr<std::string> result = body();
    const std::string text = result.ok() ? *result : std::string(result.status().message());
    (void)!write(report[1], text.data(), text.size());
    _exit(result.ok() ? 0 : 1);
  }
  close(report[1]);
  std::string message;
  char buffer[1024];
  ssize_t n;
  while ((n = read(report[0], buffer, sizeof(buffer))) > 0) message.append(buffer, n);
  close(report[0]);
  const int status = WaitBounded(pid, limit);
  if (status < 0) return absl::DeadlineExceededError(absl::StrCat("hung for ", limit.count(), " s"));
  if (!WIFEXITED(status)) {
    return absl::InternalError(absl::StrCat("crashed (signal ", WTERMSIG(status), ") ", message));
  }
  if (WEXITSTATUS(status) != 0) return absl::FailedPreconditionError(message);
  return message;
}

}  // namespace cachelab::stress

#endif  // CACHELAB_STRESS_INTERNAL_PROCESS_H_
