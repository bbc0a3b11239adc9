#include "reference/cache.h"

#include "absl/strings/str_cat.h"

namespace cachelab {

absl::string_view RemovalCauseName(RemovalCause cause) {
  return cause == RemovalCause::kEvicted ? "evicted" : "expired";
}

absl::string_view PolicyName(EvictionPolicy policy) {
  switch (policy) {
    case EvictionPolicy::kNone:
      return "none";
    case EvictionPolicy::kLru:
      return "lru";
    case EvictionPolicy::kLfu:
      return "lfu";
    case EvictionPolicy::kFifo:
      return "fifo";
    case EvictionPolicy::kRandom:
      return "random";
    case EvictionPolicy::kApproximate:
      return "approximate";
  }
  return "unknown";
}

absl::Status ValidateOptions(const CacheOptions& options, const Capabilities& capabilities,
                             absl::string_view engine) {
  if (capabilities.bounded()) {
    if (!options.capacity.has_value() || *options.capacity == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          engine, ": capacity must be at least 1 (got ",
          options.capacity.has_value() ? "0" : "none",
          "); set CacheOptions::capacity, or use the unbounded engine for no bound"));
    }
  } else if (options.capacity.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        engine, ": this engine is unbounded and takes no capacity (got ", *options.capacity,
        "); leave CacheOptions::capacity unset, or use a bounded engine such as lru"));
  }
  if (options.default_ttl.has_value()) {
    if (!capabilities.default_ttl) {
      return absl::InvalidArgumentError(absl::StrCat(
          engine, ": this engine has no default TTL; leave CacheOptions::default_ttl unset"));
    }
    if (*options.default_ttl <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          engine, ": default_ttl must be positive (got ", absl::FormatDuration(*options.default_ttl),
          "); leave it unset for entries that never expire"));
    }
  } else if (capabilities.requires_default_ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        engine, ": default_ttl is required (the TTL every entry gets); set "
        "CacheOptions::default_ttl, or use tlru for per-entry TTLs only"));
  }
  return absl::OkStatus();
}

}  // namespace cachelab
