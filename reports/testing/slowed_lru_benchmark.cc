// The reference LRU, deliberately slowed by five microseconds of busy waiting per lookup, registered
// under the same benchmark names as the real one (BM_Lru...), so that the regression gate can be
// shown to flag it (bench_gate_test.sh).
#include <chrono>

#include "benchmarks/engine_benchmarks.h"
#include "reference/forwarding_cache.h"
#include "reference/memory/memory_cache.h"

namespace cachelab {
namespace {

template <typename K, typename V>
class SlowedCache final : public ForwardingCache<K, V> {
 public:
  using ForwardingCache<K, V>::ForwardingCache;
  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(5);
    while (std::chrono::steady_clock::now() < until) {
    }
    return this->inner().Lookup(key);
  }
};

struct SlowedLruFactory {
  static cachelab::Capabilities Capabilities() {
    return MemoryEngineCapabilities(MemoryEngine::kLru);
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    auto inner = NewMemoryCache<K, V>(MemoryEngine::kLru, options);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<Cache<K, V>>(new SlowedCache<K, V>(*std::move(inner)));
  }
};

}  // namespace
}  // namespace cachelab

CACHELAB_BENCHMARKS(Lru, ::cachelab::SlowedLruFactory)
