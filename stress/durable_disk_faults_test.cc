// The disk-fault suite on the persistent engines as they ship by default: the battery runs them
// without fsync (it cannot observe a power cut, and syncing makes it slow), so EIO from fsync
// reaches them only here, with SQLite's synchronous=FULL and the files engine's fsync on.
#include "gtest/gtest.h"
#include "reference/files/files_cache.h"
#include "reference/sqlite/sqlite_cache.h"
#include "stress/disk_fault_suite.h"

namespace cachelab {
namespace {

struct DurableSqliteFactory {
  static cachelab::Capabilities Capabilities() { return SqliteCache<int, int>::Declared(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    return SqliteCache<K, V>::Open(options, SqliteOptions{});  // synchronous_full = true
  }
};

struct DurableFilesFactory {
  static cachelab::Capabilities Capabilities() { return FilesCache<int, int>::Declared(); }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    return FilesCache<K, V>::Open(options, FilesOptions{});  // fsync = true
  }
};

}  // namespace
}  // namespace cachelab

namespace cachelab::stress {
INSTANTIATE_TYPED_TEST_SUITE_P(DurableSqlite, DiskFaultSuite,
                               ::testing::Types<::cachelab::DurableSqliteFactory>);
INSTANTIATE_TYPED_TEST_SUITE_P(DurableFiles, DiskFaultSuite,
                               ::testing::Types<::cachelab::DurableFilesFactory>);
}  // namespace cachelab::stress
