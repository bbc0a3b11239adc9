// FilesCache: a persistent cache of one file per entry in a directory (the seeds' fcache,
// after joblib): exact LRU with per-entry and default TTL, atomic writes, a checksum per entry
// (a torn or corrupt entry reads as a miss and is counted in CacheStats::corrupt), optional zstd
// compression and optional encryption at rest (XChaCha20-Poly1305, libsodium). The directory is
// created with mode 0700, entry files are 0600. See file_store.h for the layout and costs.
//
// Thread-safety: safe for concurrent use within one process. Errors: I/O failures are
// kUnavailable naming the file; an unusable location is refused at Open; a cache opened with
// the wrong encryption key (or without its key) is refused at Open, never read as garbage.
#ifndef CACHELAB_REFERENCE_FILES_FILES_CACHE_H_
#define CACHELAB_REFERENCE_FILES_FILES_CACHE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "reference/codec/codec.h"
#include "reference/codec/encoded_cache.h"
#include "reference/files/file_store.h"

namespace cachelab {

struct FilesOptions {
  bool compress = false;
  int compression_level = 3;
  std::optional<std::string> encryption_key;  // 32 bytes
  bool fsync = true;
};

template <typename K, typename V, typename KeyCodec = Codec<K>, typename ValueCodec = Codec<V>>
struct FilesCache {
  static Capabilities Declared() {
    Capabilities caps;
    caps.eviction = EvictionPolicy::kLru;
    caps.per_entry_ttl = true;
    caps.default_ttl = true;
    caps.thread_safe = true;
    caps.persistent = true;
    caps.local_files = true;
    return caps;
  }

  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Open(const CacheOptions& options,
                                                           FilesOptions files = {}) {
    FileStoreOptions store_options;
    store_options.directory = options.location;
    store_options.capacity = options.capacity;
    store_options.clock = options.clock;
    store_options.compress = files.compress;
    store_options.compression_level = files.compression_level;
    store_options.encryption_key = files.encryption_key;
    store_options.fsync = files.fsync;
    return OpenEncodedCache<K, V, KeyCodec, ValueCodec>(
        options, Declared(), "files", [&] { return FileStore::Open(std::move(store_options)); });
  }
};

// Battery factories: plain, and compressed + encrypted. fsync is off in the battery, which
// cannot observe power loss (as for the SQLite engine).
template <bool kSealed>
struct FilesFactory {
  static cachelab::Capabilities Capabilities() { return FilesCache<int, int>::Declared(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    FilesOptions files;
    files.fsync = false;
    if (kSealed) {
      files.compress = true;
      files.encryption_key = std::string(32, 'k');
    }
    return FilesCache<K, V>::Open(options, files);
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FILES_FILES_CACHE_H_
