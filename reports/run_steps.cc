#include "reports/run_steps.h"

#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "reports/battery_run.h"

namespace cachelab::reports {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string Sibling(const std::string& conformance, const std::string& suffix) {
  return absl::StrReplaceAll(conformance, {{"_conformance_test", suffix}});
}

// "reference/memory/lru_conformance_test" -> "//reference/memory:lru".
std::string EngineLabel(const std::string& binary) {
  return std::string(absl::StripSuffix(TestLabel(binary), "_conformance_test"));
}

// The lines RapidCheck prints to reproduce each failed property, in order.
std::vector<std::string> RapidCheckReproduceLines(const std::string& output) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    const size_t at = line.find("RC_PARAMS=\"reproduce=");
    if (at != absl::string_view::npos) lines.emplace_back(line.substr(at));
  }
  return lines;
}

enum class Kind { kEngine, kBroken, kThirdParty };

// The verdict of an engine whose suites have all run.
void Judge(Kind kind, EngineResult& engine) {
  bool crashed = false, clean = true;
  int failed = 0;
  for (const auto& [name, suite] : engine.suites) {
    crashed |= suite.crashed;
    failed += suite.failed;
    clean &= suite.exit_code == 0;
  }
  if (kind == Kind::kBroken) {
    engine.good = failed > 0 || crashed;
    engine.verdict = engine.good ? "caught" : "NOT CAUGHT";
  } else if (engine.third_party) {
    engine.good = true;  // its differences are findings, listed in the report
    engine.verdict = crashed ? "deviates (crashed)" : failed == 0 && clean ? "pass" : "deviates";
  } else if (crashed) {
    engine.verdict = "CRASHED";
  } else {
    engine.good = failed == 0 && clean;
    engine.verdict = engine.good ? "pass" : "FAIL";
  }
}

// Per-call nanoseconds of each benchmark in Google Benchmark JSON, by name.
std::map<std::string, std::pair<double, int>> ReadBenchmarks(const std::string& json_text) {
  std::map<std::string, std::pair<double, int>> times;
  const nlohmann::json json = nlohmann::json::parse(json_text, nullptr, false);
  if (json.is_discarded() || !json.contains("benchmarks")) return times;
  // With repetitions, the median of each benchmark; else its one run.
  std::set<std::string> have_median;
  for (const auto& b : json["benchmarks"]) {
    if (b.contains("error_occurred")) continue;
    const bool median = b.value("aggregate_name", "") == "median";
    if (b.value("run_type", "iteration") != "iteration" && !median) continue;
    const std::string name = b.value("run_name", b.value("name", ""));
    if (!median && have_median.count(name)) continue;
    if (median) have_median.insert(name);
    double ns = b.value("real_time", 0.0);
    const std::string unit = b.value("time_unit", "ns");
    if (unit == "us") ns *= 1e3;
    if (unit == "ms") ns *= 1e6;
    times[name] = {ns, b.value("threads", 1)};
  }
  return times;
}

absl::StatusOr<std::map<std::string, std::pair<double, int>>> RunBenchmark(
    const std::string& binary, const std::string& filter, double min_time) {
  auto output = RunCommand(absl::StrCat("'", binary, "' --benchmark_filter='", filter,
                                        "' --benchmark_min_time=", min_time,
                                        " --benchmark_repetitions=3 --benchmark_format=json"
                                        " 2>/dev/null"));
  if (!output.ok()) return output.status();
  return ReadBenchmarks(*output);
}

// The limit an engine's lookup hit is measured against, by what it is built on.
std::string LimitOf(const std::string& engine_label) {
  if (absl::StrContains(engine_label, "unusable_directory")) return "FlatHashMapFind";
  if (absl::StrContains(engine_label, "sqlite")) return "RawSqliteSelect";
  if (absl::StrContains(engine_label, "files")) return "RawFileRead";
  if (absl::StrContains(engine_label, "redis")) return "RawHiredisGet";
  if (absl::StrContains(engine_label, "memcached")) return "RawLibmemcachedGet";
  return "FlatHashMapFind";
}

// The reference LRU engine ("Lru") must match the simulator's own LRU ("lru") at every point;
// if it does, its curve is dropped from the charts (it would hide the other) and a note says
// so; if not, both stay and a problem is recorded.
void DropDuplicateLru(Report& report) {
  std::map<std::pair<std::string, size_t>, double> simulator;
  for (const HitRatioResult& r : report.hit_ratios) {
    if (r.policy == "lru") simulator[{r.trace, r.capacity}] = r.hit_ratio;
  }
  size_t checked = 0;
  for (const HitRatioResult& r : report.hit_ratios) {
    if (r.policy != "Lru") continue;
    auto it = simulator.find({r.trace, r.capacity});
    if (it == simulator.end() || it->second != r.hit_ratio) {
      report.problems.push_back(absl::StrCat("the reference LRU engine's hit ratio on ", r.trace,
                                             " at ", r.capacity,
                                             " differs from the simulator's LRU"));
      return;
    }
    ++checked;
  }
  if (checked == 0) return;
  std::erase_if(report.hit_ratios, [](const HitRatioResult& r) { return r.policy == "Lru"; });
  report.hit_ratio_notes.push_back(absl::StrCat(
      "The reference LRU engine (//reference/memory:lru) gives exactly the simulator's LRU hit "
      "ratio at all ", checked, " points, so the lru curve stands for both."));
}

}  // namespace

absl::StatusOr<std::string> RunCommand(const std::string& command) {
  auto run = RunShell(command);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return absl::InternalError(absl::StrCat(command, " exited with status ", run->exit_code));
  }
  return std::move(run->output);
}

std::string TestLabel(const std::string& binary) {
  const size_t slash = binary.rfind('/');
  if (slash == std::string::npos) return binary;
  return absl::StrCat("//", binary.substr(0, slash), ":", binary.substr(slash + 1));
}

SuiteResult RunSuite(const std::string& binary) {
  SuiteResult suite;
  const absl::Time start = absl::Now();
  auto run = RunBattery(binary);
  suite.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!run.ok()) {
    suite.failures.push_back(std::string(run.status().message()));
    suite.exit_code = 127;
    suite.failed = 1;
    suite.ran = true;
    return suite;
  }
  suite.ran = true;
  suite.exit_code = run->exit_code;
  suite.crashed = run->crashed();
  suite.passed = run->passed;
  suite.failed = run->failed;
  suite.skipped = run->skipped;
  suite.failures = run->failed_tests;
  suite.details = run->failure_details;
  suite.counterexample_lengths = CounterexampleLengths(run->output);
  const std::vector<std::string> seeds = RapidCheckReproduceLines(run->output);
  for (size_t i = 0; i < suite.failures.size(); ++i) {
    std::string line = absl::StrCat("bazel test ", TestLabel(binary), " --test_filter='",
                                    suite.failures[i], "'");
    if (i < seeds.size()) absl::StrAppend(&line, " --test_env=", seeds[i]);
    suite.reproduce.push_back(std::move(line));
  }
  if (suite.exit_code != 0 && suite.failed == 0) {
    suite.failures.push_back(absl::StrCat("exited with status ", suite.exit_code));
  }
  return suite;
}

std::vector<EngineResult> RunBatteries(const EngineBinaries& binaries, bool stress,
                                       const std::function<void(const EngineResult&)>& done) {
  std::vector<std::pair<std::string, Kind>> engines;
  for (const std::string& e : binaries.engines) engines.emplace_back(e, Kind::kEngine);
  for (const std::string& e : binaries.broken) engines.emplace_back(e, Kind::kBroken);
  for (const std::string& e : binaries.third_party) engines.emplace_back(e, Kind::kThirdParty);
  std::vector<EngineResult> results(engines.size());
  // One job per suite. Properties first: they are the longest suites (an engine that starts a
  // server for each case takes over a minute), so they must not be the last ones started.
  struct Job {
    size_t engine;
    std::string suite;
    std::string binary;
  };
  std::vector<Job> jobs;
  std::vector<int> pending(engines.size(), 0);
  for (const char* suite : {"properties", "conformance", "stress"}) {
    for (size_t i = 0; i < engines.size(); ++i) {
      const std::string& conformance = engines[i].first;
      const std::string binary = Sibling(conformance, absl::StrCat("_", suite, "_test"));
      const bool wanted = std::string(suite) == "conformance" ||
                          (Exists(binary) && (stress || std::string(suite) != "stress"));
      if (!wanted) continue;
      jobs.push_back({i, suite, binary});
      ++pending[i];
    }
  }
  for (size_t i = 0; i < engines.size(); ++i) {
    results[i].label = EngineLabel(engines[i].first);
    results[i].broken = engines[i].second == Kind::kBroken;
    results[i].third_party = engines[i].second == Kind::kThirdParty;
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  auto work = [&] {
    for (size_t j; (j = next.fetch_add(1)) < jobs.size();) {
      SuiteResult suite = RunSuite(jobs[j].binary);
      std::lock_guard<std::mutex> lock(mu);
      EngineResult& engine = results[jobs[j].engine];
      engine.suites[jobs[j].suite] = std::move(suite);
      if (--pending[jobs[j].engine] == 0) {
        Judge(engines[jobs[j].engine].second, engine);
        done(engine);
      }
    }
  };
  // One more worker than cores: the suites of remote and persistent engines wait on servers
  // and fsync, and a spare worker uses the time.
  std::vector<std::thread> workers;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < cores + 1; ++i) workers.emplace_back(work);
  for (auto& w : workers) w.join();
  return results;
}

void MeasureSpeed(const std::vector<std::string>& engines, const std::string& peers, bool full,
                  Report& report) {
  const double min_time = full ? 0.5 : 0.1;  // each of 3 repetitions; the median is kept
  if (peers.empty()) {
    report.problems.push_back("no peers benchmark was given: speed ratios cannot be computed");
    return;
  }
  std::fprintf(stderr, "measuring the limits and peers\n");
  auto peer_times = RunBenchmark(
      peers,
      "FlatHashMapFind/value_bytes:100/real_time/threads:1$|TextbookLruMutexHit/value_bytes:100/"
      "real_time/threads:1$|MutexLockUnlock/real_time/threads:1$|CacheLineTransfer|RawSqliteSelect|"
      "RawFileRead|RawHiredisGet$|RawLibmemcachedGet|TbbConcurrentLruHit/real_time/threads:1$|"
      "RocksDbLruCacheHit/real_time/threads:1$|PyFunctoolsLruCacheHit|PyCachetoolsCachedHit|"
      "PyDiskcacheGet",
      min_time);
  if (!peer_times.ok() || peer_times->empty()) {
    report.problems.push_back(absl::StrCat("the peers benchmark failed: ",
                                           peer_times.ok() ? "no results" : peer_times.status().ToString()));
    return;
  }
  std::map<std::string, double> limit_ns;
  for (const auto& [name, time] : *peer_times) {
    std::string short_name = std::string(absl::StripPrefix(name, "BM_"));
    short_name = short_name.substr(0, short_name.find('/'));
    limit_ns[short_name] = time.first;
    report.peers.push_back({std::string(absl::StripPrefix(name, "BM_")), time.first});
  }
  for (const std::string& conformance : engines) {
    const std::string benchmark = Sibling(conformance, "_benchmark");
    if (!Exists(benchmark)) continue;  // models and engines without a benchmark
    const std::string label = EngineLabel(conformance);
    std::fprintf(stderr, "measuring %s\n", label.c_str());
    auto times = RunBenchmark(benchmark, "LookupHit/value_bytes:100/", min_time);
    if (!times.ok() || times->empty()) {
      report.problems.push_back(absl::StrCat("the benchmark of ", label, " failed"));
      continue;
    }
    SpeedResult speed;
    speed.engine = label.substr(label.find(':') + 1);
    speed.workload = "LookupHit";
    speed.limit = LimitOf(label);
    speed.limit_ns = limit_ns.count(speed.limit) ? limit_ns[speed.limit] : 0;
    for (const auto& [name, time] : *times) {
      if (time.second == 1) speed.ns = time.first;
    }
    for (const auto& [name, time] : *times) {
      // Google Benchmark reports a threaded real-time run as wall time over the iterations of
      // all threads, so throughput is 1 / time at any thread count.
      if (time.second > 1 && speed.ns > 0) speed.scaling[time.second] = speed.ns / time.first;
    }
    report.speed.push_back(std::move(speed));
  }
}

void SimulateHitRatios(const std::string& simulate, const std::string& traces, Report& report) {
  if (simulate.empty()) {
    report.problems.push_back("no simulator was given: hit ratios were not simulated");
    return;
  }
  const std::string json_path =
      absl::StrCat(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp", "/cachelab-hit-",
                   getpid(), ".json");
  static constexpr double kPercents[] = {1, 2, 5, 10, 20};
  std::fprintf(stderr, "simulating hit ratios on the shared traces\n");
  auto run = RunShell(absl::StrCat("'", simulate, "' --traces=", traces,
                                    " --capacities=1%,2%,5%,10%,20% --json='", json_path,
                                    "' 2>&1"));
  if (!run.ok() || run->exit_code != 0) {
    if (run.ok() && absl::StrContains(run->output, "did not find ../shared/traces")) {
      // Not a failure of the battery: this checkout has no traces beside it.
      report.hit_ratio_notes.push_back(
          "The build did not find the shared traces (../shared/traces beside the workspace), "
          "so no hit ratios were simulated: set CACHELAB_TRACES to their directory and rerun.");
      return;
    }
    report.problems.push_back(absl::StrCat(
        "the simulator failed: ",
        run.ok() ? absl::StrCat("exit status ", run->exit_code) : run.status().ToString()));
    return;
  }
  const std::string* output = &run->output;
  std::map<std::string, double> distinct;  // "read web07: 76118 requests, 20484 distinct keys"
  for (absl::string_view line : absl::StrSplit(*output, '\n')) {
    if (!absl::ConsumePrefix(&line, "read ")) continue;
    const std::vector<std::string> words = absl::StrSplit(line, ' ');
    double keys = 0;
    if (words.size() >= 4 && absl::SimpleAtod(words[3], &keys)) {
      distinct[std::string(absl::StripSuffix(words[0], ":"))] = keys;
    }
  }
  std::ifstream in(json_path);
  const nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  std::remove(json_path.c_str());
  if (json.is_discarded() || !json.contains("results")) {
    report.problems.push_back("the simulator wrote no results");
    return;
  }
  for (const auto& r : json["results"]) {
    HitRatioResult result;
    result.trace = r.value("trace", "");
    result.policy = r.value("policy", "");
    result.capacity = r.value("capacity", size_t{0});
    result.hit_ratio = r.value("hit_ratio", 0.0);
    const double share = 100.0 * result.capacity / std::max(1.0, distinct[result.trace]);
    double best = kPercents[0];
    for (double p : kPercents) {
      if (std::abs(p - share) < std::abs(best - share)) best = p;
    }
    result.percent = best;
    report.hit_ratios.push_back(std::move(result));
  }
  DropDuplicateLru(report);
}

std::string RegressionNote() {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string baselines =
      absl::StrCat(workspace ? workspace : ".", "/reports/baselines");
  if (!Exists(baselines)) {
    return "No baseline is stored yet (reports/baselines/). `reports/bench baseline` runs the "
           "benchmarks with repetitions and stores one with this machine's fingerprint; "
           "`reports/bench run` then compares a run against it with Google Benchmark's U-test "
           "and fails on a significant regression, and `reports/bench commits A B` compares two "
           "commits interleaved.";
  }
  return absl::StrCat("Baselines are stored in ", baselines,
                      ". This report's short benchmark passes are not a regression test: "
                      "`reports/bench run` compares a full run against the baseline of this "
                      "machine with the U-test.");
}

}  // namespace cachelab::reports
