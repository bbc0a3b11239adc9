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
// An index in memory (rebuilt at open from the files' headers) knows every entry's key, deadline
// and recency, so a miss, Size, eviction and expiry touch no file but the ones they remove, and a
// hit is one open + read + close. A hit's use is recorded in the index and written to the file's
// modification time when the store closes (so the LRU order survives a clean reopen; after a
// crash, the order of writes survives).
//
// Thread-safety: all methods may be called from any thread (one mutex); one process at a time
// (multi_process is not declared). Complexity: Lookup, Insert, Erase O(log n) in memory plus the
// file operations of the entries they read, write or remove; Size O(1) after purging expired
// entries; Keys and Clear O(n) in memory. Opening reads every entry's header, O(n).
#ifndef CACHELAB_REFERENCE_FILES_FILE_STORE_H_
#define CACHELAB_REFERENCE_FILES_FILE_STORE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
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
  absl::StatusOr<size_t> Size() override;
  CacheStats Stats() override;
  std::optional<size_t> capacity() const override { return options_.capacity; }
  absl::StatusOr<std::vector<StoredEntry>> List() override;
  absl::StatusOr<uint64_t> Purge() override;
  // Reads and authenticates every entry file (checksum; with a key, decryption), and reports
  // the damaged files that opening the cache removed.
  absl::StatusOr<IntegrityReport> Verify() override;
  ~FileStore() override;

 private:
  struct Found;  // an entry file as read
  struct Indexed {
    std::string key;
    int64_t deadline;
    uint64_t use;
    bool use_unwritten = false;  // a hit's use not yet in the file's modification time
  };
  explicit FileStore(FileStoreOptions options);

  std::string PathOf(const std::string& file_name) const;
  int64_t NowNanos() const;
  // Reads the entry for `key`: nullopt if absent; a damaged file is deleted and counted.
  absl::StatusOr<std::optional<Found>> Read(const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Write(const files_internal::Entry& entry, const std::string& file_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Unlink(const std::string& file_name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every entry file: deletes damaged and expired ones (counted); returns the live ones.
  absl::StatusOr<std::vector<Found>> Scan() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Evicts least recently used entries (after the expired ones) until one more fits.
  absl::Status MakeRoom(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes every entry whose deadline has passed, counting expirations.
  absl::Status PurgeExpired(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes the entry `file_name` and forgets it.
  absl::Status Remove(std::string file_name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Index(const std::string& file_name, std::string key, int64_t deadline, uint64_t use)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(std::string file_name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const FileStoreOptions options_;
  const files_internal::Sealing sealing_;
  Mutex mu_;
  uint64_t next_use_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::string, Indexed> index_ ABSL_GUARDED_BY(mu_);  // by file name
  std::map<uint64_t, std::string> by_use_ ABSL_GUARDED_BY(mu_);          // oldest first
  absl::btree_set<std::pair<int64_t, std::string>> by_deadline_ ABSL_GUARDED_BY(mu_);
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> damaged_files_ ABSL_GUARDED_BY(mu_);  // dropped by Scan at open
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FILES_FILE_STORE_H_
