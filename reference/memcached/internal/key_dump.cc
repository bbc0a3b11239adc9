#include "reference/memcached/internal/key_dump.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reference/memcached/internal/line_connection.h"
#include "reference/mutex.h"

namespace cachelab::memcached_internal {
namespace {

constexpr absl::string_view kCommand = "lru_crawler metadump hash\r\n";

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
  LineConnection connection(host, port, "listing keys");
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
