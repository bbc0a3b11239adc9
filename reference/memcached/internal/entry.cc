#include "reference/memcached/internal/entry.h"

#include <sodium.h>

#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cachelab::memcached_internal {
namespace {

// Format 2 ends every entry with a checksum; format 1 entries (without) read as foreign.
constexpr absl::string_view kEntryMagic("cl\x02", 3);
constexpr absl::string_view kTombstone("cl\x00", 3);
constexpr size_t kHeader = 3 + 8 + 4;
constexpr size_t kChecksum = 16;  // BLAKE2b-128 of everything before it

std::string Checksum(absl::string_view bytes) {
  std::string digest(kChecksum, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(digest.data()), digest.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return digest;
}
constexpr size_t kMaxLiteralNamespace = 64;

std::string HexDigest(absl::string_view bytes, size_t digest_size) {
  std::string digest(digest_size, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(digest.data()), digest.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return absl::BytesToHexString(digest);
}

bool IsLiteralNamespace(absl::string_view name_space) {
  if (name_space.empty() || name_space.size() > kMaxLiteralNamespace) return false;
  for (char c : name_space) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '/' && c != '-') return false;
  }
  return true;
}

void PutBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian(absl::string_view in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

}  // namespace

std::string ItemPrefix(absl::string_view name_space) {
  return absl::StrCat("cachelab:",
                      IsLiteralNamespace(name_space)
                          ? std::string(name_space)
                          : absl::StrCat("#", HexDigest(name_space, crypto_generichash_BYTES_MIN)),
                      ":");
}

std::string ItemName(absl::string_view prefix, absl::string_view key) {
  // Base64 grows 3 bytes into 4; skip encoding keys that cannot fit.
  if (prefix.size() + (key.size() + 2) / 3 * 4 <= kMaxItemName) {
    std::string name = absl::StrCat(prefix, absl::WebSafeBase64Escape(key));
    if (name.size() <= kMaxItemName) return name;
  }
  return absl::StrCat(prefix, "#", HexDigest(key, crypto_generichash_BYTES));
}

std::string EncodeEntry(absl::Time deadline, absl::string_view key, absl::string_view value) {
  std::string out;
  out.reserve(kHeader + key.size() + value.size() + kChecksum);
  out.append(kEntryMagic.data(), kEntryMagic.size());
  const int64_t nanos = deadline == absl::InfiniteFuture() ? std::numeric_limits<int64_t>::max()
                                                           : absl::ToUnixNanos(deadline);
  PutBigEndian(out, static_cast<uint64_t>(nanos), 8);
  PutBigEndian(out, key.size(), 4);
  out.append(key.data(), key.size());
  out.append(value.data(), value.size());
  out += Checksum(out);
  return out;
}

std::string EncodeTombstone() { return std::string(kTombstone); }

std::optional<DecodedEntry> DecodeEntry(absl::string_view bytes) {
  DecodedEntry entry;
  if (bytes == kTombstone) {
    entry.tombstone = true;
    return entry;
  }
  if (bytes.size() < kHeader + kChecksum || bytes.substr(0, 3) != kEntryMagic) return std::nullopt;
  const absl::string_view body = bytes.substr(0, bytes.size() - kChecksum);
  if (Checksum(body) != bytes.substr(body.size())) return std::nullopt;  // damaged
  bytes = body;
  const auto nanos = static_cast<int64_t>(GetBigEndian(bytes.substr(3), 8));
  const uint64_t key_size = GetBigEndian(bytes.substr(11), 4);
  if (key_size > bytes.size() - kHeader) return std::nullopt;
  entry.deadline = nanos == std::numeric_limits<int64_t>::max() ? absl::InfiniteFuture()
                                                                : absl::FromUnixNanos(nanos);
  entry.key = std::string(bytes.substr(kHeader, key_size));
  entry.value = std::string(bytes.substr(kHeader + key_size));
  return entry;
}

}  // namespace cachelab::memcached_internal
