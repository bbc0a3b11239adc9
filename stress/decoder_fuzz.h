// FuzzDecoder: feeds a decoder of stored bytes random bytes and damaged valid encodings (bits
// flipped, cut short, bytes inserted), seeded, and says whether it held: no crash, no hang,
// every refusal the expected status code, and (for formats with an integrity check) no damaged
// input accepted as data. The decoder runs in a forked child, so a crash is a report naming the
// case and the input that caused it, not a dead test. For any decoder of any engine; cachelab's
// own are in decoder_fuzz_test.cc.
//
// Not thread-safe (it forks); the decoder must not depend on state outside the process.
#ifndef CACHELAB_STRESS_DECODER_FUZZ_H_
#define CACHELAB_STRESS_DECODER_FUZZ_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cachelab::stress {

// Random bytes (one case in four, or always without valid encodings), or a valid encoding
// damaged by 1-4 edits. Deterministic for a seed.
class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}
  std::string Next(const std::vector<std::string>& valid);

 private:
  std::mt19937_64 rng_;
};

struct FuzzOptions {
  uint64_t seed = 1;
  int cases = 20'000;
  // The code every refusal must have.
  absl::StatusCode refusal = absl::StatusCode::kDataLoss;
  // The format carries an integrity check: an input that is not one of the valid encodings
  // must be refused.
  bool refuses_damage = false;
  int limit_seconds = 120;  // for all cases together
};

struct FuzzReport {
  int cases = 0;
  int accepted = 0;  // inputs decoded as data
  int refused = 0;
};

// The decoder under test: OkStatus if it accepted `bytes` as data, else its refusal.
using Decoder = std::function<absl::Status(const std::string& bytes)>;

// Runs `options.cases` inputs derived from `valid` (encodings the decoder must accept; checked
// first) through `decode`. Returns the counts, or an error naming `name`, the case number and
// the input in hex when the decoder crashed, hung, refused with another code, accepted damage
// (refuses_damage) or refused a valid encoding.
absl::StatusOr<FuzzReport> FuzzDecoder(const std::string& name,
                                       const std::vector<std::string>& valid,
                                       const Decoder& decode, const FuzzOptions& options);

// FUZZ_CASES from the environment (the soak run sets 100,000), else `fallback`.
int FuzzCases(int fallback = 20'000);

}  // namespace cachelab::stress

#endif  // CACHELAB_STRESS_DECODER_FUZZ_H_
