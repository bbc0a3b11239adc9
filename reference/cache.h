// The engine contract: what every cachelab engine promises, and what the conformance battery
// (//conformance) checks sentence by sentence.
//
// A Cache<K, V> maps keys to values and may forget entries: when it is full (eviction, decided
// by its policy), when an entry's deadline passes (expiration), or when told to (erase, clear).
//
// Terms.
//   * An entry is *live* while now < deadline; it is *expired* once now >= deadline. An entry
//     with no deadline is live until removed. "now" is the engine's injected Clock.
//   * A *use* of a key is a lookup hit or an overwrite. What a use does depends on the policy:
//       kLru   the key becomes the most recently used (lookup hits and overwrites alike);
//       kLfu   the key's use count grows by 1 (a new key starts at 1); the victim is the least
//              frequently used key, ties broken by least recent use among those;
//       kFifo  a lookup changes nothing; an overwrite moves the key to the back of the queue;
//              the victim is the key at the front;
//       kRandom  nothing; the victim is chosen uniformly among live keys by a seeded generator,
//              so the same seed and the same calls give the same victims;
//       kApproximate  unspecified: held only to the invariants and to its stated hit ratio;
//       kNone  the engine never evicts (it is unbounded).
//
// Errors are values. An engine that can fail (disk, network) returns a non-OK absl::Status with
// a message a person can act on; a failed call changes no statistic and, unless its status says
// otherwise, leaves the cache as it was. Invalid configuration is refused at construction (see
// CacheOptions). Engines never throw across this interface.
//
// Thread-safety: if capabilities().thread_safe, every method may be called from any number of
// threads at once and each call is atomic (linearizable); otherwise the caller serializes.
//
// Not promised: any iteration order; that a value read is the same object that was written
// (values are copied); statistics that survive reopening a persistent engine (they count this
// handle's calls); fairness between threads.
//
// Where this contract differs from the Python engines it follows (cachetools 5.2, functools):
//   * Capacity counts entries; there is no getsizeof. Capacity 0 is refused, not "cache nothing"
//     (functools.lru_cache(maxsize=0)); use no cache instead.
//   * kLfu breaks ties by least recent use; cachetools documents ties as arbitrary (5.2 in
//     practice evicts the earliest inserted of the least frequent keys).
//   * An insert whose entry is already expired (InsertWithTtl with ttl 0) removes any live entry
//     for that key; cachetools' TLRUCache skips the store and keeps the old value readable.
//   * Every reference memory engine accepts a per-entry TTL, not only ttl/tlru.
//   * kRandom uses its own seeded generator, so its victims differ from Python's random.choice.
#ifndef CACHELAB_REFERENCE_CACHE_H_
#define CACHELAB_REFERENCE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reference/clock.h"

namespace cachelab {

enum class EvictionPolicy { kNone, kLru, kLfu, kFifo, kRandom, kApproximate };

// Returns "none", "lru", "lfu", "fifo", "random" or "approximate".
absl::string_view PolicyName(EvictionPolicy policy);

// True for the policies whose every decision the contract fixes (kNone, kLru, kLfu, kFifo).
constexpr bool IsExactPolicy(EvictionPolicy policy) {
  return policy == EvictionPolicy::kNone || policy == EvictionPolicy::kLru ||
         policy == EvictionPolicy::kLfu || policy == EvictionPolicy::kFifo;
}

// What an engine declares about itself; the battery chooses its tests and models from this.
struct Capabilities {
  EvictionPolicy eviction = EvictionPolicy::kNone;
  bool per_entry_ttl = false;         // InsertWithTtl is honoured (else kUnimplemented).
  bool default_ttl = false;           // CacheOptions::default_ttl is honoured.
  bool requires_default_ttl = false;  // Construction without default_ttl is refused.
  bool thread_safe = false;           // See "Thread-safety" above.
  bool persistent = false;            // Entries survive closing and reopening the engine.
  bool multi_process = false;         // Several processes may open the same cache at once.
  bool local_files = false;           // CacheOptions::location is a directory on this machine.
  bool server_evicts = false;         // A server may drop entries under memory pressure, beyond
                                      // this contract (not in the battery's runs).
  bool reports_removals = false;      // SetRemovalListener is honoured.
  // For kApproximate: the lowest hit ratio the engine promises on the battery's standard
  // workload (conformance/battery.h, kStandardWorkload). Ignored for other policies.
  double min_hit_ratio = 0.0;

  bool bounded() const { return eviction != EvictionPolicy::kNone; }
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

// Counters since this handle was constructed. Clear() does not reset them.
struct CacheStats {
  uint64_t hits = 0;         // Lookups that found a live entry (a cached null included).
  uint64_t misses = 0;       // Lookups that found none.
  uint64_t insertions = 0;   // Inserts that created a live entry where none was.
  uint64_t updates = 0;      // Inserts that overwrote a live entry.
  uint64_t evictions = 0;    // Live entries removed by the policy to make room.
  uint64_t expirations = 0;  // Entries removed because they had expired, however found.
  uint64_t removals = 0;     // Live entries removed by Erase, Clear or an already-expired insert.
  uint64_t corrupt = 0;      // Stored entries found damaged, dropped and never returned.

  // Entries that should be live: insertions - evictions - expirations - removals. Equals Size()
  // for an engine whose entries only this handle has touched.
  int64_t Balance() const {
    return static_cast<int64_t>(insertions) - static_cast<int64_t>(evictions) -
           static_cast<int64_t>(expirations) - static_cast<int64_t>(removals);
  }
  CacheStats& operator+=(const CacheStats& other) {
    hits += other.hits;
    misses += other.misses;
    insertions += other.insertions;
    updates += other.updates;
    evictions += other.evictions;
    expirations += other.expirations;
    removals += other.removals;
    corrupt += other.corrupt;
    return *this;
  }
  // Counters since `earlier`, a snapshot of the same handle's counters.
  CacheStats operator-(const CacheStats& earlier) const {
    CacheStats since = *this;
    since.hits -= earlier.hits;
    since.misses -= earlier.misses;
    since.insertions -= earlier.insertions;
    since.updates -= earlier.updates;
    since.evictions -= earlier.evictions;
    since.expirations -= earlier.expirations;
    since.removals -= earlier.removals;
    since.corrupt -= earlier.corrupt;
    return since;
  }
  friend bool operator==(const CacheStats&, const CacheStats&) = default;
};

// Construction options shared by the reference engines. Engines refuse, with
// absl::InvalidArgumentError naming the field and what to change, any option they cannot honour:
// capacity unset or 0 for a bounded engine, capacity set for an unbounded one, default_ttl <= 0,
// default_ttl set for an engine that has none, default_ttl unset where it is required.
struct CacheOptions {
  std::optional<size_t> capacity;             // Maximum number of live entries.
  std::optional<absl::Duration> default_ttl;  // Deadline of a plain Insert: now + default_ttl.
  std::shared_ptr<const Clock> clock;         // Shared ownership; null means DefaultClock().
  uint64_t seed = 0;                          // For kRandom and other randomized policies.
  // Where a persistent engine keeps its data (a directory it may create), or the namespace a
  // remote engine keeps its keys in. Engines that keep everything in memory ignore it; engines
  // that need it refuse an empty one.
  std::string location;
};

// Returns OK if an engine named `engine` with `capabilities` can honour `options`, else
// kInvalidArgument with a message that names the option, the value given and what to change.
absl::Status ValidateOptions(const CacheOptions& options, const Capabilities& capabilities,
                             absl::string_view engine);

// Why an engine removed an entry on its own: the removals its statistics count as evictions
// and as expirations. (Erase, Clear's live entries and overwrites are the caller's doing.)
enum class RemovalCause { kEvicted, kExpired };

// Returns "evicted" or "expired".
absl::string_view RemovalCauseName(RemovalCause cause);

// Told the key and the cause of each eviction and expiration (Cache::SetRemovalListener).
template <typename K>
using RemovalListener = std::function<void(const K& key, RemovalCause cause)>;

template <typename K, typename V>
class Cache {
 public:
  using key_type = K;
  using mapped_type = V;

  virtual ~Cache() = default;

  // Returns the value of the live entry for `key` (a hit: counts a hit and is a use), or
  // nullopt if there is none (a miss: counts a miss). V may itself be std::optional<T>: a
  // cached nullopt ("the source has no such key") is a value, and finding it is a hit. An expired entry found here is removed
  // and counted as an expiration, and the lookup is a miss.
  virtual absl::StatusOr<std::optional<V>> Lookup(const K& key) = 0;

  // Stores `value` under `key`. If a live entry exists it is overwritten (counts an update and
  // is a use); otherwise a new entry is created (counts an insertion). Its deadline becomes
  // now + default_ttl, or none. Before a new entry is created in a full cache (live entries ==
  // capacity), expired entries are removed, and only if it is still full is the policy's victim
  // evicted (counts an eviction). The new entry is never its own insert's victim.
  virtual absl::Status Insert(const K& key, V value) = 0;

  // As Insert, with deadline now + ttl (InfiniteDuration() means none). With ttl == 0 the
  // entry is already expired: nothing is stored and a live entry for `key` is removed (counts
  // a removal). Returns kInvalidArgument for ttl < 0 and kUnimplemented if the engine has no
  // per-entry TTL; in both cases nothing changes.
  virtual absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) = 0;

  // Removes the live entry for `key`. Returns true if one was removed (counts a removal),
  // false if there was none (an expired entry found is removed and counted as an expiration).
  virtual absl::StatusOr<bool> Erase(const K& key) = 0;

  // Removes every entry: live ones count as removals, expired ones as expirations.
  virtual absl::Status Clear() = 0;

  // Returns the number of live entries. Never above Capacity().
  virtual absl::StatusOr<size_t> Size() = 0;

  // Returns the maximum number of live entries, or nullopt if unbounded.
  virtual std::optional<size_t> Capacity() const = 0;

  // Returns every live key once, in no particular order. Not a use; changes no statistic
  // except expirations (expired entries found are removed).
  virtual absl::StatusOr<std::vector<K>> Keys() = 0;

  // Returns the counters. Expired entries still held are removed and counted first, so two
  // engines given the same calls and the same clock report the same statistics.
  virtual CacheStats Stats() = 0;

  // Returns what this engine declares about itself. Constant for the engine's lifetime.
  virtual Capabilities capabilities() const = 0;

  // From now on, `listener` is called once for every entry this engine evicts or expires (each
  // removal its statistics count as an eviction or an expiration, however found), with its key
  // and the cause, in the order removed, on the thread of the call that removed it, before that
  // call returns and never while the engine holds a lock (the listener may call the engine). A
  // null listener stops the reports; the last one set wins. Returns kUnimplemented, changing
  // nothing, unless capabilities().reports_removals. Thread-safe as the engine is.
  virtual absl::Status SetRemovalListener(RemovalListener<K> listener) {
    (void)listener;
    return absl::UnimplementedError(
        "this engine does not report evictions and expirations (capabilities().reports_removals "
        "is false); read the eviction and expiration counters of Stats() instead");
  }

  // Batch calls. Each has exactly the effect of the single calls on its elements, in order (a
  // repeated key sees the effect of its earlier occurrences), and the same statistics; engines
  // with a cheaper way (one lock, one transaction, one round trip) override them. The batch as
  // a whole is not one atomic step: other threads' calls may interleave between elements.
  // Errors: on a failure the elements before the failing one may have taken effect; the status
  // is the failing element's (kUnimplemented for an engine without per-entry TTL does not
  // arise here, as these calls take no TTL).

  // Returns the answer of Lookup for each key, in the order given.
  virtual absl::StatusOr<std::vector<std::optional<V>>> LookupMany(const std::vector<K>& keys) {
    std::vector<std::optional<V>> values;
    values.reserve(keys.size());
    for (const K& key : keys) {
      auto value = Lookup(key);
      if (!value.ok()) return value.status();
      values.push_back(*std::move(value));
    }
    return values;
  }

  // Inserts each (key, value) as Insert would, in the order given.
  virtual absl::Status InsertMany(std::vector<std::pair<K, V>> entries) {
    for (auto& [key, value] : entries) {
      if (absl::Status status = Insert(key, std::move(value)); !status.ok()) return status;
    }
    return absl::OkStatus();
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_CACHE_H_
