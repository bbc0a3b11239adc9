// simulate: replays cache access traces through policies and engines at several capacities and
// prints hit ratios next to LRU and Belady's optimum.
//
//   bazel run -c opt //benchmarks/hitratio:simulate -- --traces=web07,orm-busy
//       --policies=lru,opt,Lfu --capacities=1%,2%,5%,10%,20%,1000
//
// Flags:
//   --traces=A,B       shared trace names (web07, web12, orm-busy, orm-night, zipf, or "all")
//                      or paths to trace files
//   --policies=A,B     lru, opt, opt-demand, lfu-perfect, and every engine linked in (see
//                      --list); by default lru, opt and every engine linked in
//   --capacities=A,B   percentages of the trace's distinct keys (5%) or entries (1000)
//   --threads=N        jobs at once (default: every core)
//   --format=F         trace format for paths: auto (default), cache2k, text, csv, oracleGeneral
//   --csv_key_column=C --csv_no_header --max_requests=N
//   --json=PATH        also writes every result as JSON
//   --list             prints the policies and exits
// Exits 1 if a job failed (its error is printed), 2 for bad flags.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "benchmarks/hitratio/shared_traces.h"
#include "benchmarks/hitratio/simulator.h"
#include "nlohmann/json.hpp"

namespace cachelab::hitratio {
namespace {

struct Flags {
  std::vector<std::string> traces = {"all"};
  std::vector<std::string> policies;  // default: lru, opt and every engine linked in
  std::string capacities = "1%,2%,5%,10%,20%";
  int threads = 0;
  TraceOptions trace_options;
  std::string json;
  bool list = false;
};

int Usage(const std::string& problem) {
  std::fprintf(stderr, "simulate: %s\nflags: --traces= --policies= --capacities= --threads= "
               "--format= --csv_key_column= --csv_no_header --max_requests= --json= --list\n",
               problem.c_str());
  return 2;
}

std::vector<std::string> List(absl::string_view value) {
  return absl::StrSplit(value, ',', absl::SkipWhitespace());
}

// Returns an empty string, or what is wrong with the flags.
std::string ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--list") {
      flags.list = true;
    } else if (arg == "--csv_no_header") {
      flags.trace_options.csv_header = false;
    } else if (absl::ConsumePrefix(&arg, "--traces=")) {
      flags.traces = List(arg);
    } else if (absl::ConsumePrefix(&arg, "--policies=")) {
      flags.policies = List(arg);
    } else if (absl::ConsumePrefix(&arg, "--capacities=")) {
      flags.capacities = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--threads=")) {
      if (!absl::SimpleAtoi(arg, &flags.threads)) return "--threads needs a number";
    } else if (absl::ConsumePrefix(&arg, "--format=")) {
      auto format = ParseTraceFormat(arg);
      if (!format.ok()) return std::string(format.status().message());
      flags.trace_options.format = *format;
    } else if (absl::ConsumePrefix(&arg, "--csv_key_column=")) {
      flags.trace_options.csv_key_column = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--max_requests=")) {
      if (!absl::SimpleAtoi(arg, &flags.trace_options.max_requests)) {
        return "--max_requests needs a number";
      }
    } else if (absl::ConsumePrefix(&arg, "--json=")) {
      flags.json = std::string(arg);
    } else {
      return absl::StrCat("unknown flag ", arg);
    }
  }
  if (flags.traces.size() == 1 && flags.traces[0] == "all") flags.traces = SharedTraceNames();
  if (flags.policies.empty()) {
    flags.policies = {"lru", "opt"};
    for (const EngineRegistration& engine : RegisteredEngines()) {
      flags.policies.push_back(engine.name);
    }
  }
  return "";
}

void PrintTable(const std::vector<Trace>& traces, const std::vector<std::string>& policies,
                const std::vector<JobResult>& results) {
  for (const Trace& trace : traces) {
    std::printf("\n%s: %zu requests, %u distinct keys; hit ratio (hits / requests)\n",
                trace.name.c_str(), trace.requests.size(), trace.distinct);
    std::printf("%10s", "capacity");
    for (const std::string& policy : policies) std::printf(" %11s", policy.c_str());
    std::printf("\n");
    std::map<size_t, std::map<std::string, const JobResult*>> rows;
    for (const JobResult& result : results) {
      if (result.trace == trace.name) rows[result.capacity][result.policy] = &result;
    }
    for (const auto& [capacity, by_policy] : rows) {
      std::printf("%10zu", capacity);
      for (const std::string& policy : policies) {
        auto it = by_policy.find(policy);
        if (it == by_policy.end() || !it->second->status.ok()) {
          std::printf(" %11s", "error");
        } else {
          std::printf(" %11.4f", it->second->hit_ratio());
        }
      }
      std::printf("\n");
    }
  }
  // Speed: requests replayed per second of one core, per policy, over every job.
  std::printf("\nspeed (requests per second per core, all jobs):");
  for (const std::string& policy : policies) {
    double requests = 0, seconds = 0;
    for (const JobResult& result : results) {
      if (result.policy == policy && result.status.ok()) {
        requests += result.requests;
        seconds += result.seconds;
      }
    }
    std::printf("  %s %.1f M/s", policy.c_str(), seconds > 0 ? requests / seconds / 1e6 : 0.0);
  }
  std::printf("\n");
}

absl::Status WriteJson(const std::string& path, const std::vector<Trace>& traces,
                       const std::vector<JobResult>& results) {
  nlohmann::json out;
  for (const Trace& trace : traces) {
    out["traces"].push_back(
        {{"name", trace.name}, {"requests", trace.requests.size()}, {"distinct", trace.distinct}});
  }
  for (const JobResult& result : results) {
    nlohmann::json row = {{"trace", result.trace},       {"policy", result.policy},
                          {"capacity", result.capacity}, {"requests", result.requests},
                          {"hits", result.hits},         {"hit_ratio", result.hit_ratio()},
                          {"seconds", result.seconds}};
    if (!result.status.ok()) row["error"] = result.status.ToString();
    out["results"].push_back(row);
  }
  std::ofstream file(path);
  file << out.dump(2) << "\n";
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  Flags flags;
  if (std::string problem = ParseFlags(argc, argv, flags); !problem.empty()) {
    return Usage(problem);
  }
  if (flags.list) {
    std::printf("%s\n", absl::StrJoin(PolicyNames(), "\n").c_str());
    return 0;
  }
  auto capacities = ParseCapacities(flags.capacities);
  if (!capacities.ok()) return Usage(std::string(capacities.status().message()));
  const absl::Time start = absl::Now();
  std::vector<Trace> traces;
  traces.reserve(flags.traces.size());
  for (const std::string& name : flags.traces) {
    auto path = ResolveTrace(name);
    auto trace = path.ok() ? ReadTrace(*path, flags.trace_options) : path.status();
    if (!trace.ok()) {
      std::fprintf(stderr, "simulate: %s\n", trace.status().ToString().c_str());
      return 1;
    }
    if (name.find('/') == std::string::npos) trace->name = name;
    std::fprintf(stderr, "read %s: %zu requests, %u distinct keys\n", trace->name.c_str(),
                 trace->requests.size(), trace->distinct);
    traces.push_back(*std::move(trace));
  }
  const double read_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<Job> jobs;
  for (const Trace& trace : traces) {
    for (const CapacitySpec& spec : *capacities) {
      for (const std::string& policy : flags.policies) {
        jobs.push_back(Job{&trace, policy, spec.For(trace)});
      }
    }
  }
  const auto results = Simulate(jobs, flags.threads, [](size_t done, size_t total,
                                                        const JobResult& result) {
    std::fprintf(stderr, "[%zu/%zu] %s %s capacity %zu: %s\n", done, total, result.trace.c_str(),
                 result.policy.c_str(), result.capacity,
                 result.status.ok()
                     ? absl::StrFormat("hit ratio %.4f in %.2fs", result.hit_ratio(),
                                       result.seconds)
                           .c_str()
                     : result.status.ToString().c_str());
  });
  PrintTable(traces, flags.policies, results);
  std::printf("wall time %.2fs (reading traces %.2fs)\n",
              absl::ToDoubleSeconds(absl::Now() - start), read_seconds);
  if (!flags.json.empty()) {
    if (absl::Status written = WriteJson(flags.json, traces, results); !written.ok()) {
      std::fprintf(stderr, "simulate: %s\n", written.ToString().c_str());
      return 1;
    }
  }
  for (const JobResult& result : results) {
    if (!result.status.ok()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace cachelab::hitratio

int main(int argc, char** argv) { return cachelab::hitratio::Main(argc, argv); }
