// The scorecard (the README's first command): runs the battery of every registered engine and
// the broken engines, the battery-wide tests, the speed benchmarks against their limits and
// peers, and the hit-ratio simulator, prints progress and a text table, and writes the report
// (an HTML page with SVG charts, and its JSON) to report/ in the workspace.
//
// Usage: scorecard [--full] [--out=DIR] [--skip=speed,hitratio,stress] [--traces=A,B] ENTRY...
//   engine:BIN  an engine's <engine>_conformance_test; its _properties_test, _stress_test and
//               _benchmark beside it are run too, when they exist
//   broken:BIN  the same for a deliberately broken engine, which the battery must fail
//   thirdparty:BIN  the same for an engine nobody here wrote (examples/): what the battery finds
//               is shown with its counterexamples as findings, and never fails the run
//   test:BIN    a battery-wide GoogleTest program (order determinism, ...)
//   peers:BIN   the peers benchmark (limits: flat_hash_map, raw SQLite, hiredis, ...)
//   simulate:BIN  the hit-ratio simulator
// Quick (default): 200 RapidCheck cases per property (CI runs 500), CI's stress settings,
// benchmarks as the median of three 0.1 s passes, every shared trace (or --traces) at five
// capacities. --full: CI's 500 cases, longer stress runs (STRESS_ROUNDS=5, 500 kills, 100
// corruption trials, 200 determinism runs) and benchmark passes of 0.5 s. An RC_PARAMS in the
// environment replaces the quick run's cases. Exits 0 if every engine passes, every broken
// engine is caught and every step ran; 1 otherwise.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "properties/rapidcheck_defaults.h"
#include "reports/battery_run.h"
#include "reports/report.h"
#include "reports/run_steps.h"

namespace cachelab::reports {
namespace {

// RapidCheck cases per property in the quick run (CI's: properties::kMaxSuccess).
constexpr int kQuickPropertyCases = 200;

struct Flags {
  bool full = false;
  std::string out;
  std::vector<std::string> skip;
  std::string traces = "all";
  std::vector<std::pair<std::string, std::string>> entries;  // kind, binary
  bool Skips(absl::string_view step) const {
    return std::find(skip.begin(), skip.end(), step) != skip.end();
  }
};

absl::StatusOr<Flags> Parse(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--full") {
      flags.full = true;
    } else if (absl::ConsumePrefix(&arg, "--out=")) {
      flags.out = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--traces=")) {
      flags.traces = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--skip=")) {
      flags.skip = absl::StrSplit(arg, ',', absl::SkipEmpty());
    } else if (absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));
    } else {
      const size_t colon = arg.find(':');
      if (colon == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("entry without a kind: ", arg));
      }
      const std::string kind(arg.substr(0, colon));
      if (kind != "engine" && kind != "broken" && kind != "thirdparty" && kind != "test" &&
          kind != "peers" && kind != "simulate") {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown kind \"", kind, "\" in ", arg,
            "; give engine:, broken:, thirdparty:, test:, peers: or simulate:"));
      }
      flags.entries.emplace_back(kind, std::string(arg.substr(colon + 1)));
    }
  }
  if (flags.out.empty()) {
    const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    flags.out = absl::StrCat(workspace ? workspace : ".", "/report");
  }
  return flags;
}

// The programs the scorecard starts find their data (python_peers.py, the shared traces) in
// RUNFILES_DIR. `bazel run` does not set it, and their own runfiles trees are not built when
// they are only data of the scorecard: point them at the scorecard's tree, which holds theirs.
void ExportRunfilesDir() {
  for (const char* variable : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    const char* dir = std::getenv(variable);
    if (dir != nullptr && *dir != '\0') return (void)setenv("RUNFILES_DIR", dir, 1);
  }
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  std::filesystem::path runfiles = self.string() + ".runfiles";
  if (error || !std::filesystem::is_directory(runfiles, error)) {
    // Run from inside a runfiles tree (bazel run's working directory is <tree>/cachelab).
    runfiles = std::filesystem::current_path(error).parent_path();
    if (error || !std::filesystem::exists(runfiles / "MANIFEST", error)) return;
  }
  setenv("RUNFILES_DIR", runfiles.c_str(), 1);
}

std::string Commit() {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  if (workspace == nullptr) return "unknown";
  auto run = RunCommand(absl::StrCat("git -C '", workspace, "' describe --always --dirty"));
  return run.ok() ? std::string(absl::StripAsciiWhitespace(*run)) : "unknown";
}

std::string Machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (absl::StartsWith(line, "model name")) {
      model = std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
      break;
    }
  }
  return absl::StrCat(model, ", ", std::thread::hardware_concurrency(), " cores");
}

void PrintRow(const EngineResult& e) {
  auto counts = [&](const char* suite) {
    auto it = e.suites.find(suite);
    if (it == e.suites.end() || !it->second.ran) return std::string("-");
    return absl::StrCat(it->second.passed, "/", it->second.failed);
  };
  std::printf("%-50s %11s %11s %11s  %s\n", e.label.c_str(), counts("conformance").c_str(),
              counts("properties").c_str(), counts("stress").c_str(), e.verdict.c_str());
}

int Main(int argc, char** argv) {
  auto flags = Parse(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "scorecard: %s\n", std::string(flags.status().message()).c_str());
    return 2;
  }
  const absl::Time start = absl::Now();
  ExportRunfilesDir();
  Report report;
  report.mode = flags->full ? "full" : "quick";
  report.started = absl::FormatTime("%Y-%m-%d %H:%M UTC", start, absl::UTCTimeZone());
  report.commit = Commit();
  report.machine = Machine();
#ifdef NDEBUG
  report.build = "optimized build (-c opt)";
#else
  report.build = "unoptimized build: speed ratios are not representative (use -c opt)";
#endif
  const char* given_params = std::getenv("RC_PARAMS");
  const std::string caller_params = given_params != nullptr ? given_params : "";
  if (flags->full) {
    setenv("STRESS_ROUNDS", "5", 1);
    setenv("STRESS_KILL_TRIALS", "500", 1);
    setenv("STRESS_CORRUPTION_TRIALS", "100", 1);
    setenv("STRESS_RUNS", "200", 1);
    report.settings = absl::StrCat(
        properties::kMaxSuccess, " cases per property (as CI), long stress runs (5 rounds, 500 "
        "kills, 100 corruption trials, 200 determinism runs), benchmarks the median of three "
        "0.5 s passes");
  } else {
    // The properties are most of the battery's time (a remote engine's 500 cases take a minute
    // or more); two fifths of CI's cases, up to the same sizes, keep the quick run under ten
    // minutes from a fresh clone. An RC_PARAMS given by the caller wins.
    if (caller_params.empty()) {
      setenv("RC_PARAMS", absl::StrCat("max_success=", kQuickPropertyCases).c_str(), 1);
    }
    report.settings = absl::StrCat(
        kQuickPropertyCases, " cases per property (CI runs ", properties::kMaxSuccess,
        "; --full too), CI's stress settings, benchmarks the median of three 0.1 s passes");
  }
  if (!caller_params.empty()) {
    absl::StrAppend(&report.settings, "; RC_PARAMS given: ", caller_params);
  }
  EngineBinaries binaries;
  std::vector<std::string> tests;
  std::string peers, simulate;
  for (const auto& [kind, binary] : flags->entries) {
    if (kind == "engine") binaries.engines.push_back(binary);
    if (kind == "broken") binaries.broken.push_back(binary);
    if (kind == "thirdparty") binaries.third_party.push_back(binary);
    if (kind == "test") tests.push_back(binary);
    if (kind == "peers") peers = binary;
    if (kind == "simulate") simulate = binary;
  }
  std::printf("cachelab scorecard (%s run): %zu engines, %zu broken engines, %zu third-party "
              "engines\n",
              report.mode.c_str(), binaries.engines.size(), binaries.broken.size(),
              binaries.third_party.size());
  std::printf("%-50s %11s %11s %11s  %s\n", "engine", "conformance", "properties", "stress",
              "verdict");
  report.engines = RunBatteries(binaries, !flags->Skips("stress"),
                                [](const EngineResult& e) { PrintRow(e); });
  for (const std::string& test : tests) {
    std::fprintf(stderr, "running %s\n", test.c_str());
    report.other_tests.emplace_back(TestLabel(test), RunSuite(test));
  }
  if (!flags->Skips("speed")) {
    MeasureSpeed(binaries.engines, peers, flags->full, report);
  }
  if (!flags->Skips("hitratio")) SimulateHitRatios(simulate, flags->traces, report);
  report.regressions = RegressionNote();
  report.seconds = absl::ToDoubleSeconds(absl::Now() - start);

  mkdir(flags->out.c_str(), 0755);
  const std::string page = flags->out + "/index.html";
  std::ofstream(page) << RenderHtml(report);
  std::ofstream(flags->out + "/report.json") << ToJson(report).dump(2) << "\n";
  int broken = 0, engines = 0;
  for (const EngineResult& e : report.engines) {
    if (!e.third_party) (e.broken ? broken : engines)++;
  }
  std::printf("\n%d / %d engines pass, %d / %d broken engines caught, %zu speed ratios, %zu hit "
              "ratios, %.0f s\n",
              report.EnginesPassing(), engines, report.BrokenCaught(), broken,
              report.speed.size(), report.hit_ratios.size(), report.seconds);
  for (const std::string& problem : report.problems) std::printf("problem: %s\n", problem.c_str());
  std::printf("%s\nreport: %s\n",
              report.AllGood() ? "every engine passes and every broken engine is caught"
                               : "SOMETHING IS WRONG: see the rows above and the report",
              page.c_str());
  return report.AllGood() ? 0 : 1;
}

}  // namespace
}  // namespace cachelab::reports

int main(int argc, char** argv) { return cachelab::reports::Main(argc, argv); }
