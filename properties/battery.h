// The property battery: model-based RapidCheck properties (rc::state) for any engine, from the
// same factory as the conformance battery (conformance/battery.h), through cache_battery().
//
//   PropertySuite.MatchesTheModelAfterEveryCall  exact policies: every answer, and at each
//       observation the live keys and statistics, equal ModelCache's;
//   PropertySuite.KeepsTheInvariants  every policy: a hit returns the last live write; never
//       above capacity; no key live that was not written; statistics equal what was observed;
//       (reports_removals) every eviction and expiration counted was reported.
//   PropertySuite.TheSameSeedEvictsTheSameVictims  bounded engines: two engines with one seed,
//       given the same calls, hold the same keys after every call.
//
// Each case draws a capacity (1..16), a key space (1..24 keys), a default TTL if the engine has
// one, and a command sequence; a failure is shrunk to a minimal sequence and printed with the
// seed and an RC_PARAMS line that reruns exactly that case (see README, "Properties").
// Compiled once, for ErasedFactory (conformance/erased_factory.h), into
// //properties:engine_battery, which an engine's test links with its CACHELAB_ENGINE_HOOKS.
#ifndef CACHELAB_PROPERTIES_BATTERY_H_
#define CACHELAB_PROPERTIES_BATTERY_H_

#include <algorithm>
#include <memory>
#include <vector>
#include <tuple>
#include <string>
#include <utility>

#include "conformance/internal/location.h"
#include "conformance/models/model_cache.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "properties/commands.h"
#include "rapidcheck/gtest.h"

namespace cachelab::properties {

// Draws a Setup for an engine that declares `caps`.
// Drawn as one value, so a counterexample shows it by name (showValue) and it shrinks toward
// capacity 1, one key and no default TTL.
inline Setup DrawSetup(const Capabilities& caps) {
  return *rc::gen::map(
      rc::gen::tuple(rc::gen::inRange<size_t>(1, 17), rc::gen::inRange(1, 25),
                     rc::gen::inRange(0, 6)),
      [caps](const std::tuple<size_t, int, int>& drawn) {
        Setup setup;
        setup.caps = caps;
        setup.capacity = std::get<0>(drawn);
        setup.keys = std::get<1>(drawn);
        if (caps.default_ttl && std::get<2>(drawn) > 0) {
          setup.default_ttl = absl::Seconds(std::get<2>(drawn));
        } else if (caps.requires_default_ttl) {
          setup.default_ttl = absl::Hours(24 * 365);
        }
        return setup;
      });
}

// The options of an engine for `setup`, in a fresh location (every sequence starts empty).
inline CacheOptions OptionsFor(const Setup& setup, std::shared_ptr<ManualClock> clock,
                               uint64_t seed) {
  CacheOptions options;
  if (setup.caps.bounded()) options.capacity = setup.capacity;
  options.default_ttl = setup.default_ttl;
  options.clock = std::move(clock);
  options.seed = seed;
  auto location = conformance::NewCacheLocation();
  if (!location.ok()) RC_FAIL(location.status().ToString());
  options.location = *location;
  return options;
}

template <typename Factory>
std::unique_ptr<StringCache> MakeEngine(const CacheOptions& options) {
  auto engine = Factory::template Create<std::string, std::string>(options);
  RC_ASSERT(engine.ok());
  return *std::move(engine);
}

// Runs one generated command sequence against a fresh engine from `Factory`.
template <typename Factory>
void CheckOneSequence(bool with_model) {
  const Setup setup = DrawSetup(Factory::Capabilities());
  System sys;
  sys.clock = std::make_shared<ManualClock>(absl::FromUnixSeconds(1'700'000'000));
  const CacheOptions options = OptionsFor(setup, sys.clock, /*seed=*/7);
  sys.engine = MakeEngine<Factory>(options);
  if (setup.caps.reports_removals) {
    sys.removals = std::make_shared<conformance::Removals>();
    RC_ASSERT(sys.engine->SetRemovalListener(sys.removals->Listener(sys.removals)).ok());
  }
  if (with_model) {
    auto model = models::ModelCache<std::string, std::string>::Create(options, setup.caps);
    RC_ASSERT(model.ok());
    sys.model = *std::move(model);
  }
  rc::state::check(setup, sys,
                   // Listed twice: drawn twice as often.
                   rc::state::gen::execOneOfWithArgs<InsertCall, InsertCall, InsertWithTtlCall,
                                                     LookupCall, LookupCall, EraseCall, ClearCall,
                                                     AdvanceCall, ObserveCall, LookupManyCall,
                                                     InsertManyCall>());
}

// Two engines built with the same seed and given the same calls (a lookup, then an insert on a
// miss, for each drawn key) hold the same keys after every call: victims are reproducible.
template <typename Factory>
void CheckSameSeedSameVictims() {
  const Setup setup = DrawSetup(Factory::Capabilities());
  const auto keys = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, setup.keys));
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  std::unique_ptr<StringCache> engines[2];
  for (auto& engine : engines) {
    engine = MakeEngine<Factory>(OptionsFor(
        setup, std::make_shared<ManualClock>(absl::FromUnixSeconds(1'700'000'000)), seed));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string key = absl::StrCat("k", keys[i]);
    std::vector<std::string> held[2];
    for (int e = 0; e < 2; ++e) {
      auto found = engines[e]->Lookup(key);
      RC_ASSERT(found.ok());
      if (!found->has_value()) RC_ASSERT(engines[e]->Insert(key, "v").ok());
      auto listed = engines[e]->Keys();
      RC_ASSERT(listed.ok());
      held[e] = *std::move(listed);
      std::sort(held[e].begin(), held[e].end());
    }
    if (held[0] != held[1]) {
      RC_FAIL(absl::StrCat("with seed ", seed, ", after call ", i + 1, " (", key,
                           ") one engine holds {", absl::StrJoin(held[0], " "),
                           "} and its twin {", absl::StrJoin(held[1], " "), "}"));
    }
  }
}

template <typename Factory>
class PropertySuite : public ::testing::Test {};
TYPED_TEST_SUITE_P(PropertySuite);

TYPED_TEST_P(PropertySuite, MatchesTheModelAfterEveryCall) {
  if (!IsExactPolicy(TypeParam::Capabilities().eviction)) {
    GTEST_SKIP() << "not applicable: no exact model of this policy";
  }
  rc::detail::checkGTest([] { CheckOneSequence<TypeParam>(/*with_model=*/true); });
}

TYPED_TEST_P(PropertySuite, KeepsTheInvariants) {
  rc::detail::checkGTest([] { CheckOneSequence<TypeParam>(/*with_model=*/false); });
}

TYPED_TEST_P(PropertySuite, TheSameSeedEvictsTheSameVictims) {
  if (!TypeParam::Capabilities().bounded()) GTEST_SKIP() << "not applicable: never evicts";
  rc::detail::checkGTest([] { CheckSameSeedSameVictims<TypeParam>(); });
}

REGISTER_TYPED_TEST_SUITE_P(PropertySuite, MatchesTheModelAfterEveryCall, KeepsTheInvariants,
                            TheSameSeedEvictsTheSameVictims);

}  // namespace cachelab::properties

#endif  // CACHELAB_PROPERTIES_BATTERY_H_
