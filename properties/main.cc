// main() of every property test: GoogleTest, with RapidCheck's CI defaults filled in where
// RC_PARAMS does not set them. RC_PARAMS given to the test (bazel test --test_env=RC_PARAMS=...)
// overrides them, e.g. for more cases or to reproduce one failure.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace {

// Enough cases to matter, within the CI budget: sequences of up to kMaxSize commands.
constexpr const char* kMaxSuccess = "500";
constexpr const char* kMaxSize = "400";

void FillRapidCheckDefaults() {
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

}  // namespace

int main(int argc, char** argv) {
  FillRapidCheckDefaults();  // before RapidCheck first reads its configuration
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
