// The battery must bite: each deliberately broken engine's battery fails, and among its failures
// is the test written for exactly that bug.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "reports/battery_run.h"

namespace cachelab::broken {
namespace {

struct Case {
  const char* engine;         // cache_battery name in this package
  const char* expected_test;  // Suite/0.Behaviour that must be among the failures
};

class SuiteBitesTest : public ::testing::TestWithParam<Case> {};

TEST_P(SuiteBitesTest, BrokenEngineFailsTheTestWrittenForItsBug) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  ASSERT_NE(srcdir, nullptr) << "run under bazel test";
  const std::string binary = std::string(srcdir) + "/cachelab/conformance/broken/" +
                             GetParam().engine + "_conformance_test";
  auto run = reports::RunBattery(binary);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_NE(run->exit_code, 0) << "the battery passed a broken engine";
  EXPECT_FALSE(run->crashed()) << "the battery crashed instead of reporting:\n" << run->output;
  EXPECT_TRUE(run->Failed(GetParam().expected_test))
      << GetParam().expected_test << " did not fail; failures were:\n  "
      << testing::PrintToString(run->failed_tests);
  EXPECT_GT(run->passed, 0) << "nothing passed: the binary may not have run its tests";
}

INSTANTIATE_TEST_SUITE_P(
    Broken, SuiteBitesTest,
    ::testing::Values(Case{"evicts_newest", "EvictionSuite/0.EvictsLeastRecentlyUsedFirst"},
                      Case{"evicts_newest", "ModelSuite/0.MatchesTheModelDecisionByDecision"},
                      Case{"late_expiry", "ExpirySuite/0.GoneAtTheDeadline"},
                      Case{"late_expiry", "ModelSuite/0.MatchesTheModelDecisionByDecision"},
                      Case{"hit_as_miss", "StatsSuite/0.CountsHitsAndMissesExactly"},
                      Case{"hit_as_miss", "ValueSuite/0.CachedNullIsAHitNotAMiss"},
                      Case{"drops_nul", "ValueSuite/0.KeysAndValuesKeepNulBytes"},
                      Case{"drops_nul", "ValueSuite/0.AllByteValuesRoundTrip"},
                      Case{"over_capacity", "BasicSuite/0.CapacityIsNeverExceeded"},
                      Case{"over_capacity", "EvictionSuite/0.EvictsLeastRecentlyUsedFirst"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = std::string(info.param.engine) + "_" + info.param.expected_test;
      for (char& c : name) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace cachelab::broken
