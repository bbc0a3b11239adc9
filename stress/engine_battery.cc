// The stress, disk-fault and server-fault suites compiled once, for ErasedFactory
// (conformance/erased_factory.h).
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

int RunStress(int argc, char** argv) { return battery::RunBattery(argc, argv, RegisterSuites); }

}  // namespace cachelab::stress
