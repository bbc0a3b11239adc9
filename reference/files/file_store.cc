#include "reference/files/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "reference/private_directory.h"

namespace cachelab {
namespace {

using files_internal::Entry;

constexpr char kCheckFile[] = ".cachelab-files";
constexpr char kCheckKey[] = "cachelab files cache";

// The file's bytes, or nullopt if it does not exist: open, read (one call for a small file, as
// a short read means the end) and close.
absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return absl::UnavailableError(absl::StrCat("files cache: cannot read ", path, ": ",
                                               std::strerror(errno)));
  }
  std::string bytes;
  char buffer[8192];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      const int error = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat("files cache: cannot read ", path, ": ",
                                                 std::strerror(error)));
    }
    bytes.append(buffer, n);
    if (n < static_cast<ssize_t>(sizeof(buffer))) break;
  }
  close(fd);
  return std::optional<std::string>(std::move(bytes));
}

}  // namespace

struct FileStore::Found {
  std::string file_name;
  Entry entry;
  int64_t use = 0;  // logical recency (the file's modification time)
};

absl::StatusOr<std::unique_ptr<FileStore>> FileStore::Open(FileStoreOptions options) {
  if (sodium_init() < 0) return absl::InternalError("files cache: libsodium failed to start");
  if (options.capacity.has_value() && *options.capacity == 0) {
    return absl::InvalidArgumentError("files cache: capacity must be at least 1");
  }
  if (options.encryption_key.has_value() &&
      options.encryption_key->size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat(
        "files cache: encryption_key must be ", crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
        " bytes (got ", options.encryption_key->size(), ")"));
  }
  if (absl::Status dir = PreparePrivateDirectory(options.directory, "files cache"); !dir.ok()) {
    return dir;
  }
  std::unique_ptr<FileStore> store(new FileStore(std::move(options)));
  MutexLock lock(&store->mu_);
  // The check record says whether the cache is encrypted, and proves the key.
  const std::string check_path = store->PathOf(kCheckFile);
  auto check = ReadFile(check_path);
  if (!check.ok()) return check.status();
  const bool encrypted = store->options_.encryption_key.has_value();
  if (check->has_value()) {
    auto record = files_internal::Decode(**check, store->sealing_);
    const bool was_encrypted = (*check)->size() > 4 && ((**check)[4] & 2) != 0;
    if (was_encrypted && !encrypted) {
      return absl::FailedPreconditionError(absl::StrCat(
          "files cache: ", store->options_.directory, " is encrypted; give its encryption_key"));
    }
    if (!was_encrypted && encrypted) {
      return absl::FailedPreconditionError(absl::StrCat(
          "files cache: ", store->options_.directory,
          " is not encrypted; open it without a key, or choose a new location"));
    }
    if (!record.ok()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "files cache: the encryption_key does not open ", store->options_.directory));
    }
  } else if (absl::Status written =
                 store->Write(Entry{kCheckKey, "ok", INT64_MAX}, kCheckFile);
             !written.ok()) {
    return written;
  }
  auto live = store->Scan();  // also finds the next recency tick
  if (!live.ok()) return live.status();
  for (Found& found : *live) {
    store->Index(found.file_name, std::move(found.entry.key), found.entry.deadline, found.use);
  }
  store->stats_ = CacheStats();  // what opening found is not this handle's doing
  return store;
}

FileStore::~FileStore() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  // The uses of this session, into the files' modification times (best effort).
  for (const auto& [file_name, indexed] : index_) {
    if (!indexed.use_unwritten) continue;
    const timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(indexed.use), 0}};
    utimensat(AT_FDCWD, PathOf(file_name).c_str(), times, 0);
  }
}

void FileStore::Index(const std::string& file_name, std::string key, int64_t deadline,
                      uint64_t use) {
  Forget(file_name);
  index_.emplace(file_name, Indexed{std::move(key), deadline, use});
  by_use_.emplace(use, file_name);
  if (deadline != INT64_MAX) by_deadline_.emplace(deadline, file_name);
}

void FileStore::Forget(std::string file_name) {  // a copy: callers pass index keys
  auto it = index_.find(file_name);
  if (it == index_.end()) return;
  by_use_.erase(it->second.use);
  if (it->second.deadline != INT64_MAX) by_deadline_.erase({it->second.deadline, file_name});
  index_.erase(it);
}

absl::Status FileStore::Remove(std::string file_name) {  // a copy: callers pass index keys
  if (absl::Status gone = Unlink(file_name); !gone.ok()) return gone;
  Forget(file_name);
  return absl::OkStatus();
}

absl::Status FileStore::PurgeExpired(int64_t now) {
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    const std::string file_name = by_deadline_.begin()->second;
    if (absl::Status gone = Remove(file_name); !gone.ok()) return gone;
    ++stats_.expirations;
  }
  return absl::OkStatus();
}

FileStore::FileStore(FileStoreOptions options)
    : options_(std::move(options)),
      sealing_{options_.compress, options_.compression_level, options_.encryption_key} {}

std::string FileStore::PathOf(const std::string& file_name) const {
  return options_.directory + "/" + file_name;
}

int64_t FileStore::NowNanos() const {
  return absl::ToUnixNanos((options_.clock ? options_.clock : DefaultClock())->Now());
}

absl::Status FileStore::Unlink(const std::string& file_name) {
  if (unlink(PathOf(file_name).c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(absl::StrCat("files cache: cannot delete ", PathOf(file_name),
                                               ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status FileStore::Write(const Entry& entry, const std::string& file_name) {
  std::string temp = PathOf(".tmp-XXXXXX");
  const int fd = mkstemp(temp.data());  // mode 0600
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("files cache: cannot create a file in ",
                                               options_.directory, ": ", std::strerror(errno)));
  }
  const std::string bytes = files_internal::Encode(entry, sealing_);
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n <= 0) break;
    written += n;
  }
  const timespec times[2] = {{0, UTIME_NOW}, {static_cast<time_t>(next_use_++), 0}};
  const bool ok = written == bytes.size() && (!options_.fsync || fsync(fd) == 0) &&
                  futimens(fd, times) == 0;
  const int error = errno;
  close(fd);
  if (!ok || rename(temp.c_str(), PathOf(file_name).c_str()) != 0) {
    unlink(temp.c_str());
    return absl::UnavailableError(absl::StrCat("files cache: cannot write ", PathOf(file_name),
                                               ": ", std::strerror(ok ? errno : error)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<FileStore::Found>> FileStore::Read(const std::string& key) {
  const std::string file_name = files_internal::FileNameFor(key);
  auto bytes = ReadFile(PathOf(file_name));
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<Found>();
  auto entry = files_internal::Decode(**bytes, sealing_);
  if (!entry.ok() || entry->key != key) {  // torn, corrupt, or not this key's file
    ++stats_.corrupt;
    if (absl::Status gone = Remove(file_name); !gone.ok()) return gone;
    return std::optional<Found>();
  }
  return std::optional<Found>(Found{file_name, *std::move(entry), 0});
}

absl::StatusOr<std::vector<FileStore::Found>> FileStore::Scan() {
  DIR* dir = opendir(options_.directory.c_str());
  if (dir == nullptr) {
    return absl::UnavailableError(absl::StrCat("files cache: cannot list ", options_.directory,
                                               ": ", std::strerror(errno)));
  }
  std::vector<std::string> names;
  while (dirent* item = readdir(dir)) {
    if (absl::EndsWith(item->d_name, ".entry")) names.push_back(item->d_name);
  }
  closedir(dir);
  const int64_t now = NowNanos();
  std::vector<Found> live;
  for (const std::string& name : names) {
    auto bytes = ReadFile(PathOf(name));
    if (!bytes.ok()) return bytes.status();
    if (!bytes->has_value()) continue;  // deleted meanwhile
    auto header = files_internal::DecodeHeader(**bytes);
    struct stat info;
    const bool damaged = !header.ok() || files_internal::FileNameFor(header->key) != name ||
                         stat(PathOf(name).c_str(), &info) != 0;
    if (damaged || header->deadline <= now) {
      ++(damaged ? stats_.corrupt : stats_.expirations);
      if (damaged) damaged_files_.push_back(name);
      if (absl::Status gone = Unlink(name); !gone.ok()) return gone;
      continue;
    }
    next_use_ = std::max<uint64_t>(next_use_, info.st_mtim.tv_sec + 1);
    live.push_back(Found{name, *std::move(header), info.st_mtim.tv_sec});
  }
  return live;
}

absl::Status FileStore::MakeRoom(int64_t now) {
  if (index_.size() < *options_.capacity) return absl::OkStatus();
  if (absl::Status purged = PurgeExpired(now); !purged.ok()) return purged;  // expired go first
  while (index_.size() >= *options_.capacity) {
    if (absl::Status gone = Remove(by_use_.begin()->second); !gone.ok()) return gone;
    ++stats_.evictions;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> FileStore::Lookup(const std::string& key) {
  MutexLock lock(&mu_);
  const std::string file_name = files_internal::FileNameFor(key);
  auto indexed = index_.find(file_name);
  if (indexed == index_.end()) {  // known absent: no file is opened
    ++stats_.misses;
    return std::optional<std::string>();
  }
  if (indexed->second.deadline <= NowNanos()) {
    if (absl::Status gone = Remove(file_name); !gone.ok()) return gone;
    ++stats_.expirations;
    ++stats_.misses;
    return std::optional<std::string>();
  }
  auto found = Read(key);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {  // deleted or damaged under the engine: Read counted and forgot it
    Forget(file_name);
    ++stats_.misses;
    return std::optional<std::string>();
  }
  // A use: the newest recency, in memory until the store closes.
  Indexed& entry = index_.find(file_name)->second;
  by_use_.erase(entry.use);
  entry.use = next_use_++;
  entry.use_unwritten = true;
  by_use_.emplace(entry.use, file_name);
  ++stats_.hits;
  return std::optional<std::string>(std::move((*found)->entry.value));
}

absl::Status FileStore::Store(const std::string& key, const std::string& value,
                              absl::Time deadline) {
  MutexLock lock(&mu_);
  const int64_t now = NowNanos();
  const int64_t until =
      deadline == absl::InfiniteFuture() ? INT64_MAX : absl::ToUnixNanos(deadline);
  const std::string file_name = files_internal::FileNameFor(key);
  auto indexed = index_.find(file_name);
  const bool live = indexed != index_.end() && indexed->second.deadline > now;
  if (indexed != index_.end() && !live) {
    if (absl::Status gone = Remove(file_name); !gone.ok()) return gone;
    ++stats_.expirations;
  }
  if (until <= now) {  // already expired: nothing is stored, and the old value goes
    if (!live) return absl::OkStatus();
    if (absl::Status gone = Remove(file_name); !gone.ok()) return gone;
    ++stats_.removals;
    return absl::OkStatus();
  }
  if (!live && options_.capacity.has_value()) {
    if (absl::Status room = MakeRoom(now); !room.ok()) return room;
  }
  const uint64_t use = next_use_;  // Write stamps the file with it and advances the clock
  if (absl::Status written = Write(Entry{key, value, until}, file_name); !written.ok()) {
    return written;
  }
  Index(file_name, key, until, use);
  ++(live ? stats_.updates : stats_.insertions);
  return absl::OkStatus();
}

absl::StatusOr<bool> FileStore::Erase(const std::string& key) {
  MutexLock lock(&mu_);
  const std::string file_name = files_internal::FileNameFor(key);
  auto indexed = index_.find(file_name);
  if (indexed == index_.end()) return false;
  const bool live = indexed->second.deadline > NowNanos();
  if (absl::Status gone = Remove(file_name); !gone.ok()) return gone;
  ++(live ? stats_.removals : stats_.expirations);
  return live;
}

absl::Status FileStore::Clear() {
  MutexLock lock(&mu_);
  if (absl::Status purged = PurgeExpired(NowNanos()); !purged.ok()) return purged;
  while (!index_.empty()) {
    if (absl::Status gone = Remove(index_.begin()->first); !gone.ok()) return gone;
    ++stats_.removals;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FileStore::Keys() {
  MutexLock lock(&mu_);
  if (absl::Status purged = PurgeExpired(NowNanos()); !purged.ok()) return purged;
  std::vector<std::string> keys;
  keys.reserve(index_.size());
  for (const auto& [file_name, indexed] : index_) keys.push_back(indexed.key);
  return keys;
}

absl::StatusOr<std::vector<StoredEntry>> FileStore::List() {
  MutexLock lock(&mu_);
  const int64_t now = NowNanos();
  std::vector<StoredEntry> entries;
  for (const auto& [file_name, indexed] : index_) {
    if (indexed.deadline <= now) continue;
    struct stat st;
    if (stat(PathOf(file_name).c_str(), &st) != 0) continue;  // removed by another process
    entries.push_back({indexed.key, static_cast<uint64_t>(st.st_size),
                       indexed.deadline == INT64_MAX ? absl::InfiniteFuture()
                                                     : absl::FromUnixNanos(indexed.deadline)});
  }
  return entries;
}

absl::StatusOr<uint64_t> FileStore::Purge() {
  MutexLock lock(&mu_);
  const uint64_t before = stats_.expirations;
  if (absl::Status purged = PurgeExpired(NowNanos()); !purged.ok()) return purged;
  return stats_.expirations - before;
}

absl::StatusOr<IntegrityReport> FileStore::Verify() {
  MutexLock lock(&mu_);
  IntegrityReport report;
  for (const std::string& name : damaged_files_) {
    report.problems.push_back(absl::StrCat("damaged entry file ", name,
                                           " was removed when the cache was opened"));
  }
  for (const auto& [file_name, indexed] : index_) {
    auto bytes = ReadFile(PathOf(file_name));
    if (!bytes.ok()) return bytes.status();
    if (!bytes->has_value()) continue;  // removed by another process
    ++report.checked;
    auto entry = files_internal::Decode(**bytes, sealing_);
    if (!entry.ok() || entry->key != indexed.key) report.damaged_keys.push_back(indexed.key);
  }
  return report;
}

absl::StatusOr<size_t> FileStore::Size() {
  MutexLock lock(&mu_);
  if (absl::Status purged = PurgeExpired(NowNanos()); !purged.ok()) return purged;
  return index_.size();
}

CacheStats FileStore::Stats() {
  MutexLock lock(&mu_);
  (void)PurgeExpired(NowNanos());  // an I/O error leaves the counters as they are
  return stats_;
}

}  // namespace cachelab
