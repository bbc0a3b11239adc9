// The peers and limits every engine figure is read against, in the style of the engine
// benchmarks (same keys "k<n>", same resident counts, same thread counts), so that the report
// can divide one by the other within one run:
//
//   memory   BM_FlatHashMapFind (the limit for a memory hit), BM_FlatHashMapFindAndStamp (the
//            same plus one store into the entry found: the limit for hits that write),
//            BM_TextbookLru* (std::list + absl::flat_hash_map, bare and behind std::mutex),
//            BM_MutexLockUnlock (the lock alone), BM_CacheLineTransfer (a cache line moved to
//            the other core: what two threads that write one structure pay per interleaving),
//            BM_TbbConcurrentLruHit (tbb::concurrent_lru_cache), BM_RocksDbLruCacheHit
//            (RocksDB's LRUCache)
//   disk     BM_RawSqliteSelect / BM_RawSqliteInsert (prepared statements, WAL, synchronous FULL
//            and NORMAL), BM_RawFileRead (open + read + close of a 100-byte file)
//   servers  BM_RawHiredisGet / Set / Mget100, BM_RawLibmemcachedGet / Set, on servers this
//            binary starts on loopback ports (and stops)
//   Python   BM_Py* : functools.lru_cache, cachetools and diskcache through Debian's python3
//            (python_peers.py), timed inside Python and reported with manual time.
//
// Run with -c opt: bazel run -c opt //benchmarks:peers_benchmark
#define TBB_PREVIEW_CONCURRENT_LRU_CACHE 1

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <libmemcached/memcached.h>
#include <rocksdb/cache.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "benchmarks/latency.h"
#include "benchmarks/python_peers.h"
#include "oneapi/tbb/concurrent_lru_cache.h"
#include "reference/memcached/testing/memcached_server.h"
#include "reference/redis/testing/redis_server.h"

namespace cachelab::benchmarks {
namespace {

constexpr int kMemoryKeys = 10'000;
constexpr int kDiskKeys = 1'000;
constexpr size_t kSequence = 1 << 20;

std::string Key(uint64_t i) { return absl::StrCat("k", i); }

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(Key(i));
  return keys;
}

// Random indices in [0, n), walked by every benchmark's threads from different offsets.
const std::vector<uint32_t>& Uniform(int n) {
  static auto* sequences = new absl::flat_hash_map<int, std::vector<uint32_t>>();
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto& sequence = (*sequences)[n];
  if (sequence.empty()) {
    std::mt19937_64 rng(7);
    sequence.resize(kSequence);
    for (uint32_t& i : sequence) i = static_cast<uint32_t>(rng() % n);
  }
  return sequence;
}

// The same Zipf(0.99) sequence over 10 x kMemoryKeys keys as the engines' ZipfGetOrInsert.
const std::vector<uint32_t>& Zipf() {
  static const auto* sequence = [] {
    const size_t n = 10 * kMemoryKeys;
    std::vector<double> cdf(n);
    double total = 0;
    for (size_t r = 0; r < n; ++r) cdf[r] = total += 1.0 / std::pow(static_cast<double>(r + 1), 0.99);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, total);
    auto* out = new std::vector<uint32_t>(kSequence);
    for (uint32_t& rank : *out) {
      rank = static_cast<uint32_t>(
          std::min<size_t>(std::upper_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin(), n - 1));
    }
    return out;
  }();
  return *sequence;
}

size_t Start(const benchmark::State& state) {
  return static_cast<size_t>(state.thread_index()) * (kSequence / 4 + 7919);
}

// ---- Memory ----------------------------------------------------------------------------------

template <bool kLocked>
class TextbookLru {
 public:
  explicit TextbookLru(size_t capacity) : capacity_(capacity) {}
  std::optional<std::string> Lookup(const std::string& key) {
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    if (kLocked) lock.lock();
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }
  void Insert(const std::string& key, std::string value) {
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    if (kLocked) lock.lock();
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    if (index_.size() == capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(key, order_.begin());
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::list<std::pair<std::string, std::string>> order_;
  absl::flat_hash_map<std::string, typename std::list<std::pair<std::string, std::string>>::iterator>
      index_;
};

template <typename Fixture>
RunCoordinator<Fixture>& Coordinator() {
  static auto* coordinator = new RunCoordinator<Fixture>();
  return *coordinator;
}

struct FlatMap {
  absl::flat_hash_map<std::string, std::string> map;
  std::vector<std::string> keys = Keys(kMemoryKeys);
};

void BM_FlatHashMapFind(benchmark::State& state) {
  auto run = Coordinator<FlatMap>().Join(state, [&](std::string&) {
    auto f = std::make_shared<FlatMap>();
    for (const std::string& k : f->keys) f->map[k] = std::string(state.range(0), 'v');
    return f;
  });
  const auto& sequence = Uniform(kMemoryKeys);
  size_t i = Start(state);
  for (auto _ : state) {
    auto it = run->fixture->map.find(run->fixture->keys[sequence[i++ % kSequence]]);
    std::string value = it->second;  // an engine returns a copy; so does this limit
    benchmark::DoNotOptimize(value);
  }
  Coordinator<FlatMap>().Finish(state, *run, Histogram());
}
BENCHMARK(BM_FlatHashMapFind)->Arg(8)->Arg(100)->ArgName("value_bytes")->ThreadRange(1, 4)->UseRealTime();

// The same find, plus the lightest write a hit could make to record its use: one relaxed store
// of a stamp into the entry it found (no lock, no shared counter). Two threads over 10,000
// entries then pass entries' lines between their cores; read against BM_FlatHashMapFind at the
// same thread count, this bounds what any design whose hits write the entry can reach.
struct StampedMap {
  struct Entry {
    std::string value;
    uint64_t stamp = 0;
  };
  absl::flat_hash_map<std::string, Entry> map;
  std::vector<std::string> keys = Keys(kMemoryKeys);
};

void BM_FlatHashMapFindAndStamp(benchmark::State& state) {
  auto run = Coordinator<StampedMap>().Join(state, [&](std::string&) {
    auto f = std::make_shared<StampedMap>();
    for (const std::string& k : f->keys) f->map[k].value = std::string(state.range(0), 'v');
    return f;
  });
  const auto& sequence = Uniform(kMemoryKeys);
  size_t i = Start(state);
  uint64_t stamp = 0;
  for (auto _ : state) {
    auto it = run->fixture->map.find(run->fixture->keys[sequence[i++ % kSequence]]);
    std::string value = it->second.value;
    __atomic_store_n(&it->second.stamp, ++stamp, __ATOMIC_RELAXED);
    benchmark::DoNotOptimize(value);
  }
  Coordinator<StampedMap>().Finish(state, *run, Histogram());
}
BENCHMARK(BM_FlatHashMapFindAndStamp)->Arg(8)->Arg(100)->ArgName("value_bytes")->ThreadRange(1, 2)->UseRealTime();

template <bool kLocked>
struct Textbook {
  TextbookLru<kLocked> lru{kMemoryKeys};
  std::vector<std::string> keys;
};

template <bool kLocked>
void TextbookHit(benchmark::State& state) {
  using F = Textbook<kLocked>;
  auto run = Coordinator<F>().Join(state, [&](std::string&) {
    auto f = std::make_shared<F>();
    f->keys = Keys(kMemoryKeys);
    for (const std::string& k : f->keys) f->lru.Insert(k, std::string(state.range(0), 'v'));
    return f;
  });
  const auto& sequence = Uniform(kMemoryKeys);
  size_t i = Start(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(run->fixture->lru.Lookup(run->fixture->keys[sequence[i++ % kSequence]]));
  }
  Coordinator<F>().Finish(state, *run, Histogram());
}

template <bool kLocked>
void TextbookZipf(benchmark::State& state) {
  using F = Textbook<kLocked>;
  const auto& sequence = Zipf();
  const std::string value(state.range(0), 'v');
  auto run = Coordinator<F>().Join(state, [&](std::string&) {
    auto f = std::make_shared<F>();
    f->keys = Keys(10 * kMemoryKeys);
    // Warmed as the engines' ZipfGetOrInsert is: the 2 x capacity requests before the
    // sequence's beginning, untimed.
    for (size_t i = kSequence - 2 * kMemoryKeys; i < kSequence; ++i) {
      const std::string& key = f->keys[sequence[i]];
      if (!f->lru.Lookup(key)) f->lru.Insert(key, value);
    }
    return f;
  });
  size_t i = Start(state);
  uint64_t hits = 0;
  for (auto _ : state) {
    const std::string& key = run->fixture->keys[sequence[i++ % kSequence]];
    if (run->fixture->lru.Lookup(key)) {
      ++hits;
    } else {
      run->fixture->lru.Insert(key, value);
    }
  }
  state.counters["hit_ratio"] = benchmark::Counter(
      static_cast<double>(hits) / state.iterations(), benchmark::Counter::kAvgThreads);
  Coordinator<F>().Finish(state, *run, Histogram());
}

void BM_TextbookLruHit(benchmark::State& state) { TextbookHit<false>(state); }
void BM_TextbookLruMutexHit(benchmark::State& state) { TextbookHit<true>(state); }
void BM_TextbookLruZipfGetOrInsert(benchmark::State& state) { TextbookZipf<false>(state); }
void BM_TextbookLruMutexZipfGetOrInsert(benchmark::State& state) { TextbookZipf<true>(state); }
BENCHMARK(BM_TextbookLruHit)->Arg(8)->Arg(100)->ArgName("value_bytes")->UseRealTime();
BENCHMARK(BM_TextbookLruMutexHit)->Arg(8)->Arg(100)->ArgName("value_bytes")->ThreadRange(1, 4)->UseRealTime();
BENCHMARK(BM_TextbookLruZipfGetOrInsert)->Arg(8)->ArgName("value_bytes")->UseRealTime();
BENCHMARK(BM_TextbookLruMutexZipfGetOrInsert)->Arg(8)->ArgName("value_bytes")->ThreadRange(1, 4)->UseRealTime();

void BM_MutexLockUnlock(benchmark::State& state) {
  static std::mutex mu;
  for (auto _ : state) {
    mu.lock();
    benchmark::ClobberMemory();
    mu.unlock();
  }
}
BENCHMARK(BM_MutexLockUnlock)->ThreadRange(1, 4)->UseRealTime();

// The physical limit under every structure two threads write: one cache line passed from one
// core to the other. Each thread waits for the other's write, then writes, so the time per
// iteration (Google Benchmark divides the wall time by both threads' iterations) is one
// transfer. An exact cache whose every hit reorders shared state pays at least one whenever the
// two threads' calls interleave.
void BM_CacheLineTransfer(benchmark::State& state) {
  alignas(64) static std::atomic<int> turn{0};
  const int me = state.thread_index();
  if (me == 0) turn.store(0);
  for (auto _ : state) {
    for (int spins = 0; turn.load(std::memory_order_acquire) != me;) {
      if (++spins % 4096 == 0) std::this_thread::yield();  // the other thread was descheduled
    }
    turn.store(1 - me, std::memory_order_release);
  }
}
BENCHMARK(BM_CacheLineTransfer)->Threads(2)->UseRealTime();

using TbbLru = tbb::concurrent_lru_cache<std::string, std::string, std::string (*)(std::string)>;
struct Tbb {
  std::unique_ptr<TbbLru> cache;
  std::vector<std::string> keys = Keys(kMemoryKeys);
};
std::string TbbValue(std::string) { return std::string(8, 'v'); }

void BM_TbbConcurrentLruHit(benchmark::State& state) {
  auto run = Coordinator<Tbb>().Join(state, [&](std::string&) {
    auto f = std::make_shared<Tbb>();
    f->cache = std::make_unique<TbbLru>(&TbbValue, kMemoryKeys);
    for (const std::string& k : f->keys) (void)(*f->cache)[k];
    return f;
  });
  const auto& sequence = Uniform(kMemoryKeys);
  size_t i = Start(state);
  for (auto _ : state) {
    auto handle = (*run->fixture->cache)[run->fixture->keys[sequence[i++ % kSequence]]];
    std::string value = handle.value();
    benchmark::DoNotOptimize(value);
  }
  Coordinator<Tbb>().Finish(state, *run, Histogram());
}
BENCHMARK(BM_TbbConcurrentLruHit)->ThreadRange(1, 4)->UseRealTime();

struct RocksDb {
  std::shared_ptr<rocksdb::Cache> cache;
  std::vector<std::string> keys = Keys(kMemoryKeys);
};

void BM_RocksDbLruCacheHit(benchmark::State& state) {
  auto run = Coordinator<RocksDb>().Join(state, [&](std::string& error) {
    auto f = std::make_shared<RocksDb>();
    // Charge 1 per entry, default sharding; room to spare, since each shard has its own
    // share of the capacity and keys do not spread evenly.
    rocksdb::LRUCacheOptions options;
    options.capacity = 4 * kMemoryKeys;
    options.metadata_charge_policy = rocksdb::kDontChargeCacheMetadata;
    f->cache = rocksdb::NewLRUCache(options);
    for (const std::string& k : f->keys) {
      auto* value = new std::string(8, 'v');
      if (!f->cache->Insert(k, value, 1, [](const rocksdb::Slice&, void* v) {
                     delete static_cast<std::string*>(v);
                   }).ok()) {
        error = "RocksDB insert failed";
        return std::shared_ptr<RocksDb>();
      }
    }
    return f;
  });
  if (!run->fixture) return state.SkipWithError(run->error.c_str());
  const auto& sequence = Uniform(kMemoryKeys);
  rocksdb::Cache& cache = *run->fixture->cache;
  size_t i = Start(state);
  for (auto _ : state) {
    rocksdb::Cache::Handle* handle = cache.Lookup(run->fixture->keys[sequence[i++ % kSequence]]);
    if (handle == nullptr) return state.SkipWithError("a resident key was not found");
    std::string value = *static_cast<std::string*>(cache.Value(handle));
    benchmark::DoNotOptimize(value);
    cache.Release(handle);
  }
  Coordinator<RocksDb>().Finish(state, *run, Histogram());
}
BENCHMARK(BM_RocksDbLruCacheHit)->ThreadRange(1, 4)->UseRealTime();

// ---- Disk ------------------------------------------------------------------------------------

std::string TempDir() {
  std::string dir = "/tmp/cachelab-peers-XXXXXX";
  return std::string(mkdtemp(dir.data()));
}

const std::string kValue100(100, 'v');

// A two-column table in WAL mode, like the SQLite engine's, with kDiskKeys rows.
sqlite3* OpenSqlite(const std::string& path, bool full) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                        : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
               nullptr, nullptr, nullptr);
  sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS t(key BLOB PRIMARY KEY, value BLOB)", nullptr,
               nullptr, nullptr);
  return db;
}

void BM_RawSqliteSelect(benchmark::State& state) {
  const std::string dir = TempDir();
  sqlite3* db = OpenSqlite(dir + "/raw.db", true);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t VALUES(?, ?)", -1, &insert, nullptr);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (int i = 0; i < kDiskKeys; ++i) {
    const std::string key = Key(i);
    sqlite3_bind_blob(insert, 1, key.data(), key.size(), SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 2, kValue100.data(), kValue100.size(), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_finalize(insert);
  sqlite3_stmt* select = nullptr;
  sqlite3_prepare_v2(db, "SELECT value FROM t WHERE key = ?", -1, &select, nullptr);
  const auto& sequence = Uniform(kDiskKeys);
  size_t i = 0;
  for (auto _ : state) {
    const std::string key = Key(sequence[i++ % kSequence]);
    sqlite3_bind_blob(select, 1, key.data(), key.size(), SQLITE_TRANSIENT);
    if (sqlite3_step(select) != SQLITE_ROW) return state.SkipWithError("miss");
    std::string value(static_cast<const char*>(sqlite3_column_blob(select, 0)),
                      sqlite3_column_bytes(select, 0));
    benchmark::DoNotOptimize(value);
    sqlite3_reset(select);
  }
  sqlite3_finalize(select);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RawSqliteSelect);

// One INSERT OR REPLACE per transaction (autocommit), synchronous FULL (arg 1) or NORMAL (0).
void BM_RawSqliteInsert(benchmark::State& state) {
  const std::string dir = TempDir();
  sqlite3* db = OpenSqlite(dir + "/raw.db", state.range(0) == 1);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t VALUES(?, ?)", -1, &insert, nullptr);
  size_t i = 0;
  for (auto _ : state) {
    const std::string key = Key(i++ % kDiskKeys);
    sqlite3_bind_blob(insert, 1, key.data(), key.size(), SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 2, kValue100.data(), kValue100.size(), SQLITE_STATIC);
    if (sqlite3_step(insert) != SQLITE_DONE) return state.SkipWithError("insert failed");
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RawSqliteInsert)->Arg(1)->Arg(0)->ArgName("synchronous_full");

// The floor under the files engine's get: open, read and close a file of the entry's size.
void BM_RawFileRead(benchmark::State& state) {
  const std::string dir = TempDir();
  for (int i = 0; i < kDiskKeys; ++i) {
    FILE* f = fopen((dir + "/" + Key(i)).c_str(), "wb");
    fwrite(kValue100.data(), 1, kValue100.size(), f);
    fclose(f);
  }
  const auto& sequence = Uniform(kDiskKeys);
  size_t i = 0;
  char buffer[4096];
  for (auto _ : state) {
    const int fd = open((dir + "/" + Key(sequence[i++ % kSequence])).c_str(), O_RDONLY);
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    close(fd);
    if (n != 100) return state.SkipWithError("short read");
    benchmark::DoNotOptimize(buffer);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RawFileRead);

// ---- Servers ---------------------------------------------------------------------------------

redisContext* Redis() {
  auto server = testing::SharedRedisServer();
  if (!server.ok()) return nullptr;
  redisContext* c = redisConnect("127.0.0.1", (*server)->port());
  for (int i = 0; i < kDiskKeys; ++i) {
    freeReplyObject(redisCommand(c, "SET raw:%s %b", Key(i).c_str(), kValue100.data(),
                                 kValue100.size()));
  }
  return c;
}

void BM_RawHiredisGet(benchmark::State& state) {
  redisContext* c = Redis();
  if (c == nullptr) return state.SkipWithError("no redis-server");
  const auto& sequence = Uniform(kDiskKeys);
  size_t i = 0;
  for (auto _ : state) {
    auto* reply = static_cast<redisReply*>(
        redisCommand(c, "GET raw:%s", Key(sequence[i++ % kSequence]).c_str()));
    if (reply == nullptr || reply->type != REDIS_REPLY_STRING) return state.SkipWithError("miss");
    freeReplyObject(reply);
  }
  redisFree(c);
}
BENCHMARK(BM_RawHiredisGet);

void BM_RawHiredisSet(benchmark::State& state) {
  redisContext* c = Redis();
  if (c == nullptr) return state.SkipWithError("no redis-server");
  size_t i = 0;
  for (auto _ : state) {
    auto* reply = static_cast<redisReply*>(redisCommand(
        c, "SET raw:%s %b", Key(i++ % kDiskKeys).c_str(), kValue100.data(), kValue100.size()));
    if (reply == nullptr) return state.SkipWithError("set failed");
    freeReplyObject(reply);
  }
  redisFree(c);
}
BENCHMARK(BM_RawHiredisSet);

// MGET of 100 keys per iteration; items processed are keys, so time per key is comparable.
void BM_RawHiredisMget100(benchmark::State& state) {
  redisContext* c = Redis();
  if (c == nullptr) return state.SkipWithError("no redis-server");
  std::vector<std::string> args;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  size_t i = 0;
  for (auto _ : state) {
    args = {"MGET"};
    for (int k = 0; k < 100; ++k) args.push_back("raw:" + Key(i++ % kDiskKeys));
    argv.clear();
    lengths.clear();
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr || reply->elements != 100) return state.SkipWithError("mget failed");
    freeReplyObject(reply);
  }
  state.SetItemsProcessed(state.iterations() * 100);
  redisFree(c);
}
BENCHMARK(BM_RawHiredisMget100);

memcached_st* Memcached() {
  auto server = testing::SharedMemcachedServer();
  if (!server.ok()) return nullptr;
  memcached_st* client = memcached_create(nullptr);
  memcached_behavior_set(client, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  memcached_server_add(client, "127.0.0.1", static_cast<in_port_t>((*server)->port()));
  for (int i = 0; i < kDiskKeys; ++i) {
    const std::string key = "raw:" + Key(i);
    memcached_set(client, key.data(), key.size(), kValue100.data(), kValue100.size(), 0, 0);
  }
  return client;
}

void BM_RawLibmemcachedGet(benchmark::State& state) {
  memcached_st* client = Memcached();
  if (client == nullptr) return state.SkipWithError("no memcached");
  const auto& sequence = Uniform(kDiskKeys);
  size_t i = 0;
  for (auto _ : state) {
    const std::string key = "raw:" + Key(sequence[i++ % kSequence]);
    size_t length = 0;
    uint32_t flags = 0;
    memcached_return_t code;
    char* value = memcached_get(client, key.data(), key.size(), &length, &flags, &code);
    if (value == nullptr) return state.SkipWithError("miss");
    free(value);
  }
  memcached_free(client);
}
BENCHMARK(BM_RawLibmemcachedGet);

void BM_RawLibmemcachedSet(benchmark::State& state) {
  memcached_st* client = Memcached();
  if (client == nullptr) return state.SkipWithError("no memcached");
  size_t i = 0;
  for (auto _ : state) {
    const std::string key = "raw:" + Key(i++ % kDiskKeys);
    if (memcached_set(client, key.data(), key.size(), kValue100.data(), kValue100.size(), 0, 0) !=
        MEMCACHED_SUCCESS) {
      return state.SkipWithError("set failed");
    }
  }
  memcached_free(client);
}
BENCHMARK(BM_RawLibmemcachedSet);

// ---- Python ----------------------------------------------------------------------------------

void BM_PyFunctoolsLruCacheHit(benchmark::State& state) { RunPythonPeer(state, "functools_lru_cache_hit"); }
void BM_PyCachetoolsLruCacheGet(benchmark::State& state) { RunPythonPeer(state, "cachetools_lru_get"); }
void BM_PyCachetoolsCachedHit(benchmark::State& state) { RunPythonPeer(state, "cachetools_cached_hit"); }
void BM_PyDiskcacheGet(benchmark::State& state) { RunPythonPeer(state, "diskcache_get"); }
void BM_PyDiskcacheSet(benchmark::State& state) { RunPythonPeer(state, "diskcache_set"); }
BENCHMARK(BM_PyFunctoolsLruCacheHit)->UseManualTime();
BENCHMARK(BM_PyCachetoolsLruCacheGet)->UseManualTime();
BENCHMARK(BM_PyCachetoolsCachedHit)->UseManualTime();
BENCHMARK(BM_PyDiskcacheGet)->UseManualTime();
BENCHMARK(BM_PyDiskcacheSet)->UseManualTime();

}  // namespace
}  // namespace cachelab::benchmarks
