#include "reference/fallback/fallback_cache.h"

namespace cachelab {

bool IsEngineFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

Capabilities FallbackCapabilities(const std::vector<Capabilities>& engines) {
  Capabilities meet = engines.front();
  for (const Capabilities& caps : engines) {
    if (caps.eviction != meet.eviction) {
      meet.eviction = EvictionPolicy::kApproximate;
      meet.min_hit_ratio = 0.0;
    } else if (caps.eviction == EvictionPolicy::kApproximate) {
      meet.min_hit_ratio = std::min(meet.min_hit_ratio, caps.min_hit_ratio);
    }
    meet.per_entry_ttl = meet.per_entry_ttl && caps.per_entry_ttl;
    meet.default_ttl = meet.default_ttl && caps.default_ttl;
    meet.requires_default_ttl = meet.requires_default_ttl || caps.requires_default_ttl;
    meet.thread_safe = meet.thread_safe && caps.thread_safe;
    meet.persistent = meet.persistent && caps.persistent;
    meet.multi_process = meet.multi_process && caps.multi_process;
    meet.local_files = meet.local_files && caps.local_files;
    meet.server_evicts = meet.server_evicts || caps.server_evicts;
    meet.reports_removals = meet.reports_removals && caps.reports_removals;
  }
  if (meet.eviction != EvictionPolicy::kApproximate) meet.min_hit_ratio = 0.0;
  return meet;
}

Capabilities FallbackTailCapabilities(const CacheOptions& options) {
  return MemoryEngineCapabilities(options.capacity ? MemoryEngine::kLru : MemoryEngine::kUnbounded);
}

absl::Status ValidateFallbackOptions(const FallbackOptions& options) {
  if (options.first_probe <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FallbackOptions::first_probe is ", absl::FormatDuration(options.first_probe),
        "; give a positive interval (e.g. absl::Milliseconds(100))"));
  }
  if (options.max_probe < options.first_probe) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FallbackOptions::max_probe (", absl::FormatDuration(options.max_probe),
        ") is below first_probe (", absl::FormatDuration(options.first_probe),
        "); give max_probe >= first_probe"));
  }
  if (options.retries < 0) {
    return absl::InvalidArgumentError(absl::StrCat("FallbackOptions::retries is ", options.retries,
                                                   "; give 0 (demote at the first failure) or more"));
  }
  return absl::OkStatus();
}

}  // namespace cachelab
