// What the battery cannot check generically about the SQLite engine: files that are not a
// cachelab cache, corruption, the byte limit, and values its codec cannot decode.
#include "reference/sqlite/sqlite_cache.h"

#include <stdlib.h>

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

}  // namespace
}  // namespace cachelab
