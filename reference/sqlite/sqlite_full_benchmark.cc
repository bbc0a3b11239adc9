// The SQLite engine's standard benchmarks at full durability (an fsync per commit, the default
// for users), next to the battery's runs at normal (BM_Sqlite..., from cache_battery). Read
// against BM_RawSqliteInsert/synchronous_full:1 in //benchmarks:peers_benchmark.
#include "benchmarks/engine_benchmarks.h"
#include "reference/sqlite/sqlite_cache.h"

namespace cachelab {
namespace {

struct SqliteFullFactory {
  static cachelab::Capabilities Capabilities() { return SqliteCache<int, int>::Declared(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    return SqliteCache<K, V>::Open(options);  // SqliteOptions{}: synchronous FULL
  }
};

}  // namespace
}  // namespace cachelab

CACHELAB_BENCHMARKS(SqliteFull, ::cachelab::SqliteFullFactory)
