// Battery factories for the reference memory engines (see conformance/battery.h).
#ifndef CACHELAB_REFERENCE_MEMORY_MEMORY_FACTORY_H_
#define CACHELAB_REFERENCE_MEMORY_MEMORY_FACTORY_H_

#include "reference/memory/memory_cache.h"

namespace cachelab {

template <MemoryEngine kEngine>
struct MemoryFactory {
  static cachelab::Capabilities Capabilities() { return MemoryEngineCapabilities(kEngine); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    return NewMemoryCache<K, V>(kEngine, options);
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMORY_MEMORY_FACTORY_H_
