// Codecs: how engines that store bytes (SQLite, files, Redis, memcached) turn keys and values
// into bytes and back.
//
// A codec for T is a type with
//   static std::string Encode(const T& value);
//   static absl::StatusOr<T> Decode(absl::string_view bytes);
// Decode of bytes that Encode did not produce returns kDataLoss with a message saying what was
// wrong; it never crashes and never returns a wrong value for well-formed input of another
// length. Encoding is deterministic (equal values give equal bytes), so encoded keys can be
// compared as bytes.
//
// Built in, as Codec<T>: std::string; arithmetic types (fixed width, little-endian); trivially
// copyable types without padding (std::has_unique_object_representations); std::optional<T>;
// std::vector<T>, std::pair<A, B>, std::tuple<T...> and std::map<K, V> of types that have a
// Codec. For anything
// else, specialize cachelab::Codec<T>, or use JsonCodec<T> / MsgpackCodec<T> for a type that
// nlohmann-json can convert (to_json / from_json), or pass a codec type of your own to the
// engine. Thread-safety: codecs are stateless.
#ifndef CACHELAB_REFERENCE_CODEC_CODEC_H_
#define CACHELAB_REFERENCE_CODEC_CODEC_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace cachelab {

template <typename T, typename Enable = void>
struct Codec;  // no codec for T: specialize cachelab::Codec<T> or use JsonCodec<T>

namespace codec_internal {

inline absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("cannot decode: ", what));
}

// A 32-bit little-endian length, then the bytes.
inline void PutChunk(std::string& out, absl::string_view bytes) {
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(bytes.data(), bytes.size());
}
// Reads one chunk from the front of `in`; false if `in` is too short.
inline bool TakeChunk(absl::string_view& in, absl::string_view& chunk) {
  if (in.size() < 4) return false;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  if (in.size() - 4 < n) return false;
  chunk = in.substr(4, n);
  in.remove_prefix(4 + n);
  return true;
}

template <typename T>
constexpr bool kRawBytes = std::is_trivially_copyable_v<T> &&
                           std::has_unique_object_representations_v<T> && !std::is_pointer_v<T>;

}  // namespace codec_internal

template <>
struct Codec<std::string> {
  static std::string Encode(const std::string& value) { return value; }
  static absl::StatusOr<std::string> Decode(absl::string_view bytes) {
    return std::string(bytes);
  }
};

// Integers, floating point and other padding-free trivially copyable types: their bytes, in
// little-endian order on this (little-endian) platform.
template <typename T>
struct Codec<T, std::enable_if_t<std::is_arithmetic_v<T> || codec_internal::kRawBytes<T>>> {
  static_assert(std::endian::native == std::endian::little, "big-endian hosts need a swap");
  static std::string Encode(const T& value) {
    return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  static absl::StatusOr<T> Decode(absl::string_view bytes) {
    if (bytes.size() != sizeof(T)) {
      return codec_internal::Corrupt(
          absl::StrCat("expected ", sizeof(T), " bytes, got ", bytes.size()));
    }
    T value;
    std::memcpy(&value, bytes.data(), sizeof(T));
    return value;
  }
};

// A tag byte (0: nullopt, 1: a value), then the value.
template <typename T>
struct Codec<std::optional<T>> {
  static std::string Encode(const std::optional<T>& value) {
    return value.has_value() ? std::string(1, '\1') + Codec<T>::Encode(*value) : std::string(1, '\0');
  }
  static absl::StatusOr<std::optional<T>> Decode(absl::string_view bytes) {
    if (bytes.empty()) return codec_internal::Corrupt("empty optional");
    if (bytes[0] == '\0') {
      if (bytes.size() != 1) return codec_internal::Corrupt("bytes after an empty optional");
      return std::optional<T>();
    }
    if (bytes[0] != '\1') return codec_internal::Corrupt("bad optional tag");
    auto inner = Codec<T>::Decode(bytes.substr(1));
    if (!inner.ok()) return inner.status();
    return std::optional<T>(*std::move(inner));
  }
};

// Each element as a length-prefixed chunk.
template <typename T>
struct Codec<std::vector<T>> {
  static std::string Encode(const std::vector<T>& values) {
    std::string out;
    for (const T& value : values) codec_internal::PutChunk(out, Codec<T>::Encode(value));
    return out;
  }
  static absl::StatusOr<std::vector<T>> Decode(absl::string_view bytes) {
    std::vector<T> values;
    absl::string_view chunk;
    while (!bytes.empty()) {
      if (!codec_internal::TakeChunk(bytes, chunk)) return codec_internal::Corrupt("truncated list");
      auto value = Codec<T>::Decode(chunk);
      if (!value.ok()) return value.status();
      values.push_back(*std::move(value));
    }
    return values;
  }
};

template <typename A, typename B>
struct Codec<std::pair<A, B>> {
  static std::string Encode(const std::pair<A, B>& pair) {
    std::string out;
    codec_internal::PutChunk(out, Codec<A>::Encode(pair.first));
    codec_internal::PutChunk(out, Codec<B>::Encode(pair.second));
    return out;
  }
  static absl::StatusOr<std::pair<A, B>> Decode(absl::string_view bytes) {
    absl::string_view first, second;
    if (!codec_internal::TakeChunk(bytes, first) || !codec_internal::TakeChunk(bytes, second) ||
        !bytes.empty()) {
      return codec_internal::Corrupt("malformed pair");
    }
    auto a = Codec<A>::Decode(first);
    if (!a.ok()) return a.status();
    auto b = Codec<B>::Decode(second);
    if (!b.ok()) return b.status();
    return std::pair<A, B>(*std::move(a), *std::move(b));
  }
};

// Each element as a chunk, in order; the empty tuple is the empty string.
template <typename... Ts>
struct Codec<std::tuple<Ts...>> {
  static std::string Encode(const std::tuple<Ts...>& tuple) {
    std::string out;
    std::apply([&](const Ts&... e) { (codec_internal::PutChunk(out, Codec<Ts>::Encode(e)), ...); },
               tuple);
    return out;
  }
  static absl::StatusOr<std::tuple<Ts...>> Decode(absl::string_view bytes) {
    std::tuple<std::optional<Ts>...> parts;
    absl::Status status;
    auto take = [&](auto& part) {
      using T = typename std::decay_t<decltype(part)>::value_type;
      absl::string_view chunk;
      if (!status.ok()) return;
      if (!codec_internal::TakeChunk(bytes, chunk)) {
        status = codec_internal::Corrupt("malformed tuple");
        return;
      }
      auto value = Codec<T>::Decode(chunk);
      if (!value.ok()) {
        status = value.status();
        return;
      }
      part.emplace(*std::move(value));
    };
    std::apply([&](auto&... part) { (take(part), ...); }, parts);
    if (status.ok() && !bytes.empty()) status = codec_internal::Corrupt("malformed tuple");
    if (!status.ok()) return status;
    return std::apply([](auto&... part) { return std::tuple<Ts...>(std::move(*part)...); }, parts);
  }
};

// True if cachelab::Codec<T> is defined (the primary template is only declared).
template <typename T, typename = void>
inline constexpr bool kHasCodec = false;
template <typename T>
inline constexpr bool kHasCodec<T, std::void_t<decltype(sizeof(Codec<T>))>> = true;

// Entries in key order, as a list of pairs.
template <typename K, typename V>
struct Codec<std::map<K, V>> {
  using Entries = std::vector<std::pair<K, V>>;
  static std::string Encode(const std::map<K, V>& map) {
    return Codec<Entries>::Encode(Entries(map.begin(), map.end()));
  }
  static absl::StatusOr<std::map<K, V>> Decode(absl::string_view bytes) {
    auto entries = Codec<Entries>::Decode(bytes);
    if (!entries.ok()) return entries.status();
    std::map<K, V> map;
    for (auto& [key, value] : *entries) {
      if (!map.emplace(std::move(key), std::move(value)).second) {
        return codec_internal::Corrupt("duplicate map key");
      }
    }
    return map;
  }
};

// T through nlohmann-json, as JSON text (JsonCodec) or MessagePack (MsgpackCodec). Neither
// throws: malformed bytes and JSON of the wrong shape for T decode to kDataLoss. JSON text
// carries only valid UTF-8, so JsonCodec replaces invalid bytes in strings with U+FFFD (such a
// value does not round-trip); MsgpackCodec keeps strings' bytes as they are.
template <typename T, bool kMsgpack>
struct NlohmannCodec {
  static std::string Encode(const T& value) {
    const nlohmann::json json = value;
    if constexpr (kMsgpack) {
      const std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(json);
      return std::string(bytes.begin(), bytes.end());
    } else {
      return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  static absl::StatusOr<T> Decode(absl::string_view bytes) {
    const nlohmann::json json =
        kMsgpack ? nlohmann::json::from_msgpack(bytes.begin(), bytes.end(), true, false)
                 : nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (json.is_discarded()) {
      return codec_internal::Corrupt(kMsgpack ? "not MessagePack" : "not JSON");
    }
    try {
      return json.get<T>();
    } catch (const nlohmann::json::exception& e) {
      return codec_internal::Corrupt(absl::StrCat("JSON of the wrong shape: ", e.what()));
    }
  }
};

template <typename T>
using JsonCodec = NlohmannCodec<T, false>;
template <typename T>
using MsgpackCodec = NlohmannCodec<T, true>;

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_CODEC_CODEC_H_
