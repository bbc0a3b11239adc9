// CacheTest<Factory>: the fixture every conformance suite derives from. It builds engines from
// the factory with a shared ManualClock, hands tests a CheckedCache, and validates every engine
// it built when the test ends, whatever the test did.
#ifndef CACHELAB_CONFORMANCE_INTERNAL_FIXTURE_H_
#define CACHELAB_CONFORMANCE_INTERNAL_FIXTURE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conformance/internal/checked_cache.h"
#include "conformance/internal/location.h"
#include "gtest/gtest.h"
#include "reference/cache.h"

namespace cachelab::conformance {

using StringCache = Cache<std::string, std::string>;
using NullableCache = Cache<std::string, std::optional<std::string>>;

// A TTL long enough never to pass in a test, for engines that require a default TTL.
inline constexpr absl::Duration kNeverInTests = absl::Hours(24 * 365);
// One step of the manual clock: the smallest time an engine must resolve.
inline constexpr absl::Duration kTick = absl::Nanoseconds(1);

// How a test gives an entry a TTL: per entry (InsertWithTtl) or through default_ttl (Insert).
enum class TtlMode { kPerEntry, kDefault };

// Skips the calling test (GTEST_SKIP only leaves the function it is written in, so this must
// be a macro) unless the engine's capabilities satisfy `condition`.
#define CACHELAB_REQUIRE(condition, why) \
  if (!(condition)) GTEST_SKIP() << "not applicable: " << why

template <typename Factory>
class CacheTest : public ::testing::Test {
 protected:
  static Capabilities Caps() { return Factory::Capabilities(); }

  // Options for a cache of `capacity` entries (ignored if unbounded) on the test's clock, in a
  // location of its own (a directory that does not exist yet).
  CacheOptions Options(size_t capacity) const {
    CacheOptions options;
    if (Caps().bounded()) options.capacity = capacity;
    if (Caps().requires_default_ttl) options.default_ttl = kNeverInTests;
    options.clock = clock_;
    options.seed = 42;
    options.location = NewLocation();
    return options;
  }

  // A fresh location (see location.h); a failure fails the test.
  static std::string NewLocation() {
    auto location = NewCacheLocation();
    if (!location.ok()) ADD_FAILURE() << location.status();
    return location.value_or("");
  }

  // Creates an engine through the factory; a creation failure fails the test and yields an
  // engine whose every call returns that error.
  template <typename V = std::string>
  Cache<std::string, V>& Make(const CacheOptions& options) {
    auto engine = Factory::template Create<std::string, V>(options);
    if (!engine.ok()) {
      ADD_FAILURE() << "the factory could not create the engine: " << engine.status();
      auto failed = std::make_shared<FailedCache<std::string, V>>(engine.status());
      owned_.push_back(failed);
      return *failed;
    }
    auto checked = std::make_shared<CheckedCache<std::string, V>>(*std::move(engine));
    owned_.push_back(checked);
    validators_.push_back([checked] { checked->Validate(); });
    return *checked;
  }
  template <typename V = std::string>
  Cache<std::string, V>& Make(size_t capacity) {
    return Make<V>(Options(capacity));
  }

  // The TTL modes the engine supports; a test of expiry runs once per mode.
  static std::vector<TtlMode> TtlModes() {
    std::vector<TtlMode> modes;
    if (Caps().per_entry_ttl) modes.push_back(TtlMode::kPerEntry);
    if (Caps().default_ttl) modes.push_back(TtlMode::kDefault);
    return modes;
  }
  // A cache whose entries written by Put(mode, ...) expire `ttl` after the write.
  StringCache& MakeExpiring(TtlMode mode, size_t capacity, absl::Duration ttl) {
    CacheOptions options = Options(capacity);
    if (mode == TtlMode::kDefault) options.default_ttl = ttl;
    ttl_ = ttl;
    return Make(options);
  }
  absl::Status Put(TtlMode mode, StringCache& cache, const std::string& key, std::string value) {
    return mode == TtlMode::kPerEntry ? cache.InsertWithTtl(key, std::move(value), ttl_)
                                      : cache.Insert(key, std::move(value));
  }

  void Advance(absl::Duration d) { clock_->Advance(d); }

  void TearDown() override {
    for (auto& validate : validators_) validate();
  }

  std::shared_ptr<ManualClock> clock_ =
      std::make_shared<ManualClock>(absl::FromUnixSeconds(1'700'000'000));

 private:
  absl::Duration ttl_ = absl::InfiniteDuration();
  std::vector<std::shared_ptr<void>> owned_;
  std::vector<std::function<void()>> validators_;
};

inline const char* TtlModeName(TtlMode mode) {
  return mode == TtlMode::kPerEntry ? "per-entry TTL" : "default TTL";
}

// Lookup that must succeed; returns the value or nullopt. A failed status fails the test.
template <typename K, typename V>
std::optional<V> Get(Cache<K, V>& cache, const K& key) {
  auto result = cache.Lookup(key);
  EXPECT_TRUE(result.ok()) << "Lookup failed: " << result.status();
  return result.ok() ? *std::move(result) : std::nullopt;
}

// LookupMany that must succeed; a failed status fails the test and yields no answers.
template <typename K, typename V>
std::vector<std::optional<V>> GetMany(Cache<K, V>& cache, const std::vector<K>& keys) {
  auto result = cache.LookupMany(keys);
  EXPECT_TRUE(result.ok()) << "LookupMany failed: " << result.status();
  return result.ok() ? *std::move(result) : std::vector<std::optional<V>>();
}

// (key, value) for each key, for InsertMany.
inline std::vector<std::pair<std::string, std::string>> Pairs(const std::vector<std::string>& keys,
                                                              const std::string& value) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& key : keys) pairs.emplace_back(key, value);
  return pairs;
}

template <typename K, typename V>
size_t SizeOf(Cache<K, V>& cache) {
  auto size = cache.Size();
  EXPECT_TRUE(size.ok()) << "Size failed: " << size.status();
  return size.ok() ? *size : 0;
}

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_INTERNAL_FIXTURE_H_
