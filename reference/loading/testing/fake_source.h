// The fake data source the loader tests, properties and stress tests read, so they agree on
// what every key answers: "bad*" keys fail, "miss*" keys do not exist, any other key k is
// "v:k".
#ifndef CACHELAB_REFERENCE_LOADING_TESTING_FAKE_SOURCE_H_
#define CACHELAB_REFERENCE_LOADING_TESTING_FAKE_SOURCE_H_

#include <optional>
#include <string>

#include "reference/loading/data_provider.h"

namespace cachelab::fakes {

inline Answer<std::string> FakeSource(const std::string& key) {
  if (key.starts_with("bad")) return absl::UnavailableError("source refused " + key);
  if (key.starts_with("miss")) return std::optional<std::string>();
  return std::optional<std::string>("v:" + key);
}

// The value, "none" for a known absence, or the status as text.
inline std::string ShowAnswer(const Answer<std::string>& answer) {
  if (!answer.ok()) return answer.status().ToString();
  return answer->has_value() ? **answer : "none";
}

}  // namespace cachelab::fakes

#endif  // CACHELAB_REFERENCE_LOADING_TESTING_FAKE_SOURCE_H_
