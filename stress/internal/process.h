// Child processes for the stress battery: every wait bounded, every failure named.
#ifndef CACHELAB_STRESS_INTERNAL_PROCESS_H_
#define CACHELAB_STRESS_INTERNAL_PROCESS_H_

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <functional>
#include <future>
#include <optional>
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
    absl::StatusOr<std::string> result;
    try {
      result = body();
    } catch (const std::exception& e) {  // never back into the parent's code (or gtest's)
      const std::string text = absl::StrCat("by an uncaught exception: ", e.what());
      (void)!write(report[1], text.data(), text.size());
      std::abort();
    } catch (...) {
      std::abort();
    }
    const std::string text = result.ok() ? *result : std::string(result.status().message());
    (void)!write(report[1], text.data(), text.size());
    _exit(result.ok() ? 0 : 1);
  }
  close(report[1]);
  // The report is read under the same bound: a child that hangs keeps the pipe open.
  const auto until = std::chrono::steady_clock::now() + limit;
  std::string message;
  char buffer[1024];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd readable{report[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&readable, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = read(report[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    message.append(buffer, n);
  }
  close(report[0]);
  const int status = WaitBounded(pid, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::max(until - std::chrono::steady_clock::now(),
                                                   std::chrono::steady_clock::duration::zero())));
  if (status < 0) {
    return absl::DeadlineExceededError(
        absl::StrCat("did not finish within ", limit.count(), " s (killed) ", message));
  }
  if (!WIFEXITED(status)) {
    return absl::InternalError(absl::StrCat("crashed (signal ", WTERMSIG(status), ") ", message));
  }
  if (WEXITSTATUS(status) != 0) return absl::FailedPreconditionError(message);
  return message;
}

// Runs `call` on a thread of its own and waits for it at most `limit`. Returns its result, or
// nullopt if it had not returned: then `unblock` is run (resuming what the call waits for) and
// the call is waited for once more, as long. A call that still has not returned ends the
// process with a message naming `what`, as nothing else can stop it safely.
template <typename T>
std::optional<T> CallWithin(std::chrono::milliseconds limit, const std::function<T()>& call,
                            const std::function<void()>& unblock, const std::string& what) {
  std::packaged_task<T()> task(call);
  std::future<T> done = task.get_future();
  std::thread runner(std::move(task));
  if (done.wait_for(limit) == std::future_status::ready) {
    runner.join();
    return done.get();
  }
  unblock();
  if (done.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: %s did not return, even after being unblocked\n", what.c_str());
    std::_Exit(3);
  }
  runner.join();
  return std::nullopt;
}

}  // namespace cachelab::stress

#endif  // CACHELAB_STRESS_INTERNAL_PROCESS_H_
