// The scorecard: runs the battery of every registered engine and prints one row per engine.
//
// Usage: scorecard [broken:]BINARY...   (bazel run //reports:scorecard)
// A BINARY is a generated <engine>_conformance_test; "broken:" marks a deliberately broken
// engine, which the battery must fail. Exits 0 if every engine passes and every broken engine
// is caught, 1 otherwise.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "reports/battery_run.h"

namespace cachelab::reports {
namespace {

// "reference/memory/lru_conformance_test" -> "//reference/memory:lru".
std::string EngineLabel(absl::string_view binary) {
  absl::ConsumeSuffix(&binary, "_conformance_test");
  const size_t slash = binary.rfind('/');
  if (slash == absl::string_view::npos) return std::string(binary);
  return absl::StrCat("//", binary.substr(0, slash), ":", binary.substr(slash + 1));
}

int Main(int argc, char** argv) {
  const char* const kRow = "%-40s %6s %7s %7s %8s %9s  %s\n";
  std::printf(kRow, "engine", "tests", "run", "passed", "failed", "skipped", "verdict");
  bool all_good = true;
  int engines = 0;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    const bool broken = absl::ConsumePrefix(&arg, "broken:");
    const absl::Time start = absl::Now();
    auto run = RunBattery(std::string(arg));
    if (!run.ok()) {
      std::printf("%-40s %s\n", EngineLabel(arg).c_str(), run.status().ToString().c_str());
      all_good = false;
      continue;
    }
    ++engines;
    std::string verdict;
    bool good;
    if (run->crashed()) {
      verdict = absl::StrCat("CRASHED (exit ", run->exit_code, ")");
      good = false;
    } else if (broken) {
      good = run->failed > 0;
      verdict = good ? "broken engine caught" : "BROKEN ENGINE NOT CAUGHT";
    } else {
      good = run->exit_code == 0 && run->failed == 0;
      verdict = good ? "pass" : "FAIL";
    }
    all_good &= good;
    verdict += absl::StrFormat(" (%.1fs)", absl::ToDoubleSeconds(absl::Now() - start));
    std::printf(kRow, EngineLabel(arg).c_str(),
                absl::StrCat(run->run() + run->skipped).c_str(), absl::StrCat(run->run()).c_str(),
                absl::StrCat(run->passed).c_str(), absl::StrCat(run->failed).c_str(),
                absl::StrCat(run->skipped).c_str(), verdict.c_str());
    if (!good && !broken) {
      for (const std::string& name : run->failed_tests) std::printf("    failed: %s\n", name.c_str());
    }
  }
  std::printf("\n%d engines; %s\n", engines,
              all_good ? "every engine passes and every broken engine is caught"
                       : "SOMETHING IS WRONG: see the rows above");
  return all_good ? 0 : 1;
}

}  // namespace
}  // namespace cachelab::reports

int main(int argc, char** argv) { return cachelab::reports::Main(argc, argv); }
