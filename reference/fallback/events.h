// CacheEvent and CacheListener: what fallback chains (fallback_cache.h) and memoizing front-ends
// (reference/memoize) report as it happens, and StderrLogger, a ready listener.
//
// Thread-safety: a listener is called on the thread that caused the event, possibly from several
// threads at once, and never with a cachelab lock held; it must be thread-safe and must not call
// back into the cache that reported the event. Not promised: events for evictions or expirations
// an engine performs on its own (the contract's engines report those only as counters).
#ifndef CACHELAB_REFERENCE_FALLBACK_EVENTS_H_
#define CACHELAB_REFERENCE_FALLBACK_EVENTS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cachelab {

enum class CacheEventKind {
  kHit,        // a memoized call answered from the cache
  kMiss,       // a memoized call not in the cache (a load follows)
  kLoad,       // the function ran and its result was stored
  kLoadError,  // the function failed; `status` says how (not stored unless asked)
  kSkipped,    // an engine could not be opened when the chain was built; `status` says why
  kFallback,   // the serving engine failed (`status`); `engine` is the one that serves now
  kRecovered,  // a preferred engine answers again and serves from now on (`engine`)
};

// Returns "hit", "miss", "load", "load_error", "skipped", "fallback" or "recovered".
absl::string_view CacheEventKindName(CacheEventKind kind);

struct CacheEvent {
  CacheEventKind kind;
  std::string source;  // the chain's or the memoized function's name
  std::string engine;  // the engine concerned, where there is one
  absl::Status status;  // why, for kLoadError, kSkipped and kFallback
};

using CacheListener = std::function<void(const CacheEvent&)>;

enum class LogLevel { kDebug, kInfo, kWarning };

// Returns a listener that writes one line per event to stderr: hits, misses and loads at debug
// level, recoveries at info, load errors, skipped engines and fallbacks at warning; events below
// `min_level` are dropped.
CacheListener StderrLogger(LogLevel min_level = LogLevel::kWarning);

// The level StderrLogger gives `kind`.
LogLevel LevelOf(CacheEventKind kind);

// Returns a one-line description, e.g. `fallback: chain "sessions" now serves from "memory"
// (redis: UNAVAILABLE: connection refused)`.
std::string Describe(const CacheEvent& event);

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FALLBACK_EVENTS_H_
