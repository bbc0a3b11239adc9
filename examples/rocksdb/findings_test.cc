// What the battery finds in RocksDB's LRUCache (librocksdb-dev 7.8.3), asserted exactly, so a
// change in RocksDB or in the battery shows up here.
//
// The finding: an overwrite of a key in a full cache evicts the least recently used *other*
// entry. LRUCacheShard::Insert frees room for the new handle's charge (EvictFromLRU) before it
// replaces the old handle of the same key, whose charge is released only afterwards; so with
// capacity 2, Insert(k0) Insert(k1) Insert(k0) leaves only k0. The contract says an overwrite
// of a live entry evicts nothing (reference/cache.h, Insert). This is RocksDB's design (an
// overwrite may change the charge), not documented in rocksdb/cache.h: a difference to know,
// not a bug to fix in an adapter.
#include <cstdlib>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "reports/battery_run.h"

namespace example {
namespace {

cachelab::reports::BatteryRun RunBattery(const std::string& battery) {
  auto run =
      cachelab::reports::RunBatteryInRunfiles("examples/rocksdb/rocksdb_lru_" + battery + "_test");
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? *run : cachelab::reports::BatteryRun{};
}

TEST(RocksDbFindings, ConformanceFailsOnlyWhereAnOverwriteOfAFullCacheEvicts) {
  const auto run = RunBattery("conformance");
  EXPECT_FALSE(run.crashed()) << run.output;
  EXPECT_EQ(run.FailedTails(),
            (std::set<std::string>{"BasicSuite/0.OverwriteOfFullCacheEvictsNothing",
                                   "StatsSuite/0.AddUpAfterAMixedSequence",
                                   "ModelSuite/0.MatchesTheModelDecisionByDecision"}))
      << run.output;
  EXPECT_GT(run.passed, 30);
}

TEST(RocksDbFindings, PropertiesShrinkToAnOverwriteOfAFullCache) {
  setenv("RC_PARAMS", "seed=1", 1);  // a fixed case; the finding does not depend on it
  const auto run = RunBattery("properties");
  EXPECT_EQ(run.FailedTails(),
            (std::set<std::string>{"PropertySuite/0.MatchesTheModelAfterEveryCall",
                                   "PropertySuite/0.KeepsTheInvariants"}))
      << run.output;
  EXPECT_TRUE(run.Failed("PropertySuite/0.TheSameSeedEvictsTheSameVictims") == false);
  EXPECT_TRUE(absl::StrContains(run.output, "Falsifiable after")) << run.output;
}

TEST(RocksDbFindings, StressPasses) {
  const auto run = RunBattery("stress");
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

}  // namespace
}  // namespace example
