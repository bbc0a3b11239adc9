// LineConnection: one blocking connection to a memcached server for the parts of the text
// protocol libmemcached does not speak (`lru_crawler metadump`, the meta commands, `stats` read
// line by line). Every wait ends at a deadline the caller gives, so a paused or vanished server
// costs at most that long.
//
// Errors: kUnavailable naming host, port and the caller's context ("memcached cache
// 127.0.0.1:11211: listing keys: no answer within the timeout"); after one, the connection
// must not be used again. Thread-safety: none; one thread at a time. Owns its socket.
#ifndef CACHELAB_REFERENCE_MEMCACHED_INTERNAL_LINE_CONNECTION_H_
#define CACHELAB_REFERENCE_MEMCACHED_INTERNAL_LINE_CONNECTION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cachelab::memcached_internal {

class LineConnection {
 public:
  // `context` names what the connection is for in error messages.
  LineConnection(std::string host, int port, std::string context);
  ~LineConnection();
  LineConnection(const LineConnection&) = delete;
  LineConnection& operator=(const LineConnection&) = delete;

  // Connects; kUnavailable if the host cannot be resolved or reached by `deadline`.
  absl::Status Open(absl::Time deadline);
  // Sends all of `bytes`; precondition: Open succeeded.
  absl::Status Send(absl::string_view bytes, absl::Time deadline);
  // Returns the next line without its "\r\n" (or "\n"); precondition: Open succeeded.
  absl::StatusOr<std::string> ReadLine(absl::Time deadline);

  // kUnavailable with this connection's host, port and context before `why`.
  absl::Status Unavailable(absl::string_view why) const;

 private:
  absl::Status Wait(short events, absl::Time deadline);

  const std::string host_;
  const int port_;
  const std::string context_;
  int fd_ = -1;
  std::string buffer_;  // received bytes not yet returned
  size_t scanned_ = 0;  // bytes of buffer_ known to hold no '\n'
};

}  // namespace cachelab::memcached_internal

#endif  // CACHELAB_REFERENCE_MEMCACHED_INTERNAL_LINE_CONNECTION_H_
