// ConfigSuite: invalid configuration is refused at construction with kInvalidArgument and a
// message that names what to change (CacheOptions); unsupported calls say so.
#ifndef CACHELAB_CONFORMANCE_CONFIG_SUITE_H_
#define CACHELAB_CONFORMANCE_CONFIG_SUITE_H_

#include <string>

#include "conformance/internal/fixture.h"

namespace cachelab::conformance {

template <typename Factory>
class ConfigSuite : public CacheTest<Factory> {
 protected:
  // Expects `options` to be refused with kInvalidArgument and a message containing `names`.
  void ExpectRefused(const CacheOptions& options, const std::string& names) {
    auto engine = Factory::template Create<std::string, std::string>(options);
    ASSERT_FALSE(engine.ok()) << "the engine accepted an invalid configuration";
    EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument) << engine.status();
    EXPECT_NE(engine.status().message().find(names), absl::string_view::npos)
        << "the error should name '" << names << "': " << engine.status();
  }
};
TYPED_TEST_SUITE_P(ConfigSuite);

TYPED_TEST_P(ConfigSuite, ZeroCapacityIsRefused) {
  if (!this->Caps().bounded()) GTEST_SKIP() << "unbounded engine";
  CacheOptions options = this->Options(1);
  options.capacity = 0;
  this->ExpectRefused(options, "capacity");
}

TYPED_TEST_P(ConfigSuite, MissingCapacityIsRefused) {
  if (!this->Caps().bounded()) GTEST_SKIP() << "unbounded engine";
  CacheOptions options = this->Options(1);
  options.capacity.reset();
  this->ExpectRefused(options, "capacity");
}

TYPED_TEST_P(ConfigSuite, CapacityForAnUnboundedEngineIsRefused) {
  if (this->Caps().bounded()) GTEST_SKIP() << "bounded engine";
  CacheOptions options = this->Options(1);
  options.capacity = 10;
  this->ExpectRefused(options, "capacity");
}

TYPED_TEST_P(ConfigSuite, NonPositiveDefaultTtlIsRefused) {
  if (!this->Caps().default_ttl) GTEST_SKIP() << "engine has no default TTL";
  for (absl::Duration ttl : {absl::ZeroDuration(), absl::Seconds(-5)}) {
    CacheOptions options = this->Options(1);
    options.default_ttl = ttl;
    this->ExpectRefused(options, "default_ttl");
  }
}

TYPED_TEST_P(ConfigSuite, DefaultTtlForAnEngineWithoutOneIsRefused) {
  if (this->Caps().default_ttl) GTEST_SKIP() << "engine has a default TTL";
  CacheOptions options = this->Options(1);
  options.default_ttl = absl::Seconds(5);
  this->ExpectRefused(options, "default_ttl");
}

TYPED_TEST_P(ConfigSuite, MissingRequiredDefaultTtlIsRefused) {
  if (!this->Caps().requires_default_ttl) GTEST_SKIP() << "default TTL is optional";
  CacheOptions options = this->Options(1);
  options.default_ttl.reset();
  this->ExpectRefused(options, "default_ttl");
}

TYPED_TEST_P(ConfigSuite, ValidOptionsAreAccepted) {
  auto engine = TypeParam::template Create<std::string, std::string>(this->Options(1));
  EXPECT_TRUE(engine.ok()) << engine.status();
}

TYPED_TEST_P(ConfigSuite, UnsupportedPerEntryTtlIsUnimplemented) {
  if (this->Caps().per_entry_ttl) GTEST_SKIP() << "engine has per-entry TTL";
  StringCache& cache = this->Make(4);
  const absl::Status status = cache.InsertWithTtl("k", "v", absl::Seconds(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented) << status;
  EXPECT_EQ(Get(cache, std::string("k")), std::nullopt) << "a refused insert must store nothing";
}

REGISTER_TYPED_TEST_SUITE_P(ConfigSuite, ZeroCapacityIsRefused, MissingCapacityIsRefused,
                            CapacityForAnUnboundedEngineIsRefused,
                            NonPositiveDefaultTtlIsRefused,
                            DefaultTtlForAnEngineWithoutOneIsRefused,
                            MissingRequiredDefaultTtlIsRefused, ValidOptionsAreAccepted,
                            UnsupportedPerEntryTtlIsUnimplemented);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_CONFIG_SUITE_H_
