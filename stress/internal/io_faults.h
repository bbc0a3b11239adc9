// Disk faults injected into this process, for the stress battery.
//
// Linking :io_faults interposes the C library's file calls (open, creat, mkstemp, write, pwrite,
// writev, ftruncate, fsync, fdatasync, rename, unlink, mkdir and their *at / 64-bit forms). The
// main program's definitions win over libc's for the whole process, shared libraries included
// (libsqlite3 resolves them through its GOT), so an engine is faulted where it really does I/O.
// While no fault is armed, every call goes straight to libc's.
//
// A fault applies only to paths under one directory (an fd's path is read from /proc/self/fd),
// so the test's own output and other files are untouched. What the tests get:
//   kWriteError      write, pwrite, writev and ftruncate of files under the directory: EIO
//   kSyncError       fsync and fdatasync of files under the directory: EIO
//   kReadOnly        the directory made read-only after open (as `chmod a-w` would for a user
//                    without root): creating, renaming, deleting or making entries under it
//                    fails with EACCES; files already open stay writable
//
// Thread-safety: Arm/Disarm may race with calls on other threads; a call sees the fault armed
// or not. One fault at a time per process. Not for production binaries.
#ifndef CACHELAB_STRESS_INTERNAL_IO_FAULTS_H_
#define CACHELAB_STRESS_INTERNAL_IO_FAULTS_H_

#include <string>

namespace cachelab::stress {

enum class IoFault { kNone, kWriteError, kSyncError, kReadOnly };

const char* IoFaultName(IoFault fault);

// Arms `fault` for paths under `directory` (absolute, no trailing slash) until the guard dies.
class ScopedIoFault {
 public:
  ScopedIoFault(IoFault fault, const std::string& directory);
  ~ScopedIoFault();
  ScopedIoFault(const ScopedIoFault&) = delete;
  ScopedIoFault& operator=(const ScopedIoFault&) = delete;

  // How many calls this fault has failed so far.
  int injected() const;
};

}  // namespace cachelab::stress

#endif  // CACHELAB_STRESS_INTERNAL_IO_FAULTS_H_
