// The conformance battery: typed GoogleTest suites that check reference/cache.h sentence by
// sentence, choosing tests by the capabilities an engine declares.
//
// What an engine's author writes: a factory type
//
//   struct MyFactory {
//     // What the engine declares; must equal what its instances report.
//     static cachelab::Capabilities Capabilities();
//     // Builds an engine from the battery's options (capacity, default_ttl, clock, seed).
//     template <typename K, typename V>
//     static absl::StatusOr<std::unique_ptr<cachelab::Cache<K, V>>> Create(
//         const cachelab::CacheOptions& options);
//   };
//
// with K = std::string and V in {std::string, std::optional<std::string>}, and one call of the
// Bazel macro cache_battery (conformance/battery.bzl), which generates a library that expands
// CACHELAB_ENGINE_HOOKS(Name, MyFactory) (erased_factory.h) and links it into the tests. Tests are named
// Name/Suite/0.Behaviour. The suites are compiled once, for ErasedFactory (erased_factory.h),
// into //conformance:engine_battery; this header is what that library compiles.
#ifndef CACHELAB_CONFORMANCE_BATTERY_H_
#define CACHELAB_CONFORMANCE_BATTERY_H_

#include "conformance/basic_suite.h"
#include "conformance/concurrency_suite.h"
#include "conformance/config_suite.h"
#include "conformance/eviction_suite.h"
#include "conformance/expiry_suite.h"
#include "conformance/model_suite.h"
#include "conformance/persistence_suite.h"
#include "conformance/removal_suite.h"
#include "conformance/stats_suite.h"
#include "conformance/value_suite.h"

#endif  // CACHELAB_CONFORMANCE_BATTERY_H_
