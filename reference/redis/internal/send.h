// SendBuffered: sends the commands hiredis has buffered on a blocking context, without SIGPIPE.
//
// hiredis 0.14 (Debian's) flushes its buffer with write(2), so a server lost while a command is
// being sent raises SIGPIPE, whose default action ends the whole process (hiredis issue #1229,
// open). A library must not change the process's signal dispositions, and blocking the signal
// around every call costs three system calls (measured: +5-8% per round trip on loopback). So the
// buffer is sent here with send(MSG_NOSIGNAL) before redisGetReply, which then finds nothing to
// write and only reads. This reads hiredis 0.14's public `obuf` (an sds string); the static_assert
// below stops a build against another major version, whose buffer is a different type.
//
// Thread-safety: as the context (one thread at a time).
#ifndef CACHELAB_REFERENCE_REDIS_INTERNAL_SEND_H_
#define CACHELAB_REFERENCE_REDIS_INTERNAL_SEND_H_

#include <hiredis/hiredis.h>

namespace cachelab::internal {

static_assert(HIREDIS_MAJOR == 0 && HIREDIS_MINOR >= 14,
              "SendBuffered reads hiredis 0.14's write buffer; check it against this version");

// Sends all of `context`'s buffered output and empties the buffer. Returns 0, or the errno of the
// failed send (EPIPE or ECONNRESET: the server is gone; EAGAIN: the send timeout passed); on
// failure the context must not be used again.
int SendBuffered(redisContext* context);

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_REDIS_INTERNAL_SEND_H_
