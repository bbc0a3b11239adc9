#include "benchmarks/hitratio/simulator.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "benchmarks/hitratio/policies.h"

namespace cachelab::hitratio {
namespace {

constexpr const char* kBuiltins[] = {"lru", "opt", "opt-demand", "lfu-perfect"};

std::vector<EngineRegistration>& Registry() {
  static auto* registry = new std::vector<EngineRegistration>();
  return *registry;
}

const EngineRegistration* FindEngine(absl::string_view name) {
  for (const EngineRegistration& engine : Registry()) {
    if (engine.name == name) return &engine;
  }
  return nullptr;
}

// A fresh directory for engines that keep files (removed when the replay ends).
class ScratchDirectory {
 public:
  ScratchDirectory() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/cachelab-hitratio-XXXXXX");
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

absl::StatusOr<uint64_t> ReplayEngine(const EngineRegistration& engine, const Trace& trace,
                                      size_t capacity) {
  ScratchDirectory scratch;
  CacheOptions options;
  if (engine.capabilities.bounded()) options.capacity = capacity;
  if (engine.capabilities.requires_default_ttl) options.default_ttl = absl::Hours(24 * 365 * 100);
  options.clock = std::make_shared<ManualClock>(absl::FromUnixSeconds(1'700'000'000));
  options.seed = 42;
  options.location = scratch.path() + "/cache";
  auto cache = engine.create(options);
  if (!cache.ok()) return cache.status();
  const std::string value = "v";
  std::string key(sizeof(uint32_t), '\0');
  uint64_t hits = 0;
  for (const uint32_t id : trace.requests) {
    std::memcpy(key.data(), &id, sizeof(id));
    auto found = (*cache)->Lookup(key);
    if (!found.ok()) return found.status();
    if (found->has_value()) {
      ++hits;
    } else if (absl::Status inserted = (*cache)->Insert(key, value); !inserted.ok()) {
      return inserted;
    }
  }
  return hits;
}

// A rough cost of a job, so the longest start first and the cores finish together.
double Cost(const Job& job) {
  const double per_request = job.policy == "lru" ? 1 : job.policy.starts_with("opt") ? 3 : 10;
  return per_request * static_cast<double>(job.trace->requests.size());
}

}  // namespace

bool RegisterEngine(EngineRegistration engine) {
  Registry().push_back(std::move(engine));
  return true;
}

const std::vector<EngineRegistration>& RegisteredEngines() { return Registry(); }

std::vector<std::string> PolicyNames() {
  std::vector<std::string> names(std::begin(kBuiltins), std::end(kBuiltins));
  for (const EngineRegistration& engine : Registry()) names.push_back(engine.name);
  return names;
}

size_t CapacitySpec::For(const Trace& trace) const {
  if (absolute > 0) return absolute;
  return std::max<size_t>(1, static_cast<size_t>(std::llround(trace.distinct * percent / 100)));
}

std::string CapacitySpec::ToString() const {
  return absolute > 0 ? absl::StrCat(absolute) : absl::StrCat(percent, "%");
}

absl::StatusOr<std::vector<CapacitySpec>> ParseCapacities(absl::string_view list) {
  std::vector<CapacitySpec> specs;
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    CapacitySpec spec;
    if (absl::ConsumeSuffix(&item, "%")) {
      if (!absl::SimpleAtod(item, &spec.percent) || !(spec.percent > 0) || spec.percent > 100) {
        return absl::InvalidArgumentError(absl::StrCat(
            "capacity \"", item, "%\": a percentage must be in (0, 100]"));
      }
    } else if (!absl::SimpleAtoi(item, &spec.absolute) || spec.absolute == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "capacity \"", item, "\": give entries (at least 1) or a percentage such as 5%"));
    }
    specs.push_back(spec);
  }
  if (specs.empty()) return absl::InvalidArgumentError("no capacity given");
  return specs;
}

JobResult RunJob(const Job& job, const std::vector<uint32_t>* next_uses) {
  JobResult result;
  result.trace = job.trace->name;
  result.policy = job.policy;
  result.capacity = job.capacity;
  result.requests = job.trace->requests.size();
  if (job.capacity == 0) {
    result.status = absl::InvalidArgumentError("capacity must be at least 1");
    return result;
  }
  const absl::Time start = absl::Now();
  if (job.policy == "lru") {
    result.hits = ReplayLru(*job.trace, job.capacity);
  } else if (job.policy == "lfu-perfect") {
    result.hits = ReplayPerfectLfu(*job.trace, job.capacity);
  } else if (job.policy == "opt" || job.policy == "opt-demand") {
    if (next_uses == nullptr) {
      result.status = absl::InternalError("OPT needs the trace's next uses");
      return result;
    }
    result.hits = job.policy == "opt" ? ReplayOpt(*job.trace, *next_uses, job.capacity)
                                      : ReplayOptDemand(*job.trace, *next_uses, job.capacity);
  } else if (const EngineRegistration* engine = FindEngine(job.policy)) {
    if (!engine->capabilities.bounded()) {
      result.status = absl::InvalidArgumentError(
          absl::StrCat(job.policy, " is unbounded: it never evicts, so capacity means nothing"));
      return result;
    }
    auto hits = ReplayEngine(*engine, *job.trace, job.capacity);
    if (!hits.ok()) {
      result.status = hits.status();
      return result;
    }
    result.hits = *hits;
  } else {
    result.status = absl::NotFoundError(absl::StrCat(
        "unknown policy \"", job.policy, "\"; known: ", absl::StrJoin(PolicyNames(), ", ")));
    return result;
  }
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return result;
}

std::vector<JobResult> Simulate(
    const std::vector<Job>& jobs, int threads,
    const std::function<void(size_t, size_t, const JobResult&)>& progress) {
  // Next uses are computed once per trace, before any job runs, for the traces OPT replays.
  std::vector<std::pair<const Trace*, std::vector<uint32_t>>> next_uses;
  for (const Job& job : jobs) {
    if (!job.policy.starts_with("opt")) continue;
    const bool known = std::any_of(next_uses.begin(), next_uses.end(),
                                   [&](const auto& entry) { return entry.first == job.trace; });
    if (!known) next_uses.emplace_back(job.trace, NextUses(*job.trace));
  }
  auto next_uses_of = [&](const Trace* trace) -> const std::vector<uint32_t>* {
    for (const auto& [t, uses] : next_uses) {
      if (t == trace) return &uses;
    }
    return nullptr;
  };
  std::vector<size_t> order(jobs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return Cost(jobs[a]) > Cost(jobs[b]); });
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<int>(threads, std::max<size_t>(1, jobs.size()));
  std::vector<JobResult> results(jobs.size());
  std::atomic<size_t> next{0};
  std::mutex progress_mu;
  size_t done = 0;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < order.size();) {
      const Job& job = jobs[order[i]];
      results[order[i]] = RunJob(job, next_uses_of(job.trace));
      std::lock_guard<std::mutex> lock(progress_mu);
      ++done;
      if (progress) progress(done, jobs.size(), results[order[i]]);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  return results;
}

}  // namespace cachelab::hitratio
