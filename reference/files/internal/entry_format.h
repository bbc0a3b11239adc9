// The file format of one files-engine entry, and its checks.
//
//   "CLF1" | flags (1 byte: 1 zstd, 2 encrypted) | deadline (int64 LE, Unix ns; INT64_MAX none)
//   | key length (uint32 LE) | key | body length (uint32 LE) | body | BLAKE2b-128 of all before
//
// The body is the value, zstd-compressed if flagged, then (if flagged) XChaCha20-Poly1305
// encrypted as nonce | ciphertext, with the key bytes as associated data, so a body can only be
// read back under the key it was written for.
#ifndef CACHELAB_REFERENCE_FILES_INTERNAL_ENTRY_FORMAT_H_
#define CACHELAB_REFERENCE_FILES_INTERNAL_ENTRY_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace cachelab::files_internal {

struct Entry {
  std::string key;
  std::string value;
  int64_t deadline;  // Unix ns; INT64_MAX: none
};

struct Sealing {
  bool compress = false;
  int level = 3;
  std::optional<std::string> secret;  // 32 bytes: encrypt
};

// The file name of `key`: hex BLAKE2b-128, so no key can name a path outside the directory.
std::string FileNameFor(const std::string& key);

std::string Encode(const Entry& entry, const Sealing& sealing);

// Returns the entry, or kDataLoss if the bytes are torn, corrupt or were sealed differently
// (another encryption key, no key for an encrypted entry).
absl::StatusOr<Entry> Decode(const std::string& bytes, const Sealing& sealing);

// Reads only the deadline and key (no decompression or decryption), checking the checksum.
absl::StatusOr<Entry> DecodeHeader(const std::string& bytes);

}  // namespace cachelab::files_internal

#endif  // CACHELAB_REFERENCE_FILES_INTERNAL_ENTRY_FORMAT_H_
