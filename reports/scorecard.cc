// The scorecard: runs the battery of every registered engine and prints one row per engine.
//
// Usage: scorecard [broken:]BINARY...   (bazel run //reports:scorecard)
// A BINARY is a generated <engine>_conformance_test; its <engine>_properties_test beside it is
// run too. "broken:" marks a deliberately broken engine, which the battery must fail. Exits 0 if
// every engine passes and every broken engine is caught, 1 otherwise.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
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

struct Verdict {
  std::string text;
  bool good;
};

// Judges one engine's conformance and property runs.
Verdict Judge(const BatteryRun& conformance, const BatteryRun& properties, bool broken) {
  if (conformance.crashed() || properties.crashed()) return {"CRASHED", false};
  const int failed = conformance.failed + properties.failed;
  if (broken) {
    return failed > 0 ? Verdict{"broken engine caught", true}
                      : Verdict{"BROKEN ENGINE NOT CAUGHT", false};
  }
  const bool good = failed == 0 && conformance.exit_code == 0 && properties.exit_code == 0;
  return {good ? "pass" : "FAIL", good};
}

int Main(int argc, char** argv) {
  const char* const kRow = "%-45s | %5s %6s %6s %7s | %6s %6s | %s\n";
  std::printf(kRow, "", "conformance", "", "", "", "properties", "", "");
  std::printf(kRow, "engine", "run", "passed", "failed", "skipped", "passed", "failed",
              "verdict");
  bool all_good = true;
  int engines = 0;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    const bool broken = absl::ConsumePrefix(&arg, "broken:");
    const absl::Time start = absl::Now();
    auto conformance = RunBattery(std::string(arg));
    std::string properties_binary(arg);
    absl::StrReplaceAll({{"_conformance_test", "_properties_test"}}, &properties_binary);
    auto properties = RunBattery(properties_binary);
    if (!conformance.ok() || !properties.ok()) {
      std::printf("%-45s | %s %s\n", EngineLabel(arg).c_str(),
                  conformance.status().ToString().c_str(), properties.status().ToString().c_str());
      all_good = false;
      continue;
    }
    ++engines;
    const Verdict verdict = Judge(*conformance, *properties, broken);
    all_good &= verdict.good;
    const std::string text = absl::StrFormat("%s (%.1fs)", verdict.text,
                                             absl::ToDoubleSeconds(absl::Now() - start));
    auto n = [](int value) { return absl::StrCat(value); };
    std::printf(kRow, EngineLabel(arg).c_str(), n(conformance->run()).c_str(),
                n(conformance->passed).c_str(), n(conformance->failed).c_str(),
                n(conformance->skipped).c_str(), n(properties->passed).c_str(),
                n(properties->failed).c_str(), text.c_str());
    if (!verdict.good && !broken) {
      for (const BatteryRun* run : {&*conformance, &*properties}) {
        for (const std::string& name : run->failed_tests) {
          std::printf("    failed: %s\n", name.c_str());
        }
      }
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
