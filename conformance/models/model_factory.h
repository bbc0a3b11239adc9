// Battery factories for ModelCache, so the models that judge engines pass the battery too.
#ifndef CACHELAB_CONFORMANCE_MODELS_MODEL_FACTORY_H_
#define CACHELAB_CONFORMANCE_MODELS_MODEL_FACTORY_H_

#include "conformance/models/model_cache.h"

namespace cachelab::models {

template <EvictionPolicy kPolicy>
struct ModelFactory {
  static cachelab::Capabilities Capabilities() {
    cachelab::Capabilities caps;
    caps.eviction = kPolicy;
    caps.per_entry_ttl = true;
    caps.default_ttl = true;
    return caps;
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    return ModelCache<K, V>::Create(options, Capabilities());
  }
};

}  // namespace cachelab::models

#endif  // CACHELAB_CONFORMANCE_MODELS_MODEL_FACTORY_H_
