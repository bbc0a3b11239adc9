#include "reference/memcached/internal/key_dump.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reference/mutex.h"

namespace cachelab::memcached_internal {
namespace {

constexpr absl::string_view kCommand = "lru_crawler metadump hash\r\n";

// One blocking text-protocol connection whose every wait ends at a deadline.
class Connection {
 public:
  Connection(std::string host, int port) : host_(std::move(host)), port_(port) {}
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  absl::Status Open(absl::Time deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found) != 0) {
      return Unavailable("cannot resolve the host");
    }
    absl::Status status = Unavailable("no address to connect to");
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      fd_ = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ < 0) continue;
      if (connect(fd_, a->ai_addr, a->ai_addrlen) == 0) {
        status = absl::OkStatus();
      } else if (errno == EINPROGRESS) {
        status = Wait(POLLOUT, deadline);
        int error = 0;
        socklen_t length = sizeof(error);
        if (status.ok() && getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
            error != 0) {
          status = Unavailable(absl::StrCat("cannot connect: ", std::strerror(error)));
        }
      } else {
        status = Unavailable(absl::StrCat("cannot connect: ", std::strerror(errno)));
      }
      if (!status.ok()) {
        close(fd_);
        fd_ = -1;
      }
    }
    freeaddrinfo(found);
    return status;
  }

  absl::Status Send(absl::string_view bytes, absl::Time deadline) {
    while (!bytes.empty()) {
      const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EAGAIN) {
        if (absl::Status status = Wait(POLLOUT, deadline); !status.ok()) return status;
        continue;
      }
      if (sent < 0) return Unavailable(absl::StrCat("send failed: ", std::strerror(errno)));
      bytes.remove_prefix(sent);
    }
    return absl::OkStatus();
  }

  // Returns the next line without "\r\n" or "\n".
  absl::StatusOr<std::string> ReadLine(absl::Time deadline) {
    while (true) {
      if (const size_t end = buffer_.find('\n', scanned_); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        scanned_ = 0;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      scanned_ = buffer_.size();
      char chunk[64 * 1024];
      const ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
      if (got > 0) {
        buffer_.append(chunk, got);
      } else if (got == 0) {
        return Unavailable("the server closed the connection");
      } else if (errno == EAGAIN) {
        if (absl::Status status = Wait(POLLIN, deadline); !status.ok()) return status;
      } else {
        return Unavailable(absl::StrCat("recv failed: ", std::strerror(errno)));
      }
    }
  }

  absl::Status Unavailable(absl::string_view why) const {
    return absl::UnavailableError(
        absl::StrCat("memcached cache ", host_, ":", port_, ": listing keys: ", why));
  }

 private:
  absl::Status Wait(short events, absl::Time deadline) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) return Unavailable("no answer within the timeout");
    pollfd poller{fd_, events, 0};
    const int ready = poll(&poller, 1, static_cast<int>(left));
    if (ready == 0) return Unavailable("no answer within the timeout");
    if (ready < 0 && errno != EINTR) {
      return Unavailable(absl::StrCat("poll failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  const std::string host_;
  const int port_;
  int fd_ = -1;
  std::string buffer_;
  size_t scanned_ = 0;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Mutex& DumpMutex() {
  static Mutex* const mutex = new Mutex();
  return *mutex;
}

}  // namespace

std::optional<std::string> UrlDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = HexDigit(text[i + 1]), low = HexDigit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> DumpItemNames(const std::string& host, int port,
                                                       absl::string_view prefix,
                                                       absl::Duration timeout) {
  MutexLock lock(&DumpMutex());
  const absl::Time deadline = absl::Now() + timeout;
  Connection connection(host, port);
  if (absl::Status status = connection.Open(deadline); !status.ok()) return status;
  absl::Duration backoff = absl::Microseconds(200);
  std::vector<std::string> names;
  while (true) {
    if (absl::Status status = connection.Send(kCommand, deadline); !status.ok()) return status;
    // The dump may be long: each line, not the whole dump, must come within the timeout.
    auto line = connection.ReadLine(absl::Now() + timeout);
    if (!line.ok()) return line.status();
    if (absl::StartsWith(*line, "BUSY")) {  // another client's dump is running
      if (absl::Now() + backoff >= deadline) {
        return connection.Unavailable("the server's LRU crawler stayed busy");
      }
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Milliseconds(20));
      continue;
    }
    while (*line != "END") {
      if (!absl::StartsWith(*line, "key=")) {
        return absl::FailedPreconditionError(absl::StrCat(
            "memcached cache ", host, ":", port, ": the server cannot list keys (it answered \"",
            *line, "\" to `lru_crawler metadump hash`); use memcached 1.6.9 or newer, without "
            "-o no_lru_crawler"));
      }
      const absl::string_view encoded = absl::string_view(*line).substr(4, line->find(' ') - 4);
      std::optional<std::string> name = UrlDecode(encoded);
      if (name && absl::StartsWith(*name, prefix)) names.push_back(*std::move(name));
      line = connection.ReadLine(absl::Now() + timeout);
      if (!line.ok()) return line.status();
    }
    return names;
  }
}

}  // namespace cachelab::memcached_internal
