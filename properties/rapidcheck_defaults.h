// RapidCheck's CI defaults for every property test, filled in where RC_PARAMS does not set them.
// RC_PARAMS given to the test (bazel test --test_env=RC_PARAMS=...) overrides them, e.g. for
// more cases or to reproduce one failure.
#ifndef CACHELAB_PROPERTIES_RAPIDCHECK_DEFAULTS_H_
#define CACHELAB_PROPERTIES_RAPIDCHECK_DEFAULTS_H_

#include <cstdlib>
#include <string>

namespace cachelab::properties {

// Enough cases to matter, within the CI budget: sequences of up to kMaxSize commands.
inline constexpr const char* kMaxSuccess = "500";
inline constexpr const char* kMaxSize = "400";

// Call before RapidCheck first reads its configuration (at the first property).
inline void FillRapidCheckDefaults() {
  const char* given = std::getenv("RC_PARAMS");
  std::string params = given != nullptr ? given : "";
  if (params.find("max_success") == std::string::npos) {
    params += std::string(" max_success=") + kMaxSuccess;
  }
  if (params.find("max_size") == std::string::npos) {
    params += std::string(" max_size=") + kMaxSize;
  }
  setenv("RC_PARAMS", params.c_str(), 1);
}

}  // namespace cachelab::properties

#endif  // CACHELAB_PROPERTIES_RAPIDCHECK_DEFAULTS_H_
