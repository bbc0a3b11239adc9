// The reference in-memory engines, each a cachelab::Cache<K, V> (reference/cache.h) whose
// decisions follow the Python engine named beside it:
//
//   kLru        functools.lru_cache(maxsize=N), cachetools.LRUCache
//   kLfu        cachetools.LFUCache (ties: least recently used of the least frequent)
//   kFifo       cachetools.FIFOCache (an overwrite moves the key to the back)
//   kRandom     cachetools.RRCache, with a seed so runs reproduce
//   kTtl        cachetools.TTLCache: LRU among live entries, default_ttl required
//   kTlru       cachetools.TLRUCache: LRU among live entries, deadline from a ttu function
//   kUnbounded  functools.cache: never evicts
//
// All of them also take a per-entry TTL (InsertWithTtl) and an optional default_ttl.
//
// Thread-safety: safe for concurrent use, and every call is atomic (linearizable). Writes hold
// one mutex; so do lookups of the engines whose hits reorder entries (lru, lfu, ttl, tlru),
// while fifo, random and unbounded lookups take no lock at all.
// Complexity: Lookup, Insert and Erase are O(1) expected (plus O(log n) for entries with a
// deadline); Size, Keys, Stats and Clear are O(n) at worst.
// Requirements on K: hashable with absl::Hash and equality-comparable; V: movable and copyable.
// Not promised: iteration order, memory use per entry, fairness between threads.
#ifndef CACHELAB_REFERENCE_MEMORY_MEMORY_CACHE_H_
#define CACHELAB_REFERENCE_MEMORY_MEMORY_CACHE_H_

#include <memory>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "reference/cache.h"
#include "reference/memory/internal/orders.h"
#include "reference/memory/internal/policy_cache.h"

namespace cachelab {

enum class MemoryEngine { kLru, kLfu, kFifo, kRandom, kTtl, kTlru, kUnbounded };

// Returns "lru", "lfu", "fifo", "random", "ttl", "tlru" or "unbounded".
absl::string_view MemoryEngineName(MemoryEngine engine);

// Returns what `engine` declares (see Capabilities).
Capabilities MemoryEngineCapabilities(MemoryEngine engine);

// Computes the deadline of a plain Insert from the key, the value and now (kTlru only).
template <typename K, typename V>
using TimeToUse = std::function<absl::Time(const K&, const V&, absl::Time)>;

// Creates `engine`. Returns kInvalidArgument, naming the option and what to change, for options
// the engine cannot honour (see CacheOptions), or for a ttu given to an engine other than kTlru.
// A ttu takes precedence over default_ttl for plain Inserts.
template <typename K, typename V>
absl::StatusOr<std::unique_ptr<Cache<K, V>>> NewMemoryCache(MemoryEngine engine,
                                                            const CacheOptions& options,
                                                            TimeToUse<K, V> ttu = nullptr) {
  const Capabilities caps = MemoryEngineCapabilities(engine);
  if (absl::Status status = ValidateOptions(options, caps, MemoryEngineName(engine));
      !status.ok()) {
    return status;
  }
  if (ttu && engine != MemoryEngine::kTlru) {
    return absl::InvalidArgumentError(
        "a time-to-use function is only for the tlru engine; use default_ttl instead");
  }
  using internal::PolicyCache;
  switch (engine) {
    case MemoryEngine::kLru:
    case MemoryEngine::kTtl:
    case MemoryEngine::kTlru:
      return std::make_unique<PolicyCache<K, V, internal::LruOrder>>(options, caps, ttu);
    case MemoryEngine::kLfu:
      return std::make_unique<PolicyCache<K, V, internal::LfuOrder>>(options, caps, ttu);
    case MemoryEngine::kFifo:
      return std::make_unique<PolicyCache<K, V, internal::FifoOrder>>(options, caps, ttu);
    case MemoryEngine::kRandom:
      return std::make_unique<PolicyCache<K, V, internal::RandomOrder>>(options, caps, ttu);
    case MemoryEngine::kUnbounded:
      return std::make_unique<PolicyCache<K, V, internal::NoOrder>>(options, caps, ttu);
  }
  return absl::InvalidArgumentError("unknown memory engine");
}

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMORY_MEMORY_CACHE_H_
