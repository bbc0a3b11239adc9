// Server faults for the engines over a shared server, on real servers started here: a server
// killed and restarted empty, paused (SIGSTOP), moved to another port, and too short of memory
// to hold the working set (the `server_evicts` capability). Every call gives a value or a clear
// status within the command timeout, never a hang or a crash; the engine reconnects by itself;
// and what it answers is only ever a value that was written for that key, or a miss.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "reference/memcached/memcached_cache.h"
#include "reference/memcached/testing/memcached_server.h"
#include "reference/redis/redis_cache.h"
#include "reference/redis/testing/redis_server.h"

namespace cachelab {
namespace {

using StringCache = Cache<std::string, std::string>;
using testing::ServerProcess;

constexpr absl::Duration kTimeout = absl::Milliseconds(300);

struct Redis {
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(int port, bool short_of_memory) {
    return testing::RedisServer::Start(
        port, short_of_memory ? std::vector<std::string>{"--maxmemory", "2mb",
                                                         "--maxmemory-policy", "allkeys-lru"}
                              : std::vector<std::string>{});
  }
  static absl::StatusOr<std::unique_ptr<StringCache>> Open(int port, const std::string& name) {
    CacheOptions options;
    options.location = name;
    RedisOptions redis;
    redis.port = port;
    redis.connect_timeout = redis.command_timeout = kTimeout;
    return RedisCache<std::string, std::string>::Open(options, redis);
  }
};

struct Memcached {
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(int port, bool short_of_memory) {
    return testing::MemcachedServer::Start(
        port, short_of_memory ? std::vector<std::string>{"-m", "16", "-I", "1m"}
                              : std::vector<std::string>{});
  }
  static absl::StatusOr<std::unique_ptr<StringCache>> Open(int port, const std::string& name) {
    CacheOptions options;
    options.location = name;
    MemcachedOptions memcached;
    memcached.port = port;
    memcached.connect_timeout = memcached.command_timeout = kTimeout;
    return MemcachedCache<std::string, std::string>::Open(options, memcached);
  }
};

template <typename Engine>
class ServerFaultsTest : public ::testing::Test {
 protected:
  // A call that must end with a status (not a value, not a hang) within a bounded time.
  template <typename Call>
  void ExpectUnavailableSoon(Call call, const std::string& what) {
    const auto start = std::chrono::steady_clock::now();
    const absl::Status status = call();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << what << ": " << status;
    EXPECT_LT(took, std::chrono::seconds(3)) << what << " took too long (the timeout is 300 ms)";
  }
};
using Engines = ::testing::Types<Redis, Memcached>;
TYPED_TEST_SUITE(ServerFaultsTest, Engines);

TYPED_TEST(ServerFaultsTest, AKilledServerGivesStatusesAndAnEmptyRestartGivesOnlyMisses) {
  auto server = TypeParam::Start(0, false);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  auto cache = TypeParam::Open(port, "killed");
  ASSERT_TRUE(cache.ok()) << cache.status();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*cache)->Insert(absl::StrCat("k", i), "v").ok());
  (*server)->Stop();
  this->ExpectUnavailableSoon([&] { return (*cache)->Lookup("k1").status(); }, "a lookup");
  this->ExpectUnavailableSoon([&] { return (*cache)->Insert("k1", "w"); }, "an insert");
  this->ExpectUnavailableSoon([&] { return (*cache)->Erase("k2").status(); }, "an erase");
  auto restarted = TypeParam::Start(port, false);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ASSERT_TRUE((*cache)->Insert("new", "after the restart").ok()) << "the engine must reconnect";
  for (int i = 0; i < 10; ++i) {
    auto found = (*cache)->Lookup(absl::StrCat("k", i));
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_FALSE(found->has_value()) << "an empty server answered an old entry";
  }
  EXPECT_EQ(*(*cache)->Lookup("new"), "after the restart");
}

TYPED_TEST(ServerFaultsTest, APausedServerTimesOutInsteadOfHanging) {
  auto server = TypeParam::Start(0, false);
  ASSERT_TRUE(server.ok()) << server.status();
  auto cache = TypeParam::Open((*server)->port(), "paused");
  ASSERT_TRUE(cache.ok()) << cache.status();
  ASSERT_TRUE((*cache)->Insert("k", "v").ok());
  (*server)->Pause();
  this->ExpectUnavailableSoon([&] { return (*cache)->Lookup("k").status(); }, "a lookup");
  this->ExpectUnavailableSoon([&] { return (*cache)->Insert("k", "w"); }, "an insert");
  (*server)->Resume();
  // The calls that timed out may or may not have reached the server; what is read is one of
  // the writes.
  auto found = (*cache)->Lookup("k");
  ASSERT_TRUE(found.ok()) << "the engine must recover once the server answers: "
                          << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE(**found == "v" || **found == "w") << **found;
}

TYPED_TEST(ServerFaultsTest, AServerMovedToAnotherPortIsAClearStatusNamingTheOldOne) {
  auto server = TypeParam::Start(0, false);
  ASSERT_TRUE(server.ok()) << server.status();
  const int old_port = (*server)->port();
  auto cache = TypeParam::Open(old_port, "moved");
  ASSERT_TRUE(cache.ok()) << cache.status();
  (*server)->Stop();
  auto moved = TypeParam::Start(0, false);
  ASSERT_TRUE(moved.ok()) << moved.status();
  auto lost = (*cache)->Lookup("k");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(lost.status().message().find(std::to_string(old_port)), absl::string_view::npos)
      << "the status should name the address it tried: " << lost.status();
  auto reopened = TypeParam::Open((*moved)->port(), "moved");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->Insert("k", "v").ok());
}

TYPED_TEST(ServerFaultsTest, AServerShortOfMemoryDropsEntriesButNeverAnswersWrong) {
  auto server = TypeParam::Start(0, /*short_of_memory=*/true);
  ASSERT_TRUE(server.ok()) << server.status();
  auto cache = TypeParam::Open((*server)->port(), "starved");
  ASSERT_TRUE(cache.ok()) << cache.status();
  ASSERT_TRUE((*cache)->capabilities().server_evicts);
  constexpr int kEntries = 12000;  // 2 KB each: far more than the server may keep
  int refused = 0;
  for (int i = 0; i < kEntries; ++i) {
    const absl::Status status =
        (*cache)->Insert(absl::StrCat("k", i), absl::StrCat(i, ":", std::string(2000, 'v')));
    if (!status.ok()) ++refused;  // a server out of memory may refuse; never silently wrong
  }
  int kept = 0, dropped = 0;
  for (int i = 0; i < kEntries; ++i) {
    auto found = (*cache)->Lookup(absl::StrCat("k", i));
    ASSERT_TRUE(found.ok()) << found.status();
    if (!found->has_value()) {
      ++dropped;
      continue;
    }
    ++kept;
    ASSERT_EQ(**found, absl::StrCat(i, ":", std::string(2000, 'v')))
        << "k" << i << " answered another entry's value";
  }
  EXPECT_GT(dropped, 0) << "the server never ran short: the test proves nothing";
  EXPECT_GT(kept, 0);
  std::printf("%d entries written (%d refused): %d kept, %d dropped by the server\n", kEntries,
              refused, kept, dropped);
}

}  // namespace
}  // namespace cachelab
