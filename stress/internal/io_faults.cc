// Interposed file calls (see io_faults.h). Each forwards to the next definition (libc's, or a
// sanitizer's interceptor) found with dlsym(RTLD_NEXT) unless the armed fault applies.
#undef _FORTIFY_SOURCE  // the fortified inline wrappers of open() would clash with ours
#include "stress/internal/io_faults.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <string>

namespace cachelab::stress {
namespace {

std::atomic<int> armed{static_cast<int>(IoFault::kNone)};
std::atomic<int> injected_calls{0};
std::string* fault_directory = nullptr;  // written only while disarmed

#define CACHELAB_REAL(name)                                                               \
  static const auto real = reinterpret_cast<decltype(&::name)>(dlsym(RTLD_NEXT, #name))

bool Armed(IoFault fault) { return armed.load(std::memory_order_acquire) == static_cast<int>(fault); }

bool Under(const std::string& path) {
  const std::string& dir = *fault_directory;
  return path.compare(0, dir.size(), dir) == 0 && (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string PathOfFd(int fd) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof(target) - 1);
  return n > 0 ? std::string(target, n) : std::string();
}

// The absolute form of `path` relative to `dirfd` (AT_FDCWD: the working directory).
std::string Resolve(int dirfd, const char* path) {
  if (path == nullptr) return std::string();
  if (path[0] == '/') return path;
  std::string base;
  if (dirfd == AT_FDCWD) {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) != nullptr) base = cwd;
  } else {
    base = PathOfFd(dirfd);
  }
  return base + "/" + path;
}

bool FdUnder(IoFault fault, int fd) { return Armed(fault) && Under(PathOfFd(fd)); }
bool PathUnder(IoFault fault, int dirfd, const char* path) {
  return Armed(fault) && Under(Resolve(dirfd, path));
}

// Creating a file that does not exist yet in a read-only directory.
bool CreatesUnder(int dirfd, const char* path, int flags) {
  if (!(flags & O_CREAT) || !PathUnder(IoFault::kReadOnly, dirfd, path)) return false;
  struct stat st;
  return fstatat(dirfd, path, &st, 0) != 0;
}

int Fail(int error) {
  injected_calls.fetch_add(1, std::memory_order_relaxed);
  errno = error;
  return -1;
}

mode_t ModeOf(int flags, va_list args) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
}

}  // namespace

const char* IoFaultName(IoFault fault) {
  switch (fault) {
    case IoFault::kNone: return "none";
    case IoFault::kWriteError: return "EIO on write";
    case IoFault::kSyncError: return "EIO on fsync";
    case IoFault::kReadOnly: return "directory made read-only";
  }
  return "?";
}

ScopedIoFault::ScopedIoFault(IoFault fault, const std::string& directory) {
  delete fault_directory;
  fault_directory = new std::string(directory);
  injected_calls.store(0);
  armed.store(static_cast<int>(fault), std::memory_order_release);
}

ScopedIoFault::~ScopedIoFault() { armed.store(static_cast<int>(IoFault::kNone)); }

int ScopedIoFault::injected() const { return injected_calls.load(); }

}  // namespace cachelab::stress

using cachelab::stress::CreatesUnder;
using cachelab::stress::Fail;
using cachelab::stress::FdUnder;
using cachelab::stress::IoFault;
using cachelab::stress::ModeOf;
using cachelab::stress::PathUnder;

extern "C" {

ssize_t write(int fd, const void* buffer, size_t size) {
  CACHELAB_REAL(write);
  return FdUnder(IoFault::kWriteError, fd) ? Fail(EIO) : real(fd, buffer, size);
}
ssize_t pwrite(int fd, const void* buffer, size_t size, off_t at) {
  CACHELAB_REAL(pwrite);
  return FdUnder(IoFault::kWriteError, fd) ? Fail(EIO) : real(fd, buffer, size, at);
}
ssize_t pwrite64(int fd, const void* buffer, size_t size, off64_t at) {
  return pwrite(fd, buffer, size, at);  // off_t is 64 bits here
}
ssize_t writev(int fd, const struct iovec* parts, int count) {
  CACHELAB_REAL(writev);
  return FdUnder(IoFault::kWriteError, fd) ? Fail(EIO) : real(fd, parts, count);
}
int ftruncate(int fd, off_t size) __THROW {
  CACHELAB_REAL(ftruncate);
  return FdUnder(IoFault::kWriteError, fd) ? Fail(EIO) : real(fd, size);
}
int ftruncate64(int fd, off64_t size) __THROW { return ftruncate(fd, size); }
int fsync(int fd) {
  CACHELAB_REAL(fsync);
  return FdUnder(IoFault::kSyncError, fd) ? Fail(EIO) : real(fd);
}
int fdatasync(int fd) {
  CACHELAB_REAL(fdatasync);
  return FdUnder(IoFault::kSyncError, fd) ? Fail(EIO) : real(fd);
}

// open() and open64() are openat() from the working directory, as in libc.
#define CACHELAB_MODE(flags)        \
  va_list args;                     \
  va_start(args, flags);            \
  const mode_t mode = ModeOf(flags, args); \
  va_end(args)

int openat(int dirfd, const char* path, int flags, ...) {
  CACHELAB_REAL(openat);
  CACHELAB_MODE(flags);
  return CreatesUnder(dirfd, path, flags) ? Fail(EACCES) : real(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char* path, int flags, ...) {
  CACHELAB_MODE(flags);
  return openat(dirfd, path, flags, mode);
}
int open(const char* path, int flags, ...) {
  CACHELAB_MODE(flags);
  return openat(AT_FDCWD, path, flags, mode);
}
int open64(const char* path, int flags, ...) {
  CACHELAB_MODE(flags);
  return openat(AT_FDCWD, path, flags, mode);
}
int creat(const char* path, mode_t mode) {
  return openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
int creat64(const char* path, mode_t mode) { return creat(path, mode); }

// mkstemp and its kin open through libc's internal entry points, past the open() above.
int mkostemp(char* path_template, int flags) {
  CACHELAB_REAL(mkostemp);
  return PathUnder(IoFault::kReadOnly, AT_FDCWD, path_template) ? Fail(EACCES)
                                                                 : real(path_template, flags);
}
int mkostemp64(char* path_template, int flags) { return mkostemp(path_template, flags); }
int mkstemp(char* path_template) { return mkostemp(path_template, 0); }
int mkstemp64(char* path_template) { return mkostemp(path_template, 0); }

int renameat(int from_dir, const char* from, int to_dir, const char* to) __THROW {
  CACHELAB_REAL(renameat);
  return PathUnder(IoFault::kReadOnly, from_dir, from) || PathUnder(IoFault::kReadOnly, to_dir, to)
             ? Fail(EACCES)
             : real(from_dir, from, to_dir, to);
}
int rename(const char* from, const char* to) __THROW {
  return renameat(AT_FDCWD, from, AT_FDCWD, to);
}
int unlinkat(int dirfd, const char* path, int flags) __THROW {
  CACHELAB_REAL(unlinkat);
  return PathUnder(IoFault::kReadOnly, dirfd, path) ? Fail(EACCES) : real(dirfd, path, flags);
}
int unlink(const char* path) __THROW { return unlinkat(AT_FDCWD, path, 0); }
int remove(const char* path) __THROW {
  CACHELAB_REAL(remove);
  return PathUnder(IoFault::kReadOnly, AT_FDCWD, path) ? Fail(EACCES) : real(path);
}
int mkdir(const char* path, mode_t mode) __THROW {
  CACHELAB_REAL(mkdir);
  return PathUnder(IoFault::kReadOnly, AT_FDCWD, path) ? Fail(EACCES) : real(path, mode);
}

}  // extern "C"
