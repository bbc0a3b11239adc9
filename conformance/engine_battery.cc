// The conformance suites compiled once, for ErasedFactory (conformance/erased_factory.h), and
// main() of every engine's conformance test.
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
}  // namespace cachelab::conformance

// The engine is the binary's RegisteredEngine() (its hooks library, from cache_battery).
int main(int argc, char** argv) {
  return cachelab::battery::RunBattery(argc, argv, cachelab::conformance::RegisterSuites);
}
