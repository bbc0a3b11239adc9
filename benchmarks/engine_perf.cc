// The performance half of the battery, for every engine at once: registers the engine of the
// binary (conformance/erased_factory.h's RegisteredEngine(), from the engine's hooks library,
// which cache_battery generates) with the standard benchmarks (engine_benchmarks.h) and with
// the hit-ratio simulator (hitratio/simulator.h), under its PascalCase name. Linked into the
// generated <engine>_benchmark and <engine>_hitratio, so no engine compiles benchmark code of
// its own. Registration runs in a static initializer: RegisteredEngine() only builds function
// pointers, and both registries are filled before main() reads them.
#include "benchmarks/engine_benchmarks.h"
#include "benchmarks/hitratio/simulator.h"
#include "conformance/erased_factory.h"

namespace cachelab::benchmarks {
namespace {

const bool registered = [] {
  const battery::EngineHooks engine = battery::RegisteredEngine();
  const auto create = engine.create;
  RegisterEngineBenchmarks(engine.prefix, engine.capabilities(),
                           [create](const CacheOptions& options) { return create(options); });
  return hitratio::RegisterEngine(hitratio::EngineRegistration{
      engine.prefix, engine.capabilities(),
      [create](const CacheOptions& options) { return create(options); }});
}();

}  // namespace
}  // namespace cachelab::benchmarks
