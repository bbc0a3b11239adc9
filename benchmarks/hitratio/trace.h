// Cache access traces for hit-ratio simulation: readers for the formats the field uses, each
// turning a file into a Trace of dense ids.
//
// Formats (TraceFormat):
//   kCache2k        4-byte big-endian signed keys, one per request, no header (the cache2k and
//                   Caffeine simulator traces, and ../shared/traces/synthetic);
//   kText           one key per line (any bytes but NUL and newline; blank lines are skipped);
//   kCsv            one request per row, the key in a chosen column (by header name or index);
//   kOracleGeneral  libCacheSim's binary records: uint32 time, uint64 id, uint32 size,
//                   int64 next access (24 bytes, little-endian, packed).
// Any of them may be compressed with xz (liblzma) or zstd; the magic bytes decide, not the name.
// kAuto picks the format from the file name (".trace" -> kCache2k, "oracleGeneral" ->
// kOracleGeneral, ".csv" -> kCsv, ".txt" -> kText, after dropping ".xz" / ".zst").
//
// Errors: a file that cannot be read is kNotFound / kUnavailable; a malformed or truncated trace
// is kDataLoss whose message names the byte offset (of the decompressed stream, or of the
// compressed file when the compression itself is damaged) and what was expected there.
//
// Thread-safety: the functions share no state. A Trace is immutable once read and may be
// replayed from any number of threads. Complexity: O(bytes) time, O(requests + distinct keys)
// memory; keys are interned, in first-occurrence order, so ids are deterministic.
#ifndef CACHELAB_BENCHMARKS_HITRATIO_TRACE_H_
#define CACHELAB_BENCHMARKS_HITRATIO_TRACE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cachelab::hitratio {

enum class TraceFormat { kAuto, kCache2k, kText, kCsv, kOracleGeneral };

// Returns the format named "cache2k", "text", "csv", "oracleGeneral" or "auto", or
// kInvalidArgument listing the names.
absl::StatusOr<TraceFormat> ParseTraceFormat(absl::string_view name);

struct TraceOptions {
  TraceFormat format = TraceFormat::kAuto;
  // kCsv: the key column, by header name or by 0-based index. Empty: the first column.
  std::string csv_key_column;
  bool csv_header = true;  // the first row names the columns (and is not a request)
  char csv_delimiter = ',';
  // Reads only the first `max_requests` requests (0: all).
  size_t max_requests = 0;
};

// A trace: every request as a dense id in [0, distinct), ids given in first-occurrence order.
struct Trace {
  std::string name;  // the file's base name without its extensions
  std::vector<uint32_t> requests;
  uint32_t distinct = 0;
};

// Reads, decompresses and parses `path` (see the formats above).
absl::StatusOr<Trace> ReadTrace(const std::string& path, const TraceOptions& options = {});

// Parses `bytes` (already decompressed) in `format`, which must not be kAuto.
absl::StatusOr<Trace> ParseTrace(absl::string_view bytes, TraceFormat format,
                                 const TraceOptions& options, std::string name);

// Decompresses `bytes` if they start with the xz or zstd magic; otherwise returns them as they
// are. Damaged or truncated compressed data is kDataLoss naming the compressed byte offset.
absl::StatusOr<std::string> Decompress(std::string bytes, absl::string_view what);

}  // namespace cachelab::hitratio

#endif  // CACHELAB_BENCHMARKS_HITRATIO_TRACE_H_
