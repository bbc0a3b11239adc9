#include "reference/files/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "reference/private_directory.h"

namespace cachelab {
namespace {

using files_internal::Entry;

constexpr char kCheckFile[] = ".cachelab-files";
constexpr char kCheckKey[] = "cachelab files cache";

// The file's bytes, or nullopt if it does not exist.
absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>();
    return absl::UnavailableError(absl::StrCat("files cache: cannot read ", path, ": ",
                                               std::strerror(errno)));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::optional<std::string>(bytes.str());
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
  store->stats_ = CacheStats();  // what opening found is not this handle's doing
  return store;
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
  if (unlink(PathOf(file_name).c_str()) == 0) {
    if (files_ > 0) --files_;
  } else if (errno != ENOENT) {
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

absl::Status FileStore::Touch(const std::string& file_name) {
  const timespec times[2] = {{0, UTIME_NOW}, {static_cast<time_t>(next_use_++), 0}};
  if (utimensat(AT_FDCWD, PathOf(file_name).c_str(), times, 0) != 0) {
    return absl::UnavailableError(absl::StrCat("files cache: cannot update ", PathOf(file_name),
                                               ": ", std::strerror(errno)));
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
    if (absl::Status gone = Unlink(file_name); !gone.ok()) return gone;
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
      if (absl::Status gone = Unlink(name); !gone.ok()) return gone;
      continue;
    }
    next_use_ = std::max<uint64_t>(next_use_, info.st_mtim.tv_sec + 1);
    live.push_back(Found{name, *std::move(header), info.st_mtim.tv_sec});
  }
  files_ = live.size();
  return live;
}

absl::Status FileStore::MakeRoom() {
  if (files_ < *options_.capacity) return absl::OkStatus();  // not full, even counting expired
  auto live = Scan();  // expired entries go first, counted
  if (!live.ok()) return live.status();
  std::sort(live->begin(), live->end(),
            [](const Found& a, const Found& b) { return a.use < b.use; });
  for (size_t i = 0; live->size() - i >= *options_.capacity; ++i) {
    if (absl::Status gone = Unlink((*live)[i].file_name); !gone.ok()) return gone;
    ++stats_.evictions;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> FileStore::Lookup(const std::string& key) {
  MutexLock lock(&mu_);
  auto found = Read(key);
  if (!found.ok()) return found.status();
  if (found->has_value() && (*found)->entry.deadline > NowNanos()) {
    if (absl::Status touched = Touch((*found)->file_name); !touched.ok()) return touched;
    ++stats_.hits;
    return std::optional<std::string>(std::move((*found)->entry.value));
  }
  if (found->has_value()) {
    if (absl::Status gone = Unlink((*found)->file_name); !gone.ok()) return gone;
    ++stats_.expirations;
  }
  ++stats_.misses;
  return std::optional<std::string>();
}

absl::Status FileStore::Store(const std::string& key, const std::string& value,
                              absl::Time deadline) {
  MutexLock lock(&mu_);
  const int64_t now = NowNanos();
  const int64_t until =
      deadline == absl::InfiniteFuture() ? INT64_MAX : absl::ToUnixNanos(deadline);
  auto found = Read(key);
  if (!found.ok()) return found.status();
  const bool live = found->has_value() && (*found)->entry.deadline > now;
  if (found->has_value() && !live) {
    if (absl::Status gone = Unlink((*found)->file_name); !gone.ok()) return gone;
    ++stats_.expirations;
  }
  if (until <= now) {  // already expired: nothing is stored, and the old value goes
    if (!live) return absl::OkStatus();
    if (absl::Status gone = Unlink((*found)->file_name); !gone.ok()) return gone;
    ++stats_.removals;
    return absl::OkStatus();
  }
  if (!live && options_.capacity.has_value()) {
    if (absl::Status room = MakeRoom(); !room.ok()) return room;
  }
  if (absl::Status written = Write(Entry{key, value, until}, files_internal::FileNameFor(key));
      !written.ok()) {
    return written;
  }
  ++(live ? stats_.updates : stats_.insertions);
  if (!live) ++files_;
  return absl::OkStatus();
}

absl::StatusOr<bool> FileStore::Erase(const std::string& key) {
  MutexLock lock(&mu_);
  auto found = Read(key);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return false;
  if (absl::Status gone = Unlink((*found)->file_name); !gone.ok()) return gone;
  const bool live = (*found)->entry.deadline > NowNanos();
  ++(live ? stats_.removals : stats_.expirations);
  return live;
}

absl::Status FileStore::Clear() {
  MutexLock lock(&mu_);
  auto live = Scan();
  if (!live.ok()) return live.status();
  for (const Found& found : *live) {
    if (absl::Status gone = Unlink(found.file_name); !gone.ok()) return gone;
    ++stats_.removals;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FileStore::Keys() {
  MutexLock lock(&mu_);
  auto live = Scan();
  if (!live.ok()) return live.status();
  std::vector<std::string> keys;
  for (Found& found : *live) keys.push_back(std::move(found.entry.key));
  return keys;
}


CacheStats FileStore::Stats() {
  MutexLock lock(&mu_);
  (void)Scan();  // counts what has expired; an I/O error leaves the counters as they are
  return stats_;
}

}  // namespace cachelab
