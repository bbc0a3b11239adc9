// StatsSuite: the counters of CacheStats are exact after a known sequence of calls.
#ifndef CACHELAB_CONFORMANCE_STATS_SUITE_H_
#define CACHELAB_CONFORMANCE_STATS_SUITE_H_

#include <string>

#include "conformance/internal/fixture.h"

namespace cachelab::conformance {

template <typename Factory>
class StatsSuite : public CacheTest<Factory> {};
TYPED_TEST_SUITE_P(StatsSuite);

TYPED_TEST_P(StatsSuite, StartAtZero) {
  StringCache& cache = this->Make(4);
  EXPECT_EQ(cache.Stats(), CacheStats{});
}

TYPED_TEST_P(StatsSuite, CountsHitsAndMissesExactly) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("a", "1").ok());
  (void)Get(cache, std::string("a"));
  (void)Get(cache, std::string("b"));
  (void)Get(cache, std::string("a"));
  (void)Get(cache, std::string("c"));
  (void)Get(cache, std::string("a"));
  const CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.hits, 3u);
  EXPECT_EQ(stats.misses, 2u);
}

TYPED_TEST_P(StatsSuite, CountsInsertionsAndUpdatesSeparately) {
  StringCache& cache = this->Make(4);
  for (const char* key : {"a", "b", "a", "a", "c"}) ASSERT_TRUE(cache.Insert(key, "v").ok());
  const CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.insertions, 3u);
  EXPECT_EQ(stats.updates, 2u);
}

TYPED_TEST_P(StatsSuite, CountsEvictions) {
  if (!this->Caps().bounded()) GTEST_SKIP() << "unbounded engine";
  StringCache& cache = this->Make(2);
  for (const char* key : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(cache.Insert(key, "v").ok());
  const CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.evictions, 3u);
  EXPECT_EQ(stats.insertions, 5u);
}

TYPED_TEST_P(StatsSuite, CountsRemovalsByEraseAndClear) {
  StringCache& cache = this->Make(4);
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(cache.Insert(key, "v").ok());
  ASSERT_TRUE(cache.Erase("a").ok());
  ASSERT_TRUE(cache.Erase("absent").ok());
  ASSERT_TRUE(cache.Clear().ok());
  EXPECT_EQ(cache.Stats().removals, 3u);
}

TYPED_TEST_P(StatsSuite, CountsExpirations) {
  if (this->TtlModes().empty()) GTEST_SKIP() << "engine has no TTL";
  const TtlMode mode = this->TtlModes().front();
  StringCache& cache = this->MakeExpiring(mode, 4, absl::Seconds(1));
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(this->Put(mode, cache, key, "v").ok());
  this->Advance(absl::Seconds(1));
  const CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.expirations, 3u);
  EXPECT_EQ(stats.evictions, 0u);
  EXPECT_EQ(stats.removals, 0u);
}

TYPED_TEST_P(StatsSuite, RefusedCallsCountNothing) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("a", "v").ok());
  const CacheStats before = cache.Stats();
  (void)cache.InsertWithTtl("a", "w", absl::Seconds(-1));
  (void)cache.InsertWithTtl("b", "w", absl::Seconds(-1));
  EXPECT_EQ(cache.Stats(), before);
}

TYPED_TEST_P(StatsSuite, AddUpAfterAMixedSequence) {
  StringCache& cache = this->Make(3);
  const bool bounded = this->Caps().bounded();
  for (const char* key : {"a", "b", "c", "d"}) ASSERT_TRUE(cache.Insert(key, "v").ok());
  (void)Get(cache, std::string("d"));
  (void)Get(cache, std::string("zz"));
  ASSERT_TRUE(cache.Insert("d", "w").ok());
  ASSERT_TRUE(cache.Erase("d").ok());
  CacheStats expected;
  expected.hits = 1;
  expected.misses = 1;
  expected.insertions = 4;
  expected.updates = 1;
  expected.evictions = bounded ? 1 : 0;
  expected.removals = 1;
  EXPECT_EQ(cache.Stats(), expected);
  EXPECT_EQ(SizeOf(cache), bounded ? 2u : 3u);
}

REGISTER_TYPED_TEST_SUITE_P(StatsSuite, StartAtZero, CountsHitsAndMissesExactly,
                            CountsInsertionsAndUpdatesSeparately, CountsEvictions,
                            CountsRemovalsByEraseAndClear, CountsExpirations,
                            RefusedCallsCountNothing, AddUpAfterAMixedSequence);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_STATS_SUITE_H_
