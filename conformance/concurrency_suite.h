// ConcurrencySuite: for engines that declare thread_safe, calls from several threads at once
// keep every invariant, and each value read is one that was written for that key. The fixture
// validates the engine after the threads join (size, capacity, statistics against the hits and
// misses the threads observed). Longer and harder races live in //stress.
#ifndef CACHELAB_CONFORMANCE_CONCURRENCY_SUITE_H_
#define CACHELAB_CONFORMANCE_CONCURRENCY_SUITE_H_

#include <atomic>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "conformance/internal/fixture.h"
#include "reference/mutex.h"

namespace cachelab::conformance {

template <typename Factory>
class ConcurrencySuite : public CacheTest<Factory> {
 protected:
  static constexpr int kThreads = 4;
  static constexpr int kCallsPerThread = 5000;

  void SetUp() override {
    if (!this->Caps().thread_safe) GTEST_SKIP() << "engine is not declared thread-safe";
  }

  // Runs body(thread_index) on kThreads threads released together.
  template <typename Body>
  static void RunTogether(Body body) {
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        body(t);
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
};
TYPED_TEST_SUITE_P(ConcurrencySuite);

TYPED_TEST_P(ConcurrencySuite, ConcurrentCallsKeepTheInvariants) {
  StringCache& cache = this->Make(16);
  const std::optional<size_t> capacity = cache.Capacity();
  std::atomic<int> wrong_values{0};
  std::atomic<int> over_capacity{0};
  std::atomic<int> failed_calls{0};
  this->RunTogether([&](int t) {
    std::mt19937 rng(t);
    for (int i = 0; i < TestFixture::kCallsPerThread; ++i) {
      const std::string key = absl::StrCat("k", rng() % 64);
      switch (rng() % 8) {
        case 0:
        case 1:
        case 2: {
          auto found = cache.Lookup(key);
          if (!found.ok()) ++failed_calls;
          if (found.ok() && found->has_value() && !absl::StartsWith(**found, key + "#")) {
            ++wrong_values;
          }
          break;
        }
        case 3:
          if (!cache.Erase(key).ok()) ++failed_calls;
          break;
        case 4: {
          auto size = cache.Size();
          if (!size.ok()) ++failed_calls;
          if (size.ok() && capacity.has_value() && *size > *capacity) ++over_capacity;
          break;
        }
        default:
          if (!cache.Insert(key, absl::StrCat(key, "#", t, ":", i)).ok()) ++failed_calls;
      }
    }
  });
  EXPECT_EQ(wrong_values.load(), 0) << "a lookup returned a value written for another key";
  EXPECT_EQ(over_capacity.load(), 0) << "Size() was above the capacity during the run";
  EXPECT_EQ(failed_calls.load(), 0);
}

TYPED_TEST_P(ConcurrencySuite, LastWriterOfAKeyWins) {
  StringCache& cache = this->Make(4);
  std::atomic<int> failed{0};
  Mutex mu;
  std::string first_failure;
  this->RunTogether([&](int t) {
    for (int i = 0; i < TestFixture::kCallsPerThread; ++i) {
      const absl::Status status = cache.Insert("shared", absl::StrCat(t, ":", i));
      if (!status.ok() && failed.fetch_add(1) == 0) {
        MutexLock lock(&mu);
        first_failure = status.ToString();
      }
    }
  });
  ASSERT_EQ(failed.load(), 0) << "inserts failed under contention on one key; the first: "
                              << first_failure;
  const std::optional<std::string> value = Get(cache, std::string("shared"));
  ASSERT_TRUE(value.has_value());
  bool is_a_final_write = false;
  for (int t = 0; t < TestFixture::kThreads; ++t) {
    is_a_final_write |= *value == absl::StrCat(t, ":", TestFixture::kCallsPerThread - 1);
  }
  EXPECT_TRUE(is_a_final_write) << "the surviving value " << *value
                                << " is not the last write of any thread";
  const CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.insertions, 1u);
  EXPECT_EQ(stats.updates,
            uint64_t{TestFixture::kThreads} * TestFixture::kCallsPerThread - 1);
}

REGISTER_TYPED_TEST_SUITE_P(ConcurrencySuite, ConcurrentCallsKeepTheInvariants,
                            LastWriterOfAKeyWins);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_CONCURRENCY_SUITE_H_
