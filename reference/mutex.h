// Mutex and MutexLock: an exclusive lock with abseil's thread-safety annotations, over
// std::mutex.
//
// Why not absl::Mutex: Debian's abseil is a prebuilt shared library without ThreadSanitizer
// instrumentation, so TSan cannot see absl::Mutex's lock and unlock and reports false races.
// std::mutex goes through pthread, which TSan intercepts. The annotations let ABSL_GUARDED_BY
// and ABSL_EXCLUSIVE_LOCKS_REQUIRED state the locking rules as with absl::Mutex.
//
// Thread-safety: that of std::mutex. Not promised: fairness, recursion (locking twice from one
// thread deadlocks).
#ifndef CACHELAB_REFERENCE_MUTEX_H_
#define CACHELAB_REFERENCE_MUTEX_H_

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace cachelab {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Takes the lock if it is free; returns whether it did. Never waits.
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mu_.try_lock(); }
  // For std::condition_variable_any and std::unique_lock.
  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  std::mutex mu_;
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
