// EvictionSuite: which entry leaves a full cache, policy by policy (cache.h, "a use"). Each
// exact policy gets scenarios that read as its definition; kRandom is held to reproducibility
// and uniform reach; kApproximate to its declared hit ratio on the standard workload.
#ifndef CACHELAB_CONFORMANCE_EVICTION_SUITE_H_
#define CACHELAB_CONFORMANCE_EVICTION_SUITE_H_

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>

#include "conformance/internal/fixture.h"
#include "conformance/internal/workload.h"

namespace cachelab::conformance {

template <typename Factory>
class EvictionSuite : public CacheTest<Factory> {
 protected:
  static void InsertAll(StringCache& cache, std::initializer_list<const char*> keys) {
    for (const char* key : keys) ASSERT_TRUE(cache.Insert(key, key).ok()) << key;
  }
  static void Touch(StringCache& cache, const char* key) {
    EXPECT_TRUE(Get(cache, std::string(key))) << key << " should still be cached";
  }
  // Sorted live keys.
  static std::vector<std::string> Contents(StringCache& cache) {
    auto keys = cache.Keys();
    EXPECT_TRUE(keys.ok()) << keys.status();
    if (!keys.ok()) return {};
    std::sort(keys->begin(), keys->end());
    return *keys;
  }
  using Keys = std::vector<std::string>;
};
TYPED_TEST_SUITE_P(EvictionSuite);

TYPED_TEST_P(EvictionSuite, EvictsLeastRecentlyUsedFirst) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kLru, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c", "d"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"b", "c", "d"}));
  this->InsertAll(cache, {"e"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"c", "d", "e"}));
}

TYPED_TEST_P(EvictionSuite, LookupMakesKeyMostRecentlyUsed) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kLru, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c"});
  this->Touch(cache, "a");
  this->InsertAll(cache, {"d"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"a", "c", "d"}));
}

TYPED_TEST_P(EvictionSuite, OverwriteMakesKeyMostRecentlyUsed) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kLru, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c", "a", "d"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"a", "c", "d"}));
}

TYPED_TEST_P(EvictionSuite, EvictsLeastFrequentlyUsedFirst) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kLfu, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c"});
  this->Touch(cache, "a");
  this->Touch(cache, "a");
  this->Touch(cache, "b");
  this->InsertAll(cache, {"d"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"a", "b", "d"}));
}

TYPED_TEST_P(EvictionSuite, BreaksFrequencyTiesByLeastRecentUse) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kLfu, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c"});
  for (const char* key : {"c", "a", "b"}) this->Touch(cache, key);  // all at 2, c used first
  this->InsertAll(cache, {"d"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"a", "b", "d"}));
}

TYPED_TEST_P(EvictionSuite, NewKeyStartsAtOneUse) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kLfu, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c"});
  for (const char* key : {"a", "b", "c"}) this->Touch(cache, key);
  // d evicts a (2 uses, least recent of those); then d, at 1 use, is e's victim.
  this->InsertAll(cache, {"d", "e"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"b", "c", "e"}));
}

TYPED_TEST_P(EvictionSuite, OverwriteCountsAsAUse) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kLfu, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c", "b", "d"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"b", "c", "d"}));
}

TYPED_TEST_P(EvictionSuite, EvictsInInsertionOrder) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kFifo, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c", "d", "e"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"c", "d", "e"}));
}

TYPED_TEST_P(EvictionSuite, LookupDoesNotDelayEviction) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kFifo, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c"});
  this->Touch(cache, "a");
  this->InsertAll(cache, {"d"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"b", "c", "d"}));
}

TYPED_TEST_P(EvictionSuite, OverwriteMovesKeyToTheBack) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kFifo, "another policy");
  StringCache& cache = this->Make(3);
  this->InsertAll(cache, {"a", "b", "c", "a", "d"});
  EXPECT_EQ(this->Contents(cache), (typename TestFixture::Keys{"a", "c", "d"}));
}

TYPED_TEST_P(EvictionSuite, SameSeedGivesSameVictims) {
  if (IsExactPolicy(this->Caps().eviction)) GTEST_SKIP() << "exact policy: see ModelSuite";
  StringCache& first = this->Make(8);
  StringCache& second = this->Make(8);
  for (int i = 0; i < 200; ++i) {
    const std::string key = std::to_string(i % 37 * 7 % 53);
    for (StringCache* cache : {&first, &second}) {
      if (i % 3 == 0) (void)Get(*cache, key);
      ASSERT_TRUE(cache->Insert(key, key).ok());
    }
  }
  EXPECT_EQ(this->Contents(first), this->Contents(second));
}

TYPED_TEST_P(EvictionSuite, RandomVictimCanBeAnyKey) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kRandom, "another policy");
  std::set<std::string> victims;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    CacheOptions options = this->Options(4);
    options.seed = seed;
    StringCache& cache = this->Make(options);
    this->InsertAll(cache, {"a", "b", "c", "d", "e"});
    for (const char* key : {"a", "b", "c", "d"}) {
      auto found = cache.Lookup(key);
      if (found.ok() && !found->has_value()) victims.insert(key);
    }
  }
  EXPECT_EQ(victims, (std::set<std::string>{"a", "b", "c", "d"}))
      << "over 200 seeds every older key should have been the victim at least once";
}

TYPED_TEST_P(EvictionSuite, ApproximatePolicyMeetsItsHitRatioFloor) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kApproximate, "another policy");
  using W = StandardWorkload;
  StringCache& cache = this->Make(W::kCapacity);
  ZipfGenerator zipf(W::kKeys, W::kSkew, W::kSeed);
  int hits = 0;
  for (int i = 0; i < W::kRequests; ++i) {
    const std::string key = std::to_string(zipf.Next());
    if (Get(cache, key)) {
      ++hits;
    } else {
      ASSERT_TRUE(cache.Insert(key, key).ok());
    }
  }
  const double ratio = static_cast<double>(hits) / W::kRequests;
  EXPECT_GE(ratio, this->Caps().min_hit_ratio)
      << "hit ratio on the standard workload is below the floor the engine declares";
  EXPECT_GT(this->Caps().min_hit_ratio, 0.0) << "an approximate policy must declare a floor";
}

REGISTER_TYPED_TEST_SUITE_P(EvictionSuite, EvictsLeastRecentlyUsedFirst,
                            LookupMakesKeyMostRecentlyUsed, OverwriteMakesKeyMostRecentlyUsed,
                            EvictsLeastFrequentlyUsedFirst, BreaksFrequencyTiesByLeastRecentUse,
                            NewKeyStartsAtOneUse, OverwriteCountsAsAUse, EvictsInInsertionOrder,
                            LookupDoesNotDelayEviction, OverwriteMovesKeyToTheBack,
                            SameSeedGivesSameVictims, RandomVictimCanBeAnyKey,
                            ApproximatePolicyMeetsItsHitRatioFloor);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_EVICTION_SUITE_H_
