// The steps of the scorecard (reports/scorecard.cc), each filling part of a Report: the
// batteries (in parallel: one job per suite, on one worker per core and one more), the speed
// benchmarks against their limits (alone, one at a time), and the hit-ratio simulator. Every
// step runs binaries as child processes and reads what they print (GoogleTest lines, Google
// Benchmark JSON, the simulator's JSON); a step that cannot run is recorded in
// Report::problems, never silently left out.
//
// Thread-safety: each function is called from one thread; RunBatteries runs its own workers.
#ifndef CACHELAB_REPORTS_RUN_STEPS_H_
#define CACHELAB_REPORTS_RUN_STEPS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reports/report.h"

namespace cachelab::reports {

// Runs `command` with /bin/sh; returns its stdout, or an error if it cannot run or exits
// non-zero.
absl::StatusOr<std::string> RunCommand(const std::string& command);

// "reference/memory/lru_conformance_test" -> "//reference/memory:lru_conformance_test".
std::string TestLabel(const std::string& binary);

// Runs one GoogleTest binary; failures come with a command that reproduces each.
SuiteResult RunSuite(const std::string& binary);

// The engines the scorecard runs, each given by its _conformance_test binary.
struct EngineBinaries {
  std::vector<std::string> engines;      // must pass
  std::vector<std::string> broken;       // must be caught
  std::vector<std::string> third_party;  // what the battery finds is shown, never a failure
};

// Runs the conformance, properties and (if `stress`) stress batteries of each engine in
// parallel; calls `done` (serialized) as each engine finishes. Results are in the order given:
// engines, broken engines, third-party engines.
std::vector<EngineResult> RunBatteries(const EngineBinaries& binaries, bool stress,
                                       const std::function<void(const EngineResult&)>& done);

// Runs each engine's _benchmark (lookup hits, 100-byte values, 1, 2 and 4 threads) and the
// peers binary, three repetitions each (the median is kept), and fills report.speed and
// report.peers.
void MeasureSpeed(const std::vector<std::string>& engines, const std::string& peers, bool full,
                  Report& report);

// Runs the simulator on `traces` ("all", or shared trace names) at 1, 2, 5, 10 and 20% of each
// trace's distinct keys.
void SimulateHitRatios(const std::string& simulate, const std::string& traces, Report& report);

// What can be said about regressions against stored baselines (reports/bench).
std::string RegressionNote();

}  // namespace cachelab::reports

#endif  // CACHELAB_REPORTS_RUN_STEPS_H_
