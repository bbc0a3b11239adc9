// CacheEvent and CacheListener: what fallback chains (fallback_cache.h) and memoizing front-ends
// (reference/memoize) report as it happens, and StderrLogger, a ready listener.
//
// Thread-safety: a listener is called on the thread that caused the event, possibly from several
// threads at once, and never with a cachelab lock held; it must be thread-safe and must not call
// back into the cache that reported the event. Evictions and expirations are reported where the
// serving engine reports them (Capabilities::reports_removals: the reference memory engines);
// other engines count them only (Stats()).
#ifndef CACHELAB_REFERENCE_FALLBACK_EVENTS_H_
#define CACHELAB_REFERENCE_FALLBACK_EVENTS_H_

#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "reference/cache.h"

namespace cachelab {

enum class CacheEventKind {
  kHit,        // a memoized call answered from the cache
  kMiss,       // a memoized call not in the cache (a load follows)
  kLoad,       // the function ran and its result was stored
  kLoadError,  // the function failed; `status` says how (not stored unless asked)
  kSkipped,    // an engine could not be opened when the chain was built; `status` says why
  kFallback,   // the serving engine failed (`status`); `engine` is the one that serves now
  kRecovered,  // a preferred engine answers again and serves from now on (`engine`)
  kEvicted,    // `engine` evicted the entry of `key` to make room
  kExpired,    // `engine` removed the entry of `key` because its TTL had run out
};

// Returns "hit", "miss", "load", "load_error", "skipped", "fallback", "recovered", "evicted" or
// "expired".
absl::string_view CacheEventKindName(CacheEventKind kind);

struct CacheEvent {
  CacheEventKind kind;
  std::string source;  // the chain's or the memoized function's name
  std::string engine;  // the engine concerned, where there is one
  absl::Status status;  // why, for kLoadError, kSkipped and kFallback
  std::string key;      // for kEvicted and kExpired: KeyPreview of the key ("" if not printable)
};

// The event kind for a removal of `cause`.
CacheEventKind EventKindOf(RemovalCause cause);

// A printable preview of `key` for events: strings C-escaped (first 64 bytes), numbers as
// written, "" for other types.
template <typename K>
std::string KeyPreview(const K& key) {
  if constexpr (std::is_convertible_v<const K&, absl::string_view>) {
    const absl::string_view bytes = key;
    return absl::StrCat(absl::CHexEscape(bytes.substr(0, 64)), bytes.size() > 64 ? "..." : "");
  } else if constexpr (std::is_arithmetic_v<K>) {
    return absl::StrCat(key);
  } else {
    return "";
  }
}

using CacheListener = std::function<void(const CacheEvent&)>;

enum class LogLevel { kDebug, kInfo, kWarning };

// Returns a listener that writes one line per event to stderr: hits, misses, loads, evictions
// and expirations at debug level, recoveries at info, load errors, skipped engines and fallbacks at warning; events below
// `min_level` are dropped.
CacheListener StderrLogger(LogLevel min_level = LogLevel::kWarning);

// The level StderrLogger gives `kind`.
LogLevel LevelOf(CacheEventKind kind);

// Returns a one-line description, e.g. `fallback: chain "sessions" now serves from "memory"
// (redis: UNAVAILABLE: connection refused)`.
std::string Describe(const CacheEvent& event);

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FALLBACK_EVENTS_H_
