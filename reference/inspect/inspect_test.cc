// The inspection tool on real caches written by the engines, on the real file system.
#include "reference/inspect/inspect.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "reference/files/files_cache.h"
#include "reference/sqlite/sqlite_cache.h"

namespace cachelab {
namespace {

struct Outcome {
  int status;
  std::string out, err;
};

Outcome Inspect(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int status = RunInspect(args, out, err);
  return {status, out.str(), err.str()};
}

std::string Dir(absl::string_view name) { return absl::StrCat(getenv("TEST_TMPDIR"), "/", name); }

// A cache written two hours ago on its clock: "old" expired an hour ago, "fresh" has a day left,
// "plain" has no deadline.
template <typename Engine>
void Fill(const std::string& dir) {
  auto clock = std::make_shared<ManualClock>(absl::Now() - absl::Hours(2));
  CacheOptions options;
  options.capacity = 100;
  options.location = dir;
  options.clock = clock;
  auto cache = Engine::Open(options);
  ASSERT_TRUE(cache.ok()) << cache.status();
  ASSERT_TRUE((*cache)->InsertWithTtl("old", "1", absl::Hours(1)).ok());
  ASSERT_TRUE((*cache)->InsertWithTtl("fresh", std::string(1000, 'x'), absl::Hours(26)).ok());
  ASSERT_TRUE((*cache)->Insert("plain", "3").ok());
}

using Sqlite = SqliteCache<std::string, std::string>;
using Files = FilesCache<std::string, std::string>;

TEST(InspectTest, ListsLiveEntriesWithSizeAndDeadline) {
  Fill<Sqlite>(Dir("list"));
  const Outcome listed = Inspect({"list", Dir("list")});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_TRUE(absl::StrContains(listed.out, "plain")) << listed.out;
  EXPECT_TRUE(absl::StrContains(listed.out, "fresh")) << listed.out;
  EXPECT_FALSE(absl::StrContains(listed.out, "old")) << "an expired entry was listed";
  EXPECT_TRUE(absl::StrContains(listed.out, "\tnone")) << listed.out;
  const Outcome limited = Inspect({"list", Dir("list"), "--limit=1"});
  EXPECT_TRUE(absl::StrContains(limited.out, "(1 more")) << limited.out;
}

TEST(InspectTest, ShowsAMemoizedCallsKeyAsItsArguments) {
  CacheOptions options;
  options.capacity = 10;
  options.location = Dir("memoized");
  auto cache = Sqlite::Open(options);
  ASSERT_TRUE(cache.ok());
  const std::string key = Codec<std::tuple<std::string, int64_t, std::string>>::Encode(
      std::make_tuple(std::string("report"), int64_t{2025}, std::string("Oslo")));
  ASSERT_TRUE((*cache)->Insert(key, "v").ok());
  cache->reset();
  const Outcome listed = Inspect({"list", Dir("memoized")});
  EXPECT_TRUE(absl::StrContains(listed.out, "(\"report\", 2025, \"Oslo\")")) << listed.out;
}

TEST(InspectTest, StatsPurgeAndClearOnBothEngines) {
  Fill<Sqlite>(Dir("sqlite"));
  Fill<Files>(Dir("files"));
  for (const char* name : {"sqlite", "files"}) {
    const Outcome stats = Inspect({"stats", Dir(name)});
    ASSERT_EQ(stats.status, 0) << stats.err;
    EXPECT_TRUE(absl::StrContains(stats.out, absl::StrCat("engine: ", name))) << stats.out;
    EXPECT_TRUE(absl::StrContains(stats.out, "entries: 2")) << stats.out;
    EXPECT_TRUE(absl::StrContains(stats.out, "with a deadline: 1")) << stats.out;
    const Outcome purged = Inspect({"purge", Dir(name)});
    ASSERT_EQ(purged.status, 0) << purged.err;
    // Opening the files engine already drops expired entries, so there is nothing left.
    EXPECT_TRUE(absl::StrContains(purged.out, std::string(name) == "sqlite" ? "purged 1"
                                                                               : "purged 0"))
        << name << ": " << purged.out;
    const Outcome cleared = Inspect({"clear", Dir(name)});
    EXPECT_EQ(cleared.out, "removed 2 entries\n") << name;
    EXPECT_TRUE(absl::StrContains(Inspect({"stats", Dir(name)}).out, "entries: 0"));
  }
}

TEST(InspectTest, VerifyReportsADamagedSqliteEntry) {
  Fill<Sqlite>(Dir("damaged-sqlite"));
  EXPECT_EQ(Inspect({"verify", Dir("damaged-sqlite")}).status, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((Dir("damaged-sqlite") + "/cache.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE cachelab_entries SET value = X'00' WHERE length(value) > 500",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const Outcome verified = Inspect({"verify", Dir("damaged-sqlite")});
  EXPECT_EQ(verified.status, 1);
  EXPECT_TRUE(absl::StrContains(verified.out, "DAMAGE FOUND")) << verified.out;
  EXPECT_TRUE(absl::StrContains(verified.out, "damaged: ")) << verified.out;
  EXPECT_TRUE(absl::StrContains(verified.out, "fresh")) << verified.out;
}

TEST(InspectTest, VerifyReportsADamagedEntryFile) {
  Fill<Files>(Dir("damaged-files"));
  for (const auto& item : std::filesystem::directory_iterator(Dir("damaged-files"))) {
    if (item.path().extension() != ".entry" || item.file_size() < 500) continue;
    std::fstream file(item.path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(item.file_size() - 3));
    file.put('\x7f');
  }
  const Outcome verified = Inspect({"verify", Dir("damaged-files")});
  EXPECT_EQ(verified.status, 1) << verified.out;
  EXPECT_TRUE(absl::StrContains(verified.out, "problem: damaged entry file")) << verified.out;
}

TEST(InspectTest, RefusesWhatIsNotACacheAndCreatesNothing) {
  std::filesystem::create_directories(Dir("empty"));
  Outcome empty = Inspect({"list", Dir("empty")});
  EXPECT_EQ(empty.status, 2);
  EXPECT_TRUE(absl::StrContains(empty.err, "is not a cachelab cache")) << empty.err;
  EXPECT_TRUE(std::filesystem::is_empty(Dir("empty"))) << "inspecting created files";
  Outcome missing = Inspect({"stats", Dir("missing")});
  EXPECT_EQ(missing.status, 2);
  EXPECT_TRUE(absl::StrContains(missing.err, "does not exist")) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(Dir("missing")));
  std::ofstream(Dir("a-file")) << "x";
  EXPECT_TRUE(absl::StrContains(Inspect({"stats", Dir("a-file")}).err, "is a file"));
  Outcome usage = Inspect({"shred", Dir("empty")});
  EXPECT_EQ(usage.status, 2);
  EXPECT_TRUE(absl::StrContains(usage.err, "usage:")) << usage.err;
}

}  // namespace
}  // namespace cachelab
