// The battery's standard workload: the stated workload on which an approximate policy promises
// a hit ratio (Capabilities::min_hit_ratio). Zipf(s = 1.0) over 1,000 keys, 50,000 requests
// from a fixed seed, a cache of 100 entries, and insert-on-miss (a read-through client).
#ifndef CACHELAB_CONFORMANCE_INTERNAL_WORKLOAD_H_
#define CACHELAB_CONFORMANCE_INTERNAL_WORKLOAD_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace cachelab::conformance {

struct StandardWorkload {
  static constexpr int kKeys = 1000;
  static constexpr int kRequests = 50'000;
  static constexpr size_t kCapacity = 100;
  static constexpr double kSkew = 1.0;
  static constexpr uint64_t kSeed = 20261122;
};

// Draws ranks 0..keys-1 with P(rank r) proportional to 1 / (r + 1)^skew.
class ZipfGenerator {
 public:
  ZipfGenerator(int keys, double skew, uint64_t seed) : rng_(seed) {
    double total = 0;
    for (int r = 1; r <= keys; ++r) {
      total += 1.0 / std::pow(r, skew);
      cumulative_.push_back(total);
    }
  }
  int Next() {
    const double u = std::uniform_real_distribution<double>(0, cumulative_.back())(rng_);
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    return static_cast<int>(std::min<size_t>(it - cumulative_.begin(), cumulative_.size() - 1));
  }

 private:
  std::vector<double> cumulative_;
  std::mt19937_64 rng_;
};

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_INTERNAL_WORKLOAD_H_
