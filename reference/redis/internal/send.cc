#include "reference/redis/internal/send.h"

#include <errno.h>
#include <sys/socket.h>

namespace cachelab::internal {

int SendBuffered(redisContext* context) {
  const size_t length = sdslen(context->obuf);
  size_t sent = 0;
  while (sent < length) {
    const ssize_t n = send(context->fd, context->obuf + sent, length - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    sent += static_cast<size_t>(n);
  }
  sdssetlen(context->obuf, 0);
  context->obuf[0] = '\0';
  return 0;
}

}  // namespace cachelab::internal
