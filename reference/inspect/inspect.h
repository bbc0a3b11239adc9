// The inspection tool (cachelab_inspect): lists, counts, purges, verifies and clears the
// persistent caches on this machine (SQLite and files engines), whatever their key and value
// types, by reading their stores as bytes.
//
//   cachelab_inspect <command> <directory> [--key-file=PATH] [--limit=N]
//
//   list    every live entry: key (as text; a memoized call's key as ("function", arguments...);
//           else C-escaped; cut to 60 characters), stored bytes, deadline
//   stats   entries, stored bytes, entries with a deadline, the engine and its files' size
//   purge   removes expired entries; says how many
//   verify  reads and checks every entry (checksums; SQLite's integrity_check; with a key file,
//           decryption) and lists what is damaged; exit status 1 if anything is
//   clear   removes every entry
//
// The engine is recognized from the directory (cache.db: SQLite; .cachelab-files: files); a
// directory that is neither, a missing one or a file is refused with a message saying so, and
// nothing is created. Exit status: 0 done, 1 damage found, 2 refused or failed.
// Thread-safety: RunInspect may run beside other processes using the cache (the engines lock).
#ifndef CACHELAB_REFERENCE_INSPECT_INSPECT_H_
#define CACHELAB_REFERENCE_INSPECT_INSPECT_H_

#include <ostream>
#include <string>
#include <vector>

namespace cachelab {

// Runs the tool with `args` (without the program name), writing results to `out` and errors
// to `err`; returns the exit status.
int RunInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_INSPECT_INSPECT_H_
