// The standard benchmarks every engine gets from cache_battery() (<engine>_benchmark): Google
// Benchmark workloads chosen by the engine's capabilities, each with latency percentiles.
//
//   BM_<Engine>LookupHit/<value bytes>/threads:N      Lookup of a resident key (uniform)
//   BM_<Engine>MissThenInsert/<value bytes>/...       Lookup of a key never seen, then Insert,
//                                                     into a full cache (a bounded one evicts)
//   BM_<Engine>ZipfGetOrInsert/<value bytes>/...      Zipf(0.99) over 10x the capacity in keys:
//                                                     Lookup, and Insert on a miss, in a cache
//                                                     warmed by 2x capacity requests of the
//                                                     same stream; counter hit_ratio
//   BM_<Engine>ReadMostly/<value bytes>/...           90% Lookup hits, 10% overwrites
//   BM_<Engine>Overwrite/<value bytes>/...            Insert over a resident key
//   BM_<Engine>EraseThenInsert/<value bytes>/...      Erase of a resident key, then Insert of
//                                                     it again (the cache stays full); counter
//                                                     hit_ratio: the share of erases that
//                                                     found the key (below 1 only where
//                                                     threads erase the same key at once)
// with values of 8 B, 100 B and 4 KiB, and 1, 2 and 4 threads (real time) for thread-safe
// engines. An in-memory engine holds 10,000 resident keys, one that keeps files or talks to a
// server 1,000 (the environment variable CACHELAB_BENCH_RESIDENT_KEYS, a positive number,
// replaces both: the CI smoke run uses it to keep every benchmark runnable without filling
// large caches; figures from such a run are not comparable with others). Keys are strings
// ("k" + a number).
//
// Every benchmark reports, besides Google Benchmark's mean time per operation, the counters
// p50_ns, p99_ns and p999_ns: percentiles of single operations from a log-linear histogram
// (1/61 of operations timed for in-memory engines, where a clock read is not negligible; every
// operation for the others). The engine is built fresh for each run and filled with one
// InsertMany (outside the timing).
//
// Thread-safety: RegisterEngineBenchmarks at start-up, before benchmark::RunSpecifiedBenchmarks.
#ifndef CACHELAB_BENCHMARKS_ENGINE_BENCHMARKS_H_
#define CACHELAB_BENCHMARKS_ENGINE_BENCHMARKS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "reference/cache.h"

namespace cachelab::benchmarks {

using BenchCache = Cache<std::string, std::string>;
using CreateFn = std::function<absl::StatusOr<std::unique_ptr<BenchCache>>(const CacheOptions&)>;

// Registers the standard benchmarks for an engine called `name` (PascalCase, used in the
// benchmark names) with `capabilities`, built by `create`.
void RegisterEngineBenchmarks(const std::string& name, const Capabilities& capabilities,
                              CreateFn create);

// The environment variable that overrides ResidentKeys (see above).
inline constexpr char kResidentKeysEnv[] = "CACHELAB_BENCH_RESIDENT_KEYS";

// The number of resident keys the standard benchmarks use for an engine with `capabilities`:
// CACHELAB_BENCH_RESIDENT_KEYS if set (the process exits with status 2 and a message if it is
// not a positive number), else 10,000 in memory and 1,000 otherwise.
int ResidentKeys(const Capabilities& capabilities);

}  // namespace cachelab::benchmarks

// For a benchmark binary written by hand (cache_battery's use //benchmarks:engine_perf):
// registers `Factory`'s benchmarks under `Name`.
#define CACHELAB_BENCHMARKS(Name, Factory)                                                    \
  static const bool cachelab_benchmarks_registered = [] {                                     \
    ::cachelab::benchmarks::RegisterEngineBenchmarks(                                         \
        #Name, Factory::Capabilities(), [](const ::cachelab::CacheOptions& options) {         \
          return Factory::template Create<std::string, std::string>(options);                 \
        });                                                                                   \
    return true;                                                                              \
  }();

#endif  // CACHELAB_BENCHMARKS_ENGINE_BENCHMARKS_H_
