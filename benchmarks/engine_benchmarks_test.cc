// The standard engine benchmarks clean up after themselves on a server: every fixture's Redis
// namespace is empty once its benchmark has run, so a binary's fixtures do not pile entries up
// on the server for the later ones to pay for.
#include <cstdlib>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/engine_benchmarks.h"
#include "gtest/gtest.h"
#include "reference/redis/redis_cache.h"
#include "reference/redis/testing/redis_server.h"

namespace cachelab::benchmarks {
namespace {

using Redis = RedisCache<std::string, std::string>;

// Redis as itself, and Redis behind capabilities that look in-memory (as a fallback chain over
// Redis with a memory tail declares: neither persistent nor shared between processes).
TEST(EngineBenchmarksTest, EmptiesEachServerNamespaceItFilled) {
  auto server = testing::SharedRedisServer();
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_EQ(setenv(kResidentKeysEnv, "50", 1), 0);
  std::vector<std::string> namespaces;
  const CreateFn open = [&](const CacheOptions& options) {
    namespaces.push_back(options.location);
    RedisOptions redis;
    redis.port = port;
    return Redis::Open(options, redis);
  };
  Capabilities looks_in_memory = Redis::Declared();
  looks_in_memory.persistent = false;
  looks_in_memory.multi_process = false;
  RegisterEngineBenchmarks("CleanRedis", Redis::Declared(), open);
  RegisterEngineBenchmarks("CleanChain", looks_in_memory, open);
  int argc = 3;
  char program[] = "engine_benchmarks_test";
  char filter[] =
      "--benchmark_filter=BM_Clean(Redis|Chain)(MissThenInsert|ZipfGetOrInsert)/value_bytes:8/";
  char min_time[] = "--benchmark_min_time=0.01";
  char* argv[] = {program, filter, min_time, nullptr};
  benchmark::Initialize(&argc, argv);
  ASSERT_GE(benchmark::RunSpecifiedBenchmarks(), 4u);

  ASSERT_GE(namespaces.size(), 4u);
  for (const std::string& name : namespaces) {
    CacheOptions options;
    options.location = name;
    RedisOptions redis;
    redis.port = port;
    auto reopened = Redis::Open(options, redis);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    auto size = (*reopened)->Size();
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(*size, 0u) << "namespace " << name << " kept its entries";
  }
}

}  // namespace
}  // namespace cachelab::benchmarks
