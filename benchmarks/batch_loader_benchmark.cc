// What a cached fetch(keys) through BatchLoader costs over looking the same keys up directly:
// BM_BatchLoaderCachedFetch fetches n keys that are all in the cache (the provider is never
// called); BM_EngineLookup looks the same n keys up in the same engine, one call each.
// Run with -c opt: bazel run -c opt //benchmarks:batch_loader_benchmark
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "reference/loading/batch_loader.h"
#include "reference/memory/memory_cache.h"
#include "reference/redis/redis_cache.h"
#include "reference/redis/testing/redis_server.h"

namespace cachelab {
namespace {

using Keys = std::vector<std::string>;
using Engine = Cache<std::string, std::optional<std::string>>;

// An LRU engine holding keys "key0".."key{n-1}", and those keys.
std::pair<std::shared_ptr<Engine>, Keys> Filled(int n) {
  CacheOptions options;
  options.capacity = 2 * n;
  std::shared_ptr<Engine> engine =
      *NewMemoryCache<std::string, std::optional<std::string>>(MemoryEngine::kLru, options);
  Keys keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back(absl::StrCat("key", i));
    (void)engine->Insert(keys.back(), std::optional<std::string>("value"));
  }
  return {engine, keys};
}

void BM_BatchLoaderCachedFetch(benchmark::State& state) {
  auto [engine, keys] = Filled(static_cast<int>(state.range(0)));
  auto loader = *BatchLoader<std::string, std::string>::Create(
      engine, DataProvider<std::string, std::string>::OneKey(
                  [](const std::string&, std::stop_token) -> Answer<std::string> {
                    return absl::InternalError("the provider must not be called");
                  }));
  for (auto _ : state) {
    auto result = loader->FetchAll(keys);
    benchmark::DoNotOptimize(result);
  }
  if (loader->Stats().provider_calls != 0) state.SkipWithError("the provider was called");
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BatchLoaderCachedFetch)->Arg(1000)->Arg(10);

// The same fetch with a plain callback: it completes on the calling thread (every key is
// cached), so this is the loader's own work without the future's thread hop.
void BM_BatchLoaderCachedFetchCallback(benchmark::State& state) {
  auto [engine, keys] = Filled(static_cast<int>(state.range(0)));
  auto loader = *BatchLoader<std::string, std::string>::Create(
      engine, DataProvider<std::string, std::string>::OneKey(
                  [](const std::string&, std::stop_token) -> Answer<std::string> {
                    return absl::InternalError("the provider must not be called");
                  }));
  size_t answered = 0;
  for (auto _ : state) {
    loader->Fetch(keys, [&](BatchResult<std::string, std::string> result) {
      answered += result.items.size();
    });
  }
  if (answered != state.iterations() * keys.size()) state.SkipWithError("a fetch did not finish");
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BatchLoaderCachedFetchCallback)->Arg(1000)->Arg(10);

void BM_EngineLookup(benchmark::State& state) {
  auto [engine, keys] = Filled(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    for (const std::string& key : keys) {
      auto found = engine->Lookup(key);
      benchmark::DoNotOptimize(found);
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EngineLookup)->Arg(1000)->Arg(10);

}  // namespace
}  // namespace cachelab

namespace cachelab {
namespace {

// The same over a Redis engine (a redis-server this binary starts): a cached fetch of n keys
// reads them with one LookupMany (one round trip), where n single lookups make n round trips.
std::pair<std::shared_ptr<Engine>, Keys> FilledRedis(int n) {
  auto server = testing::SharedRedisServer();
  if (!server.ok()) return {nullptr, {}};
  CacheOptions options;
  options.location = absl::StrCat("batch-", n);
  RedisOptions redis;
  redis.port = (*server)->port();
  auto engine = RedisCache<std::string, std::optional<std::string>>::Open(options, redis);
  if (!engine.ok()) return {nullptr, {}};
  std::shared_ptr<Engine> shared = *std::move(engine);
  Keys keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back(absl::StrCat("key", i));
    (void)shared->Insert(keys.back(), std::optional<std::string>("value"));
  }
  return {shared, keys};
}

void BM_BatchLoaderCachedFetchRedis(benchmark::State& state) {
  auto [engine, keys] = FilledRedis(static_cast<int>(state.range(0)));
  if (engine == nullptr) return state.SkipWithError("no redis-server");
  auto loader = *BatchLoader<std::string, std::string>::Create(
      engine, DataProvider<std::string, std::string>::OneKey(
                  [](const std::string&, std::stop_token) -> Answer<std::string> {
                    return absl::InternalError("the provider must not be called");
                  }));
  for (auto _ : state) benchmark::DoNotOptimize(loader->FetchAll(keys));
  if (loader->Stats().provider_calls != 0) state.SkipWithError("the provider was called");
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BatchLoaderCachedFetchRedis)->Arg(1000)->UseRealTime();

void BM_RedisEngineLookup(benchmark::State& state) {
  auto [engine, keys] = FilledRedis(static_cast<int>(state.range(0)));
  if (engine == nullptr) return state.SkipWithError("no redis-server");
  for (auto _ : state) {
    for (const std::string& key : keys) benchmark::DoNotOptimize(engine->Lookup(key));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RedisEngineLookup)->Arg(1000)->UseRealTime();

}  // namespace
}  // namespace cachelab
