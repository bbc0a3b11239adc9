// The batteries must bite: each deliberately broken engine fails, and among its failures is the
// test written for exactly that bug. Property failures must come shrunk, with the seed and the
// line that reproduces them.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "reports/battery_run.h"

namespace cachelab::broken {
namespace {

struct Case {
  const char* engine;         // cache_battery name in this package
  const char* battery;        // "conformance" or "properties"
  const char* expected_test;  // Suite/0.Behaviour that must be among the failures
};

reports::BatteryRun RunBrokenBattery(const std::string& engine, const std::string& battery) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  EXPECT_NE(srcdir, nullptr) << "run under bazel test";
  const std::string binary = std::string(srcdir ? srcdir : "") +
                             "/cachelab/conformance/broken/" + engine + "_" + battery + "_test";
  auto run = reports::RunBattery(binary);
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? *run : reports::BatteryRun{};
}

// The calls of the first shrunk counterexample RapidCheck printed, or -1 if none.
int FirstCounterexampleLength(const std::string& output) {
  const std::vector<int> lengths = reports::CounterexampleLengths(output);
  return lengths.empty() ? -1 : lengths.front();
}

class SuiteBitesTest : public ::testing::TestWithParam<Case> {};

TEST_P(SuiteBitesTest, BrokenEngineFailsTheTestWrittenForItsBug) {
  const reports::BatteryRun run = RunBrokenBattery(GetParam().engine, GetParam().battery);
  EXPECT_NE(run.exit_code, 0) << "the battery passed a broken engine";
#if defined(__SANITIZE_THREAD__)
  // Built with ThreadSanitizer (--config=tsan), the racy engines' binaries stop at the first race
  // TSan reports (halt_on_error), before their stress test can report it: that report is the
  // battery catching the bug.
  if (run.exit_code != 0 && absl::StrContains(run.output, "WARNING: ThreadSanitizer: data race")) {
    return;
  }
#endif
  EXPECT_FALSE(run.crashed()) << "the battery crashed instead of reporting:\n" << run.output;
  EXPECT_TRUE(run.Failed(GetParam().expected_test))
      << GetParam().expected_test << " did not fail; failures were:\n  "
      << testing::PrintToString(run.failed_tests);
  if (std::string(GetParam().battery) == "properties") {
    EXPECT_TRUE(absl::StrContains(run.output, "Falsifiable after")) << run.output;
    EXPECT_TRUE(absl::StrContains(run.output, "seed=")) << "the seed is not printed";
    EXPECT_TRUE(absl::StrContains(run.output, "RC_PARAMS=\"reproduce="))
        << "no line to reproduce the failure";
    const int length = FirstCounterexampleLength(run.output);
    EXPECT_GE(length, 1) << run.output;
    EXPECT_LE(length, 12) << "the counterexample was not shrunk to a short sequence:\n"
                          << run.output;
  } else if (std::string(GetParam().battery) == "conformance") {
    EXPECT_GT(run.passed, 0) << "nothing passed: the binary may not have run its tests";
  } else {
    EXPECT_GT(run.run(), 0) << "no test ran: the binary may not have run its tests";
  }
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = std::string(info.param.engine) + "_" + info.param.battery + "_" +
                     info.param.expected_test;
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Conformance, SuiteBitesTest,
    ::testing::Values(
        Case{"evicts_newest", "conformance", "EvictionSuite/0.EvictsLeastRecentlyUsedFirst"},
        Case{"evicts_newest", "conformance", "ModelSuite/0.MatchesTheModelDecisionByDecision"},
        Case{"late_expiry", "conformance", "ExpirySuite/0.GoneAtTheDeadline"},
        Case{"late_expiry", "conformance", "ModelSuite/0.MatchesTheModelDecisionByDecision"},
        Case{"hit_as_miss", "conformance", "StatsSuite/0.CountsHitsAndMissesExactly"},
        Case{"hit_as_miss", "conformance", "ValueSuite/0.CachedNullIsAHitNotAMiss"},
        Case{"drops_nul", "conformance", "ValueSuite/0.KeysAndValuesKeepNulBytes"},
        Case{"drops_nul", "conformance", "ValueSuite/0.AllByteValuesRoundTrip"},
        Case{"over_capacity", "conformance", "BasicSuite/0.CapacityIsNeverExceeded"},
        Case{"over_capacity", "conformance", "EvictionSuite/0.EvictsLeastRecentlyUsedFirst"},
        Case{"clear_then_overflow", "conformance",
             "ModelSuite/0.MatchesTheModelDecisionByDecision"},
        Case{"forgets_on_reopen", "conformance",
             "PersistenceSuite/0.ReopenKeepsEveryAcknowledgedWrite"},
        Case{"forgets_on_reopen", "conformance", "PersistenceSuite/0.LocationIsPrivate"},
        Case{"unseeded_random", "conformance", "EvictionSuite/0.SameSeedGivesSameVictims"},
        Case{"silent_expirations", "conformance",
             "RemovalSuite/0.EveryExpirationIsReportedHoweverItIsFound"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    Properties, SuiteBitesTest,
    ::testing::Values(
        Case{"evicts_newest", "properties", "PropertySuite/0.MatchesTheModelAfterEveryCall"},
        Case{"late_expiry", "properties", "PropertySuite/0.MatchesTheModelAfterEveryCall"},
        Case{"late_expiry", "properties", "PropertySuite/0.KeepsTheInvariants"},
        Case{"hit_as_miss", "properties", "PropertySuite/0.KeepsTheInvariants"},
        Case{"drops_nul", "properties", "PropertySuite/0.KeepsTheInvariants"},
        Case{"over_capacity", "properties", "PropertySuite/0.KeepsTheInvariants"},
        Case{"clear_then_overflow", "properties",
             "PropertySuite/0.MatchesTheModelAfterEveryCall"},
        Case{"drops_sixth_after_clear", "properties",
             "PropertySuite/0.MatchesTheModelAfterEveryCall"},
        Case{"drops_sixth_after_clear", "properties", "PropertySuite/0.KeepsTheInvariants"},
        Case{"unseeded_random", "properties",
             "PropertySuite/0.TheSameSeedEvictsTheSameVictims"},
        Case{"silent_expirations", "properties", "PropertySuite/0.KeepsTheInvariants"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    Stress, SuiteBitesTest,
    ::testing::Values(
        Case{"non_atomic_overwrite", "stress", "StressSuite/0.ConcurrentHistoriesAreLinearizable"},
        Case{"half_written", "stress", "StressSuite/0.ConcurrentHistoriesAreLinearizable"},
        Case{"stale_read", "stress", "StressSuite/0.ConcurrentHistoriesAreLinearizable"},
        Case{"unlocked_lookup", "stress", "StressSuite/0.CapacityAndStatisticsHoldUnderLoad"},
        Case{"swallows_write_errors", "stress",
             "DiskFaultSuite/0.AnIoErrorOnWriteGivesStatusesAndLosesNothing"},
        Case{"swallows_write_errors", "stress",
             "DiskFaultSuite/0.AFullDiskGivesStatusesAndReadsStillAnswer"},
        Case{"forgets_on_reopen", "stress",
             "DiskFaultSuite/0.AnIoErrorOnWriteGivesStatusesAndLosesNothing"},
        Case{"forgets_on_reopen", "stress", "StressSuite/0.AcknowledgedWritesSurviveAKill"},
        Case{"ignores_timeout", "stress",
             "ServerFaultSuite/0.APausedServerTimesOutInsteadOfHanging"},
        Case{"unchecked_rows", "stress", "DiskFaultSuite/0.CorruptedStorageIsNeverReturnedAsData"}),
    CaseName);

// The engine only properties catch: it must pass every conformance test, or the claim is false.
TEST(OnlyPropertiesCatchTest, DropsSixthAfterClearPassesTheConformanceBattery) {
  const reports::BatteryRun run = RunBrokenBattery("drops_sixth_after_clear", "conformance");
  EXPECT_EQ(run.exit_code, 0) << testing::PrintToString(run.failed_tests);
  EXPECT_EQ(run.failed, 0);
  EXPECT_GT(run.passed, 40);
}

}  // namespace
}  // namespace cachelab::broken
