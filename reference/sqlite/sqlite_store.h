// SqliteStore: the byte-level SQLite cache behind SqliteCache (sqlite_cache.h). Keys and values
// are bytes; every rule of reference/cache.h (exact LRU among live entries, deadlines,
// statistics) is applied here, inside SQLite transactions, so that several handles and several
// processes share one consistent cache.
//
// Speed: a lookup is one prepared SELECT, as a raw SQLite read is: it writes nothing. Its use
// (recency, for exact LRU) is remembered in memory and written in one batch, before this
// handle's next write transaction (so every eviction this handle makes sees every use it made,
// in order) or when 1024 uses are pending (a transaction that does not fsync: losing recency on a
// power cut is harmless), or when the handle closes. Other handles and processes see this
// handle's uses when they are written: recency across processes is exact up to that batching.
// The number and bytes of entries are kept by triggers in a one-row table, so Size() and the
// capacity check are O(1) (after purging expired entries, O(expired log n)).
//
// Files deleted or replaced under an open handle: before each write transaction the handle checks
// (one stat) that the file at its path is still the one it has open, and if not reopens the path
// (a new, empty cache), so writes are never acknowledged into a file no one will open again.
// Reads between the deletion and the next write are served from the file the handle holds.
//
// With single_process, the handle holds the file locked from Open to close: no other handle or
// process can open it meanwhile, and nothing above about other handles applies.
//
// Thread-safety: all methods may be called from any thread (one connection, one mutex).
// Errors: SQLite failures become absl::Status: kUnavailable (busy past the busy timeout, disk
// full, I/O), kDataLoss (a corrupt file), kFailedPrecondition (a database that is not a cachelab
// cache, a location that cannot be used), each naming the file and SQLite's message.
#ifndef CACHELAB_REFERENCE_SQLITE_SQLITE_STORE_H_
#define CACHELAB_REFERENCE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "absl/status/statusor.h"
#include "reference/cache.h"
#include "reference/codec/encoded_cache.h"
#include "reference/mutex.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cachelab {

struct SqliteStoreOptions {
  std::string directory;                 // created with mode 0700 if missing
  std::optional<size_t> capacity;        // entries
  std::optional<uint64_t> max_bytes;     // keys + values
  std::shared_ptr<const Clock> clock;    // null: DefaultClock()
  absl::Duration busy_timeout = absl::Seconds(5);
  bool synchronous_full = true;          // fsync every commit (power-loss safe)
  // SQLite's locking_mode=EXCLUSIVE: the first handle to use the file keeps it locked until it
  // closes, and its WAL index lives in its own memory, so a transaction makes no lock or
  // shared-memory system calls. Every other handle, in this process or another, is refused
  // (kUnavailable after busy_timeout) until then.
  bool single_process = false;
};

class SqliteStore final : public ByteStore {
 public:
  static constexpr const char* kFileName = "cache.db";

  // Opens or creates `<directory>/cache.db` (mode 0600) in WAL mode.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(SqliteStoreOptions options);
  ~SqliteStore() override;

  absl::StatusOr<std::optional<std::string>> Lookup(const std::string& key) override;
  // deadline: absl::InfiniteFuture() for none; at or before now: removes any live entry.
  absl::Status Store(const std::string& key, const std::string& value,
                     absl::Time deadline) override;
  absl::StatusOr<bool> Erase(const std::string& key) override;
  absl::Status Clear() override;
  absl::StatusOr<std::vector<std::string>> Keys() override;
  absl::StatusOr<size_t> Size() override;
  CacheStats Stats() override;
  // Every key in one read transaction (the single lookups' answers and statistics).
  absl::StatusOr<std::vector<std::optional<std::string>>> LookupMany(
      const std::vector<std::string>& keys) override;
  // Every write in one write transaction (one commit, one fsync at full durability).
  absl::Status StoreMany(const std::vector<Write>& writes) override;
  std::optional<size_t> capacity() const override { return options_.capacity; }
  absl::StatusOr<std::vector<StoredEntry>> List() override;
  absl::StatusOr<uint64_t> Purge() override;
  // Also runs SQLite's PRAGMA integrity_check.
  absl::StatusOr<IntegrityReport> Verify() override;
  const std::string& path() const { return path_; }

 private:
  class Transaction;
  SqliteStore(SqliteStoreOptions options, std::string path, sqlite3* db);

  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The connection's prepared statement for `sql` (prepared once), and SQLite's result code.
  std::pair<sqlite3_stmt*, int> Prepared(const std::string& sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Error(int code, const std::string& doing) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PrepareSchema() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // PrepareSchema, retried while other processes creating the same cache hold it busy.
  absl::Status PrepareSchemaRetrying() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Creates the directory and file if missing; opens a connection to `path`.
  static absl::StatusOr<sqlite3*> OpenConnection(const std::string& directory,
                                                 const std::string& path);
  // If the file at path() is no longer the one this handle has open (deleted, replaced),
  // reopens path() (creating a new empty cache) before the next write.
  absl::Status ReopenIfMoved() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Finalizes the prepared statements and closes db_.
  void CloseConnection() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NowNanos() const;
  // Within `txn`: deletes expired entries and counts them as expirations.
  absl::Status PurgeExpired(Transaction& txn, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes `key` if present; returns whether it was live (deadline > now) or expired.
  absl::StatusOr<std::optional<bool>> DeleteKey(const std::string& key, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Within `txn`: purges expired entries, then evicts least recently used ones (never `key`)
  // until an entry of `size` bytes (replacing one of `replaced_size`, 0 if new) fits.
  absl::Status MakeRoom(Transaction& txn, const std::string& key, uint64_t size,
                        uint64_t replaced_size, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Within `txn`: Store's work for one entry.
  absl::Status StoreIn(Transaction& txn, const std::string& key, const std::string& value,
                       absl::Time deadline, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a hit's use, flushing the uses if enough are pending.
  void NoteUse(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Within a write transaction: writes the pending uses, oldest first, as the newest recency.
  absl::Status FlushUses() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The entries and bytes stored (expired ones included), from the totals row.
  absl::StatusOr<std::pair<uint64_t, uint64_t>> Totals() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SetSynchronous(bool full) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SqliteStoreOptions options_;
  const std::string path_;
  Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);  // replaced by ReopenIfMoved
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_ ABSL_GUARDED_BY(mu_);
  // Keys used since the last flush, each with the order of its latest use.
  absl::flat_hash_map<std::string, uint64_t> pending_uses_ ABSL_GUARDED_BY(mu_);
  uint64_t use_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<bool> synchronous_full_now_ ABSL_GUARDED_BY(mu_);  // unknown until first set
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_SQLITE_SQLITE_STORE_H_
