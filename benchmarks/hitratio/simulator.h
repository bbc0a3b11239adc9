// The hit-ratio simulator: replays traces through policies at several capacities, jobs in
// parallel on every core.
//
// A policy is a built-in ("lru", "opt" = Belady with admission, "opt-demand" = Belady under
// demand paging; policies.h) or a registered engine: any Cache<std::string, std::string>
// registered with CACHELAB_HITRATIO_ENGINE or RegisterEngine() (cache_battery's generated
// <engine>_hitratio registers its engine through //benchmarks:engine_perf). An engine is replayed through its public
// interface: for every request Lookup(key), and on a miss Insert(key, value), on a clock that
// never moves, with seed 42; so its hit ratio is what a read-through client of it would see.
//
// Thread-safety: Simulate runs jobs on its own threads; traces are shared read-only. The
// registry is filled by static initializers and read afterwards. Not promised: the order in
// which jobs run (results come back in the order of the jobs given).
#ifndef CACHELAB_BENCHMARKS_HITRATIO_SIMULATOR_H_
#define CACHELAB_BENCHMARKS_HITRATIO_SIMULATOR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/hitratio/trace.h"
#include "reference/cache.h"

namespace cachelab::hitratio {

using EngineCache = Cache<std::string, std::string>;

struct EngineRegistration {
  std::string name;
  Capabilities capabilities;
  std::function<absl::StatusOr<std::unique_ptr<EngineCache>>(const CacheOptions&)> create;
};

// Adds `engine` to the process-wide registry; returns true (for static initializers).
bool RegisterEngine(EngineRegistration engine);
// Every registered engine, in registration order.
const std::vector<EngineRegistration>& RegisteredEngines();
// The names a job's policy may take: the built-ins, then the registered engines.
std::vector<std::string> PolicyNames();

// Parses "1%,2%,1000": a percentage of the trace's distinct keys (rounded, at least 1) or an
// absolute number of entries. Returns kInvalidArgument naming the bad item.
struct CapacitySpec {
  double percent = 0;   // > 0: a share of the distinct keys
  size_t absolute = 0;  // > 0: entries
  size_t For(const Trace& trace) const;
  std::string ToString() const;
};
absl::StatusOr<std::vector<CapacitySpec>> ParseCapacities(absl::string_view list);

struct Job {
  const Trace* trace;
  std::string policy;
  size_t capacity;
};

struct JobResult {
  std::string trace;
  std::string policy;
  size_t capacity = 0;
  uint64_t requests = 0;
  uint64_t hits = 0;
  double seconds = 0;  // replay time, excluding reading the trace
  absl::Status status;
  double hit_ratio() const { return requests == 0 ? 0 : static_cast<double>(hits) / requests; }
};

// Replays one job on the calling thread. `next_uses` is NextUses(*job.trace), needed by the
// OPT policies only (may be null otherwise). An unknown policy, an engine that cannot be
// created or fails a call gives a result whose status says so.
JobResult RunJob(const Job& job, const std::vector<uint32_t>* next_uses);

// Runs `jobs` on `threads` threads (0: every core), calling `progress(done, total, result)`
// after each (serialized). Returns the results in the order of `jobs`.
std::vector<JobResult> Simulate(
    const std::vector<Job>& jobs, int threads,
    const std::function<void(size_t, size_t, const JobResult&)>& progress = nullptr);

}  // namespace cachelab::hitratio

// Registers `Factory` (a cache_battery factory, conformance/battery.h) under `name`.
#define CACHELAB_HITRATIO_CONCAT_(a, b) a##b
#define CACHELAB_HITRATIO_VARIABLE_(line) CACHELAB_HITRATIO_CONCAT_(cachelab_hitratio_engine_, line)
#define CACHELAB_HITRATIO_ENGINE(name, Factory)                                            \
  static const bool CACHELAB_HITRATIO_VARIABLE_(__LINE__) =                                \
      ::cachelab::hitratio::RegisterEngine(::cachelab::hitratio::EngineRegistration{       \
          name, Factory::Capabilities(),                                                   \
          [](const ::cachelab::CacheOptions& options) {                                    \
            return Factory::template Create<std::string, std::string>(options);            \
          }})

#endif  // CACHELAB_BENCHMARKS_HITRATIO_SIMULATOR_H_
