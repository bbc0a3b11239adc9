// Mutex and MutexLock: an exclusive lock with abseil's thread-safety annotations, over a
// pthread mutex of glibc's adaptive kind.
//
// Why not absl::Mutex: Debian's abseil is a prebuilt shared library without ThreadSanitizer
// instrumentation, so TSan cannot see absl::Mutex's lock and unlock and reports false races.
// pthread goes through calls TSan intercepts. The annotations let ABSL_GUARDED_BY and
// ABSL_EXCLUSIVE_LOCKS_REQUIRED state the locking rules as with absl::Mutex.
// Why adaptive (PTHREAD_MUTEX_ADAPTIVE_NP): a waiter spins briefly before it sleeps, so a cache
// whose calls hold the lock for tens of nanoseconds does not collapse into futex sleeps and
// wake-ups when two threads meet (as std::mutex, a plain pthread mutex, does).
//
// Thread-safety: that of a pthread mutex. Not promised: fairness, recursion (locking twice from
// one thread deadlocks).
#ifndef CACHELAB_REFERENCE_MUTEX_H_
#define CACHELAB_REFERENCE_MUTEX_H_

#include <pthread.h>

#include "absl/base/thread_annotations.h"

namespace cachelab {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&mu_, &attributes);
    pthread_mutexattr_destroy(&attributes);
  }
  ~Mutex() { pthread_mutex_destroy(&mu_); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { pthread_mutex_lock(&mu_); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { pthread_mutex_unlock(&mu_); }
  // Takes the lock if it is free; returns whether it did. Never waits.
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return pthread_mutex_trylock(&mu_) == 0; }
  // For std::condition_variable_any and std::unique_lock.
  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { Lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { Unlock(); }

 private:
  pthread_mutex_t mu_;
};

// Holds `mu` for the scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MUTEX_H_
