// The property suite compiled once, for ErasedFactory (conformance/erased_factory.h), and main()
// of every engine's properties test.
#include "conformance/erased_factory.h"
#include "properties/battery.h"
#include "properties/rapidcheck_defaults.h"

namespace cachelab::properties {
namespace {

void RegisterSuites(const char* prefix) { CACHELAB_REGISTER_ERASED_SUITE(prefix, PropertySuite); }

}  // namespace
}  // namespace cachelab::properties

// The engine is the binary's RegisteredEngine() (its hooks library, from cache_battery).
int main(int argc, char** argv) {
  cachelab::properties::FillRapidCheckDefaults();
  return cachelab::battery::RunBattery(argc, argv, cachelab::properties::RegisterSuites);
}
