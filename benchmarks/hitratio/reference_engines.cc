// The reference engines the simulate binary knows by name, next to its built-in policies.
#include "benchmarks/hitratio/simulator.h"
#include "reference/fast/fast_cache.h"
#include "reference/memory/memory_cache.h"

namespace cachelab::hitratio {
namespace {

template <MemoryEngine kEngine>
struct Memory {
  static cachelab::Capabilities Capabilities() { return MemoryEngineCapabilities(kEngine); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    return NewMemoryCache<K, V>(kEngine, options);
  }
};

using MemoryLru = Memory<MemoryEngine::kLru>;
using MemoryLfu = Memory<MemoryEngine::kLfu>;
using MemoryFifo = Memory<MemoryEngine::kFifo>;
using MemoryRandom = Memory<MemoryEngine::kRandom>;
CACHELAB_HITRATIO_ENGINE("Lru", MemoryLru);
CACHELAB_HITRATIO_ENGINE("Lfu", MemoryLfu);
CACHELAB_HITRATIO_ENGINE("Fifo", MemoryFifo);
CACHELAB_HITRATIO_ENGINE("Random", MemoryRandom);
CACHELAB_HITRATIO_ENGINE("Fast", ::cachelab::FastFactory);

}  // namespace
}  // namespace cachelab::hitratio
