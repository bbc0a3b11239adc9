#include "benchmarks/hitratio/trace.h"

#include <lzma.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cachelab::hitratio {
namespace {

// Maps keys to dense ids in first-occurrence order.
template <typename Key>
class Interner {
 public:
  explicit Interner(Trace& trace) : trace_(trace) {}
  void Add(const Key& key) {
    auto [it, inserted] = ids_.try_emplace(key, trace_.distinct);
    if (inserted) ++trace_.distinct;
    trace_.requests.push_back(it->second);
  }
  void Reserve(size_t requests) {
    trace_.requests.reserve(requests);
    ids_.reserve(requests / 8);
  }

 private:
  Trace& trace_;
  absl::flat_hash_map<Key, uint32_t> ids_;
};

absl::Status Malformed(absl::string_view name, size_t offset, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("trace ", name, ": malformed at byte offset ", offset, ": ", what));
}

bool Full(const Trace& trace, const TraceOptions& options) {
  return options.max_requests != 0 && trace.requests.size() >= options.max_requests;
}

absl::StatusOr<Trace> ParseCache2k(absl::string_view bytes, const TraceOptions& options,
                                   Trace trace) {
  Interner<uint32_t> interner(trace);
  interner.Reserve(bytes.size() / 4);
  const size_t whole = bytes.size() / 4 * 4;
  for (size_t i = 0; i < whole && !Full(trace, options); i += 4) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + i);
    interner.Add(uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]);
  }
  if (whole != bytes.size() && !Full(trace, options)) {
    return Malformed(trace.name, whole,
                     absl::StrCat("truncated: a partial record of ", bytes.size() - whole,
                                  " bytes (cache2k records are 4-byte big-endian keys)"));
  }
  return trace;
}

absl::StatusOr<Trace> ParseOracleGeneral(absl::string_view bytes, const TraceOptions& options,
                                         Trace trace) {
  constexpr size_t kRecord = 24;  // uint32 time, uint64 id, uint32 size, int64 next access
  Interner<uint64_t> interner(trace);
  interner.Reserve(bytes.size() / kRecord);
  const size_t whole = bytes.size() / kRecord * kRecord;
  for (size_t i = 0; i < whole && !Full(trace, options); i += kRecord) {
    uint64_t id;
    std::memcpy(&id, bytes.data() + i + 4, sizeof(id));  // little-endian on every target here
    interner.Add(id);
  }
  if (whole != bytes.size() && !Full(trace, options)) {
    return Malformed(trace.name, whole,
                     absl::StrCat("truncated: a partial record of ", bytes.size() - whole,
                                  " bytes (oracleGeneral records are 24 bytes)"));
  }
  return trace;
}

absl::StatusOr<Trace> ParseText(absl::string_view bytes, const TraceOptions& options,
                                Trace trace) {
  Interner<std::string> interner(trace);
  size_t start = 0;
  while (start < bytes.size() && !Full(trace, options)) {
    size_t end = bytes.find('\n', start);
    if (end == absl::string_view::npos) end = bytes.size();
    absl::string_view line = bytes.substr(start, end - start);
    absl::ConsumeSuffix(&line, "\r");
    if (const size_t nul = line.find('\0'); nul != absl::string_view::npos) {
      return Malformed(trace.name, start + nul,
                       "a NUL byte in a text trace (is this a binary trace? give its format)");
    }
    if (!line.empty()) interner.Add(std::string(line));
    start = end + 1;
  }
  return trace;
}

// Splits one CSV row into fields; a field may be double-quoted ("" is a quote inside it).
// Returns false if a quote is not closed before the end of the row.
bool SplitCsvRow(absl::string_view row, char delimiter, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < row.size(); ++i) {
    const char c = row[i];
    if (quoted) {
      if (c == '"' && i + 1 < row.size() && row[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter) {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  return !quoted;
}

absl::StatusOr<Trace> ParseCsv(absl::string_view bytes, const TraceOptions& options,
                               Trace trace) {
  Interner<std::string> interner(trace);
  std::optional<size_t> column;
  if (options.csv_key_column.empty()) {
    column = 0;
  } else if (size_t index; absl::SimpleAtoi(options.csv_key_column, &index)) {
    column = index;
  } else if (!options.csv_header) {
    return absl::InvalidArgumentError(absl::StrCat(
        "trace ", trace.name, ": the key column \"", options.csv_key_column,
        "\" is a name, but the CSV has no header row; give a 0-based column index"));
  }
  std::vector<std::string> fields;
  bool header = options.csv_header;
  size_t start = 0;
  while (start < bytes.size() && !Full(trace, options)) {
    size_t end = bytes.find('\n', start);
    if (end == absl::string_view::npos) end = bytes.size();
    absl::string_view row = bytes.substr(start, end - start);
    absl::ConsumeSuffix(&row, "\r");
    if (row.empty()) {
      start = end + 1;
      continue;
    }
    if (!SplitCsvRow(row, options.csv_delimiter, fields)) {
      return Malformed(trace.name, start, "a quoted field is not closed on its row");
    }
    if (header) {
      header = false;
      if (!column.has_value()) {
        for (size_t i = 0; i < fields.size(); ++i) {
          if (absl::StripAsciiWhitespace(fields[i]) == options.csv_key_column) column = i;
        }
        if (!column.has_value()) {
          return absl::InvalidArgumentError(
              absl::StrCat("trace ", trace.name, ": the header row has no column \"",
                           options.csv_key_column, "\""));
        }
      }
    } else if (*column >= fields.size()) {
      return Malformed(trace.name, start,
                       absl::StrCat("a row of ", fields.size(), " fields; the key is column ",
                                    *column, " (0-based)"));
    } else {
      interner.Add(fields[*column]);
    }
    start = end + 1;
  }
  return trace;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (error == ENOENT) return absl::NotFoundError(absl::StrCat("no trace at ", path));
    return absl::UnavailableError(
        absl::StrCat("cannot read trace ", path, ": ", std::strerror(error)));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

absl::StatusOr<std::string> DecompressXz(const std::string& bytes, absl::string_view what) {
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
    return absl::InternalError("liblzma could not start a decoder");
  }
  std::string out;
  out.resize(bytes.size() * 8 + 4096);
  stream.next_in = reinterpret_cast<const uint8_t*>(bytes.data());
  stream.avail_in = bytes.size();
  lzma_ret ret = LZMA_OK;
  while (true) {
    if (stream.total_out == out.size()) out.resize(out.size() * 2);
    stream.next_out = reinterpret_cast<uint8_t*>(out.data()) + stream.total_out;
    stream.avail_out = out.size() - stream.total_out;
    ret = lzma_code(&stream, LZMA_FINISH);
    if (ret != LZMA_OK) break;
  }
  const uint64_t in_offset = stream.total_in;
  out.resize(stream.total_out);
  lzma_end(&stream);
  if (ret == LZMA_STREAM_END) return out;
  return absl::DataLossError(absl::StrCat(
      "trace ", what, ": xz data ", ret == LZMA_BUF_ERROR ? "truncated" : "damaged",
      " at compressed byte offset ", in_offset, " (liblzma code ", static_cast<int>(ret), ")"));
}

absl::StatusOr<std::string> DecompressZstd(const std::string& bytes, absl::string_view what) {
  ZSTD_DStream* stream = ZSTD_createDStream();
  std::string out;
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  size_t last = 1;
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  while (in.pos < in.size) {
    ZSTD_outBuffer buffer{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(stream, &buffer, &in);
    if (ZSTD_isError(last)) {
      ZSTD_freeDStream(stream);
      return absl::DataLossError(absl::StrCat("trace ", what, ": zstd data damaged at compressed"
                                              " byte offset ", in.pos, ": ",
                                              ZSTD_getErrorName(last)));
    }
    out.append(chunk.data(), buffer.pos);
  }
  // Flush what the decoder still holds.
  while (last != 0) {
    ZSTD_outBuffer buffer{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(stream, &buffer, &in);
    if (ZSTD_isError(last) || buffer.pos == 0) break;
    out.append(chunk.data(), buffer.pos);
  }
  ZSTD_freeDStream(stream);
  if (last != 0) {
    return absl::DataLossError(absl::StrCat("trace ", what, ": zstd data truncated at compressed"
                                            " byte offset ", bytes.size()));
  }
  return out;
}

std::string BaseName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  absl::string_view name = slash == absl::string_view::npos ? path : path.substr(slash + 1);
  for (absl::string_view suffix : {".xz", ".zst", ".trace", ".csv", ".txt", ".bin"}) {
    absl::ConsumeSuffix(&name, suffix);
  }
  absl::ConsumeSuffix(&name, ".oracleGeneral");
  return std::string(name);
}

absl::StatusOr<TraceFormat> FormatFromName(absl::string_view path) {
  absl::string_view name = path;
  absl::ConsumeSuffix(&name, ".xz") || absl::ConsumeSuffix(&name, ".zst");
  if (absl::StrContains(name, "oracleGeneral")) return TraceFormat::kOracleGeneral;
  if (absl::EndsWith(name, ".trace")) return TraceFormat::kCache2k;
  if (absl::EndsWith(name, ".csv")) return TraceFormat::kCsv;
  if (absl::EndsWith(name, ".txt")) return TraceFormat::kText;
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot tell the format of ", path,
      " from its name; give one: cache2k, text, csv or oracleGeneral"));
}

}  // namespace

absl::StatusOr<TraceFormat> ParseTraceFormat(absl::string_view name) {
  if (name == "auto") return TraceFormat::kAuto;
  if (name == "cache2k") return TraceFormat::kCache2k;
  if (name == "text") return TraceFormat::kText;
  if (name == "csv") return TraceFormat::kCsv;
  if (name == "oracleGeneral") return TraceFormat::kOracleGeneral;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown trace format \"", name, "\"; use auto, cache2k, text, csv or oracleGeneral"));
}

absl::StatusOr<std::string> Decompress(std::string bytes, absl::string_view what) {
  static constexpr unsigned char kXz[] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
  static constexpr unsigned char kZstd[] = {0x28, 0xB5, 0x2F, 0xFD};
  if (bytes.size() >= sizeof(kXz) && std::memcmp(bytes.data(), kXz, sizeof(kXz)) == 0) {
    return DecompressXz(bytes, what);
  }
  if (bytes.size() >= sizeof(kZstd) && std::memcmp(bytes.data(), kZstd, sizeof(kZstd)) == 0) {
    return DecompressZstd(bytes, what);
  }
  return bytes;
}

absl::StatusOr<Trace> ParseTrace(absl::string_view bytes, TraceFormat format,
                                 const TraceOptions& options, std::string name) {
  Trace trace;
  trace.name = std::move(name);
  switch (format) {
    case TraceFormat::kCache2k:
      return ParseCache2k(bytes, options, std::move(trace));
    case TraceFormat::kOracleGeneral:
      return ParseOracleGeneral(bytes, options, std::move(trace));
    case TraceFormat::kText:
      return ParseText(bytes, options, std::move(trace));
    case TraceFormat::kCsv:
      return ParseCsv(bytes, options, std::move(trace));
    case TraceFormat::kAuto:
      break;
  }
  return absl::InvalidArgumentError("ParseTrace needs a format, not kAuto");
}

absl::StatusOr<Trace> ReadTrace(const std::string& path, const TraceOptions& options) {
  TraceFormat format = options.format;
  if (format == TraceFormat::kAuto) {
    auto from_name = FormatFromName(path);
    if (!from_name.ok()) return from_name.status();
    format = *from_name;
  }
  auto raw = ReadFileBytes(path);
  if (!raw.ok()) return raw.status();
  auto bytes = Decompress(*std::move(raw), path);
  if (!bytes.ok()) return bytes.status();
  return ParseTrace(*bytes, format, options, BaseName(path));
}

}  // namespace cachelab::hitratio
