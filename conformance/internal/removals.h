// Removals: a record of what a removal listener (Cache::SetRemovalListener) was told, for the
// conformance suite and the properties. Thread-safe.
#ifndef CACHELAB_CONFORMANCE_INTERNAL_REMOVALS_H_
#define CACHELAB_CONFORMANCE_INTERNAL_REMOVALS_H_

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "reference/cache.h"

namespace cachelab::conformance {

// What a listener was told. Shared with the listener, which the engine may call until it is
// destroyed (after the test body).
struct Removals {
  std::mutex mu;
  std::vector<std::pair<std::string, RemovalCause>> reported;

  RemovalListener<std::string> Listener(const std::shared_ptr<Removals>& self) {
    return [self](const std::string& key, RemovalCause cause) {
      std::lock_guard<std::mutex> lock(self->mu);
      self->reported.emplace_back(key, cause);
    };
  }
  // The keys reported for `cause`, in order.
  std::vector<std::string> Keys(RemovalCause cause) {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> keys;
    for (const auto& [key, c] : reported) {
      if (c == cause) keys.push_back(key);
    }
    return keys;
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu);
    return reported.size();
  }
};

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_INTERNAL_REMOVALS_H_
