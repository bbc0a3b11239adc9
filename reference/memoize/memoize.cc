#include "reference/memoize/memoize.h"

#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cachelab {

absl::Status ValidateMemoizeOptions(const MemoizeOptions& options, absl::string_view front_end) {
  auto refuse = [&](auto&&... what) {
    return absl::InvalidArgumentError(absl::StrCat(front_end, ": ", what...));
  };
  if (options.maxsize && *options.maxsize < 1) {
    return refuse("maxsize is ", *options.maxsize,
                  "; give the number of results to keep (at least 1), or leave it unset for 128");
  }
  if (options.ttl && *options.ttl <= absl::ZeroDuration()) {
    return refuse("ttl is ", absl::FormatDuration(*options.ttl),
                  "; give a positive duration, or leave it unset to keep results until evicted");
  }
  if (options.error_ttl < absl::ZeroDuration()) {
    return refuse("error_ttl is ", absl::FormatDuration(options.error_ttl),
                  "; give 0 (errors are not remembered) or a positive duration");
  }
  static constexpr absl::string_view kPolicies[] = {"", "fast", "lru", "lfu", "fifo", "random"};
  if (std::find(std::begin(kPolicies), std::end(kPolicies), options.policy) ==
      std::end(kPolicies)) {
    return refuse("unknown policy \"", options.policy,
                  "\"; give one of fast, lru, lfu, fifo, random (or leave it empty)");
  }
  if (!options.location.empty()) {
    struct stat st;
    if (stat(options.location.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      return refuse("location ", options.location,
                    " is a file; give a directory (it is created if missing)");
    }
  }
  if (options.encryption_key && options.encryption_key->size() != 32) {
    return refuse("encryption_key has ", options.encryption_key->size(),
                  " bytes; give exactly 32");
  }
  return absl::OkStatus();
}

size_t MaxSizeOf(const MemoizeOptions& options) {
  return options.maxsize ? static_cast<size_t>(*options.maxsize) : 128;
}

MemoizeRegistry& MemoizeRegistry::Global() {
  static auto* const registry = new MemoizeRegistry();
  return *registry;
}

absl::Status MemoizeRegistry::ClearAll() {
  MutexLock lock(&mu_);
  absl::Status first;
  for (MemoizedBase* function : functions_) first.Update(function->Clear());
  return first;
}

std::vector<std::pair<std::string, MemoStats>> MemoizeRegistry::AllStats() {
  MutexLock lock(&mu_);
  std::vector<std::pair<std::string, MemoStats>> all;
  for (MemoizedBase* function : functions_) all.emplace_back(function->name(), function->Stats());
  return all;
}

void MemoizeRegistry::Add(MemoizedBase* function) {
  MutexLock lock(&mu_);
  functions_.push_back(function);
}

void MemoizeRegistry::Remove(MemoizedBase* function) {
  MutexLock lock(&mu_);
  std::erase(functions_, function);
}

std::string MemoizeRegistry::NextName() {
  MutexLock lock(&mu_);
  return absl::StrCat("memoized-", ++counter_);
}

}  // namespace cachelab
