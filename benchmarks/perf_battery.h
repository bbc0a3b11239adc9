// The performance half of the battery for cache_battery(): CACHELAB_PERF(Name, Factory)
// registers the engine's standard benchmarks (engine_benchmarks.h) and makes it known to the
// hit-ratio simulator by `Name` (hitratio/simulator.h). The macro's generated
// <engine>_benchmark and <engine>_hitratio binaries link this registration.
#ifndef CACHELAB_BENCHMARKS_PERF_BATTERY_H_
#define CACHELAB_BENCHMARKS_PERF_BATTERY_H_

#include "benchmarks/engine_benchmarks.h"
#include "benchmarks/hitratio/simulator.h"

#define CACHELAB_PERF(Name, Factory)    \
  CACHELAB_BENCHMARKS(Name, Factory)    \
  CACHELAB_HITRATIO_ENGINE(#Name, Factory);

#endif  // CACHELAB_BENCHMARKS_PERF_BATTERY_H_
