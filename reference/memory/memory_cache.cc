#include "reference/memory/memory_cache.h"

namespace cachelab {

absl::string_view MemoryEngineName(MemoryEngine engine) {
  switch (engine) {
    case MemoryEngine::kLru:
      return "lru";
    case MemoryEngine::kLfu:
      return "lfu";
    case MemoryEngine::kFifo:
      return "fifo";
    case MemoryEngine::kRandom:
      return "random";
    case MemoryEngine::kTtl:
      return "ttl";
    case MemoryEngine::kTlru:
      return "tlru";
    case MemoryEngine::kUnbounded:
      return "unbounded";
  }
  return "unknown";
}

Capabilities MemoryEngineCapabilities(MemoryEngine engine) {
  Capabilities caps;
  caps.per_entry_ttl = true;
  caps.default_ttl = true;
  caps.thread_safe = true;
  caps.reports_removals = true;
  switch (engine) {
    case MemoryEngine::kLru:
    case MemoryEngine::kTlru:
      caps.eviction = EvictionPolicy::kLru;
      break;
    case MemoryEngine::kTtl:
      caps.eviction = EvictionPolicy::kLru;
      caps.requires_default_ttl = true;
      break;
    case MemoryEngine::kLfu:
      caps.eviction = EvictionPolicy::kLfu;
      break;
    case MemoryEngine::kFifo:
      caps.eviction = EvictionPolicy::kFifo;
      break;
    case MemoryEngine::kRandom:
      caps.eviction = EvictionPolicy::kRandom;
      break;
    case MemoryEngine::kUnbounded:
      caps.eviction = EvictionPolicy::kNone;
      break;
  }
  return caps;
}

}  // namespace cachelab
