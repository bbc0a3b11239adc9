// FileStore: the byte-level store behind FilesCache (files_cache.h): one file per entry in a
// directory (the seeds' fcache, after joblib).
//
// File names are a hash of the key (internal/entry_format.h), so no key (`../../x`, absolute
// paths, NUL bytes, 10 KB keys) can name a path outside the directory; the key is stored in the
// file and checked. Writes are atomic (temporary file, fsync, rename). Every file carries a
// checksum: a torn or corrupt entry reads as a miss, is deleted, and is counted in
// CacheStats::corrupt; it is never returned. Recency for exact LRU is a logical clock kept in
// each file's modification time; the next tick is found again on open.
//
// Thread-safety: all methods may be called from any thread (one mutex); one process at a time
// (multi_process is not declared). Complexity: Lookup, overwrites and inserts into a cache that
// is not full are O(1) file operations; inserting into a full cache, Keys, Size, Clear and Stats
// scan the directory, O(n).
#ifndef CACHELAB_REFERENCE_FILES_FILE_STORE_H_
#define CACHELAB_REFERENCE_FILES_FILE_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/codec/encoded_cache.h"
#include "reference/files/internal/entry_format.h"
#include "reference/mutex.h"

namespace cachelab {

struct FileStoreOptions {
  std::string directory;  // created with mode 0700 if missing
  std::optional<size_t> capacity;
  std::shared_ptr<const Clock> clock;  // null: DefaultClock()
  bool compress = false;               // zstd
  int compression_level = 3;
  // 32 bytes: encrypt values at rest (XChaCha20-Poly1305). A cache written with a key must be
  // opened with the same key: another key, or none, is refused at Open.
  std::optional<std::string> encryption_key;
  bool fsync = true;  // fsync each entry before it is renamed into place
};

class FileStore final : public ByteStore {
 public:
  static absl::StatusOr<std::unique_ptr<FileStore>> Open(FileStoreOptions options);

  absl::StatusOr<std::optional<std::string>> Lookup(const std::string& key) override;
  absl::Status Store(const std::string& key, const std::string& value,
                     absl::Time deadline) override;
  absl::StatusOr<bool> Erase(const std::string& key) override;
  absl::Status Clear() override;
  absl::StatusOr<std::vector<std::string>> Keys() override;
  CacheStats Stats() override;
  std::optional<size_t> capacity() const override { return options_.capacity; }

 private:
  struct Found;  // an entry file as read
  explicit FileStore(FileStoreOptions options);

  std::string PathOf(const std::string& file_name) const;
  int64_t NowNanos() const;
  // Reads the entry for `key`: nullopt if absent; a damaged file is deleted and counted.
  absl::StatusOr<std::optional<Found>> Read(const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Write(const files_internal::Entry& entry, const std::string& file_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Touch(const std::string& file_name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Unlink(const std::string& file_name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every entry file: deletes damaged and expired ones (counted); returns the live ones.
  absl::StatusOr<std::vector<Found>> Scan() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status MakeRoom() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const FileStoreOptions options_;
  const files_internal::Sealing sealing_;
  Mutex mu_;
  uint64_t next_use_ ABSL_GUARDED_BY(mu_) = 1;
  // Entry files in the directory, expired ones included; exact for this process, refreshed by
  // every Scan. Only a cache that may be full is scanned on insert.
  size_t files_ ABSL_GUARDED_BY(mu_) = 0;
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FILES_FILE_STORE_H_
