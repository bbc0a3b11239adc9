// Report: what one run of the scorecard found (the battery of every registered engine, the broken
// engines, speed against limits and peers, hit ratios on the shared traces), and its two
// renderings: a static HTML page with inline SVG charts (no scripts, no network) and a JSON
// summary for tools and tests.
//
// Thread-safety: plain data; RenderHtml and ToJson are pure.
#ifndef CACHELAB_REPORTS_REPORT_H_
#define CACHELAB_REPORTS_REPORT_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace cachelab::reports {

// One battery binary's outcome.
struct SuiteResult {
  bool ran = false;  // false: the engine has no such battery, or it was not run
  bool crashed = false;
  int exit_code = 0;
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  double seconds = 0;
  std::vector<std::string> failures;  // test names
  std::vector<std::string> reproduce;  // one command per failure (or the property's seed line)
  std::vector<std::string> details;    // what each failed test printed (BatteryRun)
  std::vector<int> counterexample_lengths;  // calls in each shrunk RapidCheck counterexample
};

struct EngineResult {
  std::string label;  // //reference/memory:lru
  bool broken = false;  // a deliberately broken engine: the battery must fail it
  // An engine nobody here wrote (examples/): what the battery finds in it is a finding to show,
  // with its counterexamples, not a failure of the run.
  bool third_party = false;
  std::map<std::string, SuiteResult> suites;  // "conformance", "properties", "stress"
  bool good = false;    // passes (or, broken, is caught)
  std::string verdict;  // "pass", "FAIL", "caught", "NOT CAUGHT", "CRASHED", "deviates"
};

// One engine's speed: a standard workload's time per call against its limit or peer, measured
// in the same run, and its throughput at 2 and 4 threads relative to 1.
struct SpeedResult {
  std::string engine;     // Lru
  std::string workload;   // LookupHit
  double ns = 0;          // one thread, per call
  std::string limit;      // the peer: FlatHashMapFind, RawSqliteSelect, ...
  double limit_ns = 0;
  std::map<int, double> scaling;  // threads -> throughput / one thread's
  double ratio() const { return limit_ns > 0 ? ns / limit_ns : 0; }
};

struct PeerResult {
  std::string name;  // BM_... without the prefix
  double ns = 0;
};

struct HitRatioResult {
  std::string trace;
  std::string policy;  // lru, opt, or an engine's name
  size_t capacity = 0;
  double percent = 0;  // capacity as a share of the trace's distinct keys
  double hit_ratio = 0;
};

struct Report {
  std::string mode;      // quick or full
  std::string settings;  // what the mode ran: property cases, stress and benchmark settings
  std::string started;   // UTC time
  std::string commit;    // git describe, if known
  std::string machine;   // CPU model, cores
  std::string build;     // compilation mode
  double seconds = 0;    // the whole run
  std::vector<EngineResult> engines;
  std::vector<std::pair<std::string, SuiteResult>> other_tests;  // order determinism, ...
  std::vector<SpeedResult> speed;
  std::vector<PeerResult> peers;
  std::vector<HitRatioResult> hit_ratios;
  std::vector<std::string> hit_ratio_notes;
  std::string regressions;    // what the comparison against baselines found, or why none ran
  std::vector<std::string> problems;  // steps that could not run

  int EnginesPassing() const;
  int BrokenCaught() const;
  bool AllGood() const;
};

// The page: title, summary, scorecard, broken engines, speed, hit ratios, regressions.
std::string RenderHtml(const Report& report);

// The same content as data (what the browser test compares the page against).
nlohmann::json ToJson(const Report& report);

// HTML-escapes `text`.
std::string Escape(const std::string& text);

}  // namespace cachelab::reports

#endif  // CACHELAB_REPORTS_REPORT_H_
