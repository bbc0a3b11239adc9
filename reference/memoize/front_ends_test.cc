// The front-ends on their real engines: SQLite and files on disk, Redis and memcached servers
// started by the test, and the universal front-end's rule, row by row.
#include "reference/memoize/front_ends.h"

#include <sys/stat.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"

#include "gtest/gtest.h"
#include "reference/memcached/testing/memcached_server.h"
#include "reference/redis/testing/redis_server.h"

namespace cachelab {
namespace {

std::string TempDir(absl::string_view name) {
  return absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
}

MemoizeOptions At(absl::string_view name) {
  MemoizeOptions options;
  options.name = std::string(name);
  options.location = TempDir(name);
  options.listener = [](const CacheEvent&) {};
  return options;
}

std::string Report(const std::string& city, int year) {
  return city + ":" + std::to_string(year);
}

TEST(BcacheTest, ResultsSurviveReopeningInAnotherInstance) {
  int runs = 0;
  auto counted = [&runs](std::string city, int year) { ++runs; return Report(city, year); };
  {
    auto report = Bcache(counted, At("bcache"));
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(*(**report)("Oslo", 2025), "Oslo:2025");
  }
  auto again = Bcache(counted, At("bcache"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*(**again)("Oslo", 2025), "Oslo:2025");
  EXPECT_EQ(runs, 1) << "the persisted result was not used";
  EXPECT_EQ((*again)->engine().capabilities().eviction, EvictionPolicy::kLru);
}

TEST(BcacheTest, TwoFunctionsSharingALocationNeverShareResults) {
  MemoizeOptions a = At("shared"), b = At("shared");
  b.name = "other";
  auto plus = Bcache([](int x) { return x + 1; }, a);
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(*(**plus)(1), 2);
  plus->reset();
  auto minus = Bcache([](int x) { return x - 1; }, b);
  ASSERT_TRUE(minus.ok()) << minus.status();
  EXPECT_EQ(*(**minus)(1), 0);
}

TEST(BcacheTest, RefusesWhatItCannotDo) {
  MemoizeOptions options = At("refused");
  options.location.clear();
  EXPECT_EQ(Bcache([](int x) { return x; }, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = At("refused");
  options.policy = "lfu";
  auto lfu = Bcache([](int x) { return x; }, options);
  EXPECT_EQ(lfu.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(lfu.status().message().find("policy"), absl::string_view::npos);
}

TEST(FcacheTest, CompressedAndEncryptedResultsRoundTripAndPersist) {
  MemoizeOptions options = At("fcache");
  options.compress = true;
  options.encryption_key = std::string(32, 'k');
  int runs = 0;
  auto big = [&runs](int n) { ++runs; return std::string(static_cast<size_t>(n), 'x'); };
  {
    auto f = Fcache(big, options);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ((**f)(100000)->size(), 100000u);
  }
  auto f = Fcache(big, options);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((**f)(100000)->size(), 100000u);
  EXPECT_EQ(runs, 1);
  options.encryption_key = std::string(32, 'w');
  EXPECT_FALSE(Fcache(big, options).ok()) << "opened with the wrong key";
  options.encryption_key = "short";
  auto short_key = Fcache(big, options);
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_key.status().message().find("32"), absl::string_view::npos);
}

TEST(McacheWithKeyTest, ACustomKeyBuilderDecidesWhichCallsShareAnEntry) {
  int runs = 0;
  auto lower = McacheWithKey(
      [&runs](std::string name) { ++runs; return name.size(); },
      [](const std::string& name) { return absl::AsciiStrToLower(name); });
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*(**lower)("Ann"), 3u);
  EXPECT_EQ(*(**lower)("ANN"), 3u);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ((*lower)->InvalidateIf([](const auto&) { return true; }).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AcacheTest, ConcurrentCallsShareOneRunAndResultsAreCached) {
  std::atomic<int> runs{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto f = Acache([&](int x) {
    ++runs;
    released.wait();
    return x * 2;
  });
  ASSERT_TRUE(f.ok());
  std::vector<std::future<absl::StatusOr<int>>> futures;
  for (int i = 0; i < 16; ++i) futures.push_back((*f)->Call(21));
  release.set_value();
  for (auto& future : futures) EXPECT_EQ(*future.get(), 42);
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(*(**f)(21), 42);
  const MemoStats stats = (*f)->Stats();
  EXPECT_EQ(stats.calls, 1u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.coalesced, 15u);
}

TEST(AcacheTest, AnExceptionBecomesAnUnknownStatusAndIsNotCached) {
  int runs = 0;
  auto f = Acache([&runs](int x) -> int {
    if (++runs == 1) throw std::runtime_error("boom");
    return x;
  });
  ASSERT_TRUE(f.ok());
  const absl::Status first = (**f)(1).status();
  EXPECT_EQ(first.code(), absl::StatusCode::kUnknown);
  EXPECT_NE(first.message().find("boom"), absl::string_view::npos);
  EXPECT_EQ(*(**f)(1), 1);
}

// One test per row of the table in ucache_plan.h.
struct PlanRow {
  bool persistent;
  Sharing shared;
  ValueSize values;
  bool ttl;
  std::vector<std::string> engines;
};

TEST(UcachePlanTest, EveryRowOfTheTable) {
  using S = Sharing;
  using V = ValueSize;
  const std::vector<PlanRow> rows = {
      {false, S::kNothing, V::kSmall, false, {"fast"}},
      {false, S::kNothing, V::kLarge, true, {"fast"}},
      {false, S::kProcesses, V::kLarge, false, {"sqlite"}},
      {false, S::kMachines, V::kSmall, false, {"memcached", "redis"}},
      {false, S::kMachines, V::kSmall, true, {"redis", "memcached"}},
      {false, S::kMachines, V::kLarge, false, {"redis"}},
      {true, S::kMachines, V::kSmall, false, {"redis"}},
      {true, S::kNothing, V::kSmall, false, {"sqlite", "files"}},
      {true, S::kNothing, V::kLarge, false, {"files", "sqlite"}},
      {true, S::kNothing, V::kLarge, true, {"sqlite", "files"}},
      {true, S::kProcesses, V::kSmall, true, {"sqlite"}},
  };
  for (const PlanRow& row : rows) {
    UcacheNeeds needs{row.persistent, row.shared, row.values, row.ttl};
    auto plan = UcachePlan(needs);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(*plan, row.engines) << "persistent " << row.persistent << " shared "
                                  << static_cast<int>(row.shared) << " large "
                                  << (row.values == V::kLarge) << " ttl " << row.ttl;
  }
}

TEST(UcachePlanTest, APreferredEngineComesFirst) {
  EXPECT_EQ(*UcachePlan({.persistent = true}, "files"),
            (std::vector<std::string>{"files", "sqlite"}));
  EXPECT_EQ(*UcachePlan({}, "redis"), (std::vector<std::string>{"redis", "fast"}));
  EXPECT_EQ(UcachePlan({}, "mongo").status().code(), absl::StatusCode::kInvalidArgument);
}

using UcacheChain = FallbackCache<std::string, std::string>;

UcacheChain& ChainOf(Memoized<std::string, std::string, std::string>& f) {
  return dynamic_cast<UcacheChain&>(f.engine());
}

TEST(UcacheTest, SharedAcrossMachinesServesFromMemcachedWhenItRuns) {
  auto memcached = testing::SharedMemcachedServer();
  auto redis = testing::SharedRedisServer();
  ASSERT_TRUE(memcached.ok() && redis.ok());
  UcacheServers servers{(*redis)->port(), (*memcached)->port()};
  auto f = Ucache([](std::string s) { return s + "!"; }, At("ucache-machines"),
                  {.shared = Sharing::kMachines}, servers);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*(**f)("hi"), "hi!");
  EXPECT_EQ(ChainOf(**f).Serving(), "memcached");
}

TEST(UcacheTest, FallsBackToMemoryWhenNoServerAnswers) {
  auto port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  std::vector<CacheEvent> events;
  MemoizeOptions options = At("ucache-down");
  options.listener = [&](const CacheEvent& event) { events.push_back(event); };
  auto f = Ucache([](std::string s) { return s + "?"; }, options, {.shared = Sharing::kMachines},
                  UcacheServers{*port, *port});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*(**f)("hi"), "hi?");
  EXPECT_EQ(*(**f)("hi"), "hi?");
  EXPECT_EQ((*f)->Stats().hits, 1u);
  EXPECT_EQ(ChainOf(**f).Serving(), "memory");
  std::vector<std::string> skipped;  // memcached and redis, one warning each
  for (const CacheEvent& event : events) {
    if (event.kind == CacheEventKind::kSkipped) skipped.push_back(event.engine);
  }
  EXPECT_EQ(skipped, (std::vector<std::string>{"memcached", "redis"}));
}

TEST(UcacheTest, AvailableEnginesSaysWhichOpenHereAndWhyNot) {
  auto port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  auto redis = testing::SharedRedisServer();
  ASSERT_TRUE(redis.ok());
  const std::vector<EngineAvailability> available =
      UcacheAvailableEngines(At("ucache-available"), UcacheServers{(*redis)->port(), *port});
  std::vector<std::string> names, usable;
  for (const EngineAvailability& engine : available) {
    names.push_back(engine.engine);
    if (engine.status.ok()) usable.push_back(engine.engine);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"memcached", "redis", "sqlite", "files", "fast"}));
  EXPECT_EQ(usable, (std::vector<std::string>{"redis", "sqlite", "files", "fast"}));
  EXPECT_EQ(available[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(available[0].status.message().find(std::to_string(*port)), std::string::npos)
      << available[0].status;
  MemoizeOptions nowhere = At("ucache-available");
  nowhere.location.clear();
  const auto without_location = UcacheAvailableEngines(nowhere, UcacheServers{*port, *port});
  EXPECT_FALSE(without_location[2].status.ok()) << "sqlite opened without a location";
  EXPECT_FALSE(without_location[3].status.ok()) << "files opened without a location";
  EXPECT_NE(without_location[2].status.message().find("location"), std::string::npos)
      << without_location[2].status;
  EXPECT_TRUE(without_location[4].status.ok());
}

TEST(UcacheTest, PersistentResultsGoToSqliteInTheLocation) {
  auto f = Ucache([](std::string s) { return s; }, At("ucache-disk"), {.persistent = true});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*(**f)("x"), "x");
  EXPECT_EQ(ChainOf(**f).Serving(), "sqlite");
  struct stat st;
  EXPECT_EQ(stat((TempDir("ucache-disk") + "/sqlite").c_str(), &st), 0);
  MemoizeOptions no_location = At("ucache-disk");
  no_location.location.clear();
  EXPECT_EQ(Ucache([](std::string s) { return s; }, no_location, {.persistent = true})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cachelab
