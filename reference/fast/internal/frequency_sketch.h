// FrequencySketch: TinyLFU's approximate popularity of keys: a count-min sketch of 4-bit counters,
// depth 4, with conservative update (only the smallest counters grow, which keeps estimates of
// rare keys low), halved every `sample` increments so that old popularity fades.
//
// Sized by the cache's capacity: 32 counters (16 bytes) per entry of capacity, and a sample
// period of 20 times the capacity. Both were chosen on the shared traces (a longer memory than
// Caffeine's 10x lifts the Zipf hit ratio by about a point without hurting the recency traces).
//
// Thread-safety: none; the owner serializes (FastCache calls it under its policy lock).
// Complexity: O(1) per call; Reset O(table).
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_FREQUENCY_SKETCH_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_FREQUENCY_SKETCH_H_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace cachelab::fast_internal {

// A strong 64-bit mixer (the splitmix64 finalizer).
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

class FrequencySketch {
 public:
  static constexpr int kMax = 15;

  explicit FrequencySketch(uint64_t capacity) {
    uint64_t words = 16;
    while (words < 2 * capacity) words <<= 1;
    table_.assign(words, 0);
    mask_ = words - 1;
    sample_ = 20 * std::max<uint64_t>(capacity, 1);
  }

  // The estimated number of recent uses of the key with hash `hash`, at most kMax.
  int Frequency(uint64_t hash) const {
    int frequency = kMax;
    for (int i = 0; i < 4; ++i) frequency = std::min(frequency, Counter(hash, i));
    return frequency;
  }

  // Records one use.
  void Increment(uint64_t hash) {
    const int frequency = Frequency(hash);
    if (frequency == kMax) return;
    for (int i = 0; i < 4; ++i) {
      if (Counter(hash, i) == frequency) {
        auto [word, shift] = Position(hash, i);
        table_[word] += uint64_t{1} << shift;
      }
    }
    if (++additions_ == sample_) Reset();
  }

 private:
  std::pair<uint64_t, int> Position(uint64_t hash, int i) const {
    const uint64_t h = Mix64(hash + (i + 1) * 0x9E3779B97F4A7C15ULL);
    return {h & mask_, static_cast<int>((h >> 32) & 15) * 4};
  }
  int Counter(uint64_t hash, int i) const {
    auto [word, shift] = Position(hash, i);
    return static_cast<int>((table_[word] >> shift) & 15);
  }
  void Reset() {
    for (uint64_t& word : table_) word = (word >> 1) & 0x7777777777777777ULL;
    additions_ /= 2;
  }

  std::vector<uint64_t> table_;
  uint64_t mask_;
  uint64_t sample_;
  uint64_t additions_ = 0;
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_FREQUENCY_SKETCH_H_
