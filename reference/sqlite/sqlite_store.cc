#include "reference/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/hash/internal/city.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reference/private_directory.h"

namespace cachelab {
namespace {

// Format 2 added the totals row, format 3 a checksum per entry (older databases are upgraded
// in place when opened; their entries, written without a checksum, are read unchecked).
constexpr const char* kFormat = "cachelab-sqlite-3";
constexpr const char* kOlderFormats[] = {"cachelab-sqlite-1", "cachelab-sqlite-2"};

// Covers the key, the value and the deadline: a damaged row is dropped, never returned.
int64_t EntryChecksum(absl::string_view key, absl::string_view value, int64_t deadline) {
  const uint64_t h = absl::hash_internal::CityHash64WithSeed(
      value.data(), value.size(),
      absl::hash_internal::CityHash64WithSeed(key.data(), key.size(),
                                              static_cast<uint64_t>(deadline)));
  return static_cast<int64_t>(h);
}
constexpr const char* kNextUse = "(SELECT COALESCE(MAX(last_use), 0) + 1 FROM cachelab_entries)";
constexpr size_t kUsesPerFlush = 1024;
// Columns 0-2 as Intact() reads them.
constexpr const char* kSelectEntry =
    "SELECT value, deadline, checksum FROM cachelab_entries WHERE key = ?";

// The totals row and the triggers that keep it exact whatever statement changes the entries.
constexpr const char* kTotalsSchema =
    "CREATE TABLE IF NOT EXISTS cachelab_totals(id INTEGER PRIMARY KEY CHECK (id = 0),"
    " entries INTEGER NOT NULL, bytes INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO cachelab_totals SELECT 0, COUNT(*), COALESCE(SUM(size), 0)"
    " FROM cachelab_entries;"
    "CREATE TRIGGER IF NOT EXISTS cachelab_added AFTER INSERT ON cachelab_entries BEGIN"
    " UPDATE cachelab_totals SET entries = entries + 1, bytes = bytes + NEW.size; END;"
    "CREATE TRIGGER IF NOT EXISTS cachelab_removed AFTER DELETE ON cachelab_entries BEGIN"
    " UPDATE cachelab_totals SET entries = entries - 1, bytes = bytes - OLD.size; END;"
    "CREATE TRIGGER IF NOT EXISTS cachelab_resized AFTER UPDATE OF size ON cachelab_entries"
    " WHEN NEW.size != OLD.size BEGIN"
    " UPDATE cachelab_totals SET bytes = bytes + NEW.size - OLD.size; END;";

// One use of a cached prepared statement: reset and unbound on scope exit.
class Statement {
 public:
  explicit Statement(std::pair<sqlite3_stmt*, int> prepared)
      : stmt_(prepared.first), code_(prepared.second) {}
  ~Statement() {
    if (stmt_ == nullptr) return;  // its preparation failed
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int code() const { return code_; }
  // Ends the statement's use early (its read transaction, in autocommit mode).
  void Reset() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    stmt_ = nullptr;
  }
  Statement& Blob(int i, const std::string& bytes) {
    sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Int(int i, int64_t value) {
    sqlite3_bind_int64(stmt_, i, value);
    return *this;
  }
  Statement& Deadline(int i, int64_t nanos_or_none) {
    if (nanos_or_none == INT64_MAX) {
      sqlite3_bind_null(stmt_, i);
    } else {
      sqlite3_bind_int64(stmt_, i, nanos_or_none);
    }
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return code_ = code_ == SQLITE_OK || code_ == SQLITE_ROW ? sqlite3_step(stmt_) : code_; }
  std::string ColumnBlob(int i) const {
    const void* data = sqlite3_column_blob(stmt_, i);
    return std::string(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, i));
  }
  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  absl::string_view ColumnBlobView(int i) const {
    const void* data = sqlite3_column_blob(stmt_, i);
    return absl::string_view(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, i));
  }
  // A NULL deadline column is "no deadline".
  int64_t ColumnDeadline(int i) const {
    return sqlite3_column_type(stmt_, i) == SQLITE_NULL ? INT64_MAX : ColumnInt(i);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int code_;
};

// Whether `row` (value, deadline, checksum, as kSelectEntry reads them) for `key` is undamaged.
bool Intact(const Statement& row, const std::string& key) {
  if (row.ColumnIsNull(2)) return true;  // written before entries had checksums
  return row.ColumnInt(2) == EntryChecksum(key, row.ColumnBlobView(0), row.ColumnDeadline(1));
}

absl::Status PosixError(const std::string& what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("sqlite cache: cannot ", what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

// BEGIN IMMEDIATE ... COMMIT; rolls back unless committed. Statistics deltas are applied only
// on commit, so a failed call changes no statistic.
class SqliteStore::Transaction {
 public:
  // Every write begins here, so a database file deleted or replaced under this handle is
  // noticed before anything is written to it (ReopenIfMoved).
  explicit Transaction(SqliteStore& store) ABSL_EXCLUSIVE_LOCKS_REQUIRED(store.mu_)
      : store_(store), status_(store.ReopenIfMoved()) {
    if (status_.ok()) status_ = store.Exec("BEGIN IMMEDIATE");
  }
  ~Transaction() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (status_.ok() && !committed_) (void)store_.Exec("ROLLBACK");
  }
  const absl::Status& status() const { return status_; }
  CacheStats& delta() { return delta_; }
  absl::Status Commit() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    absl::Status status = store_.Exec("COMMIT");
    if (!status.ok()) return status;
    committed_ = true;
    store_.stats_ += delta_;
    return absl::OkStatus();
  }

 private:
  SqliteStore& store_;
  absl::Status status_;
  bool committed_ = false;
  CacheStats delta_;
};

#define CACHELAB_RETURN_IF_ERROR(expr)      \
  do {                                      \
    absl::Status status_ = (expr);          \
    if (!status_.ok()) return status_;      \
  } while (false)

// Whether `status` is SQLite's busy or locked answer (another connection holds the file).
static bool IsBusy(const absl::Status& status) {
  return absl::StrContains(status.message(), "database is locked") ||
         absl::StrContains(status.message(), "database table is locked");
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(SqliteStoreOptions options) {
  if (options.capacity.has_value() && *options.capacity == 0) {
    return absl::InvalidArgumentError("sqlite cache: capacity must be at least 1");
  }
  if (options.max_bytes.has_value() && *options.max_bytes == 0) {
    return absl::InvalidArgumentError("sqlite cache: max_bytes must be at least 1");
  }
  const std::string path = options.directory + "/" + kFileName;
  auto db = OpenConnection(options.directory, path);
  if (!db.ok()) return db.status();
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(options), path, *db));
  absl::Status prepared;
  {
    MutexLock lock(&store->mu_);
    prepared = store->PrepareSchemaRetrying();
  }
  if (IsBusy(prepared)) {
    return absl::UnavailableError(absl::StrCat(
        prepared.message(), "; still locked after busy_timeout: another handle is writing, or "
        "owns the cache with SqliteOptions::single_process until it closes"));
  }
  if (!prepared.ok()) return prepared;
  return store;
}

absl::StatusOr<sqlite3*> SqliteStore::OpenConnection(const std::string& directory,
                                                      const std::string& path) {
  CACHELAB_RETURN_IF_ERROR(PreparePrivateDirectory(directory, "sqlite cache"));
  // Create the file ourselves so that it (and SQLite's -wal and -shm beside it) is 0600.
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return PosixError("open", path);
  close(fd);
  sqlite3* db = nullptr;
  if (const int code = sqlite3_open_v2(path.c_str(), &db,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
      code != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    sqlite3_close(db);
    return absl::FailedPreconditionError(absl::StrCat("sqlite cache: cannot open ", path, ": ",
                                                      message));
  }
  return db;
}

absl::Status SqliteStore::PrepareSchemaRetrying() {
  // Processes opening a new cache at once race to create its schema; SQLite answers BUSY
  // without waiting for some of those steps (switching to WAL, upgrading a read transaction),
  // so retry them until busy_timeout has passed.
  const absl::Time give_up = absl::Now() + options_.busy_timeout;
  for (int attempt = 1;; ++attempt) {
    const absl::Status prepared = PrepareSchema();
    if (prepared.ok()) return prepared;
    if (!IsBusy(prepared) || absl::Now() >= give_up) return prepared;
    absl::SleepFor(absl::Milliseconds(std::min(attempt, 20)));
  }
}

// A database file deleted or replaced under this handle would take every later write to a file
// no one opens again (acknowledged, then lost, and invisible to other processes): start over on
// what is at the path now. One stat() of the path per write transaction.
absl::Status SqliteStore::ReopenIfMoved() {
  int moved = 0;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK || !moved) {
    return absl::OkStatus();
  }
  auto db = OpenConnection(options_.directory, path_);
  if (!db.ok()) {  // keep the old connection; the next write tries again
    return absl::UnavailableError(absl::StrCat("sqlite cache: ", path_,
                                               " was deleted or replaced while open and cannot be "
                                               "created again: ", db.status().message()));
  }
  // Closing must not delete the -wal and -shm files by name: they are the new database's now.
  int persist = 1;
  sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  pending_uses_.clear();  // uses of entries in the file that is gone
  CloseConnection();
  synchronous_full_now_.reset();
  db_ = *db;
  return PrepareSchemaRetrying();
}

SqliteStore::SqliteStore(SqliteStoreOptions options, std::string path, sqlite3* db)
    : options_(std::move(options)), path_(std::move(path)), db_(db) {}

SqliteStore::~SqliteStore() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (!pending_uses_.empty()) {  // the uses this handle made survive it (best effort)
    if (SetSynchronous(false).ok()) {
      Transaction txn(*this);
      if (txn.status().ok() && FlushUses().ok()) (void)txn.Commit();
    }
  }
  CloseConnection();
}

void SqliteStore::CloseConnection() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  statements_.clear();
  sqlite3_close(db_);
}

std::pair<sqlite3_stmt*, int> SqliteStore::Prepared(const std::string& sql) {
  auto [it, inserted] = statements_.try_emplace(sql, nullptr);
  if (!inserted) return {it->second, SQLITE_OK};
  const int code = sqlite3_prepare_v2(db_, sql.c_str(), -1, &it->second, nullptr);
  if (code != SQLITE_OK) {
    sqlite3_finalize(it->second);
    statements_.erase(it);
    return {nullptr, code};
  }
  return {it->second, code};
}

absl::Status SqliteStore::Error(int code, const std::string& doing) {
  const std::string message = absl::StrCat("sqlite cache ", path_, ": ", doing, ": ",
                                           sqlite3_errmsg(db_), " (", sqlite3_errstr(code), ")");
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status SqliteStore::Exec(const char* sql) {
  const int code = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return code == SQLITE_OK ? absl::OkStatus() : Error(code, sql);
}

absl::Status SqliteStore::PrepareSchema() {
  sqlite3_busy_timeout(db_, static_cast<int>(absl::ToInt64Milliseconds(options_.busy_timeout)));
  // Before WAL is first used, so that SQLite keeps the WAL index in memory (no -shm mapping).
  if (options_.single_process) CACHELAB_RETURN_IF_ERROR(Exec("PRAGMA locking_mode=EXCLUSIVE"));
  CACHELAB_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
  CACHELAB_RETURN_IF_ERROR(SetSynchronous(options_.synchronous_full));
  Transaction txn(*this);
  CACHELAB_RETURN_IF_ERROR(txn.status());
  Statement tables(Prepared("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"));
  if (tables.Step() != SQLITE_ROW) return Error(tables.code(), "reading the schema");
  Statement format(Prepared("SELECT value FROM cachelab_meta WHERE name = 'format'"));
  const bool has_meta = format.code() == SQLITE_OK && format.Step() == SQLITE_ROW;
  if (tables.ColumnInt(0) > 0 && !has_meta) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sqlite cache: ", path_, " is an SQLite database but not a cachelab cache; "
        "choose an empty directory"));
  }
  const std::string found = has_meta ? format.ColumnBlob(0) : "";
  const bool older = std::any_of(std::begin(kOlderFormats), std::end(kOlderFormats),
                                 [&](const char* f) { return found == f; });
  if (has_meta && found != kFormat && !older) {
    return absl::FailedPreconditionError(absl::StrCat("sqlite cache: ", path_, " has format ",
                                                      found, ", expected ", kFormat));
  }
  CACHELAB_RETURN_IF_ERROR(Exec(
      "CREATE TABLE IF NOT EXISTS cachelab_meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS cachelab_entries(key BLOB PRIMARY KEY, value BLOB NOT NULL,"
      " deadline INTEGER, last_use INTEGER NOT NULL, size INTEGER NOT NULL, checksum INTEGER);"
      "CREATE INDEX IF NOT EXISTS cachelab_by_use ON cachelab_entries(last_use);"
      "CREATE INDEX IF NOT EXISTS cachelab_by_deadline ON cachelab_entries(deadline)"
      " WHERE deadline IS NOT NULL;"));
  if (older) {
    Statement columns(Prepared("SELECT COUNT(*) FROM pragma_table_info('cachelab_entries')"
                               " WHERE name = 'checksum'"));
    if (columns.Step() != SQLITE_ROW) return Error(columns.code(), "reading the schema");
    const bool has_checksum = columns.ColumnInt(0) > 0;
    columns.Reset();
    if (!has_checksum) {
      CACHELAB_RETURN_IF_ERROR(Exec("ALTER TABLE cachelab_entries ADD COLUMN checksum INTEGER"));
    }
  }
  CACHELAB_RETURN_IF_ERROR(Exec(kTotalsSchema));
  CACHELAB_RETURN_IF_ERROR(
      Exec("INSERT OR REPLACE INTO cachelab_meta VALUES('format', 'cachelab-sqlite-3')"));
  return txn.Commit();
}

int64_t SqliteStore::NowNanos() const {
  return absl::ToUnixNanos((options_.clock ? options_.clock : DefaultClock())->Now());
}

absl::Status SqliteStore::PurgeExpired(Transaction& txn, int64_t now) {
  Statement purge(Prepared("DELETE FROM cachelab_entries WHERE deadline IS NOT NULL AND deadline <= ?"));
  if (purge.Int(1, now).Step() != SQLITE_DONE) return Error(purge.code(), "purging");
  txn.delta().expirations += sqlite3_changes(db_);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<bool>> SqliteStore::DeleteKey(const std::string& key, int64_t now) {
  Statement del(Prepared("DELETE FROM cachelab_entries WHERE key = ? RETURNING deadline"));
  const int code = del.Blob(1, key).Step();
  if (code == SQLITE_DONE) return std::optional<bool>();
  if (code != SQLITE_ROW) return Error(code, "deleting");
  const bool live = del.ColumnDeadline(0) > now;
  if (del.Step() != SQLITE_DONE) return Error(del.code(), "deleting");
  return std::optional<bool>(live);
}

absl::Status SqliteStore::SetSynchronous(bool full) {
  if (synchronous_full_now_ == full) return absl::OkStatus();
  CACHELAB_RETURN_IF_ERROR(Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  synchronous_full_now_ = full;
  return absl::OkStatus();
}

absl::Status SqliteStore::FlushUses() {
  if (pending_uses_.empty()) return absl::OkStatus();
  std::vector<std::pair<uint64_t, const std::string*>> uses;
  uses.reserve(pending_uses_.size());
  for (const auto& [key, sequence] : pending_uses_) uses.emplace_back(sequence, &key);
  std::sort(uses.begin(), uses.end());
  Statement newest(Prepared("SELECT COALESCE(MAX(last_use), 0) FROM cachelab_entries"));
  if (newest.Step() != SQLITE_ROW) return Error(newest.code(), "reading recency");
  int64_t tick = newest.ColumnInt(0);
  for (const auto& [sequence, key] : uses) {
    Statement touch(Prepared("UPDATE cachelab_entries SET last_use = ? WHERE key = ?"));
    if (touch.Int(1, ++tick).Blob(2, *key).Step() != SQLITE_DONE) {
      return Error(touch.code(), "updating use");
    }
  }
  pending_uses_.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> SqliteStore::Totals() {
  Statement totals(Prepared("SELECT entries, bytes FROM cachelab_totals WHERE id = 0"));
  if (totals.Step() != SQLITE_ROW) return Error(totals.code(), "reading the totals");
  return std::make_pair(static_cast<uint64_t>(totals.ColumnInt(0)),
                        static_cast<uint64_t>(totals.ColumnInt(1)));
}

void SqliteStore::NoteUse(const std::string& key) {
  pending_uses_[key] = ++use_sequence_;
  if (pending_uses_.size() < kUsesPerFlush) return;
  // Recency only: no fsync, and a failure here loses nothing but recency.
  if (SetSynchronous(false).ok()) {
    Transaction txn(*this);
    if (txn.status().ok() && FlushUses().ok()) (void)txn.Commit();
  }
}

absl::StatusOr<std::vector<std::optional<std::string>>> SqliteStore::LookupMany(
    const std::vector<std::string>& keys) {
  {
    MutexLock lock(&mu_);
    const int64_t now = NowNanos();
    std::vector<std::optional<std::string>> values(keys.size());
    bool expired = false;
    CACHELAB_RETURN_IF_ERROR(Exec("BEGIN"));  // one read transaction for the whole batch
    for (size_t i = 0; i < keys.size() && !expired; ++i) {
      Statement get(Prepared(kSelectEntry));
      const int code = get.Blob(1, keys[i]).Step();
      if (code == SQLITE_ROW) {
        // An expired or damaged entry must be removed where it stands: single calls below.
        expired = get.ColumnDeadline(1) <= now || !Intact(get, keys[i]);
        if (!expired) values[i] = get.ColumnBlob(0);
      } else if (code != SQLITE_DONE) {
        const absl::Status error = Error(code, "looking up");
        get.Reset();
        (void)Exec("ROLLBACK");
        return error;
      }
    }
    CACHELAB_RETURN_IF_ERROR(Exec("COMMIT"));
    if (!expired) {  // nothing to remove: count and note the uses as the single calls would
      for (size_t i = 0; i < keys.size(); ++i) {
        if (values[i].has_value()) {
          ++stats_.hits;
          NoteUse(keys[i]);
        } else {
          ++stats_.misses;
        }
      }
      return values;
    }
  }
  // An expired entry must be removed and counted where it stands: one call per key.
  return ByteStore::LookupMany(keys);
}

absl::StatusOr<std::optional<std::string>> SqliteStore::Lookup(const std::string& key) {
  MutexLock lock(&mu_);
  const int64_t now = NowNanos();
  bool damaged = false;
  {
    // One read, like a raw prepared SELECT: nothing is written on a hit.
    Statement get(Prepared(kSelectEntry));
    const int code = get.Blob(1, key).Step();
    if (code == SQLITE_DONE) {
      ++stats_.misses;
      return std::optional<std::string>();
    }
    if (code != SQLITE_ROW) return Error(code, "looking up");
    damaged = !Intact(get, key);
    if (get.ColumnDeadline(1) > now && !damaged) {
      std::optional<std::string> value = get.ColumnBlob(0);
      get.Reset();  // end the read before anything else
      ++stats_.hits;
      NoteUse(key);
      return value;
    }
  }
  // Expired or damaged: removed (and counted) in a write transaction. A read must not need
  // free space: if that write fails (a full disk), the entry stays for a later purge, and the
  // lookup is a plain miss.
  ++stats_.misses;
  if (!SetSynchronous(options_.synchronous_full).ok()) return std::optional<std::string>();
  Transaction txn(*this);
  if (!txn.status().ok() || !FlushUses().ok()) return std::optional<std::string>();
  Statement del(Prepared("DELETE FROM cachelab_entries WHERE key = ?"));
  if (del.Blob(1, key).Step() != SQLITE_DONE) return std::optional<std::string>();
  del.Reset();
  if (sqlite3_changes(db_) > 0) ++(damaged ? txn.delta().corrupt : txn.delta().expirations);
  (void)txn.Commit();
  return std::optional<std::string>();
}


absl::Status SqliteStore::MakeRoom(Transaction& txn, const std::string& key, uint64_t size,
                                   uint64_t replaced_size, int64_t now) {
  bool purged = false;
  while (true) {
    auto totals = Totals();
    if (!totals.ok()) return totals.status();
    const auto [entries, bytes] = *totals;
    const bool adding = replaced_size == 0;
    const bool full = (adding && options_.capacity && entries >= *options_.capacity) ||
                      (options_.max_bytes && bytes - replaced_size + size > *options_.max_bytes);
    if (!full) return absl::OkStatus();
    if (!purged) {  // expired entries leave before any live one is evicted
      purged = true;
      CACHELAB_RETURN_IF_ERROR(PurgeExpired(txn, now));
      continue;
    }
    // The least recently used entry other than the one being written (ties cannot happen).
    Statement victim(Prepared("DELETE FROM cachelab_entries WHERE key = (SELECT key FROM"
                              " cachelab_entries WHERE key != ? ORDER BY last_use LIMIT 1)"));
    if (victim.Blob(1, key).Step() != SQLITE_DONE) return Error(victim.code(), "evicting");
    if (sqlite3_changes(db_) == 0) return absl::OkStatus();  // nothing left to evict
    ++txn.delta().evictions;
  }
}

absl::Status SqliteStore::Store(const std::string& key, const std::string& value,
                                absl::Time deadline) {
  return StoreMany({Write{key, value, deadline}});
}

absl::Status SqliteStore::StoreMany(const std::vector<Write>& writes) {
  for (const Write& write : writes) {
    const uint64_t size = write.key.size() + write.value.size();
    if (options_.max_bytes && size > *options_.max_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("sqlite cache: an entry of ", size,
                                                     " bytes is larger than max_bytes (",
                                                     *options_.max_bytes, ")"));
    }
  }
  MutexLock lock(&mu_);
  const int64_t now = NowNanos();
  CACHELAB_RETURN_IF_ERROR(SetSynchronous(options_.synchronous_full));
  Transaction txn(*this);
  CACHELAB_RETURN_IF_ERROR(txn.status());
  CACHELAB_RETURN_IF_ERROR(FlushUses());
  for (const Write& write : writes) {
    CACHELAB_RETURN_IF_ERROR(StoreIn(txn, write.key, write.value, write.deadline, now));
  }
  return txn.Commit();
}

absl::Status SqliteStore::StoreIn(Transaction& txn, const std::string& key,
                                  const std::string& value, absl::Time deadline, int64_t now) {
  const uint64_t size = key.size() + value.size();
  const int64_t until =
      deadline == absl::InfiniteFuture() ? INT64_MAX : absl::ToUnixNanos(deadline);
  Statement get(Prepared("SELECT deadline, size FROM cachelab_entries WHERE key = ?"));
  const int code = get.Blob(1, key).Step();
  if (code != SQLITE_ROW && code != SQLITE_DONE) return Error(code, "looking up");
  const bool live = code == SQLITE_ROW && get.ColumnDeadline(0) > now;
  const uint64_t old_size = live ? static_cast<uint64_t>(get.ColumnInt(1)) : 0;
  get.Reset();
  if (code == SQLITE_ROW && !live) {
    auto deleted = DeleteKey(key, now);
    if (!deleted.ok()) return deleted.status();
    ++txn.delta().expirations;
  }
  if (until <= now) {  // already expired: nothing is stored, and the old value goes
    if (live) {
      auto deleted = DeleteKey(key, now);
      if (!deleted.ok()) return deleted.status();
      ++txn.delta().removals;
    }
    return absl::OkStatus();
  }
  if (!live || options_.max_bytes) {
    CACHELAB_RETURN_IF_ERROR(MakeRoom(txn, key, size, old_size, now));
  }
  Statement write(Prepared(live ? absl::StrCat("UPDATE cachelab_entries SET value = ?2, deadline = ?3,"
                                               " size = ?4, checksum = ?5, last_use = ", kNextUse,
                                               " WHERE key = ?1")
                                : absl::StrCat("INSERT INTO cachelab_entries(key, value, deadline,"
                                               " size, checksum, last_use) VALUES(?1, ?2, ?3, ?4,"
                                               " ?5, ", kNextUse, ")")));
  write.Blob(1, key).Blob(2, value).Deadline(3, until).Int(4, static_cast<int64_t>(size));
  write.Int(5, EntryChecksum(key, value, until));
  if (write.Step() != SQLITE_DONE) return Error(write.code(), "writing");
  ++(live ? txn.delta().updates : txn.delta().insertions);
  return absl::OkStatus();
}

absl::StatusOr<bool> SqliteStore::Erase(const std::string& key) {
  MutexLock lock(&mu_);
  CACHELAB_RETURN_IF_ERROR(SetSynchronous(options_.synchronous_full));
  Transaction txn(*this);
  CACHELAB_RETURN_IF_ERROR(txn.status());
  CACHELAB_RETURN_IF_ERROR(FlushUses());
  auto deleted = DeleteKey(key, NowNanos());
  if (!deleted.ok()) return deleted.status();
  if (deleted->has_value()) ++(**deleted ? txn.delta().removals : txn.delta().expirations);
  CACHELAB_RETURN_IF_ERROR(txn.Commit());
  return deleted->value_or(false);
}

absl::Status SqliteStore::Clear() {
  MutexLock lock(&mu_);
  CACHELAB_RETURN_IF_ERROR(SetSynchronous(options_.synchronous_full));
  Transaction txn(*this);
  CACHELAB_RETURN_IF_ERROR(txn.status());
  pending_uses_.clear();  // nothing left to be used
  CACHELAB_RETURN_IF_ERROR(PurgeExpired(txn, NowNanos()));
  CACHELAB_RETURN_IF_ERROR(Exec("DELETE FROM cachelab_entries"));
  txn.delta().removals += sqlite3_changes(db_);
  return txn.Commit();
}

absl::StatusOr<std::vector<StoredEntry>> SqliteStore::List() {
  MutexLock lock(&mu_);
  std::vector<StoredEntry> entries;
  Statement all(Prepared("SELECT key, length(value), deadline FROM cachelab_entries"
                         " WHERE deadline IS NULL OR deadline > ?"));
  all.Int(1, NowNanos());
  int code;
  while ((code = all.Step()) == SQLITE_ROW) {
    const int64_t deadline = all.ColumnDeadline(2);
    entries.push_back({all.ColumnBlob(0), static_cast<uint64_t>(all.ColumnInt(1)),
                       deadline == INT64_MAX ? absl::InfiniteFuture()
                                             : absl::FromUnixNanos(deadline)});
  }
  if (code != SQLITE_DONE) return Error(code, "listing entries");
  return entries;
}

absl::StatusOr<uint64_t> SqliteStore::Purge() {
  MutexLock lock(&mu_);
  CACHELAB_RETURN_IF_ERROR(SetSynchronous(options_.synchronous_full));
  Transaction txn(*this);
  CACHELAB_RETURN_IF_ERROR(txn.status());
  CACHELAB_RETURN_IF_ERROR(PurgeExpired(txn, NowNanos()));
  const uint64_t purged = txn.delta().expirations;
  CACHELAB_RETURN_IF_ERROR(txn.Commit());
  return purged;
}

absl::StatusOr<IntegrityReport> SqliteStore::Verify() {
  MutexLock lock(&mu_);
  IntegrityReport report;
  Statement check(Prepared("PRAGMA integrity_check"));
  int code;
  while ((code = check.Step()) == SQLITE_ROW) {
    std::string line = check.ColumnBlob(0);
    if (line != "ok") report.problems.push_back("sqlite integrity_check: " + line);
  }
  if (code != SQLITE_DONE) return Error(code, "checking integrity");
  Statement all(Prepared("SELECT value, deadline, checksum, key FROM cachelab_entries"));
  while ((code = all.Step()) == SQLITE_ROW) {
    ++report.checked;
    std::string key = all.ColumnBlob(3);
    if (!Intact(all, key)) report.damaged_keys.push_back(std::move(key));
  }
  if (code != SQLITE_DONE) return Error(code, "reading entries");
  return report;
}

absl::StatusOr<std::vector<std::string>> SqliteStore::Keys() {
  MutexLock lock(&mu_);
  CACHELAB_RETURN_IF_ERROR(SetSynchronous(options_.synchronous_full));
  Transaction txn(*this);
  CACHELAB_RETURN_IF_ERROR(txn.status());
  CACHELAB_RETURN_IF_ERROR(PurgeExpired(txn, NowNanos()));
  std::vector<std::string> keys, damaged;
  Statement all(Prepared("SELECT value, deadline, checksum, key FROM cachelab_entries"));
  int code;
  while ((code = all.Step()) == SQLITE_ROW) {
    std::string key = all.ColumnBlob(3);
    (Intact(all, key) ? keys : damaged).push_back(std::move(key));
  }
  if (code != SQLITE_DONE) return Error(code, "listing keys");
  all.Reset();
  for (const std::string& key : damaged) {  // never listed; dropped and counted
    Statement del(Prepared("DELETE FROM cachelab_entries WHERE key = ?"));
    if (del.Blob(1, key).Step() != SQLITE_DONE) return Error(del.code(), "dropping a damaged entry");
    ++txn.delta().corrupt;
  }
  CACHELAB_RETURN_IF_ERROR(txn.Commit());
  return keys;
}

absl::StatusOr<size_t> SqliteStore::Size() {
  MutexLock lock(&mu_);
  CACHELAB_RETURN_IF_ERROR(SetSynchronous(options_.synchronous_full));
  Transaction txn(*this);
  CACHELAB_RETURN_IF_ERROR(txn.status());
  CACHELAB_RETURN_IF_ERROR(PurgeExpired(txn, NowNanos()));
  auto totals = Totals();
  if (!totals.ok()) return totals.status();
  CACHELAB_RETURN_IF_ERROR(txn.Commit());
  return static_cast<size_t>(totals->first);
}

CacheStats SqliteStore::Stats() {
  MutexLock lock(&mu_);
  if (SetSynchronous(options_.synchronous_full).ok()) {
    Transaction txn(*this);
    if (txn.status().ok() && PurgeExpired(txn, NowNanos()).ok()) (void)txn.Commit();
  }
  return stats_;
}

#undef CACHELAB_RETURN_IF_ERROR

}  // namespace cachelab
