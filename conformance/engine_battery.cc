// The conformance suites compiled once, for ErasedFactory (conformance/erased_factory.h).
#include "conformance/erased_factory.h"
#include "conformance/battery.h"

namespace cachelab::conformance {
namespace {

void RegisterSuites(const char* prefix) {
  CACHELAB_REGISTER_ERASED_SUITE(prefix, BasicSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, ValueSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, EvictionSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, ExpirySuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, StatsSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, ConfigSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, ModelSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, ConcurrencySuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, PersistenceSuite);
  CACHELAB_REGISTER_ERASED_SUITE(prefix, RemovalSuite);
}

}  // namespace

int RunConformance(int argc, char** argv) {
  return battery::RunBattery(argc, argv, RegisterSuites);
}

}  // namespace cachelab::conformance
