// The stress, disk-fault and server-fault suites compiled once, for ErasedFactory
// (conformance/erased_factory.h), and main() of every engine's stress test.
#include "conformance/erased_factory.h"
#include "stress/battery.h"

namespace cachelab::stress {
namespace {

void RegisterSuites(const char* prefix) {
  CACHELAB_REGISTER_ERASED_SUITE(prefix, StressSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, DiskFaultSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, ServerFaultSuite);
}

}  // namespace
}  // namespace cachelab::stress

// The engine is the binary's RegisteredEngine() (its hooks library, from cache_battery).
int main(int argc, char** argv) {
  return cachelab::battery::RunBattery(argc, argv, cachelab::stress::RegisterSuites);
}
