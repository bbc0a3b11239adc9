// FastCache's hit ratio on the shared traces, replayed through the engine itself (the
// simulator's read-through replay: every request a lookup, then an insert on a miss).
//
// Targets (issue #13): at every listed capacity, at least the larger of LRU and Caffeine 2.6.2
// (values measured independently, Caffeine the mean of 5 runs); on the Zipf trace, at least 60%
// of the gap from LRU to OPT at 1% and 2% of the distinct keys; at 5%, 10% and 20% within a
// point of an LFU with perfect history (the simulator's lfu-perfect), which itself falls short
// of 60% at 10% and 20% (see README, "The fast engine"); and a one-pass scan of 10x capacity
// cold keys in the middle of the Zipf trace costs under 2 points.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "benchmarks/hitratio/policies.h"
#include "benchmarks/hitratio/shared_traces.h"
#include "benchmarks/hitratio/simulator.h"
#include "gtest/gtest.h"

namespace cachelab::hitratio {
namespace {

struct Target {
  const char* trace;
  size_t capacity;
  double lru;       // independently measured
  double caffeine;  // Caffeine 2.6.2, W-TinyLFU with a 1% window
  double opt;
};

constexpr Target kTargets[] = {
    {"web07", 205, 0.3917, 0.4063, 0.5343},      {"web07", 1000, 0.5041, 0.5232, 0.6359},
    {"web07", 4097, 0.6104, 0.6094, 0.7172},     {"web12", 138, 0.3979, 0.3670, 0.5858},
    {"web12", 1000, 0.6473, 0.6735, 0.7775},     {"web12", 2751, 0.7567, 0.7624, 0.8398},
    {"orm-busy", 763, 0.7703, 0.5979, 0.8283},   {"orm-busy", 3817, 0.8413, 0.8051, 0.9018},
    {"orm-busy", 15270, 0.9212, 0.9258, 0.9590}, {"orm-night", 865, 0.6625, 0.5313, 0.7443},
    {"orm-night", 4323, 0.8540, 0.8658, 0.9333}, {"orm-night", 17293, 0.9560, 0.9579, 0.9734},
    {"zipf", 1000, 0.4890, 0.5848, 0.6510},      {"zipf", 10000, 0.7223, 0.7742, 0.8355},
};

class FastHitRatioTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!SharedTracesFound()) return;
    for (const std::string& name : SharedTraceNames()) {
      auto path = ResolveTrace(name);
      ASSERT_TRUE(path.ok()) << path.status();
      auto trace = ReadTrace(*path);
      ASSERT_TRUE(trace.ok()) << trace.status();
      trace->name = name;
      traces_->push_back(*std::move(trace));
    }
  }
  void SetUp() override {
    if (!SharedTracesFound()) GTEST_SKIP() << "../shared/traces not found; set CACHELAB_TRACES";
  }
  static const Trace& Get(const std::string& name) {
    return *std::find_if(traces_->begin(), traces_->end(),
                         [&](const Trace& t) { return t.name == name; });
  }
  static inline std::vector<Trace>* traces_ = new std::vector<Trace>();
};

TEST_F(FastHitRatioTest, BeatsLruAndCaffeineAtEveryListedCapacity) {
  std::vector<Job> jobs;
  for (const Target& target : kTargets) jobs.push_back(Job{&Get(target.trace), "Fast", target.capacity});
  const auto results = Simulate(jobs, 0);
  std::printf("%-10s %8s %8s %8s %8s %8s\n", "trace", "capacity", "LRU", "Caffeine", "fast", "OPT");
  for (size_t i = 0; i < results.size(); ++i) {
    const Target& target = kTargets[i];
    ASSERT_TRUE(results[i].status.ok()) << results[i].status;
    const double fast = results[i].hit_ratio();
    std::printf("%-10s %8zu %8.4f %8.4f %8.4f %8.4f\n", target.trace, target.capacity, target.lru,
                target.caffeine, fast, target.opt);
    EXPECT_GE(fast, std::max(target.lru, target.caffeine))
        << target.trace << " at " << target.capacity;
  }
}

// Fast's hit ratio on the Zipf trace at each capacity, beside LRU's, OPT's (with admission)
// and perfect-history LFU's.
struct ZipfPoint {
  size_t capacity;
  double fast, lru, opt, perfect_lfu;
  double SixtyPercentMark() const { return lru + 0.6 * (opt - lru); }
};

std::vector<ZipfPoint> ReplayZipf(const Trace& zipf, const std::vector<size_t>& capacities) {
  const std::vector<uint32_t> next = NextUses(zipf);
  std::vector<Job> jobs;
  for (size_t capacity : capacities) jobs.push_back(Job{&zipf, "Fast", capacity});
  const double requests = static_cast<double>(zipf.requests.size());
  std::vector<ZipfPoint> points;
  for (const JobResult& result : Simulate(jobs, 0)) {
    EXPECT_TRUE(result.status.ok()) << result.status;
    points.push_back(ZipfPoint{result.capacity, result.hit_ratio(),
                               ReplayLru(zipf, result.capacity) / requests,
                               ReplayOpt(zipf, next, result.capacity) / requests,
                               ReplayPerfectLfu(zipf, result.capacity) / requests});
  }
  return points;
}

TEST_F(FastHitRatioTest, ClosesSixtyPercentOfTheZipfGapFromLruToOptAtSmallCapacities) {
  for (const ZipfPoint& p : ReplayZipf(Get("zipf"), {822, 1000, 1643})) {
    EXPECT_GE(p.fast, p.SixtyPercentMark())
        << "capacity " << p.capacity << ": LRU " << p.lru << ", OPT " << p.opt;
  }
}

TEST_F(FastHitRatioTest, ComesWithinAPointOfPerfectLfuOnZipfAtLargeCapacities) {
  for (const ZipfPoint& p : ReplayZipf(Get("zipf"), {4108, 8217, 16433})) {
    EXPECT_GE(p.fast, p.perfect_lfu - 0.01)
        << "capacity " << p.capacity << ": perfect-history LFU " << p.perfect_lfu;
    // Why 60% of the gap is not asserted here: at 10% and 20% of the distinct keys not even
    // exact counts of every key's history reach it (at 5% they do, by 0.2 points).
    if (p.capacity >= 8217) {
      EXPECT_LT(p.perfect_lfu, p.SixtyPercentMark())
          << "capacity " << p.capacity << ": perfect LFU reaches 60% of the gap; hold Fast to it";
    }
  }
}

TEST_F(FastHitRatioTest, AOnePassScanInTheMiddleOfZipfCostsUnderTwoPoints) {
  const Trace& zipf = Get("zipf");
  for (size_t capacity : {1000, 10000}) {
    Trace scanned = zipf;
    std::vector<uint32_t> scan(10 * capacity);
    for (size_t i = 0; i < scan.size(); ++i) scan[i] = zipf.distinct + static_cast<uint32_t>(i);
    scanned.requests.insert(scanned.requests.begin() + zipf.requests.size() / 2, scan.begin(),
                            scan.end());
    scanned.distinct += static_cast<uint32_t>(scan.size());
    const auto results =
        Simulate({Job{&zipf, "Fast", capacity}, Job{&scanned, "Fast", capacity}}, 0);
    ASSERT_TRUE(results[0].status.ok() && results[1].status.ok());
    // The scan's own requests all miss; the cost is what it does to the Zipf requests.
    const double cost = static_cast<double>(results[0].hits - results[1].hits) /
                        static_cast<double>(zipf.requests.size());
    std::printf("capacity %zu: the scan costs %.4f of hit ratio\n", capacity, cost);
    EXPECT_LT(cost, 0.02) << "capacity " << capacity;
  }
}

}  // namespace
}  // namespace cachelab::hitratio
