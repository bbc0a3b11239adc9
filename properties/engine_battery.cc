// The property suite compiled once, for ErasedFactory (conformance/erased_factory.h).
#include "conformance/erased_factory.h"
#include "properties/battery.h"
#include "properties/rapidcheck_defaults.h"

namespace cachelab::properties {
namespace {

void RegisterSuites(const char* prefix) { CACHELAB_REGISTER_ERASED_SUITE(prefix, PropertySuite); }

}  // namespace

int RunProperties(int argc, char** argv) {
  FillRapidCheckDefaults();
  return battery::RunBattery(argc, argv, RegisterSuites);
}

}  // namespace cachelab::properties
