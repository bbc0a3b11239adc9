// The hit-ratio regression gate: the deterministic reference engines (Lru, Lfu, Fifo, Random with
// its seed, Fast replayed on one thread) must score exactly the stored hit counts on every shared
// trace at 1, 2, 5, 10 and 20% of its distinct keys (expected_hit_ratios.json), so a policy
// change is always a visible decision: regenerate the file as its comment says.
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmarks/hitratio/shared_traces.h"
#include "benchmarks/hitratio/simulator.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cachelab::hitratio {
namespace {

TEST(HitRatioGate, DeterministicEnginesScoreTheStoredHitCounts) {
  if (!SharedTracesFound()) GTEST_SKIP() << "../shared/traces not found; set CACHELAB_TRACES";
  std::ifstream in(absl::StrCat(getenv("TEST_SRCDIR"),
                                "/cachelab/benchmarks/hitratio/expected_hit_ratios.json"));
  const nlohmann::json expected = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(expected.is_discarded()) << "cannot read expected_hit_ratios.json";
  std::map<std::string, Trace> traces;
  for (const auto& r : expected["results"]) {
    const std::string name = r["trace"];
    if (traces.count(name)) continue;
    auto path = ResolveTrace(name);
    ASSERT_TRUE(path.ok()) << path.status();
    auto trace = ReadTrace(*path);
    ASSERT_TRUE(trace.ok()) << trace.status();
    trace->name = name;
    traces.emplace(name, *std::move(trace));
  }
  std::vector<Job> jobs;
  for (const auto& r : expected["results"]) {
    jobs.push_back({&traces.at(r["trace"]), r["policy"], r["capacity"]});
  }
  const std::vector<JobResult> results = Simulate(jobs, 0);
  ASSERT_EQ(results.size(), expected["results"].size());
  int changed = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& want = expected["results"][i];
    const JobResult& got = results[i];
    ASSERT_TRUE(got.status.ok()) << got.status;
    EXPECT_EQ(got.requests, want["requests"].get<uint64_t>());
    if (got.hits != want["hits"].get<uint64_t>()) {
      ++changed;
      ADD_FAILURE() << got.policy << " on " << got.trace << " at " << got.capacity << ": "
                    << got.hits << " hits (" << got.hit_ratio() << "), stored "
                    << want["hits"].get<uint64_t>() << " ("
                    << want["hits"].get<double>() / want["requests"].get<double>() << ")";
    }
  }
  EXPECT_EQ(changed, 0) << "hit ratios changed; if deliberate, regenerate "
                           "benchmarks/hitratio/expected_hit_ratios.json (see its comment)";
}

}  // namespace
}  // namespace cachelab::hitratio
