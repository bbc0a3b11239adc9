// Memoized through Mcache: keys, single flight, errors, invalidation, registry, events, options.
#include "reference/memoize/memoize.h"

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "reference/memoize/front_ends.h"

namespace cachelab {
namespace {

// Waits (bounded) until `done()`; false on timeout, so a broken engine fails instead of hanging.
template <typename Done>
bool WaitUntil(Done done, absl::Duration limit = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(MemoizeTest, RunsTheFunctionOnceForRepeatedCalls) {
  int runs = 0;
  auto square = Mcache([&runs](int64_t x) { ++runs; return x * x; });
  ASSERT_TRUE(square.ok()) << square.status();
  EXPECT_EQ(*(**square)(3), 9);
  EXPECT_EQ(*(**square)(3), 9);
  EXPECT_EQ(*(**square)(4), 16);
  EXPECT_EQ(runs, 2);
  const MemoStats stats = (*square)->Stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.calls, 2u);
  EXPECT_DOUBLE_EQ(stats.HitRatio(), 1.0 / 3);
}

TEST(MemoizeTest, DifferentArgumentListsNeverShareAnEntry) {
  auto join = Mcache([](std::string a, std::string b) { return a + "|" + b; });
  ASSERT_TRUE(join.ok());
  EXPECT_EQ(*(**join)("a", "bc"), "a|bc");
  EXPECT_EQ(*(**join)("ab", "c"), "ab|c");
  EXPECT_EQ(*(**join)("bc", "a"), "bc|a");
  EXPECT_EQ((*join)->Stats().calls, 3u);
}

TEST(MemoizeTest, AThousandThreadsMissingOneKeyMakeOneCall) {
  constexpr int kThreads = 1000;
  std::atomic<int> runs{0};
  std::unique_ptr<Memoized<std::tuple<int>, int, int>> slow;
  // The run lasts until every other thread waits on it, so each of them is a miss.
  auto made = Mcache([&](int x) -> absl::StatusOr<int> {
    ++runs;
    if (!WaitUntil([&] { return slow->Stats().coalesced == kThreads - 1; })) {
      return absl::DeadlineExceededError("the other callers never joined the run");
    }
    return x + 1;
  });
  ASSERT_TRUE(made.ok());
  slow = *std::move(made);
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] { right += (*slow)(41).value_or(0) == 42; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(right.load(), kThreads);
  EXPECT_EQ(slow->Stats().misses, static_cast<uint64_t>(kThreads));
}

TEST(MemoizeTest, AnErrorReachesEveryWaiterAndIsNotCached) {
  constexpr int kThreads = 8;
  std::atomic<int> runs{0};
  std::unique_ptr<Memoized<std::tuple<int>, int, int>> flaky;
  auto made = Mcache([&](int x) -> absl::StatusOr<int> {
    if (++runs == 1) {
      WaitUntil([&] { return flaky->Stats().coalesced == kThreads - 1; });
      return absl::UnavailableError("backend down");
    }
    return x;
  });
  ASSERT_TRUE(made.ok());
  flaky = *std::move(made);
  std::vector<std::thread> threads;
  std::atomic<int> unavailable{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      unavailable += (*flaky)(7).status().code() == absl::StatusCode::kUnavailable;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unavailable.load(), kThreads);
  EXPECT_EQ(*(*flaky)(7), 7) << "the error was cached";
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(flaky->Stats().errors, 1u);
}

TEST(MemoizeTest, AnExceptionIsRethrownInEveryWaiterAndNotCached) {
  constexpr int kThreads = 4;
  std::atomic<int> runs{0};
  std::unique_ptr<Memoized<std::tuple<int>, int, int>> throwing;
  auto made = Mcache([&](int x) -> int {
    if (++runs == 1) {
      WaitUntil([&] { return throwing->Stats().coalesced == kThreads - 1; });
      throw std::runtime_error("boom");
    }
    return x;
  });
  ASSERT_TRUE(made.ok());
  throwing = *std::move(made);
  std::vector<std::thread> threads;
  std::atomic<int> thrown{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      try {
        (void)(*throwing)(1);
      } catch (const std::runtime_error& e) {
        thrown += std::string(e.what()) == "boom";
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(thrown.load(), kThreads);
  EXPECT_EQ(*(*throwing)(1), 1);
  EXPECT_EQ(runs.load(), 2);
}

TEST(MemoizeTest, ErrorTtlRemembersAnErrorOnTheClock) {
  auto clock = std::make_shared<ManualClock>();
  int runs = 0;
  MemoizeOptions options;
  options.error_ttl = absl::Seconds(10);
  options.clock = clock;
  auto f = Mcache([&](int) -> absl::StatusOr<int> {
    ++runs;
    return absl::NotFoundError("no such row");
  }, options);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((**f)(1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((**f)(1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ((*f)->Stats().error_hits, 1u);
  clock->Advance(absl::Seconds(10));
  EXPECT_EQ((**f)(1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(runs, 2);
}

TEST(MemoizeTest, TtlExpiresResultsOnTheInjectedClock) {
  auto clock = std::make_shared<ManualClock>();
  int runs = 0;
  MemoizeOptions options;
  options.ttl = absl::Seconds(5);
  options.clock = clock;
  auto f = Mcache([&](int x) { ++runs; return x; }, options);
  ASSERT_TRUE(f.ok());
  (void)(**f)(1);
  clock->Advance(absl::Seconds(4));
  (void)(**f)(1);
  EXPECT_EQ(runs, 1);
  clock->Advance(absl::Seconds(1));
  (void)(**f)(1);
  EXPECT_EQ(runs, 2);
}

TEST(MemoizeTest, ExactPoliciesEvictAsTheirEngines) {
  MemoizeOptions options;
  options.policy = "lru";
  options.maxsize = 2;
  int runs = 0;
  auto f = Mcache([&](int x) { ++runs; return x; }, options);
  ASSERT_TRUE(f.ok());
  for (int x : {1, 2, 1, 3, 1, 2}) (void)(**f)(x);  // 3 evicts 2; then 2 evicts 3
  EXPECT_EQ(runs, 4);
  EXPECT_EQ((*f)->engine().capabilities().eviction, EvictionPolicy::kLru);
}

TEST(MemoizeTest, InvalidateAndInvalidateIfRemoveChosenEntries) {
  int runs = 0;
  auto f = Mcache([&](std::string user, int page) { ++runs; return user + std::to_string(page); });
  ASSERT_TRUE(f.ok());
  for (int page : {1, 2, 3}) {
    (void)(**f)("ann", page);
    (void)(**f)("bob", page);
  }
  EXPECT_EQ(*(*f)->Invalidate("ann", 1), true);
  EXPECT_EQ(*(*f)->Invalidate("ann", 1), false);
  auto removed = (*f)->InvalidateIf([](const std::tuple<std::string, int>& parts) {
    return std::get<0>(parts) == "bob" && std::get<1>(parts) >= 2;
  });
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2u);
  runs = 0;
  for (int page : {1, 2, 3}) {
    (void)(**f)("ann", page);
    (void)(**f)("bob", page);
  }
  EXPECT_EQ(runs, 3);  // ann 1, bob 2, bob 3
}

TEST(MemoizeTest, WarmRunsTheFunctionForEachArgumentTuple) {
  int runs = 0;
  auto f = Mcache([&](int x, int y) { ++runs; return x * y; });
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Warm({{2, 3}, {4, 5}, {2, 3}}).ok());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(*(**f)(4, 5), 20);
  EXPECT_EQ(runs, 2);
}

TEST(MemoizeTest, TheRegistryClearsAndReportsEveryLiveFunction) {
  MemoizeOptions a_options, b_options;
  a_options.name = "registry-a";
  b_options.name = "registry-b";
  int runs = 0;
  auto a = Mcache([&](int x) { ++runs; return x; }, a_options);
  auto b = Mcache([&](int x) { ++runs; return -x; }, b_options);
  ASSERT_TRUE(a.ok() && b.ok());
  (void)(**a)(1);
  (void)(**b)(1);
  (void)(**b)(1);
  bool saw_a = false, saw_b = false;
  for (const auto& [name, stats] : MemoizeRegistry::Global().AllStats()) {
    if (name == "registry-a") saw_a = stats.misses == 1 && stats.hits == 0;
    if (name == "registry-b") saw_b = stats.misses == 1 && stats.hits == 1;
  }
  EXPECT_TRUE(saw_a && saw_b);
  ASSERT_TRUE(MemoizeRegistry::Global().ClearAll().ok());
  (void)(**a)(1);
  (void)(**b)(1);
  EXPECT_EQ(runs, 4);
  b->reset();
  for (const auto& [name, stats] : MemoizeRegistry::Global().AllStats()) {
    EXPECT_NE(name, "registry-b") << "a destroyed function is still registered";
  }
}

TEST(MemoizeTest, TheListenerSeesHitsMissesLoadsAndErrors) {
  std::vector<CacheEventKind> kinds;
  MemoizeOptions options;
  options.listener = [&](const CacheEvent& event) { kinds.push_back(event.kind); };
  auto f = Mcache([](int x) -> absl::StatusOr<int> {
    if (x < 0) return absl::InvalidArgumentError("negative");
    return x;
  }, options);
  ASSERT_TRUE(f.ok());
  (void)(**f)(1);
  (void)(**f)(1);
  (void)(**f)(-1);
  using K = CacheEventKind;
  EXPECT_EQ(kinds, (std::vector<K>{K::kMiss, K::kLoad, K::kHit, K::kMiss, K::kLoadError}));
}

// Evictions and expirations reach the listener with their cause where the engine reports them
// (the exact policies' memory engines), named by the function.
TEST(MemoizeTest, TheListenerSeesEvictionsAndExpirationsWithTheirCause) {
  auto clock = std::make_shared<ManualClock>();
  std::vector<CacheEvent> removals;
  MemoizeOptions options;
  options.name = "squares";
  options.policy = "lru";
  options.maxsize = 2;
  options.ttl = absl::Seconds(5);
  options.clock = clock;
  options.listener = [&](const CacheEvent& event) {
    if (event.kind == CacheEventKind::kEvicted || event.kind == CacheEventKind::kExpired) {
      removals.push_back(event);
    }
  };
  auto f = Mcache([](int x) { return x * x; }, options);
  ASSERT_TRUE(f.ok());
  for (int x : {1, 2, 3}) (void)(**f)(x);  // 3 evicts 1
  ASSERT_EQ(removals.size(), 1u);
  EXPECT_EQ(removals[0].kind, CacheEventKind::kEvicted);
  EXPECT_EQ(removals[0].source, "squares");
  clock->Advance(absl::Seconds(5));
  (void)(**f)(2);  // expired: found by this call
  ASSERT_EQ(removals.size(), 2u);
  EXPECT_EQ(removals[1].kind, CacheEventKind::kExpired);
  EXPECT_EQ(LevelOf(CacheEventKind::kEvicted), LogLevel::kDebug);
  EXPECT_EQ((**f).Stats().hits, 0u);
}

struct Account {
  int balance;
  int Plus(int x) const { return balance + x; }
};
struct Named {
  std::string id;
  int value;
  std::string CacheKey() const { return id; }
  int Times(int x) const { return value * x; }
};

TEST(MemoizeTest, MemberFunctionsKeyByTheObjectOrItsCacheKey) {
  auto plus = Mcache(&Account::Plus);
  ASSERT_TRUE(plus.ok());
  Account a{10}, b{20};
  EXPECT_EQ(*(**plus)(&a, 1), 11);
  EXPECT_EQ(*(**plus)(&b, 1), 21) << "two objects shared an entry";
  auto times = Mcache(&Named::Times);
  ASSERT_TRUE(times.ok());
  Named x{"same", 2}, y{"same", 3};
  EXPECT_EQ(*(**times)(&x, 5), 10);
  EXPECT_EQ(*(**times)(&y, 5), 10) << "objects with one CacheKey() share their results";
}

TEST(MemoizeTest, InvalidOptionsAreRefusedSayingWhatToChange) {
  auto refused = [](MemoizeOptions options, absl::string_view field) {
    auto f = Mcache([](int x) { return x; }, options);
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(f.status().message().find(field), absl::string_view::npos) << f.status();
  };
  MemoizeOptions options;
  options.maxsize = -1;
  refused(options, "maxsize");
  options = {};
  options.ttl = absl::Seconds(-1);
  refused(options, "ttl");
  options = {};
  options.policy = "mru";
  refused(options, "policy");
  options = {};
  options.location = "/proc/self/status";
  refused(options, "is a file");
  options = {};
  options.error_ttl = absl::Seconds(-1);
  refused(options, "error_ttl");
}

}  // namespace
}  // namespace cachelab
