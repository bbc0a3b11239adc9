// FrequencySketch: TinyLFU's approximate popularity of keys: a count-min sketch of 4-bit counters,
// depth 4, with conservative update (only the smallest counters grow, which keeps estimates of
// rare keys low), halved every `sample` increments so that old popularity fades. A key's four
// counters sit in one 64-byte block (one cache line per call), in four different words.
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
#include <cstdlib>
#include <memory>

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
    // Blocks on cache-line boundaries, so that a key's counters are one line.
    table_.reset(static_cast<uint64_t*>(std::aligned_alloc(64, words * sizeof(uint64_t))));
    std::fill(table_.get(), table_.get() + words, 0);
    words_ = words;
    block_mask_ = words / kWordsPerBlock - 1;
    sample_ = 20 * std::max<uint64_t>(capacity, 1);
  }

  // The estimated number of recent uses of the key with hash `hash`, at most kMax.
  int Frequency(uint64_t hash) const {
    const Counters c = Locate(hash);
    int frequency = kMax;
    for (int i = 0; i < 4; ++i) frequency = std::min(frequency, Get(c, i));
    return frequency;
  }

  // Starts loading the key's counters into the cache (a hint; changes nothing).
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&table_[Locate(hash).word[0]], 1); }

  // Records one use.
  void Increment(uint64_t hash) {
    const Counters c = Locate(hash);
    int frequency = kMax;
    for (int i = 0; i < 4; ++i) frequency = std::min(frequency, Get(c, i));
    if (frequency == kMax) return;
    for (int i = 0; i < 4; ++i) {
      if (Get(c, i) == frequency) table_[c.word[i]] += uint64_t{1} << c.shift[i];
    }
    if (++additions_ == sample_) Reset();
  }

 private:
  static constexpr uint64_t kWordsPerBlock = 8;  // 64 bytes
  struct Counters {
    uint64_t word[4];
    int shift[4];
  };
  // Counter i of a key: word (2 * i or 2 * i + 1) of its block, one of 16 nibbles.
  Counters Locate(uint64_t hash) const {
    const uint64_t h = Mix64(hash ^ 0xA0761D6478BD642FULL);
    const uint64_t block = (h & block_mask_) * kWordsPerBlock;
    const uint64_t bits = h >> 32;
    Counters c;
    for (int i = 0; i < 4; ++i) {
      c.word[i] = block + 2 * i + ((bits >> (i * 5)) & 1);
      c.shift[i] = static_cast<int>((bits >> (i * 5 + 1)) & 15) * 4;
    }
    return c;
  }
  int Get(const Counters& c, int i) const {
    return static_cast<int>((table_[c.word[i]] >> c.shift[i]) & 15);
  }
  void Reset() {
    for (uint64_t i = 0; i < words_; ++i) table_[i] = (table_[i] >> 1) & 0x7777777777777777ULL;
    additions_ /= 2;
  }

  struct Free {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint64_t[], Free> table_;
  uint64_t words_;
  uint64_t block_mask_;
  uint64_t sample_;
  uint64_t additions_ = 0;
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_FREQUENCY_SKETCH_H_
