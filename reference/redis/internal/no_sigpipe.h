// NoSigpipe: while alive, a write on this thread to a socket or pipe whose reader is gone fails
// with EPIPE instead of raising SIGPIPE, whose default action ends the process.
//
// hiredis 0.14 writes with write(2), without MSG_NOSIGNAL, so a server lost in the middle of a
// large command would otherwise kill the process that uses the cache. The guard blocks SIGPIPE
// on the calling thread and, at the end, takes back a SIGPIPE that became pending meanwhile; one
// that was pending before it began belongs to someone else and stays pending. The process's
// signal dispositions are left alone (a library must not change them).
//
// Thread-safety: per thread; a guard must end on the thread that made it. Cost: three system
// calls (about a microsecond), small against a network round trip.
#ifndef CACHELAB_REFERENCE_REDIS_INTERNAL_NO_SIGPIPE_H_
#define CACHELAB_REFERENCE_REDIS_INTERNAL_NO_SIGPIPE_H_

#include <pthread.h>
#include <signal.h>
#include <time.h>

namespace cachelab::internal {

class NoSigpipe {
 public:
  NoSigpipe() {
    sigset_t pipe = PipeSet();
    pthread_sigmask(SIG_BLOCK, &pipe, &previous_mask_);
    was_pending_ = Pending();
  }
  ~NoSigpipe() {
    if (!was_pending_ && Pending()) {
      sigset_t pipe = PipeSet();
      const timespec now = {0, 0};
      sigtimedwait(&pipe, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  static sigset_t PipeSet() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return set;
  }
  static bool Pending() {
    sigset_t pending;
    sigpending(&pending);
    return sigismember(&pending, SIGPIPE) == 1;
  }

  sigset_t previous_mask_;
  bool was_pending_ = false;
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_REDIS_INTERNAL_NO_SIGPIPE_H_
