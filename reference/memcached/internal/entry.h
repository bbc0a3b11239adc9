// How MemcachedStore lays out its data in memcached: item names and item values.
//
// Item names. Memcached keys are at most 250 printable bytes without spaces, so cache keys are
// never used as they are: an item is named "cachelab:<namespace>:<key>" where <key> is the cache
// key in web-safe base64 if the name fits in 250 bytes, else "#" and the hex BLAKE2b-256 of the
// key; <namespace> is the namespace itself if it is 1-64 characters of [A-Za-z0-9._/-], else
// "#" and the hex BLAKE2b-128 of it. '#' is in neither alphabet, so the forms never collide.
//
// Item values. An entry is "cl\x02", its deadline (8 bytes, big-endian Unix nanoseconds,
// INT64_MAX for none), the key's length (4 bytes, big-endian), the key, the value, then a
// BLAKE2b-128 checksum of all before it (damage reads as a foreign entry: dropped, counted
// corrupt, never returned). The key
// is kept so that Keys() can list hashed names and so that a value written under another name
// (by a foreign writer) is recognised. A tombstone, "cl\x00", marks an entry removed by a
// compare-and-swap (memcached's delete has no CAS); it reads as absent.
#ifndef CACHELAB_REFERENCE_MEMCACHED_INTERNAL_ENTRY_H_
#define CACHELAB_REFERENCE_MEMCACHED_INTERNAL_ENTRY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cachelab::memcached_internal {

inline constexpr size_t kMaxItemName = 250;

// The prefix of every item of `name_space`, which must not be empty.
std::string ItemPrefix(absl::string_view name_space);

// The item name of cache key `key` under `prefix` (from ItemPrefix). At most kMaxItemName bytes.
std::string ItemName(absl::string_view prefix, absl::string_view key);

// An entry's bytes; deadline absl::InfiniteFuture() for none.
std::string EncodeEntry(absl::Time deadline, absl::string_view key, absl::string_view value);
std::string EncodeTombstone();

struct DecodedEntry {
  bool tombstone = false;
  absl::Time deadline = absl::InfiniteFuture();
  std::string key;
  std::string value;
};

// Returns the entry `bytes` hold, or nullopt if they are not one (damaged or foreign).
std::optional<DecodedEntry> DecodeEntry(absl::string_view bytes);

}  // namespace cachelab::memcached_internal

#endif  // CACHELAB_REFERENCE_MEMCACHED_INTERNAL_ENTRY_H_
