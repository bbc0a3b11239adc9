// ValueSuite: what the contract says about values and keys themselves: a cached null is a hit,
// bytes are kept exactly (NUL included), the empty key is a key, and large values round-trip.
#ifndef CACHELAB_CONFORMANCE_VALUE_SUITE_H_
#define CACHELAB_CONFORMANCE_VALUE_SUITE_H_

#include <string>

#include "conformance/internal/fixture.h"

namespace cachelab::conformance {

template <typename Factory>
class ValueSuite : public CacheTest<Factory> {};
TYPED_TEST_SUITE_P(ValueSuite);

TYPED_TEST_P(ValueSuite, CachedNullIsAHitNotAMiss) {
  NullableCache& cache = this->template Make<std::optional<std::string>>(4);
  ASSERT_TRUE(cache.Insert("missing-upstream", std::nullopt).ok());
  auto found = cache.Lookup("missing-upstream");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value()) << "a cached null must be found, not reported as a miss";
  EXPECT_EQ(**found, std::nullopt);
  auto absent = cache.Lookup("never-written");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());
  const CacheStats stats = cache.Stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
}

TYPED_TEST_P(ValueSuite, CachedNullCanBeOverwrittenByAValue) {
  NullableCache& cache = this->template Make<std::optional<std::string>>(4);
  ASSERT_TRUE(cache.Insert("k", std::nullopt).ok());
  ASSERT_TRUE(cache.Insert("k", std::string("now known")).ok());
  EXPECT_EQ(Get(cache, std::string("k")), std::optional<std::string>("now known"));
}

TYPED_TEST_P(ValueSuite, KeysAndValuesKeepNulBytes) {
  StringCache& cache = this->Make(8);
  const std::string key("a\0b", 3);
  const std::string other_key("a\0c", 3);
  const std::string value("\0x\0\0y\0", 6);
  ASSERT_TRUE(cache.Insert(key, value).ok());
  ASSERT_TRUE(cache.Insert(other_key, "other").ok());
  auto found = Get(cache, key);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->size(), value.size());
  EXPECT_EQ(*found, value);
  EXPECT_EQ(Get(cache, other_key), "other");
  EXPECT_EQ(Get(cache, std::string("a")), std::nullopt) << "a key must not end at its NUL byte";
}

TYPED_TEST_P(ValueSuite, AllByteValuesRoundTrip) {
  StringCache& cache = this->Make(8);
  std::string bytes;
  for (int c = 0; c < 256; ++c) bytes.push_back(static_cast<char>(c));
  ASSERT_TRUE(cache.Insert(bytes, bytes).ok());
  EXPECT_EQ(Get(cache, bytes), bytes);
}

TYPED_TEST_P(ValueSuite, EmptyKeyAndEmptyValueAreOrdinary) {
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("", "empty key").ok());
  ASSERT_TRUE(cache.Insert("empty value", "").ok());
  EXPECT_EQ(Get(cache, std::string("")), "empty key");
  EXPECT_EQ(Get(cache, std::string("empty value")), "");
  EXPECT_EQ(SizeOf(cache), 2u);
  auto erased = cache.Erase("");
  ASSERT_TRUE(erased.ok());
  EXPECT_TRUE(*erased);
}

TYPED_TEST_P(ValueSuite, LargeValuesRoundTrip) {
  StringCache& cache = this->Make(4);
  for (size_t size : {size_t{1} << 20, (size_t{1} << 22) + 7}) {
    std::string value(size, '\0');
    for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>((i * 131) >> 3);
    const std::string key = "big" + std::to_string(size);
    ASSERT_TRUE(cache.Insert(key, value).ok());
    auto found = Get(cache, key);
    ASSERT_TRUE(found.has_value()) << size;
    EXPECT_TRUE(*found == value) << "a value of " << size << " bytes came back changed";
  }
}

TYPED_TEST_P(ValueSuite, LongKeysAreDistinct) {
  StringCache& cache = this->Make(4);
  const std::string long_key(10'000, 'k');
  const std::string almost = long_key.substr(0, 9'999) + "j";
  ASSERT_TRUE(cache.Insert(long_key, "1").ok());
  ASSERT_TRUE(cache.Insert(almost, "2").ok());
  EXPECT_EQ(Get(cache, long_key), "1");
  EXPECT_EQ(Get(cache, almost), "2");
}

REGISTER_TYPED_TEST_SUITE_P(ValueSuite, CachedNullIsAHitNotAMiss,
                            CachedNullCanBeOverwrittenByAValue, KeysAndValuesKeepNulBytes,
                            AllByteValuesRoundTrip, EmptyKeyAndEmptyValueAreOrdinary,
                            LargeValuesRoundTrip, LongKeysAreDistinct);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_VALUE_SUITE_H_
