// UcachePlan: which engines the universal front-end (Ucache, front_ends.h) chains, from what the
// caller declares. The chain is tried in order and always ends in the memory tail of
// FallbackCache, so a Ucache works on any machine.
//
// The rule ("the right cache backend for the right type of data"):
//
//   | persistent | shared across | values | ttl | engines, in order of preference  |
//   |------------|---------------|--------|-----|----------------------------------|
//   | no         | nothing       | any    | any | fast                             |
//   | no         | processes     | any    | any | sqlite                           |
//   | no         | machines      | small  | no  | memcached, redis                 |
//   | no         | machines      | small  | yes | redis, memcached                 |
//   | no         | machines      | large  | any | redis                            |
//   | yes        | machines      | any    | any | redis                            |
//   | yes        | nothing       | small  | any | sqlite, files                    |
//   | yes        | nothing       | large  | no  | files, sqlite                    |
//   | yes        | nothing       | large  | yes | sqlite, files                    |
//   | yes        | processes     | any    | any | sqlite                           |
//
// Why: a process-private memory cache is fastest; SQLite is the one local engine several
// processes may share (files are per-entry and unlocked across processes); memcached is the
// faster remote engine for small values but keeps nothing across a restart, Redis holds values above memcached's 1 MiB item limit
// and expires keys exactly where memcached rounds to seconds (so it comes first with a TTL);
// large values go to files, one file each, unless results expire (SQLite purges expired rows
// with one indexed query). A preferred engine, if given, is moved (or added) to the front.
// Thread-safety: pure function.
#ifndef CACHELAB_REFERENCE_MEMOIZE_UCACHE_PLAN_H_
#define CACHELAB_REFERENCE_MEMOIZE_UCACHE_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cachelab {

enum class Sharing { kNothing, kProcesses, kMachines };
enum class ValueSize { kSmall, kLarge };  // large: results above 512 KiB

struct UcacheNeeds {
  bool persistent = false;
  Sharing shared = Sharing::kNothing;
  ValueSize values = ValueSize::kSmall;
  bool ttl = false;  // results expire (set by Ucache from MemoizeOptions::ttl)
};

// The engine names of the rule above; kInvalidArgument for an unknown preferred engine (known:
// fast, sqlite, files, redis, memcached).
absl::StatusOr<std::vector<std::string>> UcachePlan(const UcacheNeeds& needs,
                                                    absl::string_view preferred = "");

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMOIZE_UCACHE_PLAN_H_
