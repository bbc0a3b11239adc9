#include "reference/memoize/front_ends.h"

#include <algorithm>

#include "reference/private_directory.h"

namespace cachelab::memoize_internal {

CacheOptions EngineOptions(const MemoizeOptions& options, std::string location) {
  CacheOptions engine;
  engine.capacity = MaxSizeOf(options);
  engine.default_ttl = options.ttl;
  engine.clock = options.clock;
  engine.location = std::move(location);
  return engine;
}

absl::Status ValidateFor(const MemoizeOptions& options, absl::string_view front_end,
                         bool needs_location, bool exact_lru_only) {
  if (absl::Status status = ValidateMemoizeOptions(options, front_end); !status.ok()) {
    return status;
  }
  if (needs_location && options.location.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        front_end, ": location is empty; give the directory to keep results in"));
  }
  if (exact_lru_only && !options.policy.empty() && options.policy != "lru") {
    return absl::InvalidArgumentError(absl::StrCat(front_end, ": policy \"", options.policy,
                                                   "\" is not available on disk; give \"lru\" or "
                                                   "leave it empty"));
  }
  return absl::OkStatus();
}

absl::Status ValidateUcache(const MemoizeOptions& options, const UcacheNeeds& needs,
                            const std::vector<std::string>& plan) {
  if (absl::Status status = ValidateMemoizeOptions(options, "ucache"); !status.ok()) {
    return status;
  }
  const bool on_disk = std::any_of(plan.begin(), plan.end(), [](const std::string& engine) {
    return engine == "sqlite" || engine == "files";
  });
  if (on_disk && options.location.empty()) {
    return absl::InvalidArgumentError(
        "ucache: the chosen engines keep results on disk (sqlite or files); give location, "
        "a directory");
  }
  if (!options.policy.empty()) {
    return absl::InvalidArgumentError(
        "ucache: policy is chosen by the engines; leave it empty (or use preferred_engine)");
  }
  (void)needs;
  // The engines keep their data in subdirectories of the location.
  if (on_disk) return PreparePrivateDirectory(options.location, "ucache");
  return absl::OkStatus();
}

}  // namespace cachelab::memoize_internal
