#include "reference/files/internal/entry_format.h"

#include <sodium.h>
#include <zstd.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cachelab::files_internal {
namespace {

constexpr char kMagic[] = "CLF1";
constexpr size_t kChecksum = 16;
constexpr uint8_t kCompressed = 1, kEncrypted = 2;

void PutInt(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
bool TakeInt(const std::string& in, size_t& at, int bytes, uint64_t& value) {
  if (in.size() < at + bytes) return false;
  value = 0;
  for (int i = 0; i < bytes; ++i) value |= uint64_t{static_cast<uint8_t>(in[at + i])} << (8 * i);
  at += bytes;
  return true;
}
std::string Checksum(const char* data, size_t size) {
  unsigned char out[kChecksum];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(data), size, nullptr,
                     0);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}
absl::Status Damaged(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("files cache entry: ", why));
}

struct Parsed {
  uint8_t flags;
  Entry entry;  // value holds the body
};

absl::StatusOr<Parsed> Parse(const std::string& bytes) {
  if (bytes.size() < 4 + 1 + 8 + 4 + 4 + kChecksum || bytes.compare(0, 4, kMagic) != 0) {
    return Damaged("too short or not an entry");
  }
  const size_t end = bytes.size() - kChecksum;
  if (Checksum(bytes.data(), end) != bytes.substr(end)) return Damaged("checksum mismatch");
  Parsed parsed;
  parsed.flags = static_cast<uint8_t>(bytes[4]);
  size_t at = 5;
  uint64_t deadline, key_size, body_size;
  if (!TakeInt(bytes, at, 8, deadline) || !TakeInt(bytes, at, 4, key_size) ||
      end < at + key_size) {
    return Damaged("bad header");
  }
  parsed.entry.deadline = static_cast<int64_t>(deadline);
  parsed.entry.key = bytes.substr(at, key_size);
  at += key_size;
  if (!TakeInt(bytes, at, 4, body_size) || end != at + body_size) return Damaged("bad body size");
  parsed.entry.value = bytes.substr(at, body_size);
  return parsed;
}

}  // namespace

std::string FileNameFor(const std::string& key) {
  return absl::BytesToHexString(Checksum(key.data(), key.size())) + ".entry";
}

std::string Encode(const Entry& entry, const Sealing& sealing) {
  uint8_t flags = 0;
  std::string body = entry.value;
  if (sealing.compress) {
    std::string packed(ZSTD_compressBound(body.size()), '\0');
    const size_t n = ZSTD_compress(packed.data(), packed.size(), body.data(), body.size(),
                                   sealing.level);
    if (!ZSTD_isError(n)) {
      packed.resize(n);
      body = std::move(packed);
      flags |= kCompressed;
    }
  }
  if (sealing.secret) {
    std::string sealed(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + body.size() +
                           crypto_aead_xchacha20poly1305_ietf_ABYTES,
                       '\0');
    auto* nonce = reinterpret_cast<unsigned char*>(sealed.data());
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long n = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &n,
        reinterpret_cast<const unsigned char*>(body.data()), body.size(),
        reinterpret_cast<const unsigned char*>(entry.key.data()), entry.key.size(), nullptr,
        nonce, reinterpret_cast<const unsigned char*>(sealing.secret->data()));
    body = std::move(sealed);
    flags |= kEncrypted;
  }
  std::string out = kMagic;
  out.push_back(static_cast<char>(flags));
  PutInt(out, static_cast<uint64_t>(entry.deadline), 8);
  PutInt(out, entry.key.size(), 4);
  out += entry.key;
  PutInt(out, body.size(), 4);
  out += body;
  out += Checksum(out.data(), out.size());
  return out;
}

absl::StatusOr<Entry> DecodeHeader(const std::string& bytes) {
  auto parsed = Parse(bytes);
  if (!parsed.ok()) return parsed.status();
  parsed->entry.value.clear();
  return parsed->entry;
}

absl::StatusOr<Entry> Decode(const std::string& bytes, const Sealing& sealing) {
  auto parsed = Parse(bytes);
  if (!parsed.ok()) return parsed.status();
  Entry entry = std::move(parsed->entry);
  if ((parsed->flags & kEncrypted) != 0) {
    if (!sealing.secret) return Damaged("encrypted, and no encryption key was given");
    constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    if (entry.value.size() < kNonce + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
      return Damaged("encrypted body too short");
    }
    std::string plain(entry.value.size() - kNonce, '\0');
    unsigned long long n = 0;
    const auto* nonce = reinterpret_cast<const unsigned char*>(entry.value.data());
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char*>(plain.data()), &n, nullptr, nonce + kNonce,
            entry.value.size() - kNonce, reinterpret_cast<const unsigned char*>(entry.key.data()),
            entry.key.size(), nonce,
            reinterpret_cast<const unsigned char*>(sealing.secret->data())) != 0) {
      return Damaged("cannot decrypt (another key?)");
    }
    plain.resize(n);
    entry.value = std::move(plain);
  }
  if ((parsed->flags & kCompressed) != 0) {
    const unsigned long long size = ZSTD_getFrameContentSize(entry.value.data(), entry.value.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 34)) {
      return Damaged("bad compressed body");
    }
    std::string plain(size, '\0');
    const size_t n =
        ZSTD_decompress(plain.data(), plain.size(), entry.value.data(), entry.value.size());
    if (ZSTD_isError(n) || n != size) return Damaged("cannot decompress");
    entry.value = std::move(plain);
  }
  return entry;
}

}  // namespace cachelab::files_internal
