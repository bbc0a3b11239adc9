// ModelSuite: long seeded sequences of random calls (inserts, TTL inserts, lookups, erases,
// clears, clock advances, observations) against the engine.
//   * Exact policies: every answer, and at each observation the live keys, size and statistics,
//     must equal those of ModelCache given the same calls and the same clock.
//   * Every policy: the invariants (a hit returns the last value written and not expired; the
//     newest entry survives its own insert; no key is live that was not written; never above
//     capacity; an unbounded engine loses nothing).
// A failure names the seed, the step and the calls that led to it.
#ifndef CACHELAB_CONFORMANCE_MODEL_SUITE_H_
#define CACHELAB_CONFORMANCE_MODEL_SUITE_H_

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "conformance/internal/fixture.h"
#include "conformance/models/model_cache.h"

namespace cachelab::conformance {

struct RandomCall {
  enum Kind {
    kLookup, kInsert, kInsertWithTtl, kErase, kClear, kAdvance, kObserve, kLookupMany,
    kInsertMany
  } kind;
  std::string key;
  absl::Duration duration;        // ttl or clock step
  std::vector<std::string> keys;  // LookupMany, InsertMany (repeats allowed)

  std::string ToString() const {
    static const char* const kNames[] = {"Lookup",  "Insert",  "InsertWithTtl", "Erase",
                                         "Clear",   "Advance", "Observe",       "LookupMany",
                                         "InsertMany"};
    if (kind == kLookupMany || kind == kInsertMany) {
      return absl::StrCat(kNames[kind], "(", absl::StrJoin(keys, " "), ")");
    }
    return absl::StrCat(kNames[kind], "(", key, kind == kInsertWithTtl || kind == kAdvance
                                                    ? absl::StrCat(" ", absl::FormatDuration(duration))
                                                    : "",
                        ")");
  }
};

// Draws calls over keys k0..k{keys-1}; TTL calls and clock steps only if the engine has TTL.
inline RandomCall DrawCall(std::mt19937_64& rng, const Capabilities& caps, int keys) {
  const bool ttl = caps.per_entry_ttl || caps.default_ttl;
  RandomCall call{RandomCall::kLookup, "", absl::ZeroDuration(), {}};
  call.key = absl::StrCat("k", std::uniform_int_distribution<int>(0, keys - 1)(rng));
  const int roll = std::uniform_int_distribution<int>(0, 99)(rng);
  if (roll < 25) {
    call.kind = RandomCall::kLookup;
  } else if (roll < 30 || (roll >= 50 && roll < 55)) {
    call.kind = roll < 30 ? RandomCall::kLookupMany : RandomCall::kInsertMany;
    const int n = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int i = 0; i < n; ++i) {
      call.keys.push_back(absl::StrCat("k", std::uniform_int_distribution<int>(0, keys - 1)(rng)));
    }
  } else if (roll < 50) {
    call.kind = RandomCall::kInsert;
  } else if (roll < 67 && caps.per_entry_ttl) {
    call.kind = RandomCall::kInsertWithTtl;
    const int pick = std::uniform_int_distribution<int>(0, 9)(rng);
    call.duration = pick == 0   ? absl::ZeroDuration()
                    : pick == 9 ? absl::InfiniteDuration()
                                : absl::Seconds(pick);
  } else if (roll < 75) {
    call.kind = RandomCall::kErase;
  } else if (roll < 85 && ttl) {
    call.kind = RandomCall::kAdvance;
    call.duration = absl::Seconds(std::uniform_int_distribution<int>(0, 3)(rng));
  } else if (roll < 98) {
    call.kind = RandomCall::kObserve;
  } else if (roll < 99) {
    call.kind = RandomCall::kClear;
  }
  return call;
}

template <typename Factory>
class ModelSuite : public CacheTest<Factory> {
 protected:
  static constexpr int kSeeds = 6;
  static constexpr int kSteps = 2000;
  static constexpr int kKeys = 10;
  static constexpr size_t kCapacity = 4;

  // Option sets to run: without a default TTL (or the long one if required), and with a short
  // default TTL if the engine has one.
  std::vector<CacheOptions> OptionSets() const {
    std::vector<CacheOptions> sets{this->Options(kCapacity)};
    if (this->Caps().default_ttl) {
      sets.push_back(this->Options(kCapacity));
      sets.back().default_ttl = absl::Seconds(5);
    }
    return sets;
  }

  static std::string Trail(const std::vector<std::string>& calls) {
    const size_t from = calls.size() > 25 ? calls.size() - 25 : 0;
    return absl::StrJoin(calls.begin() + from, calls.end(), "\n  ");
  }

  static std::vector<std::string> Sorted(absl::StatusOr<std::vector<std::string>> keys) {
    if (!keys.ok()) return {"<error: " + keys.status().ToString() + ">"};
    std::sort(keys->begin(), keys->end());
    return *keys;
  }
};
TYPED_TEST_SUITE_P(ModelSuite);

TYPED_TEST_P(ModelSuite, MatchesTheModelDecisionByDecision) {
  if (!IsExactPolicy(this->Caps().eviction)) GTEST_SKIP() << "no exact model of this policy";
  for (CacheOptions options : this->OptionSets()) {
    for (uint64_t seed = 1; seed <= TestFixture::kSeeds; ++seed) {
      options.location = this->NewLocation();  // a fresh cache for every seed
      StringCache& engine = this->Make(options);
      auto model = models::ModelCache<std::string, std::string>::Create(options, this->Caps());
      ASSERT_TRUE(model.ok()) << model.status();
      std::mt19937_64 rng(seed);
      std::vector<std::string> calls;
      for (int step = 0; step < TestFixture::kSteps; ++step) {
        const RandomCall call = DrawCall(rng, this->Caps(), TestFixture::kKeys);
        calls.push_back(call.ToString());
        const std::string value = absl::StrCat("v", step);
        bool same = true;
        switch (call.kind) {
          case RandomCall::kLookup:
            same = Get(engine, call.key) == Get(**model, call.key);
            break;
          case RandomCall::kLookupMany:
            same = GetMany(engine, call.keys) == GetMany(**model, call.keys);
            break;
          case RandomCall::kInsert:
            same = engine.Insert(call.key, value).code() == (*model)->Insert(call.key, value).code();
            break;
          case RandomCall::kInsertMany:
            same = engine.InsertMany(Pairs(call.keys, value)).code() ==
                   (*model)->InsertMany(Pairs(call.keys, value)).code();
            break;
          case RandomCall::kInsertWithTtl:
            same = engine.InsertWithTtl(call.key, value, call.duration).code() ==
                   (*model)->InsertWithTtl(call.key, value, call.duration).code();
            break;
          case RandomCall::kErase:
            same = engine.Erase(call.key).value_or(false) == (*model)->Erase(call.key).value_or(false);
            break;
          case RandomCall::kClear:
            same = engine.Clear().ok() && (*model)->Clear().ok();
            break;
          case RandomCall::kAdvance:
            this->Advance(call.duration);
            break;
          case RandomCall::kObserve:
            same = this->Sorted(engine.Keys()) == this->Sorted((*model)->Keys()) &&
                   engine.Stats() == (*model)->Stats();
            break;
        }
        ASSERT_TRUE(same) << "engine and model disagree at step " << step << " (seed " << seed
                          << ", default_ttl " << options.default_ttl.value_or(absl::ZeroDuration())
                          << ") on " << call.ToString() << "; the calls before it:\n  "
                          << this->Trail(calls);
      }
      ASSERT_EQ(this->Sorted(engine.Keys()), this->Sorted((*model)->Keys())) << "seed " << seed;
      ASSERT_TRUE(engine.Stats() == (*model)->Stats()) << "final statistics, seed " << seed;
    }
  }
}

TYPED_TEST_P(ModelSuite, KeepsTheInvariantsUnderRandomCalls) {
  for (CacheOptions options : this->OptionSets()) {
    for (uint64_t seed = 1; seed <= TestFixture::kSeeds; ++seed) {
      options.location = this->NewLocation();  // a fresh cache for every seed
      StringCache& engine = this->Make(options);
      struct Written {
        std::string value;
        absl::Time deadline;
      };
      std::map<std::string, Written> shadow;  // the last write of each key
      auto live = [&](const std::string& key) {
        auto it = shadow.find(key);
        return it != shadow.end() && it->second.deadline > this->clock_->Now() ? &it->second
                                                                                 : nullptr;
      };
      std::mt19937_64 rng(seed);
      std::vector<std::string> calls;
      for (int step = 0; step < TestFixture::kSteps; ++step) {
        const RandomCall call = DrawCall(rng, this->Caps(), TestFixture::kKeys);
        calls.push_back(call.ToString());
        const std::string where = absl::StrCat("step ", step, " (seed ", seed, ") on ",
                                               call.ToString(), "; the calls before it:\n  ",
                                               this->Trail(calls));
        const std::string value = absl::StrCat("v", step);
        const absl::Time now = this->clock_->Now();
        switch (call.kind) {
          case RandomCall::kLookup: {
            std::optional<std::string> found = Get(engine, call.key);
            const Written* expected = live(call.key);
            if (found.has_value()) {
              ASSERT_TRUE(expected != nullptr && *found == expected->value)
                  << "a lookup returned a value that is not the last live write: " << where;
            } else if (!this->Caps().bounded()) {
              ASSERT_EQ(expected, nullptr) << "an unbounded engine lost an entry: " << where;
            }
            break;
          }
          case RandomCall::kLookupMany: {
            const std::vector<std::optional<std::string>> found = GetMany(engine, call.keys);
            ASSERT_EQ(found.size(), call.keys.size()) << where;
            for (size_t i = 0; i < found.size(); ++i) {
              const Written* expected = live(call.keys[i]);
              if (found[i].has_value()) {
                ASSERT_TRUE(expected != nullptr && *found[i] == expected->value)
                    << "LookupMany returned a value that is not the last live write: " << where;
              } else if (!this->Caps().bounded()) {
                ASSERT_EQ(expected, nullptr) << "an unbounded engine lost an entry: " << where;
              }
            }
            break;
          }
          case RandomCall::kInsertMany: {
            ASSERT_TRUE(engine.InsertMany(Pairs(call.keys, value)).ok()) << where;
            const absl::Duration ttl = options.default_ttl.value_or(absl::InfiniteDuration());
            for (const std::string& key : call.keys) shadow[key] = Written{value, now + ttl};
            break;
          }
          case RandomCall::kInsert:
          case RandomCall::kInsertWithTtl: {
            const bool with_ttl = call.kind == RandomCall::kInsertWithTtl;
            ASSERT_TRUE((with_ttl ? engine.InsertWithTtl(call.key, value, call.duration)
                                  : engine.Insert(call.key, value))
                            .ok())
                << where;
            absl::Duration ttl = with_ttl ? call.duration
                                          : options.default_ttl.value_or(absl::InfiniteDuration());
            shadow[call.key] = Written{value, now + ttl};
            if (live(call.key) != nullptr) {
              ASSERT_EQ(Get(engine, call.key), value) << "the newest entry was lost: " << where;
            }
            break;
          }
          case RandomCall::kErase:
            ASSERT_TRUE(engine.Erase(call.key).ok()) << where;
            shadow.erase(call.key);
            break;
          case RandomCall::kClear:
            ASSERT_TRUE(engine.Clear().ok()) << where;
            shadow.clear();
            break;
          case RandomCall::kAdvance:
            this->Advance(call.duration);
            break;
          case RandomCall::kObserve: {
            for (const std::string& key : this->Sorted(engine.Keys())) {
              ASSERT_NE(live(key), nullptr) << "Keys() lists " << key << ", not live: " << where;
            }
            size_t live_count = 0;
            for (const auto& [key, written] : shadow) live_count += live(key) != nullptr;
            const size_t size = SizeOf(engine);
            if (this->Caps().bounded()) {
              ASSERT_LE(size, std::min(live_count, TestFixture::kCapacity)) << where;
            } else {
              ASSERT_EQ(size, live_count) << where;
            }
            break;
          }
        }
      }
    }
  }
}

REGISTER_TYPED_TEST_SUITE_P(ModelSuite, MatchesTheModelDecisionByDecision,
                            KeepsTheInvariantsUnderRandomCalls);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_MODEL_SUITE_H_
