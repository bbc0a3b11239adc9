#include "reference/memoize/ucache_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cachelab {

namespace {

std::vector<std::string> Rule(const UcacheNeeds& needs) {
  const bool large = needs.values == ValueSize::kLarge;
  switch (needs.shared) {
    case Sharing::kMachines:
      if (large || needs.persistent) return {"redis"};
      if (needs.ttl) return {"redis", "memcached"};
      return {"memcached", "redis"};
    case Sharing::kProcesses:
      return {"sqlite"};
    case Sharing::kNothing:
      if (!needs.persistent) return {"fast"};
      if (large && !needs.ttl) return {"files", "sqlite"};
      return {"sqlite", "files"};
  }
  return {};
}

}  // namespace

absl::StatusOr<std::vector<std::string>> UcachePlan(const UcacheNeeds& needs,
                                                    absl::string_view preferred) {
  std::vector<std::string> plan = Rule(needs);
  if (preferred.empty()) return plan;
  static constexpr absl::string_view kKnown[] = {"fast", "sqlite", "files", "redis", "memcached"};
  if (std::find(std::begin(kKnown), std::end(kKnown), preferred) == std::end(kKnown)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ucache: unknown preferred engine \"", preferred,
                     "\"; give one of fast, sqlite, files, redis, memcached (or leave it empty)"));
  }
  std::erase(plan, std::string(preferred));
  plan.insert(plan.begin(), std::string(preferred));
  return plan;
}

}  // namespace cachelab
