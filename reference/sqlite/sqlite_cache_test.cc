// What the battery cannot check generically about the SQLite engine: files that are not a
// cachelab cache, corruption, the byte limit, and values its codec cannot decode.
#include "reference/sqlite/sqlite_cache.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace cachelab {
namespace {

class SqliteCacheTest : public ::testing::Test {
 protected:
  SqliteCacheTest() {
    std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/sqlite-XXXXXX";
    location_ = std::string(mkdtemp(dir.data())) + "/cache";
    options_.capacity = 100;
    options_.location = location_;
  }
  template <typename V = std::string>
  std::unique_ptr<Cache<std::string, V>> Open(SqliteOptions sqlite = {}) {
    auto cache = SqliteCache<std::string, V>::Open(options_, sqlite);
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? *std::move(cache) : nullptr;
  }
  std::string location_;
  CacheOptions options_;
};

TEST_F(SqliteCacheTest, ADatabaseThatIsNotACacheIsRefused) {
  {
    auto cache = Open();  // creates the directory and a cache database
  }
  const std::string db = location_ + "/" + SqliteStore::kFileName;
  ASSERT_EQ(std::remove(db.c_str()), 0);
  ASSERT_EQ(std::system(("/usr/bin/sqlite3 " + db + " 'CREATE TABLE users(id)'").c_str()), 0)
      << "the sqlite3 shell (installed by tools/setup) builds the foreign database";
  auto refused = SqliteCache<std::string, std::string>::Open(options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("not a cachelab cache"), absl::string_view::npos)
      << refused.status();
}

TEST_F(SqliteCacheTest, AGarbageFileIsAClearErrorNotACrash) {
  ASSERT_EQ(mkdir(location_.c_str(), 0700), 0);
  std::ofstream(location_ + "/" + SqliteStore::kFileName) << std::string(8192, 'x');
  auto refused = SqliteCache<std::string, std::string>::Open(options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_NE(refused.status().message().find(location_), absl::string_view::npos);
}

TEST_F(SqliteCacheTest, MaxBytesEvictsLeastRecentlyUsedAndRefusesOversizedEntries) {
  SqliteOptions sqlite;
  sqlite.max_bytes = 30;  // keys + values
  auto cache = Open(sqlite);
  ASSERT_TRUE(cache->Insert("a", std::string(9, 'x')).ok());  // 10 bytes
  ASSERT_TRUE(cache->Insert("b", std::string(9, 'x')).ok());  // 20
  ASSERT_TRUE(*cache->Lookup("a"));                            // b is now the LRU
  ASSERT_TRUE(cache->Insert("c", std::string(19, 'x')).ok());  // 20 more: b must go
  EXPECT_TRUE(*cache->Lookup("a"));
  EXPECT_FALSE(*cache->Lookup("b"));
  EXPECT_TRUE(*cache->Lookup("c"));
  const absl::Status too_big = cache->Insert("d", std::string(40, 'x'));
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument) << too_big;
  EXPECT_EQ(cache->Stats().evictions, 1u);
}

TEST_F(SqliteCacheTest, AValueItsCodecCannotDecodeIsDataLoss) {
  {
    auto as_string = Open();
    ASSERT_TRUE(as_string->Insert("n", "not eight bytes").ok());
  }
  auto as_int = Open<int64_t>();
  const auto found = as_int->Lookup("n");
  EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss) << found.status();
}

TEST_F(SqliteCacheTest, SingleProcessOwnerRefusesEveryOtherHandleUntilItCloses) {
  SqliteOptions owner_options;
  owner_options.single_process = true;
  EXPECT_FALSE((SqliteCache<std::string, std::string>::Declared(owner_options).multi_process));
  SqliteOptions other;
  other.busy_timeout = absl::Milliseconds(50);
  SqliteOptions other_single = other;
  other_single.single_process = true;
  auto owner = Open(owner_options);
  ASSERT_NE(owner, nullptr);
  ASSERT_TRUE(owner->Insert("a", "1").ok());
  struct stat shm;
  EXPECT_NE(stat((location_ + "/" + SqliteStore::kFileName + "-shm").c_str(), &shm), 0)
      << "the owner's WAL index should live in its memory, not in a shared -shm file";
  for (const SqliteOptions& sqlite : {other, other_single}) {
    auto refused = SqliteCache<std::string, std::string>::Open(options_, sqlite);
    ASSERT_FALSE(refused.ok()) << "a second handle opened a cache owned by a single_process one";
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
    EXPECT_NE(refused.status().message().find("single_process"), absl::string_view::npos)
        << "the error should name the option that locks the file: " << refused.status();
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // no gtest in here: the exit code is the verdict
    auto engine = SqliteCache<std::string, std::string>::Open(options_, other);
    _exit(!engine.ok() && engine.status().code() == absl::StatusCode::kUnavailable ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "another process opened the owned cache";
  EXPECT_EQ(*owner->Lookup("a"), "1") << "the owner must keep working after refusing others";
  owner.reset();
  auto after = Open(other);
  ASSERT_NE(after, nullptr) << "the lock must go with the owner";
  EXPECT_EQ(*after->Lookup("a"), "1");
}

}  // namespace
}  // namespace cachelab
