#include "reference/memcached/internal/line_connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cachelab::memcached_internal {

LineConnection::LineConnection(std::string host, int port, std::string context)
    : host_(std::move(host)), port_(port), context_(std::move(context)) {}

LineConnection::~LineConnection() {
  if (fd_ >= 0) close(fd_);
}

absl::Status LineConnection::Open(absl::Time deadline) {
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
  if (status.ok()) {
    // A command is one small write answered by one small read: do not let Nagle hold it.
    const int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  return status;
}

absl::Status LineConnection::Send(absl::string_view bytes, absl::Time deadline) {
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

absl::StatusOr<std::string> LineConnection::ReadLine(absl::Time deadline) {
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

absl::Status LineConnection::Unavailable(absl::string_view why) const {
  return absl::UnavailableError(
      absl::StrCat("memcached cache ", host_, ":", port_, ": ", context_, ": ", why));
}

absl::Status LineConnection::Wait(short events, absl::Time deadline) {
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

}  // namespace cachelab::memcached_internal
