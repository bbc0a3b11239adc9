// ValidateOptions: every refusal names the option, the value given and what to change.
#include "reference/cache.h"

#include "gtest/gtest.h"

namespace cachelab {
namespace {

Capabilities Bounded() {
  Capabilities caps;
  caps.eviction = EvictionPolicy::kLru;
  caps.default_ttl = true;
  return caps;
}

void ExpectRefusal(const CacheOptions& options, const Capabilities& caps,
                   std::vector<absl::string_view> phrases) {
  const absl::Status status = ValidateOptions(options, caps, "demo");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  for (absl::string_view phrase : phrases) {
    EXPECT_NE(status.message().find(phrase), absl::string_view::npos)
        << "'" << phrase << "' missing from: " << status.message();
  }
}

TEST(ValidateOptionsTest, ZeroCapacityNamesTheFixAndTheAlternative) {
  CacheOptions options;
  options.capacity = 0;
  ExpectRefusal(options, Bounded(), {"demo", "capacity must be at least 1", "got 0", "unbounded"});
}

TEST(ValidateOptionsTest, MissingCapacitySaysNone) {
  ExpectRefusal(CacheOptions{}, Bounded(), {"capacity", "got none"});
}

TEST(ValidateOptionsTest, CapacityOnAnUnboundedEngineSaysToLeaveItUnset) {
  CacheOptions options;
  options.capacity = 7;
  ExpectRefusal(options, Capabilities{}, {"takes no capacity", "got 7", "unset"});
}

TEST(ValidateOptionsTest, NegativeDefaultTtlShowsTheValue) {
  CacheOptions options;
  options.capacity = 1;
  options.default_ttl = absl::Seconds(-3);
  ExpectRefusal(options, Bounded(), {"default_ttl must be positive", "-3s"});
}

TEST(ValidateOptionsTest, DefaultTtlOnAnEngineWithoutOne) {
  Capabilities caps = Bounded();
  caps.default_ttl = false;
  CacheOptions options;
  options.capacity = 1;
  options.default_ttl = absl::Seconds(3);
  ExpectRefusal(options, caps, {"no default TTL", "unset"});
}

TEST(ValidateOptionsTest, RequiredDefaultTtlPointsToTlru) {
  Capabilities caps = Bounded();
  caps.requires_default_ttl = true;
  CacheOptions options;
  options.capacity = 1;
  ExpectRefusal(options, caps, {"default_ttl is required", "tlru"});
}

TEST(ValidateOptionsTest, AcceptsAValidConfiguration) {
  CacheOptions options;
  options.capacity = 1;
  options.default_ttl = absl::InfiniteDuration();
  EXPECT_TRUE(ValidateOptions(options, Bounded(), "demo").ok());
}

TEST(PolicyTest, NamesAndExactness) {
  EXPECT_EQ(PolicyName(EvictionPolicy::kLfu), "lfu");
  EXPECT_TRUE(IsExactPolicy(EvictionPolicy::kFifo));
  EXPECT_FALSE(IsExactPolicy(EvictionPolicy::kRandom));
  EXPECT_FALSE(IsExactPolicy(EvictionPolicy::kApproximate));
}

TEST(ManualClockTest, MovesOnlyWhenAdvanced) {
  ManualClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Nanoseconds(1));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100) + absl::Nanoseconds(1));
}

}  // namespace
}  // namespace cachelab
