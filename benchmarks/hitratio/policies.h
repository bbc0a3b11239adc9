// The simulator's built-in policies, replayed on a Trace's dense ids: exact LRU and Belady's
// clairvoyant optimum (OPT). Every request is a lookup followed, on a miss, by an insert; the
// hit ratio is hits / requests.
//
//   ReplayLru          LRU: evicts the least recently used key.
//   ReplayOpt          OPT with admission (bypass): on a miss in a full cache, the new key is
//                      cached only if it is used again sooner than some cached key, which is
//                      then evicted; otherwise the cache is left as it is. The upper bound of
//                      every policy that may decline to cache, and the figure usually quoted.
//   ReplayOptDemand    OPT under demand paging: the new key is always cached, evicting the
//                      cached key used again farthest in the future (never the new key).
//   ReplayPerfectLfu   LFU with perfect history ("lfu-perfect"): counts every key's requests
//                      since the trace began, cached or not; on a miss in a full cache the new
//                      key replaces the cached key with the smallest count (least recent among
//                      equals) only if its own count, this request included, is larger. Not
//                      clairvoyant: the yardstick of frequency-based admission (TinyLFU's
//                      sketch approximates these counts in bounded memory).
//
// Thread-safety: pure functions of their arguments. Complexity: LRU O(1) per request; OPT
// O(log64 n) per request over a precomputed next-use array (NextUses, O(n)); perfect LFU
// O(log n) per request (a heap with stale entries); memory O(n).
#ifndef CACHELAB_BENCHMARKS_HITRATIO_POLICIES_H_
#define CACHELAB_BENCHMARKS_HITRATIO_POLICIES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "benchmarks/hitratio/trace.h"

namespace cachelab::hitratio {

inline constexpr uint32_t kNever = UINT32_MAX;

// For each request i, the index of the next request of the same key, or kNever.
std::vector<uint32_t> NextUses(const Trace& trace);

// Each returns the number of hits. Precondition: capacity >= 1; next_uses = NextUses(trace).
uint64_t ReplayLru(const Trace& trace, size_t capacity);
uint64_t ReplayOpt(const Trace& trace, const std::vector<uint32_t>& next_uses, size_t capacity);
uint64_t ReplayOptDemand(const Trace& trace, const std::vector<uint32_t>& next_uses,
                         size_t capacity);
uint64_t ReplayPerfectLfu(const Trace& trace, size_t capacity);

}  // namespace cachelab::hitratio

#endif  // CACHELAB_BENCHMARKS_HITRATIO_POLICIES_H_
