// FastCache: the fast concurrent engine (the seeds' cachebox slot): lookups take no lock, and
// an adaptive policy beats LRU and Caffeine's W-TinyLFU on the shared traces.
//
// Contract: reference/cache.h, declared kApproximate (min_hit_ratio 0.60 on the battery's
// standard workload, see Capabilities()), with per-entry and default TTL, capacity in entries
// and optionally a bound on total weight, exact statistics, and the rest of the contract.
//
// Reads. Lookup finds the entry in an open-addressing table of atomic node pointers inside an
// epoch (internal/epoch.h), copies the value out, and records the use in the thread's bounded
// read buffer (internal/thread_state.h); a thread whose buffer fills drains every thread's
// buffer into the policy if it wins a try-lock, and otherwise drops reads (so the policy may
// miss some uses under contention; answers and statistics never suffer). While more than one
// thread has reads waiting, each thread records one read in four: the policy's work is
// serialized and its cache lines move between cores, so recording every read held two threads
// to 1.0-1.5x one thread's hits (1.6-2.1x with sampling, as flat_hash_map's 1.7-2.0x; see
// README "The fast engine"). A thread reading alone records every read, so single-threaded
// replays are exact. No lock, no allocation for trivially copyable values, and no clock read
// unless the entry has a deadline.
// Writes (insert, overwrite, erase, clear) take the policy lock, first apply the buffered reads
// in order, then change the table and the policy together, so capacity is never exceeded at any
// moment and every call is linearizable. Unlinked nodes are freed after an epoch grace period.
//
// Policy (internal/policy.h), chosen by measurement on ../shared/traces (hit ratio on every
// listed capacity at least max(LRU, Caffeine 2.6.2); see README "The fast engine"):
//   * W-TinyLFU: a window, then a TinyLFU admission filter (count-min sketch with conservative
//     update, 20x capacity sample), then a segmented main (probation + 80% protected). Alone
//     with a 1% window it loses to LRU by up to 17 points on the recency-heavy orm traces.
//   * Its window evicts as LeCaR does, choosing its least recent or least frequent entry with
//     weights learned from ghost hits: on orm-busy at 763 entries this beats LRU (0.774 against
//     0.770), where every fixed W-TinyLFU window, LIRS, ARC, S3-FIFO and SIEVE stay below LRU.
//   * The window's share adapts: miniature copies at 1%, 10%, 25%, 50% and 100% replay a
//     hashed sample of the keys and the window moves toward the best (Caffeine adapts by hill
//     climbing on the real cache's hit ratio; comparing copies on the same requests is not
//     fooled by the workload changing between samples).
// Single-threaded use is deterministic for a given seed (CacheOptions::seed): the battery and
// the simulator reproduce exactly.
//
// Thread-safety: safe for concurrent use; Lookup is lock-free (wait-free but for a try-lock
// that is never waited on); the other calls hold one mutex. Complexity: O(1) expected per call
// (TTL bookkeeping on a hierarchical timer wheel, internal/timer_wheel.h); Size O(1) after
// purging expired entries; Keys and Clear O(n).
// Memory: about 216 heap bytes per entry with 8-byte keys and values, against 85 for the exact
// LRU engine and 22 for a bare absl::flat_hash_map (//reference/fast:memory_benchmark, glibc's
// mallinfo2 around 100,000 inserts): the 64-byte-aligned node, the table slot, the frequency
// sketch and the policy's links; plus a fixed 80 KiB per cache for the read buffers of up to
// 128 threads (64 reads of 8 bytes each, on their own cache lines). Once it evicts, a cache also
// keeps the memory of up to 2048 reclaimed nodes (and one per writing thread) to build new
// nodes in, instead of allocating each (internal/node_pool.h).
// Requirements on K: equality-comparable and hashable with std::hash (or the given Hash);
// V: copyable. Not promised: which entry is evicted, or that a lookup's use is seen by the
// policy under contention; fairness between threads.
#ifndef CACHELAB_REFERENCE_FAST_FAST_CACHE_H_
#define CACHELAB_REFERENCE_FAST_FAST_CACHE_H_

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "reference/cache.h"
#include "reference/fast/internal/fast_cache_impl.h"

namespace cachelab {

template <typename K, typename V>
struct FastCacheOptions {
  // Optional: the weight of an entry (at least 1; 0 is taken as 1). With max_weight, the policy
  // bounds the total weight as well as the number of entries (CacheOptions::capacity).
  std::function<uint64_t(const K&, const V&)> weigher;
  std::optional<uint64_t> max_weight;
};

// What FastCache declares.
Capabilities FastCacheCapabilities();

// Creates a FastCache. Returns kInvalidArgument, naming the option and what to change, for
// options it cannot honour (CacheOptions as reference/cache.h says; max_weight 0; max_weight
// without a weigher or a weigher without max_weight).
template <typename K, typename V, typename Hash = std::hash<K>>
absl::StatusOr<std::unique_ptr<Cache<K, V>>> NewFastCache(const CacheOptions& options,
                                                          FastCacheOptions<K, V> fast = {}) {
  if (absl::Status valid = ValidateOptions(options, FastCacheCapabilities(), "fast");
      !valid.ok()) {
    return valid;
  }
  if (fast.max_weight.has_value() != static_cast<bool>(fast.weigher)) {
    return absl::InvalidArgumentError(
        "fast: give both FastCacheOptions::weigher and max_weight, or neither");
  }
  if (fast.max_weight.has_value() && *fast.max_weight == 0) {
    return absl::InvalidArgumentError("fast: max_weight must be at least 1");
  }
  return std::unique_ptr<Cache<K, V>>(new fast_internal::FastCacheImpl<K, V, Hash>(
      options, FastCacheCapabilities(), std::move(fast.weigher), fast.max_weight));
}

// Battery factory (conformance/battery.h).
struct FastFactory {
  static cachelab::Capabilities Capabilities() { return FastCacheCapabilities(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    return NewFastCache<K, V>(options);
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FAST_FAST_CACHE_H_
