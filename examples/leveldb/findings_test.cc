// What the battery finds in LevelDB's cache (libleveldb-dev 1.23), asserted exactly, so a change
// in LevelDB or in the battery shows up here.
//
// The finding: NewLRUCache(capacity) is not one LRU of `capacity` entries. It is 16 shards, each
// an LRU of (capacity + 15) / 16 entries, a key's shard chosen by its hash (ShardedLRUCache in
// util/cache.cc). So a cache of capacity 3 holds up to 16 entries, a cache of capacity 1 holds
// k0 and k1 at once when they hash to different shards, and the entry evicted is the least
// recently used of its shard, not of the cache. leveldb/cache.h promises "a fixed size capacity"
// with "a least-recently-used eviction policy"; neither holds for capacities that are not large
// multiples of 16. A defect against the documentation, shown as a finding (the adapter does not
// hide it): LevelDB sizes it in bytes of blocks (8 MiB by default), where the rounding is
// invisible.
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
      cachelab::reports::RunBatteryInRunfiles("examples/leveldb/leveldb_lru_" + battery + "_test");
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? *run : cachelab::reports::BatteryRun{};
}

TEST(LevelDbFindings, ConformanceFailsWhereShardsExceedTheCapacityOrEvictWithinAShard) {
  const auto run = RunBattery("conformance");
  EXPECT_FALSE(run.crashed()) << run.output;
  EXPECT_EQ(run.FailedTails(),
            (std::set<std::string>{"BasicSuite/0.CapacityIsNeverExceeded",
                                   "BasicSuite/0.BatchCallsActAsTheirSingleCallsInOrder",
                                   "BasicSuite/0.NewestEntrySurvivesItsOwnInsert",
                                   "EvictionSuite/0.EvictsLeastRecentlyUsedFirst",
                                   "EvictionSuite/0.LookupMakesKeyMostRecentlyUsed",
                                   "EvictionSuite/0.OverwriteMakesKeyMostRecentlyUsed",
                                   "StatsSuite/0.CountsEvictions",
                                   "StatsSuite/0.AddUpAfterAMixedSequence",
                                   "ModelSuite/0.MatchesTheModelDecisionByDecision",
                                   "ModelSuite/0.KeepsTheInvariantsUnderRandomCalls"}))
      << run.output;
  EXPECT_EQ(run.passed, 30);
  // What the failing test printed is kept for the report: here, the size above the capacity.
  ASSERT_EQ(run.failure_details.size(), run.failed_tests.size());
  for (size_t i = 0; i < run.failed_tests.size(); ++i) {
    if (absl::EndsWith(run.failed_tests[i], "CapacityIsNeverExceeded")) {
      EXPECT_TRUE(absl::StrContains(run.failure_details[i], "actual: 4 vs 3"))
          << run.failure_details[i];
    }
  }
}

TEST(LevelDbFindings, PropertiesShrinkToTwoKeysInACacheOfOne) {
  setenv("RC_PARAMS", "seed=1", 1);  // a fixed case; the finding does not depend on it
  const auto run = RunBattery("properties");
  EXPECT_EQ(run.FailedTails(),
            (std::set<std::string>{"PropertySuite/0.MatchesTheModelAfterEveryCall",
                                   "PropertySuite/0.KeepsTheInvariants"}))
      << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "capacity 1, keys k0..k2")) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "Size() is 2 with 2 live writes")) << run.output;
}

TEST(LevelDbFindings, StressPasses) {
  const auto run = RunBattery("stress");
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

}  // namespace
}  // namespace example
