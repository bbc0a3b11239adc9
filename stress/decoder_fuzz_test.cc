// The decoders of stored bytes, fed random and mutated bytes (decoder_fuzz.h): the codecs
// (built-ins, JSON, MessagePack), the files engine's entry format and the memcached engine's
// entry format. Every input must give a value or a kDataLoss status, never a crash (run under
// --config=asan to see memory errors), and what the encoders write must decode to what was
// encoded; the entry formats, which carry checksums, must refuse every damaged input. FUZZ_CASES
// cases per decoder (20,000 in CI; the soak run uses 100,000). Two broken decoders show that
// the harness bites, naming the input.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "reference/codec/codec.h"
#include "reference/files/internal/entry_format.h"
#include "reference/memcached/internal/entry.h"
#include "stress/decoder_fuzz.h"

namespace cachelab::stress {
namespace {

FuzzOptions Options(uint64_t seed, bool refuses_damage = false) {
  FuzzOptions options;
  options.seed = seed;
  options.cases = FuzzCases();
  options.refuses_damage = refuses_damage;
  return options;
}

void ExpectHolds(const std::string& name, const std::vector<std::string>& valid,
                 const Decoder& decode, const FuzzOptions& options) {
  const absl::StatusOr<FuzzReport> report = FuzzDecoder(name, valid, decode, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->cases, options.cases);
  std::printf("%s: %d cases, %d accepted, %d refused\n", name.c_str(), report->cases,
              report->accepted, report->refused);
}

// Codec<T> round-trips `samples` and holds against damage of their encodings.
template <typename T, typename C = Codec<T>>
void FuzzCodec(const std::string& name, const std::vector<T>& samples, uint64_t seed) {
  std::vector<std::string> valid;
  for (const T& sample : samples) {
    valid.push_back(C::Encode(sample));
    auto back = C::Decode(valid.back());
    ASSERT_TRUE(back.ok()) << name << ": " << back.status();
    EXPECT_TRUE(*back == sample) << name << ": a value did not round-trip";
  }
  ExpectHolds(name, valid, [](const std::string& bytes) { return C::Decode(bytes).status(); },
              Options(seed));
}

TEST(DecoderFuzzTest, BuiltInCodecsGiveAValueOrDataLoss) {
  FuzzCodec<std::string>("string", {"", "a", std::string(1000, 'x'), std::string("\0\1\2", 3)}, 1);
  FuzzCodec<int64_t>("int64", {0, -1, 1LL << 62}, 2);
  FuzzCodec<double>("double", {0.0, -3.5, 1e300}, 3);
  FuzzCodec<std::optional<std::string>>("optional", {std::nullopt, "v", ""}, 4);
  FuzzCodec<std::vector<int32_t>>("vector<int32>", {{}, {1, 2, 3}, std::vector<int32_t>(100, 7)},
                                  5);
  FuzzCodec<std::vector<std::string>>("vector<string>", {{}, {"a", "", "bc"}}, 6);
  FuzzCodec<std::pair<std::string, int32_t>>("pair", {{"k", 1}, {"", -5}}, 7);
  FuzzCodec<std::map<std::string, std::vector<int32_t>>>("map", {{}, {{"a", {1}}, {"b", {}}}}, 8);
}

TEST(DecoderFuzzTest, JsonAndMessagePackGiveAValueOrDataLoss) {
  using Value = std::map<std::string, std::vector<int>>;
  const std::vector<Value> samples = {{}, {{"a", {1, 2}}, {"b", {}}}};
  FuzzCodec<Value, JsonCodec<Value>>("json", samples, 11);
  FuzzCodec<Value, MsgpackCodec<Value>>("msgpack", samples, 12);
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
    // The checksum covers every byte: damage is refused, never returned as data.
    ExpectHolds(sealed ? "files entry (sealed)" : "files entry", valid,
                [sealing](const std::string& bytes) {
                  const absl::Status header = files_internal::DecodeHeader(bytes).status();
                  const absl::Status whole = files_internal::Decode(bytes, sealing).status();
                  return whole.ok() ? header : whole;
                },
                Options(20 + sealed, /*refuses_damage=*/true));
  }
}

TEST(DecoderFuzzTest, MemcachedEntryFormatRefusesDamageWithoutCrashing) {
  const std::vector<std::string> valid = {
      memcached_internal::EncodeEntry(absl::FromUnixSeconds(100), "key", "value"),
      memcached_internal::EncodeEntry(absl::InfiniteFuture(), "", std::string(3000, 'v')),
      memcached_internal::EncodeTombstone()};
  ExpectHolds("memcached entry", valid,
              [](const std::string& bytes) {
                return memcached_internal::DecodeEntry(bytes).has_value()
                           ? absl::OkStatus()
                           : absl::DataLossError("refused");
              },
              Options(30, /*refuses_damage=*/true));
}

// ---- The harness bites: two broken decoders of a length-prefixed string. ----

std::string LengthPrefixed(const std::string& payload) {
  return std::string(1, static_cast<char>(payload.size())) + payload;
}

// Trusts its length byte and reads with at(): short input throws, which nothing catches.
absl::Status ThrowsOnShortInput(const std::string& bytes) {
  const size_t length = static_cast<unsigned char>(bytes.at(0));
  (void)bytes.at(length);  // std::out_of_range past the end
  return absl::OkStatus();
}

// Refuses only bad lengths: with no checksum, flipped payload bits are accepted as data.
absl::Status NoChecksum(const std::string& bytes) {
  if (bytes.empty() || static_cast<unsigned char>(bytes[0]) != bytes.size() - 1) {
    return absl::DataLossError("bad length");
  }
  return absl::OkStatus();
}

TEST(DecoderFuzzBitesTest, ADecoderThatCrashesIsReportedWithTheInput) {
  FuzzOptions options = Options(40);
  options.cases = 1000;
  const auto report =
      FuzzDecoder("throws_on_short_input", {LengthPrefixed("hello")}, ThrowsOnShortInput, options);
  ASSERT_FALSE(report.ok()) << "a decoder that throws on short input passed";
  EXPECT_TRUE(absl::StrContains(report.status().message(), "crashed")) << report.status();
  EXPECT_TRUE(absl::StrContains(report.status().message(), "on case")) << report.status();
  EXPECT_TRUE(absl::StrContains(report.status().message(), "input ")) << report.status();
  std::printf("reported: %s\n", std::string(report.status().message()).c_str());
}

TEST(DecoderFuzzBitesTest, ADecoderThatAcceptsDamageIsReportedWithTheInput) {
  FuzzOptions options = Options(41, /*refuses_damage=*/true);
  options.cases = 1000;
  const auto report = FuzzDecoder("no_checksum", {LengthPrefixed("hello")}, NoChecksum, options);
  ASSERT_FALSE(report.ok()) << "a decoder without a checksum passed as one that refuses damage";
  EXPECT_TRUE(absl::StrContains(report.status().message(), "accepted damaged input"))
      << report.status();
  std::printf("reported: %s\n", std::string(report.status().message()).c_str());
}

TEST(DecoderFuzzBitesTest, ADecoderThatRefusesWithTheWrongCodeIsReported) {
  FuzzOptions options = Options(42);
  options.cases = 1000;
  const auto report = FuzzDecoder(
      "wrong_code", {LengthPrefixed("hello")},
      [](const std::string& bytes) {
        return NoChecksum(bytes).ok() ? absl::OkStatus() : absl::InternalError("bad length");
      },
      options);
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(absl::StrContains(report.status().message(), "instead of DATA_LOSS"))
      << report.status();
}

}  // namespace
}  // namespace cachelab::stress
