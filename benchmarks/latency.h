// Helpers shared by the benchmark binaries: a latency histogram with percentile counters, and a
// coordinator that gives the threads of one Google Benchmark run a fixture built once, outside
// the timing, and merges their histograms when they finish.
//
// Thread-safety: Histogram is single-threaded (one per thread, merged under the coordinator's
// lock); RunCoordinator may be used by the threads of any number of runs, one run at a time.
#ifndef CACHELAB_BENCHMARKS_LATENCY_H_
#define CACHELAB_BENCHMARKS_LATENCY_H_

#include <array>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "benchmark/benchmark.h"

namespace cachelab::benchmarks {

// Log-linear buckets: 16 per power of two, so a percentile is within 1/16 of the truth.
class Histogram {
 public:
  void Add(uint64_t nanos) { ++counts_[Bucket(nanos)], ++total_; }
  void Merge(const Histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }
  uint64_t total() const { return total_; }
  // The smallest recorded value v with at least `q` of the samples <= v (bucket lower bound).
  double Quantile(double q) const {
    if (total_ == 0) return 0;
    const uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return static_cast<double>(LowerBound(i));
    }
    return static_cast<double>(LowerBound(counts_.size() - 1));
  }

 private:
  static constexpr size_t kBuckets = 64 * 16;
  static size_t Bucket(uint64_t v) {
    if (v < 16) return v;
    const int msb = 63 - std::countl_zero(v);
    return static_cast<size_t>((msb - 3) * 16 + ((v >> (msb - 4)) & 15));
  }
  static uint64_t LowerBound(size_t bucket) {
    if (bucket < 16) return bucket;
    const int msb = static_cast<int>(bucket / 16) + 3;
    return (uint64_t{1} << msb) | (uint64_t{bucket % 16} << (msb - 4));
  }
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

// Times `op` into `histogram` every `every`-th call (1: every call).
class Sampler {
 public:
  Sampler(Histogram& histogram, uint32_t every) : histogram_(histogram), every_(every) {}
  template <typename Op>
  void Run(Op&& op) {
    if (++calls_ % every_ != 0) {
      op();
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    op();
    histogram_.Add(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                             start)
            .count()));
  }

 private:
  Histogram& histogram_;
  const uint32_t every_;
  uint32_t calls_ = 0;
};

// One fixture per run, shared by its threads.
template <typename Fixture>
class RunCoordinator {
 public:
  struct Run {
    std::shared_ptr<Fixture> fixture;  // null if building it failed (see error)
    std::string error;
    Histogram merged;
    int threads = 1;
    int finished = 0;
  };

  // Called by every thread of a run before its loop; the first builds the fixture with
  // build(std::string& error) -> std::shared_ptr<Fixture>.
  std::shared_ptr<Run> Join(const benchmark::State& state,
                            const std::function<std::shared_ptr<Fixture>(std::string&)>& build) {
    std::unique_lock<std::mutex> lock(mu_);
    std::shared_ptr<Run> run = current_;
    if (run == nullptr) {
      run = current_ = std::make_shared<Run>();
      run->threads = state.threads();
      building_ = true;
      lock.unlock();
      std::string error;
      auto fixture = build(error);
      lock.lock();
      run->fixture = std::move(fixture);
      run->error = std::move(error);
      building_ = false;
      ready_.notify_all();
    } else {
      ready_.wait(lock, [&] { return !building_; });
    }
    if (++joined_ == run->threads) {  // the next run starts afresh
      current_ = nullptr;
      joined_ = 0;
    }
    return run;
  }

  // Called by every thread after its loop: merges its histogram, waits for the others, and
  // sets the p50_ns, p99_ns and p999_ns counters (the same on every thread).
  void Finish(benchmark::State& state, Run& run, const Histogram& local) {
    std::unique_lock<std::mutex> lock(mu_);
    run.merged.Merge(local);
    if (++run.finished == run.threads) ready_.notify_all();
    ready_.wait(lock, [&] { return run.finished == run.threads; });
    if (run.merged.total() == 0) return;
    for (auto [name, q] : {std::pair{"p50_ns", 0.5}, {"p99_ns", 0.99}, {"p999_ns", 0.999}}) {
      state.counters[name] = benchmark::Counter(run.merged.Quantile(q), benchmark::Counter::kAvgThreads);
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_;
  std::shared_ptr<Run> current_;
  bool building_ = false;
  int joined_ = 0;
};

}  // namespace cachelab::benchmarks

#endif  // CACHELAB_BENCHMARKS_LATENCY_H_
