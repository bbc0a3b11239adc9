// FastCache's own behaviour beyond the battery: determinism, concurrency under load, no
// allocation on a hit and none for the node of an evicting insert, weights, and the timer wheel.
#include "reference/fast/fast_cache.h"

#include <atomic>
#include <cstdlib>
#include <latch>
#include <new>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "reference/fast/internal/timer_wheel.h"

// Counts allocations made by the calling thread while counting is on, and apart from them those
// of over-aligned objects (the engine's nodes are the only ones).
namespace {
thread_local bool counting = false;
thread_local size_t allocations = 0;
thread_local size_t aligned_allocations = 0;
}  // namespace
void* operator new(size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
// The engine's nodes are over-aligned (one cache line for what readers load).
void* operator new(size_t size, std::align_val_t alignment) {
  if (counting) ++allocations, ++aligned_allocations;
  const size_t align = static_cast<size_t>(alignment);
  if (void* p = std::aligned_alloc(align, (size + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace cachelab {
namespace {

using fast_internal::TimerNode;
using fast_internal::TimerWheel;

CacheOptions Options(size_t capacity, std::shared_ptr<ManualClock> clock = nullptr) {
  CacheOptions options;
  options.capacity = capacity;
  options.clock = clock ? clock : std::make_shared<ManualClock>();
  options.seed = 7;
  return options;
}

TEST(FastCacheTest, SingleThreadedReplayIsDeterministic) {
  auto run = [] {
    auto cache = *NewFastCache<int, int>(Options(100));
    std::mt19937 rng(11);
    std::vector<int> hits;
    for (int i = 0; i < 50000; ++i) {
      const int key = static_cast<int>(std::pow(rng() % 1000 + 1, 1.3)) % 3000;
      auto found = cache->Lookup(key);
      hits.push_back(found->has_value());
      if (!found->has_value()) (void)cache->Insert(key, i);
    }
    auto keys = *cache->Keys();
    std::sort(keys.begin(), keys.end());
    return std::make_pair(hits, keys);
  };
  EXPECT_EQ(run(), run());
}

// Every key hashes alike, so every slot carries the same hash tag and every probe must compare
// keys: lookups, overwrites and erases still act on their own key only.
TEST(FastCacheTest, KeysWithEqualHashesAreToldApartByKey) {
  struct SameHash {
    size_t operator()(int) const { return 42; }
  };
  auto cache = *NewFastCache<int, int, SameHash>(Options(1000));
  for (int k = 0; k < 200; ++k) ASSERT_TRUE(cache->Insert(k, k * 3).ok());
  for (int k = 0; k < 200; k += 2) ASSERT_TRUE(cache->Erase(k).ok());
  for (int k = 1; k < 200; k += 4) ASSERT_TRUE(cache->Insert(k, -k).ok());
  for (int k = 0; k < 200; ++k) {
    const std::optional<int> expected =
        k % 2 == 0 ? std::nullopt : std::optional<int>(k % 4 == 1 ? -k : k * 3);
    EXPECT_EQ(*cache->Lookup(k), expected) << "key " << k;
  }
  EXPECT_EQ(*cache->Size(), 100u);
}

TEST(FastCacheTest, HitOnTriviallyCopyableValueDoesNotAllocate) {
  auto cache = *NewFastCache<uint64_t, uint64_t>(Options(1000));
  for (uint64_t k = 0; k < 500; ++k) ASSERT_TRUE(cache->Insert(k, k * 3).ok());
  for (uint64_t k = 0; k < 500; ++k) ASSERT_TRUE(cache->Lookup(k)->has_value());  // warm up
  // A lookup that fills this thread's read buffer drains every buffer into the policy under
  // the lock, and the policy may allocate then. A write drains the buffers too, so after each
  // write the next 15 lookups are pure hits; those are counted.
  size_t counted = 0;
  for (uint64_t round = 0; round < 30; ++round) {
    ASSERT_TRUE(cache->Insert(round, round * 3).ok());
    for (uint64_t k = 0; k < 15; ++k) {
      const uint64_t key = (round * 15 + k) % 500;
      counting = true;
      allocations = 0;
      auto found = cache->Lookup(key);
      counting = false;
      counted += allocations;
      ASSERT_TRUE(found.ok() && found->has_value());
      EXPECT_EQ(**found, key * 3);
    }
  }
  EXPECT_EQ(counted, 0u) << "a lookup hit allocated";
}

// A full cache frees a node for each one it adds: once evicted nodes have been reclaimed, an
// insert builds its node in their memory instead of allocating one.
TEST(FastCacheTest, EvictingInsertsBuildNodesInTheMemoryOfEvictedOnes) {
  auto cache = *NewFastCache<uint64_t, uint64_t>(Options(1000));
  uint64_t key = 0;
  for (; key < 20000; ++key) ASSERT_TRUE(cache->Insert(key, key).ok());  // full, then evicting
  constexpr uint64_t kInserts = 20000;
  counting = true;
  aligned_allocations = 0;
  for (uint64_t i = 0; i < kInserts; ++i, ++key) {
    if (!cache->Insert(key, key).ok()) break;
  }
  counting = false;
  EXPECT_EQ(*cache->Size(), 1000u);
  EXPECT_EQ(key, 40000u);
  EXPECT_LT(aligned_allocations, kInserts / 100) << "evicting inserts allocated their nodes";
}

TEST(FastCacheTest, SamplesReadsOnlyWhileSeveralThreadsRead) {
  auto made = *NewFastCache<int, int>(Options(100));
  auto& cache = dynamic_cast<fast_internal::FastCacheImpl<int, int, std::hash<int>>&>(*made);
  ASSERT_TRUE(cache.Insert(1, 10).ok());
  using State = fast_internal::ThreadState;
  // Thread a leaves reads waiting in its buffer and stays alive (an exited thread's slot, and
  // so its buffer, could go to b); b then fills its own buffer, and its drain finds two.
  std::latch a_read(1), b_done(1);
  std::thread a([&] {
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(cache.Lookup(1)->has_value());
    a_read.count_down();
    b_done.wait();
  });
  a_read.wait();
  std::thread b([&] {
    for (uint32_t i = 0; i < State::kCapacity; ++i) EXPECT_TRUE(cache.Lookup(1)->has_value());
  });
  b.join();
  EXPECT_TRUE(cache.SamplingReadsForTesting()) << "two threads' reads drained together";
  b_done.count_down();
  a.join();
  // Alone, this thread fills its buffer kSampleUnderContention times slower while sampling;
  // the drain then finds one buffer, and every read is recorded again.
  const uint32_t sampled_fill = State::kCapacity * State::kSampleUnderContention;
  for (uint32_t i = 0; i < State::kCapacity + 4; ++i) ASSERT_TRUE(cache.Lookup(1)->has_value());
  EXPECT_TRUE(cache.SamplingReadsForTesting()) << "reads were recorded one for one";
  for (uint32_t i = State::kCapacity + 4; i < sampled_fill; ++i) {
    ASSERT_TRUE(cache.Lookup(1)->has_value());
  }
  EXPECT_FALSE(cache.SamplingReadsForTesting()) << "one reader, still sampling";
  // Sampling changes what the policy sees, never the answers or the statistics.
  EXPECT_EQ(cache.Stats().hits, 5 + State::kCapacity + sampled_fill);
}

TEST(FastCacheTest, NeverHoldsMoreThanItsCapacityUnderConcurrentWriters) {
  auto cache = *NewFastCache<std::string, std::string>(Options(64));
  std::atomic<bool> stop{false};
  std::atomic<int> over{0}, wrong{0};
  std::thread watcher([&] {
    while (!stop.load()) {
      if (*cache->Size() > 64) ++over;
    }
  });
  std::vector<std::thread> writers;
  std::latch start(4);
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 rng(t);
      start.arrive_and_wait();
      for (int i = 0; i < 20000; ++i) {
        const std::string key = absl::StrCat("k", rng() % 500);
        if (rng() % 2) {
          (void)cache->Insert(key, key + "=" + std::to_string(i));
        } else if (auto found = cache->Lookup(key); found.ok() && found->has_value()) {
          if ((*found)->rfind(key + "=", 0) != 0) ++wrong;
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  watcher.join();
  EXPECT_EQ(over.load(), 0);
  EXPECT_EQ(wrong.load(), 0) << "a lookup returned a value written for another key";
  const CacheStats stats = cache->Stats();
  EXPECT_EQ(stats.Balance(), static_cast<int64_t>(*cache->Size()));
  EXPECT_GT(stats.evictions, 0u);
}

TEST(FastCacheTest, OverwritesRacingWithReadsAreNeverTorn) {
  // Values are strings long enough to live on the heap: a read of a freed or half-written
  // value would show as garbage (and under ASan as a use after free).
  auto cache = *NewFastCache<int, std::string>(Options(8));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        if (t == 0) {
          (void)cache->Insert(i % 4, std::string(64, static_cast<char>('a' + i % 26)));
        } else if (auto found = cache->Lookup(i % 4); found.ok() && found->has_value()) {
          const std::string& v = **found;
          if (v.size() != 64 || v.find_first_not_of(v[0]) != std::string::npos) ++bad;
        }
        if (t == 0 && i == 20000) stop = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(FastCacheTest, WeightBoundsTheTotalAndRefusesAnEntryHeavierThanIt) {
  FastCacheOptions<std::string, std::string> fast;
  fast.weigher = [](const std::string&, const std::string& v) { return v.size(); };
  fast.max_weight = 100;
  auto cache = *NewFastCache<std::string, std::string>(Options(1000), fast);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(cache->Insert(absl::StrCat("k", i), std::string(1 + i % 30, 'x')).ok());
    uint64_t total = 0;
    const std::vector<std::string> keys = *cache->Keys();
    for (const std::string& key : keys) total += (*cache->Lookup(key))->size();
    ASSERT_LE(total, 100u) << "after insert " << i;
  }
  EXPECT_EQ(cache->Insert("huge", std::string(101, 'x')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(cache->Lookup("huge")->has_value());
}

TEST(FastCacheTest, RefusesInconsistentWeightOptions) {
  FastCacheOptions<int, int> no_bound;
  no_bound.weigher = [](const int&, const int&) { return 1; };
  EXPECT_EQ((NewFastCache<int, int>(Options(10), no_bound).status().code()),
            absl::StatusCode::kInvalidArgument);
  FastCacheOptions<int, int> zero;
  zero.weigher = no_bound.weigher;
  zero.max_weight = 0;
  EXPECT_EQ((NewFastCache<int, int>(Options(10), zero).status().code()),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((NewFastCache<int, int>(CacheOptions{}).status().code()),
            absl::StatusCode::kInvalidArgument);
}

// ---- TimerWheel ----------------------------------------------------------------------------

TEST(TimerWheelTest, ExpiresEachNodeExactlyWhenItsDeadlinePasses) {
  // Deadlines spread over every level (nanoseconds to years), checked against a sorted set at
  // random advances of the clock.
  std::mt19937_64 rng(5);
  const int64_t start = 1'700'000'000'000'000'000;
  TimerWheel wheel(start);
  std::vector<TimerNode> nodes(3000);
  std::multiset<int64_t> pending;
  for (TimerNode& node : nodes) {
    const int shift = static_cast<int>(rng() % 58);
    node.deadline = start + static_cast<int64_t>(rng() % (int64_t{1} << shift));
    wheel.Schedule(&node);
    pending.insert(node.deadline);
  }
  for (size_t i = 0; i < nodes.size(); i += 7) {  // some are cancelled
    wheel.Cancel(&nodes[i]);
    pending.erase(pending.find(nodes[i].deadline));
  }
  int64_t now = start;
  while (!pending.empty()) {
    now += static_cast<int64_t>(rng() % (int64_t{1} << (rng() % 58)));
    std::multiset<int64_t> expired;
    wheel.Advance(now, [&](TimerNode* node) { expired.insert(node->deadline); });
    std::multiset<int64_t> due(pending.begin(), pending.upper_bound(now));
    ASSERT_EQ(expired, due) << "at " << now;
    pending.erase(pending.begin(), pending.upper_bound(now));
    ASSERT_EQ(wheel.size(), pending.size());
  }
}

TEST(TimerWheelTest, NodeDueInTheCurrentMillisecondExpiresAtItsNanosecond) {
  const int64_t start = int64_t{1} << 40;
  TimerWheel wheel(start);
  TimerNode node;
  node.deadline = start + 10;
  wheel.Schedule(&node);
  int expired = 0;
  wheel.Advance(start + 9, [&](TimerNode*) { ++expired; });
  EXPECT_EQ(expired, 0);
  wheel.Advance(start + 10, [&](TimerNode*) { ++expired; });
  EXPECT_EQ(expired, 1);
}

}  // namespace
}  // namespace cachelab
