// What the battery cannot check generically about the Redis engine: losing the server and
// getting it back, and namespaces that keep caches on one server apart.
#include "reference/redis/redis_cache.h"

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "reference/redis/testing/redis_server.h"

namespace cachelab {
namespace {

std::unique_ptr<Cache<std::string, std::string>> Connect(int port, const std::string& name) {
  CacheOptions options;
  options.location = name;
  RedisOptions redis;
  redis.port = port;
  redis.connect_timeout = absl::Milliseconds(300);
  redis.command_timeout = absl::Milliseconds(300);
  auto cache = RedisCache<std::string, std::string>::Open(options, redis);
  EXPECT_TRUE(cache.ok()) << cache.status();
  return cache.ok() ? *std::move(cache) : nullptr;
}

TEST(RedisCacheTest, ALostServerIsUnavailableWithinTheTimeoutAndTheEngineReconnects) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  auto cache = Connect(port, "lost");
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->Insert("k", "v").ok());

  (*server)->Stop();
  const absl::Time start = absl::Now();
  const auto lost = cache->Lookup("k");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  EXPECT_NE(lost.status().message().find(std::to_string(port)), absl::string_view::npos)
      << "the error should name the server";
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "the error must come within the timeout";
  EXPECT_EQ(cache->Insert("k2", "v").code(), absl::StatusCode::kUnavailable);
  const CacheStats before = cache->Stats();

  auto restarted = testing::RedisServer::Start(port);  // a fresh, empty server
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ASSERT_TRUE(cache->Insert("k", "again").ok()) << "the engine must reconnect by itself";
  EXPECT_EQ(*cache->Lookup("k"), "again");
  EXPECT_EQ(before.hits + before.misses, 0u) << "failed calls must not count";
}

TEST(RedisCacheTest, NamespacesKeepCachesOnOneServerApart) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto first = Connect((*server)->port(), "first");
  auto second = Connect((*server)->port(), "second*");  // glob characters are literal
  ASSERT_TRUE(first->Insert("k", "1").ok());
  ASSERT_TRUE(second->Insert("k", "2").ok());
  EXPECT_EQ(*first->Lookup("k"), "1");
  EXPECT_EQ(*second->Lookup("k"), "2");
  ASSERT_TRUE(first->Clear().ok());
  EXPECT_EQ(*second->Lookup("k"), "2");
  EXPECT_EQ(*first->Size(), 0u);
  EXPECT_EQ(*second->Size(), 1u);
}

TEST(RedisCacheTest, AnUnreachableServerIsRefusedAtOpen) {
  CacheOptions options;
  options.location = "x";
  RedisOptions redis;
  redis.port = 1;  // nothing listens on port 1
  auto cache = RedisCache<std::string, std::string>::Open(options, redis);
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.status().code(), absl::StatusCode::kUnavailable) << cache.status();
}

}  // namespace
}  // namespace cachelab
