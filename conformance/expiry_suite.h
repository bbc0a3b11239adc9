// ExpirySuite: deadlines on the injected clock (cache.h, "Terms" and InsertWithTtl). Every test
// of a deadline runs once per TTL mode the engine supports (per-entry, default), since both
// must follow the same rule: live while now < deadline, expired once now reaches it.
#ifndef CACHELAB_CONFORMANCE_EXPIRY_SUITE_H_
#define CACHELAB_CONFORMANCE_EXPIRY_SUITE_H_

#include <string>

#include "conformance/internal/fixture.h"

namespace cachelab::conformance {

template <typename Factory>
class ExpirySuite : public CacheTest<Factory> {
 protected:
  static constexpr absl::Duration kTtl = absl::Seconds(10);

  void SetUp() override {
    if (this->TtlModes().empty()) GTEST_SKIP() << "engine has no TTL";
  }
};
TYPED_TEST_SUITE_P(ExpirySuite);

TYPED_TEST_P(ExpirySuite, AliveOneTickBeforeTheDeadline) {
  for (TtlMode mode : this->TtlModes()) {
    SCOPED_TRACE(TtlModeName(mode));
    StringCache& cache = this->MakeExpiring(mode, 4, this->kTtl);
    ASSERT_TRUE(this->Put(mode, cache, "k", "v").ok());
    this->Advance(this->kTtl - kTick);
    EXPECT_EQ(Get(cache, std::string("k")), "v");
    EXPECT_EQ(SizeOf(cache), 1u);
  }
}

TYPED_TEST_P(ExpirySuite, GoneAtTheDeadline) {
  for (TtlMode mode : this->TtlModes()) {
    SCOPED_TRACE(TtlModeName(mode));
    StringCache& cache = this->MakeExpiring(mode, 4, this->kTtl);
    ASSERT_TRUE(this->Put(mode, cache, "k", "v").ok());
    this->Advance(this->kTtl);
    EXPECT_EQ(Get(cache, std::string("k")), std::nullopt);
    EXPECT_EQ(cache.Stats().expirations, 1u);
  }
}

TYPED_TEST_P(ExpirySuite, ExpiredEntriesAreNeitherCountedNorListed) {
  for (TtlMode mode : this->TtlModes()) {
    SCOPED_TRACE(TtlModeName(mode));
    StringCache& cache = this->MakeExpiring(mode, 4, this->kTtl);
    ASSERT_TRUE(this->Put(mode, cache, "old", "v").ok());
    this->Advance(this->kTtl / 2);
    ASSERT_TRUE(this->Put(mode, cache, "new", "v").ok());
    this->Advance(this->kTtl / 2);
    EXPECT_EQ(SizeOf(cache), 1u);
    auto keys = cache.Keys();
    ASSERT_TRUE(keys.ok());
    EXPECT_EQ(*keys, std::vector<std::string>{"new"});
    EXPECT_EQ(cache.Stats().expirations, 1u);
  }
}

TYPED_TEST_P(ExpirySuite, OverwriteResetsTheDeadline) {
  for (TtlMode mode : this->TtlModes()) {
    SCOPED_TRACE(TtlModeName(mode));
    StringCache& cache = this->MakeExpiring(mode, 4, this->kTtl);
    ASSERT_TRUE(this->Put(mode, cache, "k", "first").ok());
    this->Advance(this->kTtl - kTick);
    ASSERT_TRUE(this->Put(mode, cache, "k", "second").ok());
    this->Advance(kTick);  // the first deadline
    EXPECT_EQ(Get(cache, std::string("k")), "second");
    this->Advance(this->kTtl - 2 * kTick);
    EXPECT_EQ(Get(cache, std::string("k")), "second");
    this->Advance(kTick);  // the second deadline
    EXPECT_EQ(Get(cache, std::string("k")), std::nullopt);
  }
}

TYPED_TEST_P(ExpirySuite, LookupDoesNotExtendTheDeadline) {
  for (TtlMode mode : this->TtlModes()) {
    SCOPED_TRACE(TtlModeName(mode));
    StringCache& cache = this->MakeExpiring(mode, 4, this->kTtl);
    ASSERT_TRUE(this->Put(mode, cache, "k", "v").ok());
    this->Advance(this->kTtl / 2);
    EXPECT_EQ(Get(cache, std::string("k")), "v");
    this->Advance(this->kTtl / 2);
    EXPECT_EQ(Get(cache, std::string("k")), std::nullopt);
  }
}

TYPED_TEST_P(ExpirySuite, ExpiredEntryIsCountedOnce) {
  for (TtlMode mode : this->TtlModes()) {
    SCOPED_TRACE(TtlModeName(mode));
    StringCache& cache = this->MakeExpiring(mode, 4, this->kTtl);
    ASSERT_TRUE(this->Put(mode, cache, "k", "v").ok());
    this->Advance(this->kTtl);
    EXPECT_EQ(Get(cache, std::string("k")), std::nullopt);
    EXPECT_EQ(Get(cache, std::string("k")), std::nullopt);
    auto erased = cache.Erase("k");
    ASSERT_TRUE(erased.ok());
    EXPECT_FALSE(*erased) << "an expired entry is not live, so Erase finds nothing";
    const CacheStats stats = cache.Stats();
    EXPECT_EQ(stats.expirations, 1u);
    EXPECT_EQ(stats.misses, 2u);
    EXPECT_EQ(stats.removals, 0u);
  }
}

TYPED_TEST_P(ExpirySuite, ExpiredEntriesMakeRoomBeforeAnyEviction) {
  if (!this->Caps().bounded()) GTEST_SKIP() << "unbounded engine";
  for (TtlMode mode : this->TtlModes()) {
    SCOPED_TRACE(TtlModeName(mode));
    StringCache& cache = this->MakeExpiring(mode, 2, this->kTtl);
    ASSERT_TRUE(this->Put(mode, cache, "a", "v").ok());
    ASSERT_TRUE(this->Put(mode, cache, "b", "v").ok());
    this->Advance(this->kTtl);
    ASSERT_TRUE(this->Put(mode, cache, "c", "v").ok());
    ASSERT_TRUE(this->Put(mode, cache, "d", "v").ok());
    const CacheStats stats = cache.Stats();
    EXPECT_EQ(stats.evictions, 0u);
    EXPECT_EQ(stats.expirations, 2u);
    EXPECT_EQ(SizeOf(cache), 2u);
  }
}

TYPED_TEST_P(ExpirySuite, PerEntryTtlsAreIndependent) {
  CACHELAB_REQUIRE(this->Caps().per_entry_ttl, "no per-entry TTL");
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.InsertWithTtl("short", "v", absl::Seconds(1)).ok());
  ASSERT_TRUE(cache.InsertWithTtl("long", "v", absl::Seconds(2)).ok());
  ASSERT_TRUE(cache.Insert("plain", "v").ok());
  this->Advance(absl::Seconds(1));
  EXPECT_EQ(Get(cache, std::string("short")), std::nullopt);
  EXPECT_EQ(Get(cache, std::string("long")), "v");
  this->Advance(absl::Seconds(1));
  EXPECT_EQ(Get(cache, std::string("long")), std::nullopt);
  EXPECT_EQ(Get(cache, std::string("plain")), "v");
}

TYPED_TEST_P(ExpirySuite, InfiniteTtlNeverExpires) {
  CACHELAB_REQUIRE(this->Caps().per_entry_ttl, "no per-entry TTL");
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.InsertWithTtl("k", "v", absl::InfiniteDuration()).ok());
  this->Advance(absl::Hours(24 * 365 * 100));
  EXPECT_EQ(Get(cache, std::string("k")), "v");
}

TYPED_TEST_P(ExpirySuite, ZeroTtlStoresNothing) {
  CACHELAB_REQUIRE(this->Caps().per_entry_ttl, "no per-entry TTL");
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.InsertWithTtl("k", "v", absl::ZeroDuration()).ok());
  EXPECT_EQ(Get(cache, std::string("k")), std::nullopt);
  EXPECT_EQ(SizeOf(cache), 0u);
  EXPECT_EQ(cache.Stats().insertions, 0u);
}

TYPED_TEST_P(ExpirySuite, ZeroTtlRemovesTheLiveEntry) {
  CACHELAB_REQUIRE(this->Caps().per_entry_ttl, "no per-entry TTL");
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("k", "old").ok());
  ASSERT_TRUE(cache.InsertWithTtl("k", "new", absl::ZeroDuration()).ok());
  EXPECT_EQ(Get(cache, std::string("k")), std::nullopt)
      << "an already-expired write must not leave the old value readable";
  EXPECT_EQ(cache.Stats().removals, 1u);
}

TYPED_TEST_P(ExpirySuite, NegativeTtlIsRefusedAndChangesNothing) {
  CACHELAB_REQUIRE(this->Caps().per_entry_ttl, "no per-entry TTL");
  StringCache& cache = this->Make(4);
  ASSERT_TRUE(cache.Insert("k", "old").ok());
  const absl::Status status = cache.InsertWithTtl("k", "new", absl::Seconds(-1));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_FALSE(status.message().empty());
  EXPECT_EQ(Get(cache, std::string("k")), "old");
}

REGISTER_TYPED_TEST_SUITE_P(ExpirySuite, AliveOneTickBeforeTheDeadline, GoneAtTheDeadline,
                            ExpiredEntriesAreNeitherCountedNorListed, OverwriteResetsTheDeadline,
                            LookupDoesNotExtendTheDeadline, ExpiredEntryIsCountedOnce,
                            ExpiredEntriesMakeRoomBeforeAnyEviction, PerEntryTtlsAreIndependent,
                            InfiniteTtlNeverExpires, ZeroTtlStoresNothing,
                            ZeroTtlRemovesTheLiveEntry, NegativeTtlIsRefusedAndChangesNothing);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_EXPIRY_SUITE_H_
