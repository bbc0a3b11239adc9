// The decoders of stored bytes, fed random and mutated bytes: the codecs (built-ins, JSON,
// MessagePack), the files engine's entry format and the memcached engine's entry format. Every
// input must give a value or a status, never a crash (run under --config=asan to see memory
// errors), and what the encoders write must decode to what was encoded. FUZZ_CASES cases per
// decoder (20,000 in CI; the soak run uses 100,000).
#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "reference/codec/codec.h"
#include "reference/files/internal/entry_format.h"
#include "reference/memcached/internal/entry.h"

namespace cachelab {
namespace {

int Cases() {
  const char* text = std::getenv("FUZZ_CASES");
  int cases = 0;
  return text != nullptr && absl::SimpleAtoi(text, &cases) && cases > 0 ? cases : 20'000;
}

// Random bytes, or a valid encoding damaged: bits flipped, cut short, bytes inserted.
class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}
  std::string Next(const std::vector<std::string>& valid) {
    if (valid.empty() || rng_() % 4 == 0) {
      std::string bytes(rng_() % 96, '\0');
      for (char& c : bytes) c = static_cast<char>(rng_());
      return bytes;
    }
    std::string bytes = valid[rng_() % valid.size()];
    const int edits = 1 + static_cast<int>(rng_() % 4);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      switch (rng_() % 3) {
        case 0:
          bytes[rng_() % bytes.size()] ^= static_cast<char>(1 << (rng_() % 8));
          break;
        case 1:
          bytes.resize(rng_() % bytes.size());
          break;
        default:
          bytes.insert(rng_() % (bytes.size() + 1), 1, static_cast<char>(rng_()));
      }
    }
    return bytes;
  }

 private:
  std::mt19937_64 rng_;
};

template <typename T>
void FuzzCodec(const std::vector<T>& samples, uint64_t seed) {
  std::vector<std::string> valid;
  for (const T& sample : samples) {
    valid.push_back(Codec<T>::Encode(sample));
    auto back = Codec<T>::Decode(valid.back());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == sample) << "a value did not round-trip";
  }
  Mutator mutator(seed);
  for (int i = 0; i < Cases(); ++i) {
    auto decoded = Codec<T>::Decode(mutator.Next(valid));
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(DecoderFuzzTest, BuiltInCodecsGiveAValueOrDataLoss) {
  FuzzCodec<std::string>({"", "a", std::string(1000, 'x'), std::string("\0\1\2", 3)}, 1);
  FuzzCodec<int64_t>({0, -1, 1LL << 62}, 2);
  FuzzCodec<double>({0.0, -3.5, 1e300}, 3);
  FuzzCodec<std::optional<std::string>>({std::nullopt, "v", ""}, 4);
  FuzzCodec<std::vector<int32_t>>({{}, {1, 2, 3}, std::vector<int32_t>(100, 7)}, 5);
  FuzzCodec<std::vector<std::string>>({{}, {"a", "", "bc"}}, 6);
  FuzzCodec<std::pair<std::string, int32_t>>({{"k", 1}, {"", -5}}, 7);
  FuzzCodec<std::map<std::string, std::vector<int32_t>>>({{}, {{"a", {1}}, {"b", {}}}}, 8);
}

template <typename T, typename C>
void FuzzNlohmann(const std::vector<T>& samples, uint64_t seed) {
  std::vector<std::string> valid;
  for (const T& sample : samples) valid.push_back(C::Encode(sample));
  Mutator mutator(seed);
  for (int i = 0; i < Cases(); ++i) {
    auto decoded = C::Decode(mutator.Next(valid));
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(DecoderFuzzTest, JsonAndMessagePackGiveAValueOrDataLoss) {
  using Value = std::map<std::string, std::vector<int>>;
  const std::vector<Value> samples = {{}, {{"a", {1, 2}}, {"b", {}}}};
  FuzzNlohmann<Value, JsonCodec<Value>>(samples, 11);
  FuzzNlohmann<Value, MsgpackCodec<Value>>(samples, 12);
}

TEST(DecoderFuzzTest, FilesEntryFormatRefusesDamageWithoutCrashing) {
  for (const bool sealed : {false, true}) {
    files_internal::Sealing sealing;
    if (sealed) {
      sealing.compress = true;
      sealing.secret = std::string(32, 's');
    }
    std::vector<std::string> valid;
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"k", "v"}, {"", ""}, {std::string(300, 'k'), std::string(5000, 'v')}}) {
      valid.push_back(files_internal::Encode({key, value, 12345}, sealing));
      auto back = files_internal::Decode(valid.back(), sealing);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(back->value, value);
    }
    Mutator mutator(20 + sealed);
    int accepted_damaged = 0;
    for (int i = 0; i < Cases(); ++i) {
      const std::string bytes = mutator.Next(valid);
      auto entry = files_internal::Decode(bytes, sealing);
      (void)files_internal::DecodeHeader(bytes);
      // The checksum covers every byte: damage is refused, never returned as data.
      if (entry.ok() && std::find(valid.begin(), valid.end(), bytes) == valid.end()) {
        ++accepted_damaged;
      }
    }
    EXPECT_EQ(accepted_damaged, 0) << "damaged entries decoded as data";
  }
}

TEST(DecoderFuzzTest, MemcachedEntryFormatRefusesDamageWithoutCrashing) {
  std::vector<std::string> valid = {
      memcached_internal::EncodeEntry(absl::FromUnixSeconds(100), "key", "value"),
      memcached_internal::EncodeEntry(absl::InfiniteFuture(), "", std::string(3000, 'v')),
      memcached_internal::EncodeTombstone()};
  for (const std::string& bytes : valid) EXPECT_TRUE(memcached_internal::DecodeEntry(bytes));
  Mutator mutator(30);
  int accepted_damaged = 0;
  for (int i = 0; i < Cases(); ++i) {
    const std::string bytes = mutator.Next(valid);
    if (memcached_internal::DecodeEntry(bytes) &&
        std::find(valid.begin(), valid.end(), bytes) == valid.end()) {
      ++accepted_damaged;
    }
  }
  EXPECT_EQ(accepted_damaged, 0) << "damaged entries decoded as data";
}

}  // namespace
}  // namespace cachelab
