#include "benchmarks/hitratio/trace.h"

#include <lzma.h>
#include <zstd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "benchmarks/hitratio/shared_traces.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cachelab::hitratio {
namespace {

using ::testing::HasSubstr;

std::string BigEndian(const std::vector<int32_t>& keys) {
  std::string bytes;
  for (const int32_t key : keys) {
    const auto u = static_cast<uint32_t>(key);
    bytes += {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
              static_cast<char>(u)};
  }
  return bytes;
}

std::string OracleRecords(const std::vector<uint64_t>& ids) {
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    char record[24] = {};
    const uint32_t time = static_cast<uint32_t>(i);
    const uint32_t size = 4096;
    const int64_t next = -1;
    std::memcpy(record, &time, 4);
    std::memcpy(record + 4, &ids[i], 8);
    std::memcpy(record + 12, &size, 4);
    std::memcpy(record + 16, &next, 8);
    bytes.append(record, sizeof(record));
  }
  return bytes;
}

std::string Xz(const std::string& bytes) {
  std::string out(bytes.size() + 1024, '\0');
  size_t written = 0;
  EXPECT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                    reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                    reinterpret_cast<uint8_t*>(out.data()), &written, out.size()),
            LZMA_OK);
  out.resize(written);
  return out;
}

std::string Zstd(const std::string& bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3));
  return out;
}

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

absl::StatusOr<Trace> Parse(const std::string& bytes, TraceFormat format,
                            TraceOptions options = {}) {
  return ParseTrace(bytes, format, options, "test");
}

TEST(TraceTest, Cache2kKeysAreOpaqueSignedIntsInternedInFirstOccurrenceOrder) {
  auto trace = Parse(BigEndian({7, -1, 7, INT32_MIN, -1, 0}), TraceFormat::kCache2k);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->requests, (std::vector<uint32_t>{0, 1, 0, 2, 1, 3}));
  EXPECT_EQ(trace->distinct, 4u);
}

TEST(TraceTest, TruncatedCache2kRecordIsAnErrorNamingItsOffset) {
  auto trace = Parse(BigEndian({1, 2}) + "\x01\x02\x03", TraceFormat::kCache2k);
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(trace.status().message()), HasSubstr("byte offset 8"));
  EXPECT_THAT(std::string(trace.status().message()), HasSubstr("partial record of 3 bytes"));
}

TEST(TraceTest, TextTraceIsOneKeyPerLineSkippingBlankLinesAndCarriageReturns) {
  auto trace = Parse("a\r\nb\n\nlong key with spaces\na\n", TraceFormat::kText);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->requests, (std::vector<uint32_t>{0, 1, 2, 0}));
}

TEST(TraceTest, NulByteInATextTraceIsAnErrorNamingItsOffset) {
  auto trace = Parse(std::string("ab\ncd\0e\n", 8), TraceFormat::kText);
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(trace.status().message()), HasSubstr("byte offset 5"));
}

TEST(TraceTest, CsvKeyColumnByHeaderNameWithQuotedFields) {
  TraceOptions options;
  options.csv_key_column = "key";
  auto trace = Parse("time,key,size\n1,\"a,b\",3\n2,c,4\n3,\"a,b\",5\n", TraceFormat::kCsv,
                     options);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->requests, (std::vector<uint32_t>{0, 1, 0}));
}

TEST(TraceTest, CsvKeyColumnByIndexWithoutHeader) {
  TraceOptions options;
  options.csv_key_column = "2";
  options.csv_header = false;
  auto trace = Parse("1,x,k1\n2,y,k2\n3,z,k1\n", TraceFormat::kCsv, options);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->requests, (std::vector<uint32_t>{0, 1, 0}));
}

TEST(TraceTest, CsvRowWithoutTheKeyColumnIsAnErrorNamingItsOffset) {
  TraceOptions options;
  options.csv_key_column = "key";
  auto trace = Parse("time,key\n1,a\n2\n", TraceFormat::kCsv, options);
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(trace.status().message()), HasSubstr("byte offset 13"));
  auto unclosed = Parse("time,key\n1,\"a\n", TraceFormat::kCsv, options);
  EXPECT_THAT(std::string(unclosed.status().message()), HasSubstr("byte offset 9"));
}

TEST(TraceTest, CsvWithAnUnknownKeyColumnIsRefused) {
  TraceOptions options;
  options.csv_key_column = "id";
  auto trace = Parse("time,key\n1,a\n", TraceFormat::kCsv, options);
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(trace.status().message()), HasSubstr("no column \"id\""));
}

TEST(TraceTest, OracleGeneralReadsTheObjectIdOfEach24ByteRecord) {
  auto trace = Parse(OracleRecords({1ull << 40, 5, 1ull << 40}), TraceFormat::kOracleGeneral);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->requests, (std::vector<uint32_t>{0, 1, 0}));
  auto truncated = Parse(OracleRecords({1, 2}).substr(0, 40), TraceFormat::kOracleGeneral);
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(truncated.status().message()), HasSubstr("byte offset 24"));
}

TEST(TraceTest, XzAndZstdAreRecognisedByTheirMagicBytes) {
  const std::string raw = BigEndian({3, 1, 3, 2});
  for (const std::string& compressed : {Xz(raw), Zstd(raw)}) {
    auto bytes = Decompress(compressed, "test");
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(*bytes, raw);
  }
  auto plain = Decompress(raw, "test");
  EXPECT_EQ(*plain, raw);
}

TEST(TraceTest, DamagedOrTruncatedCompressionIsAnErrorNamingTheCompressedOffset) {
  const std::string raw = BigEndian(std::vector<int32_t>(5000, 12345)) + BigEndian({1, 2, 3});
  const std::string xz = Xz(raw);
  auto truncated = Decompress(xz.substr(0, xz.size() / 2), "t.xz");
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(truncated.status().message()), HasSubstr("xz data truncated"));
  EXPECT_THAT(std::string(truncated.status().message()), HasSubstr("compressed byte offset"));
  std::string damaged = xz;
  damaged[damaged.size() / 2] ^= 0x5a;
  EXPECT_EQ(Decompress(damaged, "t.xz").status().code(), absl::StatusCode::kDataLoss);
  const std::string zstd = Zstd(raw);
  auto zstd_truncated = Decompress(zstd.substr(0, zstd.size() - 3), "t.zst");
  EXPECT_EQ(zstd_truncated.status().code(), absl::StatusCode::kDataLoss);
}

TEST(TraceTest, ReadTraceChoosesTheFormatFromTheName) {
  const std::string path = WriteTemp("small.trace.xz", Xz(BigEndian({1, 2, 1})));
  auto trace = ReadTrace(path);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->name, "small");
  EXPECT_EQ(trace->requests.size(), 3u);
  auto text = ReadTrace(WriteTemp("keys.txt", "x\ny\nx\n"));
  EXPECT_EQ(text->distinct, 2u);
  EXPECT_EQ(ReadTrace(WriteTemp("keys.dat", "x")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadTrace("/no/such/file.trace").status().code(), absl::StatusCode::kNotFound);
}

TEST(TraceTest, MaxRequestsReadsOnlyAPrefix) {
  TraceOptions options;
  options.max_requests = 2;
  auto trace = Parse(BigEndian({1, 2, 3, 4}) + "\x01", TraceFormat::kCache2k, options);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->requests.size(), 2u);
}

// The counts published in ../shared/traces/README.md, measured there independently.
TEST(TraceTest, SharedTracesHaveTheirPublishedRequestAndKeyCounts) {
  if (!SharedTracesFound()) GTEST_SKIP() << "../shared/traces not found; set CACHELAB_TRACES";
  const struct {
    const char* name;
    size_t requests;
    uint32_t distinct;
  } kExpected[] = {{"web07", 76'118, 20'484},
                   {"web12", 95'607, 13'756},
                   {"orm-busy", 5'000'000, 76'349},
                   {"orm-night", 5'000'000, 86'466},
                   {"zipf", 1'000'000, 82'165}};
  for (const auto& expected : kExpected) {
    auto path = ResolveTrace(expected.name);
    ASSERT_TRUE(path.ok()) << path.status();
    auto trace = ReadTrace(*path);
    ASSERT_TRUE(trace.ok()) << trace.status();
    EXPECT_EQ(trace->requests.size(), expected.requests) << expected.name;
    EXPECT_EQ(trace->distinct, expected.distinct) << expected.name;
  }
}

}  // namespace
}  // namespace cachelab::hitratio
