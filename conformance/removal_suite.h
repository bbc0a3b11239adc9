// RemovalSuite: Cache::SetRemovalListener (cache.h). Every eviction and expiration the
// statistics count is reported once, with its key and cause, before the call that removed it
// returns and without the engine's lock held; removals the caller asked for are not reported;
// engines that do not declare reports_removals refuse a listener with kUnimplemented.
#ifndef CACHELAB_CONFORMANCE_REMOVAL_SUITE_H_
#define CACHELAB_CONFORMANCE_REMOVAL_SUITE_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conformance/internal/fixture.h"
#include "conformance/internal/removals.h"

namespace cachelab::conformance {

template <typename Factory>
class RemovalSuite : public CacheTest<Factory> {
 protected:
  // Sets a recording listener on `cache`; a refusal fails the test.
  std::shared_ptr<Removals> Listen(StringCache& cache) {
    auto removals = std::make_shared<Removals>();
    const absl::Status status = cache.SetRemovalListener(removals->Listener(removals));
    EXPECT_TRUE(status.ok()) << "an engine declaring reports_removals refused a listener: "
                             << status;
    return removals;
  }
  static std::set<std::string> Present(StringCache& cache) {
    auto keys = cache.Keys();
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? std::set<std::string>(keys->begin(), keys->end()) : std::set<std::string>();
  }
};
TYPED_TEST_SUITE_P(RemovalSuite);

#define CACHELAB_REQUIRE_REPORTS() \
  CACHELAB_REQUIRE(this->Caps().reports_removals, "engine does not declare reports_removals")

TYPED_TEST_P(RemovalSuite, AnEngineThatDoesNotReportRefusesAListener) {
  CACHELAB_REQUIRE(!this->Caps().reports_removals, "engine declares reports_removals");
  StringCache& cache = this->Make(4);
  const absl::Status status = cache.SetRemovalListener([](const std::string&, RemovalCause) {});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented) << status;
}

TYPED_TEST_P(RemovalSuite, EveryEvictionIsReportedWithItsVictimBeforeTheInsertReturns) {
  CACHELAB_REQUIRE_REPORTS();
  CACHELAB_REQUIRE(this->Caps().bounded(), "engine never evicts");
  StringCache& cache = this->Make(3);
  auto removals = this->Listen(cache);
  std::set<std::string> written;
  for (int i = 0; i < 8; ++i) {
    const std::string key = absl::StrCat("k", i);
    ASSERT_TRUE(cache.Insert(key, "v").ok());
    written.insert(key);
    EXPECT_EQ(removals->Count(), cache.Stats().evictions)
        << "after inserting " << key << ": reports and the eviction counter differ";
  }
  const std::vector<std::string> evicted = removals->Keys(RemovalCause::kEvicted);
  std::set<std::string> accounted = this->Present(cache);
  for (const std::string& key : evicted) {
    EXPECT_TRUE(accounted.insert(key).second) << key << " was reported but is still there, "
                                              << "or was reported twice";
  }
  EXPECT_EQ(accounted, written) << "every key written is either present or reported evicted";
  const EvictionPolicy policy = this->Caps().eviction;
  if (policy == EvictionPolicy::kLru || policy == EvictionPolicy::kFifo ||
      policy == EvictionPolicy::kLfu) {  // no uses: the oldest go first
    EXPECT_EQ(evicted, (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4"}));
  }
}

TYPED_TEST_P(RemovalSuite, EveryExpirationIsReportedHoweverItIsFound) {
  CACHELAB_REQUIRE_REPORTS();
  for (TtlMode mode : this->TtlModes()) {
    SCOPED_TRACE(TtlModeName(mode));
    StringCache& cache = this->MakeExpiring(mode, 8, absl::Seconds(10));
    auto removals = this->Listen(cache);
    for (const char* key : {"looked-up", "erased", "written-over", "purged"}) {
      ASSERT_TRUE(this->Put(mode, cache, key, "v").ok());
    }
    this->Advance(absl::Seconds(10));
    EXPECT_EQ(Get(cache, std::string("looked-up")), std::nullopt);
    EXPECT_EQ(removals->Keys(RemovalCause::kExpired), std::vector<std::string>{"looked-up"})
        << "an expiration found by a lookup is reported before the lookup returns";
    EXPECT_EQ(cache.Erase("erased").value_or(true), false);
    ASSERT_TRUE(cache.Insert("written-over", "w").ok());
    EXPECT_EQ(SizeOf(cache), 1u);
    std::vector<std::string> expired = removals->Keys(RemovalCause::kExpired);
    std::sort(expired.begin(), expired.end());
    EXPECT_EQ(expired,
              (std::vector<std::string>{"erased", "looked-up", "purged", "written-over"}));
    EXPECT_EQ(expired.size(), cache.Stats().expirations);
    EXPECT_TRUE(removals->Keys(RemovalCause::kEvicted).empty());
  }
}

TYPED_TEST_P(RemovalSuite, RemovalsTheCallerAsksForAreNotReported) {
  CACHELAB_REQUIRE_REPORTS();
  StringCache& cache = this->Make(8);
  auto removals = this->Listen(cache);
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(cache.Insert(key, "v").ok());
  ASSERT_TRUE(cache.Insert("a", "overwritten").ok());
  ASSERT_TRUE(cache.Erase("b").ok());
  if (this->Caps().per_entry_ttl) {
    ASSERT_TRUE(cache.InsertWithTtl("c", "gone", absl::ZeroDuration()).ok());
  }
  ASSERT_TRUE(cache.Clear().ok());
  EXPECT_EQ(removals->Count(), 0u) << "overwrites, erasures and Clear() are the caller's own";
}

TYPED_TEST_P(RemovalSuite, ANullListenerStopsTheReports) {
  CACHELAB_REQUIRE_REPORTS();
  CACHELAB_REQUIRE(this->Caps().bounded(), "engine never evicts");
  StringCache& cache = this->Make(1);
  auto removals = this->Listen(cache);
  ASSERT_TRUE(cache.Insert("a", "v").ok());
  ASSERT_TRUE(cache.Insert("b", "v").ok());
  ASSERT_EQ(removals->Count(), 1u);
  ASSERT_TRUE(cache.SetRemovalListener(nullptr).ok());
  ASSERT_TRUE(cache.Insert("c", "v").ok());
  EXPECT_EQ(removals->Count(), 1u);
  EXPECT_EQ(cache.Stats().evictions, 2u);
}

// The listener calls back into the engine from another thread and waits for the answer, at
// most 2 s: an engine that reports while holding its lock makes that call wait (or, called
// from the listener's own thread, deadlock).
TYPED_TEST_P(RemovalSuite, TheListenerIsCalledWithoutTheEnginesLockHeld) {
  CACHELAB_REQUIRE_REPORTS();
  CACHELAB_REQUIRE(this->Caps().bounded(), "engine never evicts");
  CACHELAB_REQUIRE(this->Caps().thread_safe, "engine is not thread-safe");
  StringCache& cache = this->Make(1);
  auto blocked = std::make_shared<std::atomic<int>>(0);
  std::vector<std::future<size_t>> calls;
  ASSERT_TRUE(cache
                  .SetRemovalListener([&cache, &calls, blocked](const std::string&, RemovalCause) {
                    calls.push_back(std::async(std::launch::async,
                                               [&cache] { return cache.Size().value_or(99); }));
                    if (calls.back().wait_for(std::chrono::seconds(2)) !=
                        std::future_status::ready) {
                      ++*blocked;
                    }
                  })
                  .ok());
  ASSERT_TRUE(cache.Insert("a", "v").ok());
  ASSERT_TRUE(cache.Insert("b", "v").ok());
  ASSERT_TRUE(cache.SetRemovalListener(nullptr).ok());
  ASSERT_EQ(calls.size(), 1u) << "the eviction was not reported";
  EXPECT_EQ(blocked->load(), 0) << "a call from the listener waited for the engine's lock";
  EXPECT_EQ(calls[0].get(), 1u);
}

TYPED_TEST_P(RemovalSuite, ConcurrentEvictionsAreEachReportedOnce) {
  CACHELAB_REQUIRE_REPORTS();
  CACHELAB_REQUIRE(this->Caps().bounded(), "engine never evicts");
  CACHELAB_REQUIRE(this->Caps().thread_safe, "engine is not thread-safe");
  StringCache& cache = this->Make(16);
  auto removals = this->Listen(cache);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 500; ++i) (void)cache.Insert(absl::StrCat("t", t, ".", i), "v");
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::vector<std::string> evicted = removals->Keys(RemovalCause::kEvicted);
  EXPECT_EQ(evicted.size(), cache.Stats().evictions);
  EXPECT_EQ(std::set<std::string>(evicted.begin(), evicted.end()).size(), evicted.size())
      << "a key was reported twice";
  EXPECT_EQ(evicted.size() + SizeOf(cache), 2000u);
}

#undef CACHELAB_REQUIRE_REPORTS

REGISTER_TYPED_TEST_SUITE_P(RemovalSuite, AnEngineThatDoesNotReportRefusesAListener,
                            EveryEvictionIsReportedWithItsVictimBeforeTheInsertReturns,
                            EveryExpirationIsReportedHoweverItIsFound,
                            RemovalsTheCallerAsksForAreNotReported, ANullListenerStopsTheReports,
                            TheListenerIsCalledWithoutTheEnginesLockHeld,
                            ConcurrentEvictionsAreEachReportedOnce);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_REMOVAL_SUITE_H_
