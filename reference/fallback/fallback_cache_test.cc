#include "reference/fallback/fallback_cache.h"

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "reference/fallback/testing/fallback_factories.h"
#include "reference/forwarding_cache.h"
#include "reference/memory/memory_cache.h"
#include "reference/mutex.h"
#include "reference/redis/testing/redis_server.h"

namespace cachelab {
namespace {

using Chain = FallbackCache<std::string, std::string>;
using testing::RedisServer;
using testing::ServerProcess;

// Collects the events a chain reports.
struct Recorder {
  Mutex mu;
  std::vector<CacheEvent> events;
  CacheListener Listener() {
    return [this](const CacheEvent& event) {
      MutexLock lock(&mu);
      events.push_back(event);
    };
  }
  std::vector<CacheEventKind> Kinds() {
    MutexLock lock(&mu);
    std::vector<CacheEventKind> kinds;
    for (const auto& event : events) kinds.push_back(event.kind);
    return kinds;
  }
};

class FallbackTest : public ::testing::Test {
 protected:
  FallbackTest() {
    options_.clock = clock_;
    options_.location = "fallback-test";
    fallback_.name = "test";
    fallback_.first_probe = absl::Seconds(1);
    fallback_.max_probe = absl::Seconds(4);
    fallback_.listener = recorder_.Listener();
    aof_dir_ = std::string(getenv("TEST_TMPDIR")) + "/" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
    mkdir(aof_dir_.c_str(), 0700);
  }

  // A redis-server on `port` (0: a free one) that keeps its data across a kill (append-only
  // file, fsync per write), as a production server would.
  std::unique_ptr<ServerProcess> StartRedis(int port = 0) {
    auto server = RedisServer::Start(port, {"--appendonly", "yes", "--appendfsync", "always",
                                            "--dir", aof_dir_});
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  // A chain of Redis on `port` (through `connections` pooled connections), then memory.
  std::unique_ptr<Chain> Open(int port, int connections = 4) {
    RedisOptions redis;
    redis.port = port;
    redis.connections = connections;
    redis.command_timeout = absl::Milliseconds(300);
    FallbackEngine<std::string, std::string> engine{
        "redis", RedisCache<std::string, std::string>::Declared(), [this, redis] {
          CacheOptions remote = options_;
          remote.capacity.reset();  // a capacity bounds the memory tail only
          return RedisCache<std::string, std::string>::Open(remote, redis);
        }};
    auto chain = Chain::Open({engine}, options_, fallback_);
    EXPECT_TRUE(chain.ok()) << chain.status();
    return chain.ok() ? *std::move(chain) : nullptr;
  }

  static std::optional<std::string> Get(Chain& chain, const std::string& key) {
    auto value = chain.Lookup(key);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : std::nullopt;
  }

  void Advance(absl::Duration d) { clock_->Advance(d); }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  CacheOptions options_;
  FallbackOptions fallback_;
  Recorder recorder_;
  std::string aof_dir_;
};

TEST_F(FallbackTest, SkipsAnUnreachableServerWithOneWarning) {
  auto port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  auto chain = Open(*port);
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(chain->Serving(), "memory");
  ASSERT_EQ(chain->Skipped().size(), 1u);
  EXPECT_EQ(chain->Skipped()[0].engine, "redis");
  EXPECT_EQ(chain->Skipped()[0].reason.code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(chain->Insert("a", "1").ok());
  EXPECT_EQ(Get(*chain, "a"), "1");
  EXPECT_EQ(recorder_.Kinds(), std::vector<CacheEventKind>{CacheEventKind::kSkipped});
  EXPECT_EQ(chain->Switches(), 0u);
}

TEST_F(FallbackTest, RefusesInvalidOptionsSayingWhatToChange) {
  fallback_.first_probe = absl::ZeroDuration();
  auto chain = Chain::Open({}, options_, fallback_);
  ASSERT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(chain.status().message().find("first_probe"), std::string::npos);
  fallback_.first_probe = absl::Seconds(2);
  fallback_.max_probe = absl::Seconds(1);
  EXPECT_EQ(Chain::Open({}, options_, fallback_).status().code(),
            absl::StatusCode::kInvalidArgument);
  fallback_.max_probe = absl::Seconds(4);
  fallback_.retries = -1;
  auto retries = Chain::Open({}, options_, fallback_);
  ASSERT_EQ(retries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(retries.status().message().find("retries"), std::string::npos);
  fallback_.retries = 1;
  options_.capacity = 0;  // the memory tail refuses it
  auto tail = Chain::Open({}, options_, fallback_);
  ASSERT_EQ(tail.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tail.status().message().find("capacity"), std::string::npos);
}

TEST_F(FallbackTest, AKilledServerIsDemotedAndTheCallRetriedOnTheNextEngine) {
  auto server = StartRedis();
  auto chain = Open(server->port());
  ASSERT_EQ(chain->Serving(), "redis");
  ASSERT_TRUE(chain->Insert("a", "1").ok());
  server->Stop();
  ASSERT_TRUE(chain->Insert("b", "2").ok());
  EXPECT_EQ(chain->Serving(), "memory");
  EXPECT_EQ(Get(*chain, "b"), "2");
  EXPECT_EQ(chain->Switches(), 1u);
  ASSERT_EQ(recorder_.Kinds(), std::vector<CacheEventKind>{CacheEventKind::kFallback});
  EXPECT_EQ(recorder_.events[0].engine, "memory");
  EXPECT_EQ(recorder_.events[0].status.code(), absl::StatusCode::kUnavailable);
}

TEST_F(FallbackTest, APausedServerTimesOutAndIsDemoted) {
  auto server = StartRedis();
  auto chain = Open(server->port());
  ASSERT_TRUE(chain->Insert("a", "1").ok());
  server->Pause();
  ASSERT_TRUE(chain->Insert("a", "2").ok());
  server->Resume();
  EXPECT_EQ(chain->Serving(), "memory");
  EXPECT_EQ(Get(*chain, "a"), "2");
  ASSERT_EQ(recorder_.Kinds(), std::vector<CacheEventKind>{CacheEventKind::kFallback});
  EXPECT_TRUE(IsEngineFailure(recorder_.events[0].status)) << recorder_.events[0].status;
}

TEST_F(FallbackTest, CallerErrorsDoNotDemote) {
  auto server = StartRedis();
  auto chain = Open(server->port());
  EXPECT_EQ(chain->InsertWithTtl("a", "1", absl::Seconds(-1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(chain->Serving(), "redis");
  EXPECT_EQ(chain->Switches(), 0u);
}

TEST_F(FallbackTest, ProbesWithDoublingBackoffOnTheInjectedClock) {
  auto port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  auto chain = Open(*port);  // skipped: nothing listens yet; first probe at t = 1 s
  Advance(absl::Seconds(1));
  EXPECT_FALSE(Get(*chain, "a"));  // probe fails: next at t = 1 + 2 s
  auto server = StartRedis(*port);
  Advance(absl::Seconds(1));
  EXPECT_FALSE(Get(*chain, "a"));
  EXPECT_EQ(chain->Serving(), "memory") << "probed before its backoff elapsed";
  Advance(absl::Seconds(1));
  EXPECT_FALSE(Get(*chain, "a"));
  EXPECT_EQ(chain->Serving(), "redis");
  EXPECT_EQ(recorder_.Kinds(),
            (std::vector<CacheEventKind>{CacheEventKind::kSkipped, CacheEventKind::kRecovered}));
}

// The no-stale-read promise, on a server that keeps its data across a kill: keys written or
// erased while it was down are erased from it before it serves again; others are kept.
TEST_F(FallbackTest, NoStaleReadAfterAKilledServerComesBack) {
  auto server = StartRedis();
  const int port = server->port();
  auto chain = Open(port);
  for (const char* key : {"written", "erased", "kept"}) ASSERT_TRUE(chain->Insert(key, "old").ok());
  server->Stop();
  ASSERT_TRUE(chain->Insert("written", "new").ok());
  ASSERT_TRUE(chain->Erase("erased").ok());
  ASSERT_EQ(chain->Serving(), "memory");
  server = StartRedis(port);  // comes back with "old" for all three keys
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "written"), std::nullopt) << "stale value from the restarted server";
  EXPECT_EQ(chain->Serving(), "redis");
  EXPECT_EQ(Get(*chain, "erased"), std::nullopt);
  EXPECT_EQ(Get(*chain, "kept"), "old");
  EXPECT_EQ(chain->Switches(), 2u);
}

// The same promise the other way: the memory tail, which served during the first outage, does
// not serve its copy of a key rewritten after the recovery.
TEST_F(FallbackTest, NoStaleReadFromTheTailWhenFallingBackAgain) {
  auto server = StartRedis();
  const int port = server->port();
  auto chain = Open(port);
  server->Stop();
  ASSERT_TRUE(chain->Insert("k", "during the first outage").ok());
  server = StartRedis(port);
  Advance(absl::Seconds(1));
  ASSERT_TRUE(chain->Insert("k", "after the recovery").ok());
  ASSERT_EQ(chain->Serving(), "redis");
  server->Stop();
  EXPECT_EQ(Get(*chain, "k"), std::nullopt);
  EXPECT_EQ(chain->Serving(), "memory");
}

TEST_F(FallbackTest, TooManyWritesWhileDownClearTheEngineOnRecovery) {
  fallback_.max_dirty_keys = 2;
  auto server = StartRedis();
  const int port = server->port();
  auto chain = Open(port);
  ASSERT_TRUE(chain->Insert("kept", "old").ok());
  server->Stop();
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(chain->Insert(key, "new").ok());
  server = StartRedis(port);
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "kept"), std::nullopt);
  EXPECT_EQ(chain->Serving(), "redis");
  EXPECT_EQ(chain->Size().value_or(99), 0u);
}

TEST_F(FallbackTest, ClearWhileDownClearsThePreferredEngineOnRecovery) {
  auto server = StartRedis();
  const int port = server->port();
  auto chain = Open(port);
  ASSERT_TRUE(chain->Insert("kept", "old").ok());
  server->Stop();
  ASSERT_TRUE(chain->Clear().ok());
  server = StartRedis(port);
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "kept"), std::nullopt);
  EXPECT_EQ(chain->Serving(), "redis");
}

// A server restarted (empty) between two calls: the pooled connection to the old process fails
// once; the call is tried again on the same engine, which reconnects, so nothing is demoted.
// Without the retry, the same restart demotes the engine.
TEST_F(FallbackTest, AServerRestartedBetweenCallsIsRetriedNotDemoted) {
  for (const int retries : {1, 0}) {
    fallback_.retries = retries;
    auto server = RedisServer::Start(0);
    ASSERT_TRUE(server.ok()) << server.status();
    const int port = (*server)->port();
    auto chain = Open(port, /*connections=*/1);
    ASSERT_TRUE(chain->Insert("a", "1").ok());
    (*server)->Stop();
    server = RedisServer::Start(port);
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_TRUE(chain->Insert("b", "2").ok());
    EXPECT_EQ(Get(*chain, "b"), "2");
    EXPECT_EQ(chain->Serving(), retries == 1 ? "redis" : "memory") << retries << " retries";
  }
  EXPECT_EQ(recorder_.Kinds(), std::vector<CacheEventKind>{CacheEventKind::kFallback})
      << "only the chain without retries falls back";
}

// carry_over: what was written while the preferred engine was down (values, erasures and
// remaining TTLs) is written into it when it recovers, so the recovery loses nothing; the
// copying is not counted in the statistics.
TEST_F(FallbackTest, CarryOverWritesWhatWasWrittenWhileDownIntoTheRecoveredEngine) {
  fallback_.carry_over = true;
  auto server = StartRedis();
  const int port = server->port();
  auto chain = Open(port);
  for (const char* key : {"written", "erased", "kept"}) ASSERT_TRUE(chain->Insert(key, "old").ok());
  server->Stop();
  ASSERT_TRUE(chain->Insert("written", "new").ok());
  ASSERT_TRUE(chain->Erase("erased").ok());
  ASSERT_TRUE(chain->InsertWithTtl("short", "lives 5 s", absl::Seconds(5)).ok());
  ASSERT_TRUE(chain->Insert("fresh", "new").ok());
  ASSERT_EQ(chain->Serving(), "memory");
  const CacheStats before = chain->Stats();
  server = StartRedis(port);  // comes back with "old" for the first three keys
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "written"), "new");
  EXPECT_EQ(chain->Serving(), "redis");
  EXPECT_EQ(Get(*chain, "erased"), std::nullopt);
  EXPECT_EQ(Get(*chain, "kept"), "old");
  EXPECT_EQ(Get(*chain, "fresh"), "new");
  EXPECT_EQ(Get(*chain, "short"), "lives 5 s");
  Advance(absl::Seconds(4));
  EXPECT_EQ(Get(*chain, "short"), std::nullopt) << "the TTL was not carried over";
  const CacheStats after = chain->Stats();
  EXPECT_EQ(after.hits - before.hits, 4u) << "carrying over counted lookups";
  EXPECT_EQ(after.misses - before.misses, 2u);
  // "kept" was counted lost when Redis was demoted and is found again (the server kept it).
  EXPECT_EQ(after.insertions, before.insertions + 1) << "carrying over counted insertions";
  EXPECT_EQ(after.Balance(), static_cast<int64_t>(chain->Size().value_or(99)));
  EXPECT_EQ(chain->Switches(), 2u);
}

// After a Clear() while down, the recovered engine is cleared and what was written after the
// Clear() is carried over.
TEST_F(FallbackTest, CarryOverAfterAClearWhileDown) {
  fallback_.carry_over = true;
  auto server = StartRedis();
  const int port = server->port();
  auto chain = Open(port);
  ASSERT_TRUE(chain->Insert("before", "old").ok());
  server->Stop();
  ASSERT_TRUE(chain->Clear().ok());
  ASSERT_TRUE(chain->Insert("after", "new").ok());
  server = StartRedis(port);
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "before"), std::nullopt);
  EXPECT_EQ(chain->Serving(), "redis");
  EXPECT_EQ(Get(*chain, "after"), "new");
  EXPECT_EQ(chain->Size().value_or(99), 1u);
}

// A fallback after a recovery loses what only the failed engine held (here "c" and "d", written
// after the recovery); the chain counts them as evictions, so its balance stays its size. This
// is what a server lost twice in one run does to the restored battery configuration.
TEST_F(FallbackTest, EntriesLostInAFallbackAreCountedAsEvictions) {
  fallback_.carry_over = true;
  auto server = StartRedis();
  const int port = server->port();
  auto chain = Open(port);
  server->Stop();
  for (const char* key : {"a", "b"}) ASSERT_TRUE(chain->Insert(key, "during the outage").ok());
  server = StartRedis(port);
  Advance(absl::Seconds(1));
  for (const char* key : {"c", "d"}) ASSERT_TRUE(chain->Insert(key, "after the recovery").ok());
  ASSERT_EQ(chain->Serving(), "redis");
  EXPECT_EQ(chain->Stats().Balance(), 4);
  server->Stop();
  EXPECT_EQ(Get(*chain, "c"), std::nullopt);
  ASSERT_EQ(chain->Serving(), "memory");
  EXPECT_EQ(Get(*chain, "a"), "during the outage");
  const CacheStats stats = chain->Stats();
  EXPECT_EQ(stats.evictions, 2u);
  EXPECT_EQ(stats.Balance(), static_cast<int64_t>(chain->Size().value_or(99)));
}

// An unbounded memory engine whose inserts fail with kUnavailable once `inserts_left` is spent.
class FaultyCache final : public ForwardingCache<std::string, std::string> {
 public:
  explicit FaultyCache(std::atomic<int>& inserts_left)
      : ForwardingCache(*NewMemoryCache<std::string, std::string>(MemoryEngine::kUnbounded, {})),
        inserts_left_(inserts_left) {}
  absl::Status Insert(const std::string& key, std::string value) override {
    if (inserts_left_.fetch_sub(1) <= 0) return absl::UnavailableError("down");
    return inner().Insert(key, std::move(value));
  }

 private:
  std::atomic<int>& inserts_left_;
};

// An engine of a chain, opened by `make` (each open gets a new instance).
template <typename Make>
FallbackEngine<std::string, std::string> TestEngine(std::string name, Make make) {
  return {std::move(name), FallbackTailCapabilities({}), [make] {
            return absl::StatusOr<std::unique_ptr<Cache<std::string, std::string>>>(make());
          }};
}

// A chain of a FaultyCache (failing inserts once `inserts_left` is spent), then memory.
std::unique_ptr<Chain> OpenFaulty(std::atomic<int>& inserts_left, const CacheOptions& options,
                                  const FallbackOptions& fallback) {
  auto chain = Chain::Open(
      {TestEngine("faulty", [&] { return std::make_unique<FaultyCache>(inserts_left); })}, options,
      fallback);
  EXPECT_TRUE(chain.ok()) << chain.status();
  return chain.ok() ? *std::move(chain) : nullptr;
}

// A recovery whose carrying over fails part way (the engine fails again after 10 of the 50
// entries) leaves the serving engine's hit and miss counters as the callers saw them.
TEST_F(FallbackTest, AFailedCarryOverDoesNotCountItsLookups) {
  fallback_.carry_over = true;
  std::atomic<int> inserts_left{0};  // the first insert fails: the chain falls back
  auto chain = OpenFaulty(inserts_left, options_, fallback_);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(chain->Insert(absl::StrCat("k", i), "v").ok());
  ASSERT_EQ(chain->Serving(), "memory");
  inserts_left = 10;
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "k0"), "v");
  EXPECT_EQ(chain->Serving(), "memory") << "the carrying over did not fail";
  const CacheStats stats = chain->Stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 0u);
}

// An engine demoted while it still held entries ("a" and "b", counted lost then) serves them
// again after it recovers; the chain counts them as insertions, so its balance is its size.
TEST_F(FallbackTest, EntriesARecoveredEngineKeptAreCountedAgain) {
  fallback_.carry_over = true;
  std::atomic<int> inserts_left{2};
  auto chain = OpenFaulty(inserts_left, options_, fallback_);
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(chain->Insert(key, "v").ok());
  ASSERT_EQ(chain->Serving(), "memory");
  EXPECT_EQ(chain->Stats().evictions, 2u);
  inserts_left = 100;
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "a"), "v");
  ASSERT_EQ(chain->Serving(), "faulty");
  EXPECT_EQ(chain->Size().value_or(99), 3u);
  const CacheStats stats = chain->Stats();
  EXPECT_EQ(stats.insertions, 5u);
  EXPECT_EQ(stats.Balance(), 3);
}

// Without carrying over, what was written while the engine was down is erased from it when it
// recovers: the chain counts it as evicted.
TEST_F(FallbackTest, WithoutCarryOverWhatWasWrittenWhileDownIsCountedLostOnRecovery) {
  std::atomic<int> inserts_left{0};
  auto chain = OpenFaulty(inserts_left, options_, fallback_);
  ASSERT_TRUE(chain->Insert("c", "v").ok());
  ASSERT_EQ(chain->Serving(), "memory");
  inserts_left = 100;
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "c"), std::nullopt);
  ASSERT_EQ(chain->Serving(), "faulty");
  const CacheStats stats = chain->Stats();
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.Balance(), static_cast<int64_t>(chain->Size().value_or(99)));
}

// An unbounded memory engine whose Insert of `held_key` stops once it has started, until released.
class HoldingCache final : public ForwardingCache<std::string, std::string> {
 public:
  HoldingCache(std::string held_key, Notification& entered, Notification& release)
      : ForwardingCache(*NewMemoryCache<std::string, std::string>(MemoryEngine::kUnbounded, {})),
        held_key_(std::move(held_key)),
        entered_(entered),
        release_(release) {}
  absl::Status Insert(const std::string& key, std::string value) override {
    if (key == held_key_) {
      entered_.Notify();
      release_.WaitForNotification();
    }
    return inner().Insert(key, std::move(value));
  }

 private:
  const std::string held_key_;
  Notification& entered_;
  Notification& release_;
};

// A write that started before a Clear() while the preferred engine was down, and lands after
// it, is carried over on recovery (found by the restored battery: the Clear() forgot the key).
TEST_F(FallbackTest, CarryOverKeepsAWriteThatLandsAfterAConcurrentClear) {
  fallback_.carry_over = true;
  std::atomic<int> inserts_left{0};  // the first insert fails: the chain falls back
  Notification entered, release;
  auto opened = Chain::Open(
      {TestEngine("faulty", [&] { return std::make_unique<FaultyCache>(inserts_left); }),
       TestEngine("holding",
                  [&] { return std::make_unique<HoldingCache>("in flight", entered, release); })},
      options_, fallback_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Chain& chain = **opened;
  std::thread writer([&] { EXPECT_TRUE(chain.Insert("in flight", "v").ok()); });
  entered.WaitForNotification();  // marked and started on "holding", not yet stored
  ASSERT_EQ(chain.Serving(), "holding");
  EXPECT_TRUE(chain.Clear().ok());
  release.Notify();
  writer.join();
  inserts_left = 100;
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(chain, "in flight"), "v");
  EXPECT_EQ(chain.Serving(), "faulty") << "the engine did not recover";
  EXPECT_EQ(chain.Stats().Balance(), static_cast<int64_t>(chain.Size().value_or(99)));
}

// Keys written before a Clear() while the engine was down are held by no one after it: they do
// not count towards max_dirty_keys, so what is written after the Clear() is still carried over.
TEST_F(FallbackTest, KeysWrittenBeforeAClearWhileDownDoNotCountTowardsMaxDirtyKeys) {
  fallback_.carry_over = true;
  fallback_.max_dirty_keys = 3;
  std::atomic<int> inserts_left{0};  // the first insert fails: the chain falls back
  auto chain = OpenFaulty(inserts_left, options_, fallback_);
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(chain->Insert(key, "before").ok());
  ASSERT_EQ(chain->Serving(), "memory");
  ASSERT_TRUE(chain->Clear().ok());
  for (const char* key : {"d", "e", "f"}) ASSERT_TRUE(chain->Insert(key, "after").ok());
  inserts_left = 100;
  Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*chain, "d"), "after") << "what was written after the Clear() was not carried over";
  ASSERT_EQ(chain->Serving(), "faulty");
  EXPECT_EQ(Get(*chain, "a"), std::nullopt);
  EXPECT_EQ(chain->Size().value_or(99), 3u);
  EXPECT_EQ(chain->Stats().Balance(), 3);
}

TEST_F(FallbackTest, StatisticsAddUpAcrossASwitch) {
  auto server = StartRedis();
  auto chain = Open(server->port());
  ASSERT_TRUE(chain->Insert("a", "1").ok());
  EXPECT_EQ(Get(*chain, "a"), "1");
  server->Stop();
  EXPECT_EQ(Get(*chain, "a"), std::nullopt);
  ASSERT_TRUE(chain->Insert("b", "2").ok());
  const CacheStats stats = chain->Stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.insertions, 2u);
}

// A chain whose engines all report removals reports the serving engine's, to its removal
// listener and (removal_events) as events naming the engine and the key.
TEST_F(FallbackTest, ReportsTheServingEnginesEvictionsAndExpirations) {
  options_.capacity = 2;
  fallback_.removal_events = true;
  FallbackEngine<std::string, std::string> lfu{
      "lfu", MemoryEngineCapabilities(MemoryEngine::kLfu),
      [this] { return NewMemoryCache<std::string, std::string>(MemoryEngine::kLfu, options_); }};
  auto chain = Chain::Open({lfu}, options_, fallback_);
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_TRUE((*chain)->capabilities().reports_removals);
  std::vector<std::pair<std::string, RemovalCause>> reported;
  ASSERT_TRUE((*chain)
                  ->SetRemovalListener([&](const std::string& key, RemovalCause cause) {
                    EXPECT_EQ((*chain)->Size().value_or(99), 2u) << "called with a lock held?";
                    reported.emplace_back(key, cause);
                  })
                  .ok());
  ASSERT_TRUE((*chain)->Insert("a", "1").ok());
  ASSERT_TRUE((*chain)->InsertWithTtl("b", "2", absl::Seconds(1)).ok());
  ASSERT_TRUE((*chain)->Insert("c", "3").ok());  // evicts a (LFU ties: least recent)
  Advance(absl::Seconds(1));
  ASSERT_TRUE((*chain)->Insert("d", "4").ok());  // b expired: purged, no eviction
  using R = std::pair<std::string, RemovalCause>;
  EXPECT_EQ(reported, (std::vector<R>{{"a", RemovalCause::kEvicted}, {"b", RemovalCause::kExpired}}));
  std::vector<std::string> described;
  for (const CacheEvent& event : recorder_.events) {
    if (event.kind == CacheEventKind::kEvicted || event.kind == CacheEventKind::kExpired) {
      described.push_back(Describe(event));
    }
  }
  EXPECT_EQ(described, (std::vector<std::string>{"evicted: \"test\": \"lfu\" dropped \"a\"",
                                                 "expired: \"test\": \"lfu\" dropped \"b\""}));
}

// With Redis first, the chain cannot promise removal reports; with removal_events it still
// sends them from the memory tail once that serves.
TEST_F(FallbackTest, RemovalEventsComeFromWhicheverServingEngineReportsThem) {
  options_.capacity = 1;
  fallback_.removal_events = true;
  auto server = StartRedis();
  auto chain = Open(server->port());
  EXPECT_EQ(chain->SetRemovalListener([](const std::string&, RemovalCause) {}).code(),
            absl::StatusCode::kUnimplemented);
  server->Stop();
  ASSERT_TRUE(chain->Insert("a", "1").ok());
  ASSERT_EQ(chain->Serving(), "memory");
  ASSERT_TRUE(chain->Insert("b", "2").ok());
  ASSERT_EQ(recorder_.Kinds(),
            (std::vector<CacheEventKind>{CacheEventKind::kFallback, CacheEventKind::kEvicted}));
  EXPECT_EQ(recorder_.events[1].engine, "memory");
  EXPECT_EQ(recorder_.events[1].key, "a");
}

TEST_F(FallbackTest, CapabilitiesAreTheMeetOfTheEngines) {
  const Capabilities lru = MemoryEngineCapabilities(MemoryEngine::kLru);
  const Capabilities lfu = MemoryEngineCapabilities(MemoryEngine::kLfu);
  EXPECT_EQ(FallbackCapabilities({lru, lru}), lru);
  const Capabilities mixed = FallbackCapabilities({lru, lfu});
  EXPECT_EQ(mixed.eviction, EvictionPolicy::kApproximate);
  EXPECT_EQ(mixed.min_hit_ratio, 0.0);
  const Capabilities redis_chain = FallbackRedisFactory::Capabilities();
  EXPECT_EQ(redis_chain.eviction, EvictionPolicy::kNone);
  EXPECT_TRUE(redis_chain.thread_safe);
  EXPECT_FALSE(redis_chain.persistent) << "the memory tail forgets at exit";
  EXPECT_FALSE(redis_chain.multi_process);
  EXPECT_TRUE(redis_chain.server_evicts);
}

TEST_F(FallbackTest, AvailableEnginesSaysWhichOpenAndWhyNot) {
  auto port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  const std::vector<FallbackEngine<std::string, std::string>> engines = {
      RedisFallbackEngine<std::string, std::string>(options_, *port),
      {"memory", MemoryEngineCapabilities(MemoryEngine::kUnbounded),
       [] { return NewMemoryCache<std::string, std::string>(MemoryEngine::kUnbounded, {}); }},
  };
  const auto available = AvailableEngines(engines);
  ASSERT_EQ(available.size(), 2u);
  EXPECT_EQ(available[0].engine, "redis");
  EXPECT_EQ(available[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(available[1].status.ok()) << available[1].status;
}

}  // namespace
}  // namespace cachelab
