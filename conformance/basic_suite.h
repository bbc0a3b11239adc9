// BasicSuite: lookup, insert, overwrite, erase, clear, size, capacity and Keys() (cache.h).
#ifndef CACHELAB_CONFORMANCE_BASIC_SUITE_H_
#define CACHELAB_CONFORMANCE_BASIC_SUITE_H_

#include <algorithm>
#include <string>

#include "conformance/internal/fixture.h"

namespace cachelab::conformance {

template <typename Factory>
class BasicSuite : public CacheTest<Factory> {};
TYPED_TEST_SUITE_P(BasicSuite);

TYPED_TEST_P(BasicSuite, LookupOfAbsentKeyMisses) {
  StringCache& cache = this->Make(4);
  EXPECT_EQ(Get(cache, std::string("absent")), std::nullopt);
  EXPECT_EQ(SizeOf(cache), 0u);
}

TYPED_TEST_P(BasicSuite, InsertThenLookupHits) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("a", "1").ok());
  ASSERT_TRUE(cache.Insert("b", "2").ok());
  EXPECT_EQ(Get(cache, std::string("a")), "1");
  EXPECT_EQ(Get(cache, std::string("b")), "2");
  EXPECT_EQ(SizeOf(cache), 2u);
}

TYPED_TEST_P(BasicSuite, OverwriteReplacesValueWithoutGrowing) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("a", "old").ok());
  ASSERT_TRUE(cache.Insert("a", "new").ok());
  EXPECT_EQ(Get(cache, std::string("a")), "new");
  EXPECT_EQ(SizeOf(cache), 1u);
}

TYPED_TEST_P(BasicSuite, OverwriteOfFullCacheEvictsNothing) {
  StringCache& cache = this->Make(3);
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(cache.Insert(key, key).ok());
  ASSERT_TRUE(cache.Insert("b", "again").ok());
  for (const char* key : {"a", "b", "c"}) EXPECT_TRUE(Get(cache, std::string(key))) << key;
  EXPECT_EQ(cache.Stats().evictions, 0u);
}

TYPED_TEST_P(BasicSuite, EraseRemovesOnlyThatKey) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("a", "1").ok());
  ASSERT_TRUE(cache.Insert("b", "2").ok());
  auto erased = cache.Erase("a");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(*erased);
  EXPECT_EQ(Get(cache, std::string("a")), std::nullopt);
  EXPECT_EQ(Get(cache, std::string("b")), "2");
  EXPECT_EQ(SizeOf(cache), 1u);
}

TYPED_TEST_P(BasicSuite, EraseOfAbsentKeyReturnsFalse) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("a", "1").ok());
  auto erased = cache.Erase("b");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_FALSE(*erased);
  EXPECT_EQ(SizeOf(cache), 1u);
}

TYPED_TEST_P(BasicSuite, ClearEmptiesTheCacheAndKeepsStatistics) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("a", "1").ok());
  ASSERT_TRUE(cache.Insert("b", "2").ok());
  EXPECT_TRUE(Get(cache, std::string("a")));
  ASSERT_TRUE(cache.Clear().ok());
  EXPECT_EQ(SizeOf(cache), 0u);
  EXPECT_EQ(Get(cache, std::string("a")), std::nullopt);
  const CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.insertions, 2u);
  EXPECT_EQ(stats.removals, 2u);
}

TYPED_TEST_P(BasicSuite, CacheIsUsableAfterClear) {
  StringCache& cache = this->Make(2);
  for (int round = 0; round < 3; ++round) {
    for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(cache.Insert(key, key).ok());
    EXPECT_EQ(Get(cache, std::string("c")), "c");
    ASSERT_TRUE(cache.Clear().ok());
  }
  EXPECT_EQ(SizeOf(cache), 0u);
}

TYPED_TEST_P(BasicSuite, KeysListsEveryLiveKeyOnce) {
  StringCache& cache = this->Make(8);
  for (const char* key : {"x", "y", "z"}) ASSERT_TRUE(cache.Insert(key, "v").ok());
  ASSERT_TRUE(cache.Insert("y", "w").ok());
  auto keys = cache.Keys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  std::sort(keys->begin(), keys->end());
  EXPECT_EQ(*keys, (std::vector<std::string>{"x", "y", "z"}));
}

TYPED_TEST_P(BasicSuite, KeysIsNotAUse) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("a", "1").ok());
  const CacheStats before = cache.Stats();
  ASSERT_TRUE(cache.Keys().ok());
  EXPECT_EQ(cache.Stats(), before);
}

TYPED_TEST_P(BasicSuite, CapacityIsReportedAsConfigured) {
  StringCache& cache = this->Make(5);
  if (this->Caps().bounded()) {
    EXPECT_EQ(cache.Capacity(), std::optional<size_t>(5));
  } else {
    EXPECT_EQ(cache.Capacity(), std::nullopt);
  }
}

// LookupMany and InsertMany are their single calls in order: the same answers, the same final
// contents and the same statistics, repeated keys included.
TYPED_TEST_P(BasicSuite, BatchCallsActAsTheirSingleCallsInOrder) {
  StringCache& batched = this->Make(3);
  StringCache& single = this->Make(3);
  const std::vector<std::pair<std::string, std::string>> writes = {
      {"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", "4"}, {"d", "5"}};
  ASSERT_TRUE(batched.InsertMany(writes).ok());
  for (const auto& [key, value] : writes) ASSERT_TRUE(single.Insert(key, value).ok());
  const std::vector<std::string> keys = {"a", "b", "x", "a", "d"};
  const std::vector<std::optional<std::string>> answers = GetMany(batched, keys);
  ASSERT_EQ(answers.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(answers[i], Get(single, keys[i])) << "key " << i << " (" << keys[i] << ")";
  }
  EXPECT_EQ(answers[2], std::nullopt);
  EXPECT_TRUE(GetMany(batched, {}).empty()) << "an empty batch answers nothing";
  auto batched_keys = *batched.Keys(), single_keys = *single.Keys();
  std::sort(batched_keys.begin(), batched_keys.end());
  std::sort(single_keys.begin(), single_keys.end());
  EXPECT_EQ(batched_keys, single_keys);
  if (IsExactPolicy(this->Caps().eviction)) {
    EXPECT_TRUE(batched.Stats() == single.Stats()) << "batch calls counted differently";
  }
}

TYPED_TEST_P(BasicSuite, CapacityIsNeverExceeded) {
  if (!this->Caps().bounded()) GTEST_SKIP() << "unbounded engine";
  StringCache& cache = this->Make(3);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(cache.Insert("k" + std::to_string(i), "v").ok());
    EXPECT_LE(SizeOf(cache), 3u) << "after inserting " << i + 1 << " distinct keys";
  }
  EXPECT_EQ(SizeOf(cache), 3u);
}

TYPED_TEST_P(BasicSuite, NewestEntrySurvivesItsOwnInsert) {
  StringCache& cache = this->Make(2);
  for (int i = 0; i < 20; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(cache.Insert(key, key).ok());
    EXPECT_EQ(Get(cache, key), key);
  }
}

TYPED_TEST_P(BasicSuite, UnboundedEngineNeverEvicts) {
  if (this->Caps().bounded()) GTEST_SKIP() << "bounded engine";
  StringCache& cache = this->Make(1);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(cache.Insert(std::to_string(i), "v").ok());
  EXPECT_EQ(SizeOf(cache), 1000u);
  EXPECT_EQ(cache.Stats().evictions, 0u);
}

TYPED_TEST_P(BasicSuite, DeclaresTheFactorysCapabilities) {
  StringCache& cache = this->Make(4);
  EXPECT_TRUE(cache.capabilities() == this->Caps())
      << "the engine reports different capabilities from those its factory declares";
}

REGISTER_TYPED_TEST_SUITE_P(BasicSuite, LookupOfAbsentKeyMisses, InsertThenLookupHits,
                            OverwriteReplacesValueWithoutGrowing,
                            OverwriteOfFullCacheEvictsNothing, EraseRemovesOnlyThatKey,
                            EraseOfAbsentKeyReturnsFalse, ClearEmptiesTheCacheAndKeepsStatistics,
                            CacheIsUsableAfterClear, KeysListsEveryLiveKeyOnce, KeysIsNotAUse,
                            CapacityIsReportedAsConfigured, CapacityIsNeverExceeded,
                            BatchCallsActAsTheirSingleCallsInOrder,
                            NewestEntrySurvivesItsOwnInsert, UnboundedEngineNeverEvicts,
                            DeclaresTheFactorysCapabilities);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_BASIC_SUITE_H_
