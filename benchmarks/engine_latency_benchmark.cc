// Single-thread get and set latency of each engine, next to the raw operations they are built
// on, in one run: raw SQLite point lookups (a prepared SELECT by primary key on a two-column
// table, WAL, same synchronous setting), raw hiredis GET round trips to the same redis-server,
// and raw libmemcached get and set round trips to the same memcached.
// Run with -c opt: bazel run -c opt //benchmarks:engine_latency_benchmark
#include <sqlite3.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>
#include <libmemcached/memcached.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "reference/files/files_cache.h"
#include "reference/memcached/memcached_cache.h"
#include "reference/memcached/testing/memcached_server.h"
#include "reference/memory/memory_cache.h"
#include "reference/redis/redis_cache.h"
#include "reference/redis/testing/redis_server.h"
#include "reference/sqlite/sqlite_cache.h"

namespace cachelab {
namespace {

constexpr int kKeys = 1000;
using StringCache = Cache<std::string, std::string>;

std::string TempDir() {
  std::string dir = "/tmp/cachelab-bench-XXXXXX";
  return std::string(mkdtemp(dir.data()));
}
std::string Key(int64_t i) { return absl::StrCat("key", i % kKeys); }
const std::string kValue(100, 'v');

std::unique_ptr<StringCache> Engine(const std::string& name) {
  CacheOptions options;
  options.location = TempDir() + "/cache";
  if (name == "lru") {
    options.capacity = 2 * kKeys;
    return *NewMemoryCache<std::string, std::string>(MemoryEngine::kLru, options);
  }
  if (name == "sqlite") {
    options.capacity = 2 * kKeys;
    return *SqliteCache<std::string, std::string>::Open(options);  // synchronous=FULL
  }
  if (name == "files") {
    options.capacity = 2 * kKeys;
    return *FilesCache<std::string, std::string>::Open(options);  // fsync on every write
  }
  if (name == "memcached") {
    auto server = testing::SharedMemcachedServer();
    if (!server.ok()) return nullptr;
    MemcachedOptions memcached;
    memcached.port = (*server)->port();
    return *MemcachedCache<std::string, std::string>::Open(options, memcached);
  }
  auto server = testing::SharedRedisServer();
  if (!server.ok()) return nullptr;
  RedisOptions redis;
  redis.port = (*server)->port();
  return *RedisCache<std::string, std::string>::Open(options, redis);
}

void Get(benchmark::State& state, const std::string& name) {
  auto cache = Engine(name);
  if (cache == nullptr) return state.SkipWithError("no engine");
  for (int i = 0; i < kKeys; ++i) (void)cache->Insert(Key(i), kValue);
  int64_t i = 0;
  for (auto _ : state) {
    auto found = cache->Lookup(Key(i++));
    if (!found.ok() || !found->has_value()) return state.SkipWithError("miss");
  }
}
void Set(benchmark::State& state, const std::string& name) {
  auto cache = Engine(name);
  if (cache == nullptr) return state.SkipWithError("no engine");
  int64_t i = 0;
  for (auto _ : state) {
    if (!cache->Insert(Key(i++), kValue).ok()) return state.SkipWithError("insert failed");
  }
}
// Listing the keys of a cache of kKeys entries (the remote engines walk their namespace).
void ListKeys(benchmark::State& state, const std::string& name) {
  auto cache = Engine(name);
  if (cache == nullptr) return state.SkipWithError("no engine");
  for (int i = 0; i < kKeys; ++i) (void)cache->Insert(Key(i), kValue);
  for (auto _ : state) {
    auto keys = cache->Keys();
    if (!keys.ok() || keys->size() != kKeys) return state.SkipWithError("wrong keys");
  }
}
void BM_LruGet(benchmark::State& state) { Get(state, "lru"); }
void BM_LruSet(benchmark::State& state) { Set(state, "lru"); }
void BM_SqliteCacheGet(benchmark::State& state) { Get(state, "sqlite"); }
void BM_SqliteCacheSet(benchmark::State& state) { Set(state, "sqlite"); }
void BM_FilesCacheGet(benchmark::State& state) { Get(state, "files"); }
void BM_FilesCacheSet(benchmark::State& state) { Set(state, "files"); }
void BM_RedisCacheGet(benchmark::State& state) { Get(state, "redis"); }
void BM_RedisCacheSet(benchmark::State& state) { Set(state, "redis"); }
void BM_MemcachedCacheGet(benchmark::State& state) { Get(state, "memcached"); }
void BM_MemcachedCacheSet(benchmark::State& state) { Set(state, "memcached"); }
// Sets of keys never written before: the memcached engine's `add` succeeds in one round trip,
// where an overwrite takes three (add, gets, cas).
void BM_MemcachedCacheInsertNew(benchmark::State& state) {
  // A server of its own: the keys it leaves would slow every later listing of the shared one.
  auto server = testing::MemcachedServer::Start();
  if (!server.ok()) return state.SkipWithError("no memcached");
  CacheOptions options;
  options.location = "insert-new";
  MemcachedOptions memcached;
  memcached.port = (*server)->port();
  auto cache = MemcachedCache<std::string, std::string>::Open(options, memcached);
  if (!cache.ok()) return state.SkipWithError("no engine");
  int64_t i = 0;
  for (auto _ : state) {
    if (!(*cache)->Insert(absl::StrCat("new", i++), kValue).ok()) {
      return state.SkipWithError("insert failed");
    }
  }
}
BENCHMARK(BM_LruGet);
BENCHMARK(BM_LruSet);
BENCHMARK(BM_SqliteCacheGet);
BENCHMARK(BM_SqliteCacheSet);
BENCHMARK(BM_FilesCacheGet);
BENCHMARK(BM_FilesCacheSet);
BENCHMARK(BM_RedisCacheGet);
BENCHMARK(BM_RedisCacheSet);
BENCHMARK(BM_MemcachedCacheGet);
BENCHMARK(BM_MemcachedCacheSet);
BENCHMARK(BM_MemcachedCacheInsertNew);
void BM_RedisCacheKeys(benchmark::State& state) { ListKeys(state, "redis"); }
void BM_MemcachedCacheKeys(benchmark::State& state) { ListKeys(state, "memcached"); }
BENCHMARK(BM_RedisCacheKeys);
BENCHMARK(BM_MemcachedCacheKeys);

// The floor under the SQLite engine: a point lookup by primary key with a prepared statement.
void BM_RawSqlitePointLookup(benchmark::State& state) {
  const std::string path = TempDir() + "/raw.db";
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE t(key BLOB PRIMARY KEY, value BLOB)", nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, ?)", -1, &insert, nullptr);
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = Key(i);
    sqlite3_bind_blob(insert, 1, key.data(), key.size(), SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 2, kValue.data(), kValue.size(), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  sqlite3_stmt* select = nullptr;
  sqlite3_prepare_v2(db, "SELECT value FROM t WHERE key = ?", -1, &select, nullptr);
  int64_t i = 0;
  for (auto _ : state) {
    const std::string key = Key(i++);
    sqlite3_bind_blob(select, 1, key.data(), key.size(), SQLITE_TRANSIENT);
    if (sqlite3_step(select) != SQLITE_ROW) return state.SkipWithError("miss");
    benchmark::DoNotOptimize(sqlite3_column_blob(select, 0));
    sqlite3_reset(select);
  }
  sqlite3_finalize(select);
  sqlite3_close(db);
}
BENCHMARK(BM_RawSqlitePointLookup);

// The floor under the Redis engine: one GET round trip on the same server.
void BM_RawHiredisGet(benchmark::State& state) {
  auto server = testing::SharedRedisServer();
  if (!server.ok()) return state.SkipWithError("no redis-server");
  redisContext* c = redisConnect("127.0.0.1", (*server)->port());
  for (int i = 0; i < kKeys; ++i) {
    freeReplyObject(redisCommand(c, "SET raw:%s %b", Key(i).c_str(), kValue.data(), kValue.size()));
  }
  int64_t i = 0;
  for (auto _ : state) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "GET raw:%s", Key(i++).c_str()));
    if (reply == nullptr || reply->type != REDIS_REPLY_STRING) return state.SkipWithError("miss");
    freeReplyObject(reply);
  }
  redisFree(c);
}
BENCHMARK(BM_RawHiredisGet);

// The floor under the memcached engine: one get, or one set, round trip on the same server.
memcached_st* RawMemcached() {
  auto server = testing::SharedMemcachedServer();
  if (!server.ok()) return nullptr;
  memcached_st* client = memcached_create(nullptr);
  memcached_behavior_set(client, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  memcached_server_add(client, "127.0.0.1", static_cast<in_port_t>((*server)->port()));
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "raw:" + Key(i);
    memcached_set(client, key.data(), key.size(), kValue.data(), kValue.size(), 0, 0);
  }
  return client;
}
void BM_RawLibmemcachedGet(benchmark::State& state) {
  memcached_st* client = RawMemcached();
  if (client == nullptr) return state.SkipWithError("no memcached");
  int64_t i = 0;
  for (auto _ : state) {
    const std::string key = "raw:" + Key(i++);
    size_t length = 0;
    uint32_t flags = 0;
    memcached_return_t code;
    char* value = memcached_get(client, key.data(), key.size(), &length, &flags, &code);
    if (value == nullptr) return state.SkipWithError("miss");
    free(value);
  }
  memcached_free(client);
}
void BM_RawLibmemcachedSet(benchmark::State& state) {
  memcached_st* client = RawMemcached();
  if (client == nullptr) return state.SkipWithError("no memcached");
  int64_t i = 0;
  for (auto _ : state) {
    const std::string key = "raw:" + Key(i++);
    if (memcached_set(client, key.data(), key.size(), kValue.data(), kValue.size(), 0, 0) !=
        MEMCACHED_SUCCESS) {
      return state.SkipWithError("set failed");
    }
  }
  memcached_free(client);
}
BENCHMARK(BM_RawLibmemcachedGet);
BENCHMARK(BM_RawLibmemcachedSet);

}  // namespace
}  // namespace cachelab
