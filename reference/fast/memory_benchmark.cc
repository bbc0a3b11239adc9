// Heap bytes per entry of the fast engine (and, beside it, of the exact LRU engine and a bare
// absl::flat_hash_map), measured with glibc's mallinfo2 around filling 100,000 entries with
// 8-byte keys and values: the figure fast_cache.h states. Reported as counters (bytes_per_entry).
#include <malloc.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "conformance/internal/workload.h"
#include "reference/fast/fast_cache.h"
#include "reference/memory/memory_cache.h"

namespace cachelab {
namespace {

constexpr int64_t kEntries = 100000;

size_t HeapInUse() { return mallinfo2().uordblks; }

template <typename Make>
void MemoryPerEntry(benchmark::State& state, Make make) {
  double per_entry = 0;
  for (auto _ : state) {
    const size_t before = HeapInUse();
    auto filled = make();
    per_entry = static_cast<double>(HeapInUse() - before) / kEntries;
    benchmark::DoNotOptimize(filled);
  }
  state.counters["bytes_per_entry"] = per_entry;
}

CacheOptions Sized() {
  CacheOptions options;
  options.capacity = kEntries;
  return options;
}

void BM_FastCacheMemoryPerEntry(benchmark::State& state) {
  MemoryPerEntry(state, [] {
    auto cache = *NewFastCache<uint64_t, uint64_t>(Sized());
    for (int64_t i = 0; i < kEntries; ++i) (void)cache->Insert(i, i);
    return cache;
  });
}
void BM_LruMemoryPerEntry(benchmark::State& state) {
  MemoryPerEntry(state, [] {
    auto cache = *NewMemoryCache<uint64_t, uint64_t>(MemoryEngine::kLru, Sized());
    for (int64_t i = 0; i < kEntries; ++i) (void)cache->Insert(i, i);
    return cache;
  });
}
void BM_FlatHashMapMemoryPerEntry(benchmark::State& state) {
  MemoryPerEntry(state, [] {
    auto map = std::make_unique<absl::flat_hash_map<uint64_t, uint64_t>>();
    for (int64_t i = 0; i < kEntries; ++i) map->emplace(i, i);
    return map;
  });
}

// The hit ratio on the battery's standard workload (conformance/internal/workload.h), for the
// floor FastCacheCapabilities() declares: every request a lookup, then an insert on a miss.
void BM_FastCacheStandardWorkloadHitRatio(benchmark::State& state) {
  using W = conformance::StandardWorkload;
  double ratio = 0;
  for (auto _ : state) {
    CacheOptions options;
    options.capacity = W::kCapacity;
    auto cache = *NewFastCache<std::string, std::string>(options);
    conformance::ZipfGenerator zipf(W::kKeys, W::kSkew, W::kSeed);
    int hits = 0;
    for (int i = 0; i < W::kRequests; ++i) {
      const std::string key = std::to_string(zipf.Next());
      auto found = cache->Lookup(key);
      if (found.ok() && found->has_value()) {
        ++hits;
      } else {
        (void)cache->Insert(key, key);
      }
    }
    ratio = static_cast<double>(hits) / W::kRequests;
  }
  state.counters["hit_ratio"] = ratio;
}

BENCHMARK(BM_FastCacheMemoryPerEntry)->Iterations(3);
BENCHMARK(BM_FastCacheStandardWorkloadHitRatio)->Iterations(1);
BENCHMARK(BM_LruMemoryPerEntry)->Iterations(3);
BENCHMARK(BM_FlatHashMapMemoryPerEntry)->Iterations(3);

}  // namespace
}  // namespace cachelab
