// PersistenceSuite: what engines that declare `persistent` or `multi_process` promise: every
// acknowledged write survives closing and reopening the same location, deadlines included;
// another process sees the writes, and processes racing on one cache count each change once; an
// empty location is refused; and for engines whose location is a local directory, an unusable
// one is refused naming it, and it is private (a directory of mode 0700, files of mode 0600).
#ifndef CACHELAB_CONFORMANCE_PERSISTENCE_SUITE_H_
#define CACHELAB_CONFORMANCE_PERSISTENCE_SUITE_H_

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "conformance/internal/fixture.h"

namespace cachelab::conformance {

template <typename Factory>
class PersistenceSuite : public CacheTest<Factory> {
 protected:
  void SetUp() override {
    if (!this->Caps().persistent) GTEST_SKIP() << "not applicable: engine is not persistent";
  }
  // An engine outside the fixture's bookkeeping, so that the test can close it.
  std::unique_ptr<StringCache> Open(const CacheOptions& options) {
    auto engine = Factory::template Create<std::string, std::string>(options);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? *std::move(engine) : nullptr;
  }
};
TYPED_TEST_SUITE_P(PersistenceSuite);

TYPED_TEST_P(PersistenceSuite, ReopenKeepsEveryAcknowledgedWrite) {
  const CacheOptions options = this->Options(64);
  const std::string nul_key("k\0ey", 4), nul_value("v\0\0al", 6);
  {
    auto first = this->Open(options);
    ASSERT_NE(first, nullptr);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(first->Insert("k" + std::to_string(i), "v").ok());
    ASSERT_TRUE(first->Insert("k3", "overwritten").ok());
    ASSERT_TRUE(first->Insert(nul_key, nul_value).ok());
    ASSERT_TRUE(*first->Erase("k7"));
  }
  StringCache& reopened = this->Make(options);
  EXPECT_EQ(SizeOf(reopened), 20u);
  EXPECT_EQ(Get(reopened, std::string("k3")), "overwritten");
  EXPECT_EQ(Get(reopened, std::string("k19")), "v");
  EXPECT_EQ(Get(reopened, nul_key), nul_value);
  EXPECT_EQ(Get(reopened, std::string("k7")), std::nullopt) << "an erase must persist too";
}

// Recency is part of what persists: an engine that batches its uses in memory must write them
// before it closes, or the LRU victim after a reopen is the wrong one.
TYPED_TEST_P(PersistenceSuite, ReopenKeepsTheLeastRecentlyUsedOrder) {
  CACHELAB_REQUIRE(this->Caps().eviction == EvictionPolicy::kLru, "not an exact LRU");
  const CacheOptions options = this->Options(3);
  {
    auto first = this->Open(options);
    ASSERT_NE(first, nullptr);
    for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(first->Insert(key, key).ok());
    ASSERT_EQ(*first->Lookup("a"), "a");  // b is now the least recently used
  }
  StringCache& reopened = this->Make(options);
  ASSERT_TRUE(reopened.Insert("d", "d").ok());
  EXPECT_EQ(Get(reopened, std::string("b")), std::nullopt)
      << "b was the least recently used before the reopen and should have been evicted";
  EXPECT_EQ(Get(reopened, std::string("a")), "a") << "the use of a before the reopen was lost";
}

TYPED_TEST_P(PersistenceSuite, ReopenKeepsDeadlines) {
  CACHELAB_REQUIRE(this->Caps().per_entry_ttl, "no per-entry TTL");
  const CacheOptions options = this->Options(8);
  {
    auto first = this->Open(options);
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(first->InsertWithTtl("short", "v", absl::Seconds(10)).ok());
    ASSERT_TRUE(first->Insert("forever", "v").ok());
  }
  this->Advance(absl::Seconds(10));
  StringCache& reopened = this->Make(options);
  EXPECT_EQ(Get(reopened, std::string("short")), std::nullopt);
  EXPECT_EQ(Get(reopened, std::string("forever")), "v");
}

TYPED_TEST_P(PersistenceSuite, ReopenAfterClearIsEmpty) {
  const CacheOptions options = this->Options(8);
  {
    auto first = this->Open(options);
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(first->Insert("a", "1").ok());
    ASSERT_TRUE(first->Clear().ok());
  }
  EXPECT_EQ(SizeOf(this->Make(options)), 0u);
}

TYPED_TEST_P(PersistenceSuite, AnotherProcessSeesTheWrites) {
  CACHELAB_REQUIRE(this->Caps().multi_process, "not shared between processes");
  const CacheOptions options = this->Options(16);
  StringCache& parent = this->Make(options);
  ASSERT_TRUE(parent.Insert("from-parent", "p").ok());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // no gtest in here: the exit code is the verdict
    auto engine = TypeParam::template Create<std::string, std::string>(options);
    if (!engine.ok()) _exit(2);
    auto seen = (*engine)->Lookup("from-parent");
    if (!seen.ok() || *seen != std::optional<std::string>("p")) _exit(3);
    _exit((*engine)->Insert("from-child", "c").ok() ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "child: 2 could not open, 3 did not see the parent's write, 4 could not write";
  EXPECT_EQ(Get(parent, std::string("from-child")), "c");
}

// Processes racing on a few keys: each change is counted by exactly one of them, so the sum of
// their statistics' balances is the number of entries left, and a hit returns a value written.
TYPED_TEST_P(PersistenceSuite, ProcessesRacingOnOneCacheCountEachChangeOnce) {
  CACHELAB_REQUIRE(this->Caps().multi_process, "not shared between processes");
  constexpr int kProcesses = 3, kCalls = 300, kKeys = 5;
  const CacheOptions options = this->Options(2 * kKeys);  // bounded engines never evict here
  // Opened first, so that whatever the factory sets up (a server) is shared with the children.
  StringCache& parent = this->Make(options);
  int pipes[kProcesses][2];
  pid_t children[kProcesses];
  for (int p = 0; p < kProcesses; ++p) {
    ASSERT_EQ(pipe(pipes[p]), 0);
    children[p] = fork();
    ASSERT_GE(children[p], 0);
    if (children[p] == 0) {  // no gtest in here: the exit code is the verdict
      auto engine = TypeParam::template Create<std::string, std::string>(options);
      if (!engine.ok()) _exit(2);
      uint64_t state = 0x9e3779b97f4a7c15u * (p + 1);
      for (int call = 0; call < kCalls; ++call) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        const std::string key = "k" + std::to_string((state >> 33) % kKeys);
        const int op = static_cast<int>((state >> 13) % 3);
        if (op == 0 && !(*engine)->Insert(key, key + ":" + std::to_string(p)).ok()) _exit(3);
        if (op == 1 && !(*engine)->Erase(key).ok()) _exit(3);
        if (op == 2) {
          auto found = (*engine)->Lookup(key);
          if (!found.ok()) _exit(3);
          if (found->has_value() && (*found)->rfind(key + ":", 0) != 0) _exit(4);
        }
      }
      const CacheStats stats = (*engine)->Stats();
      _exit(write(pipes[p][1], &stats, sizeof(stats)) == sizeof(stats) ? 0 : 5);
    }
    close(pipes[p][1]);
  }
  int64_t balance = 0;
  std::string counted;
  for (int p = 0; p < kProcesses; ++p) {
    CacheStats stats;
    const bool got = read(pipes[p][0], &stats, sizeof(stats)) == sizeof(stats);
    close(pipes[p][0]);
    int status = 0;
    ASSERT_EQ(waitpid(children[p], &status, 0), children[p]);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0) << "process " << p << ": 2 could not open, 3 a call "
                                      << "failed, 4 a hit returned a value never written";
    ASSERT_TRUE(got);
    balance += stats.Balance();
    counted += absl::StrCat(" process ", p, ": insertions ", stats.insertions, " updates ",
                            stats.updates, " removals ", stats.removals, " expirations ",
                            stats.expirations, " evictions ", stats.evictions, ";");
  }
  EXPECT_EQ(balance, static_cast<int64_t>(SizeOf(parent)))
      << "insertions - removals - expirations - evictions over all processes:" << counted;
}

TYPED_TEST_P(PersistenceSuite, AFileWhereTheDirectoryShouldBeIsRefused) {
  CACHELAB_REQUIRE(this->Caps().local_files, "location is not a directory");
  CacheOptions options = this->Options(8);
  const std::string file = options.location;  // does not exist yet: make it a regular file
  std::ofstream(file) << "not a directory";
  for (const std::string& location : {file, file + "/below"}) {
    options.location = location;
    auto engine = TypeParam::template Create<std::string, std::string>(options);
    ASSERT_FALSE(engine.ok()) << "an engine opened at " << location;
    EXPECT_NE(engine.status().message().find(file), absl::string_view::npos)
        << "the error should name the location: " << engine.status();
  }
}

TYPED_TEST_P(PersistenceSuite, EmptyLocationIsRefused) {
  CacheOptions options = this->Options(8);
  options.location.clear();
  auto engine = TypeParam::template Create<std::string, std::string>(options);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument) << engine.status();
}

TYPED_TEST_P(PersistenceSuite, LocationIsPrivate) {
  CACHELAB_REQUIRE(this->Caps().local_files, "location is not a directory");
  const CacheOptions options = this->Options(8);
  StringCache& cache = this->Make(options);
  ASSERT_TRUE(cache.Insert("k", "v").ok());
  struct stat info;
  ASSERT_EQ(stat(options.location.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u) << "the location directory";
  DIR* dir = opendir(options.location.c_str());
  ASSERT_NE(dir, nullptr);
  int files = 0;
  while (dirent* entry = readdir(dir)) {
    const std::string path = options.location + "/" + entry->d_name;
    if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    ++files;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << path;
  }
  closedir(dir);
  EXPECT_GT(files, 0) << "the engine wrote no file into its location";
}

REGISTER_TYPED_TEST_SUITE_P(PersistenceSuite, ReopenKeepsEveryAcknowledgedWrite,
                            ReopenKeepsTheLeastRecentlyUsedOrder,
                            ReopenKeepsDeadlines, ReopenAfterClearIsEmpty,
                            AnotherProcessSeesTheWrites,
                            ProcessesRacingOnOneCacheCountEachChangeOnce,
                            AFileWhereTheDirectoryShouldBeIsRefused,
                            EmptyLocationIsRefused, LocationIsPrivate);

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_PERSISTENCE_SUITE_H_
