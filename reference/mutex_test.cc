#include "reference/mutex.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace cachelab {
namespace {

TEST(MutexTest, TryLockTakesOnlyAFreeLock) {
  Mutex mu;
  ASSERT_TRUE(mu.TryLock());
  EXPECT_FALSE(mu.TryLock());
  mu.Unlock();
  EXPECT_TRUE(mu.TryLock());
  mu.Unlock();
}

// Increments that are not atomic stay exact only if the lock excludes: a broken lock loses some
// of the 4 x 200,000 (and ThreadSanitizer reports the race).
TEST(MutexTest, ExcludesUnderContention) {
  Mutex mu;
  long counter = 0;  // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200000; ++i) {
        MutexLock lock(&mu);
        counter = counter + 1;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter, 4 * 200000);
}

// Waiters that stop spinning sleep on the futex; each Unlock wakes one, and every one of them
// gets the lock in the end.
TEST(MutexTest, WaitersThatSleepAreWokenOneByOne) {
  Mutex mu;
  int entered = 0;  // guarded by mu
  mu.Lock();
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      MutexLock lock(&mu);
      ++entered;
    });
  }
  while (!mu.MaySleepForTesting()) std::this_thread::yield();  // a waiter gave up spinning
  mu.Unlock();
  for (std::thread& thread : threads) thread.join();
  MutexLock lock(&mu);
  EXPECT_EQ(entered, 3);
}

TEST(MutexTest, NotificationReleasesWaitersBeforeAndAfterNotify) {
  Notification done;
  std::thread early([&] { done.WaitForNotification(); });
  done.Notify();
  early.join();
  done.WaitForNotification();  // returns at once
}

}  // namespace
}  // namespace cachelab
