// What the battery cannot check generically about the Redis engine: losing the server and
// getting it back, and namespaces that keep caches on one server apart.
#include "reference/redis/redis_cache.h"

#include <hiredis/hiredis.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

// Runs `command` on its own connection to the server at `port`; returns the reply's text.
std::string RunOnServer(int port, const char* command) {
  redisContext* context = redisConnect("127.0.0.1", port);
  if (context == nullptr || context->err != 0) {
    if (context != nullptr) redisFree(context);
    ADD_FAILURE() << "cannot connect to the server on port " << port;
    return "";
  }
  auto* reply = static_cast<redisReply*>(redisCommand(context, command));
  std::string text;
  if (reply != nullptr && reply->str != nullptr) text.assign(reply->str, reply->len);
  if (reply == nullptr) ADD_FAILURE() << command << ": no reply";
  freeReplyObject(reply);
  redisFree(context);
  return text;
}

// How many times the server has run `command` (its INFO commandstats; 0 if never).
int64_t Calls(int port, const std::string& command) {
  const std::string stats = RunOnServer(port, "INFO commandstats");
  const std::string field = absl::StrCat("cmdstat_", command, ":calls=");
  const size_t at = stats.find(field);
  if (at == std::string::npos) return 0;
  const size_t begin = at + field.size();
  int64_t calls = 0;
  EXPECT_TRUE(absl::SimpleAtoi(stats.substr(begin, stats.find(',', begin) - begin), &calls));
  return calls;
}

TEST(RedisCacheTest, CallsSendTheScriptsDigestNotTheirBodies) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  auto cache = Connect(port, "digest");
  ASSERT_NE(cache, nullptr);
  const int64_t evals = Calls(port, "eval");
  const int64_t by_digest = Calls(port, "evalsha");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(cache->Insert(absl::StrCat(i), "v").ok());
    ASSERT_TRUE(cache->Lookup(absl::StrCat(i)).ok());
  }
  ASSERT_TRUE(cache->Erase("0").ok());
  ASSERT_TRUE(cache->Size().ok());
  EXPECT_EQ(Calls(port, "eval"), evals) << "no call should send a script's body";
  EXPECT_EQ(Calls(port, "evalsha") - by_digest, 42);
}

TEST(RedisCacheTest, AServerThatForgetsItsScriptsRunsEveryCallOnceInOrder) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  auto cache = Connect(port, "forgets");
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->Insert("a", "1").ok());
  ASSERT_TRUE(cache->Insert("b", "2").ok());

  ASSERT_EQ(RunOnServer(port, "SCRIPT FLUSH"), "OK");
  const int64_t evals = Calls(port, "eval");
  // One pipelined batch, every element refused at first; a repeated key must end as the last
  // occurrence wrote it, and each element counted once.
  ASSERT_TRUE(cache->InsertMany({{"c", "3"}, {"a", "4"}, {"a", "5"}}).ok());
  EXPECT_EQ(Calls(port, "eval") - evals, 3) << "each refused element is sent again once";
  auto values = cache->LookupMany({"a", "b", "c", "d"});
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, (std::vector<std::optional<std::string>>{"5", "2", "3", std::nullopt}));
  EXPECT_EQ(*cache->Erase("b"), true);
  EXPECT_EQ(*cache->Size(), 2u);
  const CacheStats stats = cache->Stats();
  EXPECT_EQ(stats.insertions, 3u);  // a, b, c
  EXPECT_EQ(stats.updates, 2u);     // a twice
  EXPECT_EQ(stats.hits, 3u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.removals, 1u);

  const int64_t by_digest = Calls(port, "evalsha");
  const int64_t reloaded = Calls(port, "eval");
  ASSERT_TRUE(cache->Insert("e", "6").ok());
  EXPECT_EQ(Calls(port, "eval"), reloaded) << "once sent again, the scripts are cached";
  EXPECT_EQ(Calls(port, "evalsha") - by_digest, 1);
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
