// What the battery cannot check generically: the tlru time-to-use function, the seeded random
// policy across seeds, the real default clock, each engine's declared capabilities, and the
// lookups that take no lock.
#include "reference/memory/memory_cache.h"

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reference/mutex.h"

namespace cachelab {
namespace {

using StringCache = Cache<std::string, std::string>;

class MemoryCacheTest : public ::testing::Test {
 protected:
  CacheOptions Options(size_t capacity) {
    CacheOptions options;
    options.capacity = capacity;
    options.clock = clock_;
    return options;
  }
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

// Deadline = now + one second per byte of the value.
absl::Time SecondPerByte(const std::string&, const std::string& value, absl::Time now) {
  return now + absl::Seconds(value.size());
}

TEST_F(MemoryCacheTest, TlruTakesPlainInsertDeadlinesFromTheTimeToUseFunction) {
  auto cache = NewMemoryCache<std::string, std::string>(MemoryEngine::kTlru, Options(4),
                                                        SecondPerByte);
  ASSERT_TRUE(cache.ok()) << cache.status();
  ASSERT_TRUE((*cache)->Insert("short", "x").ok());
  ASSERT_TRUE((*cache)->Insert("long", "xxx").ok());
  clock_->Advance(absl::Seconds(1));
  EXPECT_EQ(*(*cache)->Lookup("short"), std::nullopt);
  EXPECT_EQ(*(*cache)->Lookup("long"), "xxx");
  clock_->Advance(absl::Seconds(2));
  EXPECT_EQ(*(*cache)->Lookup("long"), std::nullopt);
  EXPECT_EQ((*cache)->Stats().expirations, 2u);
}

TEST_F(MemoryCacheTest, TlruTimeToUseAtOrBeforeNowStoresNothingAndDropsTheOldValue) {
  auto cache = NewMemoryCache<std::string, std::string>(MemoryEngine::kTlru, Options(4),
                                                        SecondPerByte);
  ASSERT_TRUE(cache.ok());
  ASSERT_TRUE((*cache)->Insert("k", "old").ok());
  ASSERT_TRUE((*cache)->Insert("k", "").ok());  // deadline == now: already expired
  EXPECT_EQ(*(*cache)->Lookup("k"), std::nullopt);
  EXPECT_EQ((*cache)->Stats().removals, 1u);
}

TEST_F(MemoryCacheTest, InsertWithTtlOverridesTheTimeToUseFunction) {
  auto cache = NewMemoryCache<std::string, std::string>(MemoryEngine::kTlru, Options(4),
                                                        SecondPerByte);
  ASSERT_TRUE(cache.ok());
  ASSERT_TRUE((*cache)->InsertWithTtl("k", "x", absl::Seconds(10)).ok());
  clock_->Advance(absl::Seconds(5));
  EXPECT_EQ(*(*cache)->Lookup("k"), "x");
}

TEST_F(MemoryCacheTest, TimeToUseFunctionIsRefusedForOtherEngines) {
  auto cache = NewMemoryCache<std::string, std::string>(MemoryEngine::kLru, Options(4),
                                                        SecondPerByte);
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(cache.status().message().find("tlru"), absl::string_view::npos) << cache.status();
}

std::vector<std::string> SortedKeysAfterChurn(uint64_t seed) {
  CacheOptions options;
  options.capacity = 5;
  options.seed = seed;
  auto cache = NewMemoryCache<std::string, std::string>(MemoryEngine::kRandom, options);
  EXPECT_TRUE(cache.ok());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE((*cache)->Insert(std::to_string(i), "v").ok());
  std::vector<std::string> keys = *(*cache)->Keys();
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST_F(MemoryCacheTest, RandomPolicyReproducesPerSeedAndVariesAcrossSeeds) {
  std::set<std::vector<std::string>> outcomes;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    EXPECT_EQ(SortedKeysAfterChurn(seed), SortedKeysAfterChurn(seed)) << "seed " << seed;
    outcomes.insert(SortedKeysAfterChurn(seed));
  }
  EXPECT_GT(outcomes.size(), 5u) << "different seeds should usually keep different keys";
}

TEST_F(MemoryCacheTest, WithoutAClockTheRealClockIsUsed) {
  CacheOptions options;
  options.capacity = 2;
  auto cache = NewMemoryCache<std::string, std::string>(MemoryEngine::kLru, options);
  ASSERT_TRUE(cache.ok());
  ASSERT_TRUE((*cache)->InsertWithTtl("k", "v", absl::Hours(1)).ok());
  EXPECT_EQ(*(*cache)->Lookup("k"), "v");
}

TEST_F(MemoryCacheTest, EachEngineDeclaresItsPolicyAndTtlSupport) {
  struct Expected {
    MemoryEngine engine;
    EvictionPolicy policy;
    bool requires_default_ttl;
  };
  for (const Expected& e : std::vector<Expected>{
           {MemoryEngine::kLru, EvictionPolicy::kLru, false},
           {MemoryEngine::kLfu, EvictionPolicy::kLfu, false},
           {MemoryEngine::kFifo, EvictionPolicy::kFifo, false},
           {MemoryEngine::kRandom, EvictionPolicy::kRandom, false},
           {MemoryEngine::kTtl, EvictionPolicy::kLru, true},
           {MemoryEngine::kTlru, EvictionPolicy::kLru, false},
           {MemoryEngine::kUnbounded, EvictionPolicy::kNone, false}}) {
    const Capabilities caps = MemoryEngineCapabilities(e.engine);
    SCOPED_TRACE(MemoryEngineName(e.engine));
    EXPECT_EQ(caps.eviction, e.policy);
    EXPECT_EQ(caps.requires_default_ttl, e.requires_default_ttl);
    EXPECT_TRUE(caps.thread_safe && caps.per_entry_ttl && caps.default_ttl);
    EXPECT_FALSE(caps.persistent || caps.multi_process);
  }
}

// A key with hashing and equality but no operator<: all the engines need.
struct Point {
  int x, y;
  bool operator==(const Point&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Point& p) {
    return H::combine(std::move(h), p.x, p.y);
  }
};

TEST_F(MemoryCacheTest, KeysNeedOnlyHashingAndEquality) {
  auto cache = NewMemoryCache<Point, int>(MemoryEngine::kLfu, Options(2));
  ASSERT_TRUE(cache.ok());
  ASSERT_TRUE((*cache)->InsertWithTtl(Point{1, 2}, 3, absl::Seconds(1)).ok());
  EXPECT_EQ(*(*cache)->Lookup(Point{1, 2}), 3);
  EXPECT_EQ(*(*cache)->Lookup(Point{2, 1}), std::nullopt);
}

// A clock that, once armed, makes its next reader wait: a write that reads it under the
// engine's lock then holds the lock until the test releases it.
class GateClock final : public Clock {
 public:
  absl::Time Now() const override {
    if (armed_.exchange(false)) {
      entered_.Notify();
      release_.WaitForNotification();
    }
    return absl::UnixEpoch();
  }
  mutable std::atomic<bool> armed_{false};
  mutable Notification entered_;
  mutable Notification release_;
};

TEST_F(MemoryCacheTest, FifoRandomAndUnboundedLookupsDoNotWaitForAWriter) {
  for (MemoryEngine engine :
       {MemoryEngine::kFifo, MemoryEngine::kRandom, MemoryEngine::kUnbounded}) {
    SCOPED_TRACE(MemoryEngineName(engine));
    auto clock = std::make_shared<GateClock>();
    CacheOptions options;
    if (engine != MemoryEngine::kUnbounded) options.capacity = 4;
    options.clock = clock;
    auto cache = NewMemoryCache<std::string, std::string>(engine, options);
    ASSERT_TRUE(cache.ok()) << cache.status();
    ASSERT_TRUE((*cache)->Insert("a", "1").ok());  // no deadline: the clock is not read
    clock->armed_ = true;
    std::thread writer([&] {
      EXPECT_TRUE((*cache)->InsertWithTtl("b", "2", absl::Hours(1)).ok());
    });
    clock->entered_.WaitForNotification();  // the writer holds the lock, waiting on the clock
    auto lookups = std::async(std::launch::async, [&] {
      return std::make_pair(*(*cache)->Lookup("a"), *(*cache)->Lookup("absent"));
    });
    const bool done = lookups.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    clock->release_.Notify();
    writer.join();
    ASSERT_TRUE(done) << "a lookup waited for the writer's lock";
    EXPECT_EQ(lookups.get(), std::make_pair(std::optional<std::string>("1"),
                                            std::optional<std::string>()));
    EXPECT_EQ((*cache)->Stats().hits, 1);
    EXPECT_EQ((*cache)->Stats().misses, 1);
  }
}

}  // namespace
}  // namespace cachelab
