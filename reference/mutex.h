// Mutex and MutexLock: an exclusive lock with abseil's thread-safety annotations. SharedMutex,
// ReaderMutexLock and WriterMutexLock: a reader-writer lock with the same annotations, over a
// pthread rwlock. Notification: a one-shot event (as absl::Notification) over them and a
// condition variable.
//
// Why not absl::Mutex: Debian's abseil is a prebuilt shared library without ThreadSanitizer
// instrumentation, so TSan cannot see absl::Mutex's lock and unlock and reports false races.
// Mutex is a std::atomic (which TSan sees) with a futex to sleep on; SharedMutex goes through
// pthread calls TSan intercepts. The annotations let ABSL_GUARDED_BY and
// ABSL_EXCLUSIVE_LOCKS_REQUIRED state the locking rules as with absl::Mutex.
// Why Mutex spins with backoff before it sleeps: a cache's calls hold the lock for tens to
// hundreds of nanoseconds, far less than a futex sleep and wake-up costs. A waiter that polls
// the lock's cache line often takes it away from the holder on every poll, and takes the lock
// the moment it is free; one that backs off exponentially lets the holder run several calls in
// a row with the line in its own cache (glibc's adaptive mutex polls without backoff and spins
// about 100 times). What two threads still lose is the guarded data moving between cores: the
// exact LRU's two-thread hits went from about 0.12x to about 0.3x one thread's throughput. A
// waiter sleeps on a futex once it has spun for about 160 us (mutex.cc says why these numbers),
// so threads that outnumber the cores do not spin away the holder's time for long.
//
// Thread-safety: that of a mutex (rwlock). Not promised: fairness (a thread that releases
// the lock may take it again before a backing-off waiter sees it free), recursion (locking
// twice from one thread deadlocks; so does a reader lock taken twice while a writer waits).
#ifndef CACHELAB_REFERENCE_MUTEX_H_
#define CACHELAB_REFERENCE_MUTEX_H_

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace cachelab {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (!TryLock()) LockSlow();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (state_.exchange(kFree, std::memory_order_release) == kSleepers) WakeOne();
  }
  // Takes the lock if it is free; returns whether it did. Never waits.
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    int expected = kFree;
    return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  // For std::condition_variable_any and std::unique_lock.
  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { Lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { Unlock(); }

  // Whether a waiter has stopped spinning and may be asleep (tests only).
  bool MaySleepForTesting() const { return state_.load(std::memory_order_relaxed) == kSleepers; }

 private:
  static constexpr int kFree = 0;
  static constexpr int kLocked = 1;
  static constexpr int kSleepers = 2;  // locked, and a waiter may be asleep on the futex

  void LockSlow();          // spins with backoff, then sleeps (mutex.cc)
  bool Spin(int taken_as);  // true if it took the lock, leaving `taken_as` in state_
  void WakeOne();

  std::atomic<int> state_{kFree};
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

class ABSL_LOCKABLE SharedMutex {
 public:
  SharedMutex() {
    // Writers first: a writer waiting is not starved by readers that keep coming.
    pthread_rwlockattr_t attributes;
    pthread_rwlockattr_init(&attributes);
    pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&mu_, &attributes);
    pthread_rwlockattr_destroy(&attributes);
  }
  ~SharedMutex() { pthread_rwlock_destroy(&mu_); }
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { pthread_rwlock_wrlock(&mu_); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&mu_); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { pthread_rwlock_rdlock(&mu_); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&mu_); }

 private:
  pthread_rwlock_t mu_;
};

// Holds `mu` shared for the scope.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(SharedMutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// Holds `mu` exclusively for the scope.
class ABSL_SCOPED_LOCKABLE WriterMutexLock {
 public:
  explicit WriterMutexLock(SharedMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~WriterMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  WriterMutexLock(const WriterMutexLock&) = delete;
  WriterMutexLock& operator=(const WriterMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// An event that happens once: Notify() (at most once) releases every WaitForNotification(), past
// and future, and what the notifier wrote before Notify() is visible to them after.
class Notification {
 public:
  void Notify() {
    {
      MutexLock lock(&mu_);
      notified_ = true;
    }
    changed_.notify_all();
  }
  void WaitForNotification() {
    std::unique_lock<Mutex> lock(mu_);
    changed_.wait(lock, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return notified_; });
  }

 private:
  Mutex mu_;
  std::condition_variable_any changed_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MUTEX_H_
