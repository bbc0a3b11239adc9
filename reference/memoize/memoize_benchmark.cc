// What memoizing costs on a hit: a memoized function of one integer against a direct lookup in
// the same engine with the same key (the memoizer's own overhead: building the key, counting,
// the listener check), and against the Python decorators users would pick instead
// (functools.lru_cache, cachetools.cached), all in one run. 10,000 resident keys, read in order.
#include <cstdint>
#include <memory>
#include <tuple>

#include "absl/hash/hash.h"
#include "benchmark/benchmark.h"
#include "benchmarks/python_peers.h"
#include "reference/fast/fast_cache.h"
#include "reference/memoize/front_ends.h"
#include "reference/memory/memory_cache.h"

namespace cachelab {
namespace {

constexpr int64_t kKeys = 10000;

int64_t Square(int64_t x) { return x * x; }

MemoizeOptions Sized(const char* policy) {
  MemoizeOptions options;
  options.maxsize = 2 * kKeys;
  options.policy = policy;
  return options;
}

template <typename MakeEngine>
void DirectLookupHit(benchmark::State& state, MakeEngine make) {
  using Key = std::tuple<int64_t>;
  CacheOptions options;
  options.capacity = 2 * kKeys;
  auto engine = make(options);
  for (int64_t i = 0; i < kKeys; ++i) (void)(*engine)->Insert(Key(i), Square(i));
  int64_t i = 0;
  for (auto _ : state) {
    auto value = (*engine)->Lookup(Key(i));
    benchmark::DoNotOptimize(value);
    if (++i == kKeys) i = 0;
  }
}

void MemoizedHit(benchmark::State& state, const char* policy) {
  auto square = Mcache(&Square, Sized(policy));
  for (int64_t i = 0; i < kKeys; ++i) (void)(**square)(i);
  int64_t i = 0;
  for (auto _ : state) {
    auto value = (**square)(i);
    benchmark::DoNotOptimize(value);
    if (++i == kKeys) i = 0;
  }
  state.counters["hit_ratio"] = (*square)->Stats().HitRatio();
}

void BM_FastLookupHit(benchmark::State& state) {
  DirectLookupHit(state, [](const CacheOptions& options) {
    using Key = std::tuple<int64_t>;
    return NewFastCache<Key, int64_t, absl::Hash<Key>>(options);
  });
}
void BM_McacheHit(benchmark::State& state) { MemoizedHit(state, "fast"); }
void BM_LruLookupHit(benchmark::State& state) {
  DirectLookupHit(state, [](const CacheOptions& options) {
    return NewMemoryCache<std::tuple<int64_t>, int64_t>(MemoryEngine::kLru, options);
  });
}
void BM_McacheLruHit(benchmark::State& state) { MemoizedHit(state, "lru"); }
void BM_PyFunctoolsLruCacheIntHit(benchmark::State& state) {
  RunPythonPeer(state, "functools_lru_cache_int_hit");
}
void BM_PyCachetoolsCachedIntHit(benchmark::State& state) {
  RunPythonPeer(state, "cachetools_cached_int_hit");
}

BENCHMARK(BM_FastLookupHit);
BENCHMARK(BM_McacheHit);
BENCHMARK(BM_LruLookupHit);
BENCHMARK(BM_McacheLruHit);
BENCHMARK(BM_PyFunctoolsLruCacheIntHit)->UseManualTime();
BENCHMARK(BM_PyCachetoolsCachedIntHit)->UseManualTime();

}  // namespace
}  // namespace cachelab
