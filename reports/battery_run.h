// RunBattery: runs one generated battery binary (a GoogleTest program) in a child process and
// reads its verdicts, for the scorecard and for the test that proves the suite catches broken
// engines.
//
// Thread-safety: none needed (no shared state). Not promised: anything about binaries that are
// not GoogleTest programs; their output is returned but counts stay zero.
#ifndef CACHELAB_REPORTS_BATTERY_RUN_H_
#define CACHELAB_REPORTS_BATTERY_RUN_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cachelab::reports {

inline constexpr int kDetailLines = 24;

struct BatteryRun {
  int exit_code = 0;           // 128 + signal if the binary was killed by a signal
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  std::vector<std::string> failed_tests;  // "Prefix/Suite/0.Behaviour"
  // What each failed test printed (its failure messages, a property's shrunk counterexample),
  // aligned with failed_tests, at most kDetailLines lines each.
  std::vector<std::string> failure_details;
  std::string output;                     // stdout and stderr, interleaved

  int run() const { return passed + failed; }
  bool crashed() const { return exit_code > 128; }
  // True if `test` (a full name or its "Suite/0.Behaviour" tail) is among the failures.
  bool Failed(absl::string_view test) const;
  // The failures' "Suite/0.Behaviour" tails, sorted.
  std::set<std::string> FailedTails() const;
};

// Runs `binary` with `args` and the Bazel test-runner variables removed from its environment,
// so a child never writes over the parent test's XML report or shard files. Returns an error if
// the binary cannot be started.
absl::StatusOr<BatteryRun> RunBattery(const std::string& binary,
                                      const std::vector<std::string>& args = {});

// RunBattery on a binary in the calling test's runfiles, given by its workspace path
// ("examples/leveldb/leveldb_lru_conformance_test"); an error outside a Bazel test.
absl::StatusOr<BatteryRun> RunBatteryInRunfiles(absl::string_view workspace_path);

// Runs `command` with /bin/sh; returns what it printed on stdout and its exit status (128 +
// signal if killed), or an error if it cannot be started.
struct ShellRun {
  std::string output;
  int exit_code = 0;
};
absl::StatusOr<ShellRun> RunShell(const std::string& command);

// The length of each shrunk counterexample RapidCheck printed in `output`, in order: the
// commands of a model-based property, or the elements of a drawn list.
std::vector<int> CounterexampleLengths(absl::string_view output);

// Reads GoogleTest's per-test result lines ("[       OK ] ...", "[  FAILED  ] ... (N ms)",
// "[  SKIPPED ] ...") from `output` into `run`, with what each failed test printed.
void ParseGtestOutput(absl::string_view output, BatteryRun& run);

}  // namespace cachelab::reports

#endif  // CACHELAB_REPORTS_BATTERY_RUN_H_
