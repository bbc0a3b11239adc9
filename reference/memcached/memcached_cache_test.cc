// What the battery cannot check generically about the memcached engine: losing the server and
// getting it back, namespaces on one server, keys memcached itself could not hold, entries
// written by someone else, values above the server's limit, listing keys while another
// process lists them too, and overwrites by one compare-and-swap (what they cost in commands,
// and that they never trust an item that changed).
#include "reference/memcached/memcached_cache.h"

#include <libmemcached/memcached.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "reference/memcached/internal/entry.h"
#include "reference/memcached/internal/key_dump.h"
#include "reference/memcached/internal/line_connection.h"
#include "reference/memcached/testing/memcached_server.h"

namespace cachelab {
namespace {

using StringCache = Cache<std::string, std::string>;

std::unique_ptr<StringCache> Connect(int port, const std::string& name,
                                     std::shared_ptr<const Clock> clock = nullptr) {
  CacheOptions options;
  options.location = name;
  options.clock = std::move(clock);
  MemcachedOptions memcached;
  memcached.port = port;
  memcached.connect_timeout = absl::Milliseconds(300);
  memcached.command_timeout = absl::Milliseconds(300);
  auto cache = MemcachedCache<std::string, std::string>::Open(options, memcached);
  EXPECT_TRUE(cache.ok()) << cache.status();
  return cache.ok() ? *std::move(cache) : nullptr;
}

// Writes raw bytes under an item name, as another program sharing the server might.
void WriteRaw(int port, const std::string& name, const std::string& bytes) {
  memcached_st* client = memcached_create(nullptr);
  memcached_server_add(client, "127.0.0.1", static_cast<in_port_t>(port));
  EXPECT_EQ(memcached_set(client, name.data(), name.size(), bytes.data(), bytes.size(), 0, 0),
            MEMCACHED_SUCCESS);
  memcached_free(client);
}

// The server's counter `stat` (e.g. "cmd_get") from `stats`, or -1 if it cannot be read.
int64_t ServerStat(int port, const std::string& stat) {
  memcached_internal::LineConnection connection("127.0.0.1", port, "test stats");
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  if (!connection.Open(deadline).ok() || !connection.Send("stats\r\n", deadline).ok()) return -1;
  int64_t value = -1;
  for (auto line = connection.ReadLine(deadline); line.ok() && *line != "END";
       line = connection.ReadLine(deadline)) {
    const std::vector<std::string> field = absl::StrSplit(*line, ' ');
    if (field.size() == 3 && field[1] == stat && !absl::SimpleAtoi(field[2], &value)) return -1;
  }
  return value;
}

// The CAS of item `name`, or 0 if there is none.
uint64_t ItemCas(int port, const std::string& name) {
  memcached_st* client = memcached_create(nullptr);
  memcached_behavior_set(client, MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
  memcached_server_add(client, "127.0.0.1", static_cast<in_port_t>(port));
  const char* keys[] = {name.data()};
  const size_t lengths[] = {name.size()};
  uint64_t cas = 0;
  if (memcached_mget(client, keys, lengths, 1) == MEMCACHED_SUCCESS) {
    memcached_return_t code;
    while (memcached_result_st* result = memcached_fetch_result(client, nullptr, &code)) {
      cas = memcached_result_cas(result);
      memcached_result_free(result);
    }
  }
  memcached_free(client);
  return cas;
}

std::vector<std::string> SortedKeys(StringCache& cache) {
  auto keys = cache.Keys();
  EXPECT_TRUE(keys.ok()) << keys.status();
  std::vector<std::string> sorted = keys.value_or(std::vector<std::string>());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

class MemcachedCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::MemcachedServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  int port() const { return server_->port(); }
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(MemcachedCacheTest, ALostServerIsUnavailableWithinTheTimeoutAndTheEngineReconnects) {
  auto cache = Connect(port(), "lost");
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->Insert("k", "v").ok());

  server_->Stop();
  const absl::Time start = absl::Now();
  const auto lost = cache->Lookup("k");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  EXPECT_NE(lost.status().message().find(std::to_string(port())), absl::string_view::npos)
      << "the error should name the server";
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "the error must come within the timeout";
  EXPECT_EQ(cache->Insert("k2", "v").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cache->Keys().status().code(), absl::StatusCode::kUnavailable);
  const CacheStats before = cache->Stats();

  auto restarted = testing::MemcachedServer::Start(port());  // a fresh, empty server
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ASSERT_TRUE(cache->Insert("k", "again").ok()) << "the engine must reconnect by itself";
  EXPECT_EQ(*cache->Lookup("k"), "again");
  EXPECT_EQ(before.hits + before.misses, 0u) << "failed calls must not count";
  EXPECT_EQ(before.insertions, 1u);
}

TEST_F(MemcachedCacheTest, AnUnreachableServerIsRefusedAtOpen) {
  const int dead_port = port();
  server_->Stop();
  CacheOptions options;
  options.location = "x";
  MemcachedOptions memcached;
  memcached.port = dead_port;
  auto cache = MemcachedCache<std::string, std::string>::Open(options, memcached);
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.status().code(), absl::StatusCode::kUnavailable) << cache.status();
}

TEST_F(MemcachedCacheTest, NamespacesKeepCachesOnOneServerApart) {
  const std::string long_name(300, 'n');  // hashed into the item names
  auto first = Connect(port(), "first");
  auto second = Connect(port(), "first:x");  // not a prefix trick: ':' forces the hashed form
  auto third = Connect(port(), long_name);
  ASSERT_TRUE(first && second && third);
  ASSERT_TRUE(first->Insert("k", "1").ok());
  ASSERT_TRUE(second->Insert("k", "2").ok());
  ASSERT_TRUE(third->Insert("k", "3").ok());
  EXPECT_EQ(*first->Lookup("k"), "1");
  EXPECT_EQ(*second->Lookup("k"), "2");
  EXPECT_EQ(*third->Lookup("k"), "3");
  ASSERT_TRUE(first->Clear().ok());
  EXPECT_EQ(*second->Lookup("k"), "2");
  EXPECT_EQ(*first->Size(), 0u);
  EXPECT_EQ(*second->Size(), 1u);
  EXPECT_EQ(*third->Size(), 1u);
}

TEST_F(MemcachedCacheTest, KeysMemcachedCouldNotHoldRoundTrip) {
  auto cache = Connect(port(), "odd-keys");
  ASSERT_NE(cache, nullptr);
  std::vector<std::string> keys = {std::string(10 * 1024, 'x'), std::string("nul\0key", 7),
                                   "spaces and\r\nnewlines", "", std::string(180, 'b'),
                                   std::string(181, 'b'), "../../etc/passwd"};
  for (const std::string& key : keys) ASSERT_TRUE(cache->Insert(key, "v:" + key).ok());
  for (const std::string& key : keys) EXPECT_EQ(*cache->Lookup(key), "v:" + key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(SortedKeys(*cache), keys);
}

TEST_F(MemcachedCacheTest, ItemNamesAlwaysFitMemcached) {
  for (const std::string& name_space : {std::string("a"), std::string(64, 'z'),
                                        std::string(65, 'z'), std::string("sp ace")}) {
    const std::string prefix = memcached_internal::ItemPrefix(name_space);
    for (size_t length = 0; length < 400; ++length) {
      const std::string name = memcached_internal::ItemName(prefix, std::string(length, '\xff'));
      EXPECT_LE(name.size(), memcached_internal::kMaxItemName) << length;
      EXPECT_EQ(name.find_first_of(" \r\n\t"), std::string::npos) << name;
    }
  }
}

TEST_F(MemcachedCacheTest, DamagedOrForeignEntriesAreCountedAndNeverReturned) {
  auto cache = Connect(port(), "damaged");
  ASSERT_NE(cache, nullptr);
  const std::string prefix = memcached_internal::ItemPrefix("damaged");
  WriteRaw(port(), memcached_internal::ItemName(prefix, "garbage"), "not an entry");
  // A well-formed entry for another key, under this key's name.
  WriteRaw(port(), memcached_internal::ItemName(prefix, "moved"),
           memcached_internal::EncodeEntry(absl::InfiniteFuture(), "other", "v"));
  WriteRaw(port(), memcached_internal::ItemName(prefix, "kept"),
           memcached_internal::EncodeEntry(absl::InfiniteFuture(), "kept", "v"));
  EXPECT_EQ(*cache->Lookup("garbage"), std::nullopt);
  EXPECT_EQ(*cache->Keys(), std::vector<std::string>{"kept"});
  const CacheStats stats = cache->Stats();
  EXPECT_EQ(stats.corrupt, 2u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(*cache->Lookup("moved"), std::nullopt) << "a damaged entry is dropped once";
  EXPECT_EQ(cache->Stats().corrupt, 2u);
}

TEST_F(MemcachedCacheTest, AnEntryErasedByAnotherClientIsGoneAndRewritingItIsAnInsertion) {
  auto mine = Connect(port(), "shared");
  auto theirs = Connect(port(), "shared");
  ASSERT_TRUE(mine && theirs);
  ASSERT_TRUE(mine->Insert("k", "1").ok());
  ASSERT_TRUE(*theirs->Erase("k"));
  EXPECT_EQ(*mine->Lookup("k"), std::nullopt);
  ASSERT_TRUE(mine->Insert("k", "2").ok());  // over the tombstone
  ASSERT_TRUE(theirs->Insert("k", "3").ok());
  EXPECT_EQ(*mine->Lookup("k"), "3");
  const CacheStats stats = mine->Stats();
  EXPECT_EQ(stats.insertions, 2u);
  EXPECT_EQ(stats.updates, 0u);
  EXPECT_EQ(theirs->Stats().updates, 1u);
  EXPECT_EQ(theirs->Stats().removals, 1u);
}

// The test server's item size limit: memcached -I 8m, see testing/memcached_server.cc.
constexpr size_t kItemSizeLimit = 8 << 20;

// Overwrites a small entry with `value_bytes` bytes that the server cannot hold: the insert
// must be refused as invalid and the small entry stay, unchanged and not counted as updated.
void ExpectRefusedAndNothingChanged(int port, const std::string& name_space,
                                    size_t value_bytes) {
  auto cache = Connect(port, name_space);
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->Insert("k", "small").ok());
  const absl::Status status = cache->Insert("k", std::string(value_bytes, 'v'));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(*cache->Lookup("k"), "small");
  EXPECT_EQ(cache->Stats().updates, 0u);
}

TEST_F(MemcachedCacheTest, AValueAboveTheServersItemLimitIsRefusedAndChangesNothing) {
  ExpectRefusedAndNothingChanged(port(), "big", kItemSizeLimit + (1 << 20));
}

TEST_F(MemcachedCacheTest, AValueTooCloseToTheItemLimitToBeSureItFitsIsRefusedAndChangesNothing) {
  // A meta set the server refuses as too large also drops the old item, so an entry near the
  // limit must go by the text protocol. This one is 40 bytes under the limit with its name:
  // too large once memcached adds its item header.
  const std::string name =
      memcached_internal::ItemName(memcached_internal::ItemPrefix("edge"), "k");
  const size_t framing = memcached_internal::EncodeEntry(absl::InfiniteFuture(), "k", "").size();
  ExpectRefusedAndNothingChanged(port(), "edge", kItemSizeLimit - 40 - name.size() - framing);
}

TEST_F(MemcachedCacheTest, OverwritingTheItemThisHandleLastWroteIsOneCommand) {
  auto cache = Connect(port(), "overwrite");
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->Insert("k", "0").ok());
  const int64_t gets = ServerStat(port(), "cmd_get"), sets = ServerStat(port(), "cmd_set");
  ASSERT_GE(gets, 0);
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(cache->Insert("k", std::to_string(i)).ok());
  EXPECT_EQ(ServerStat(port(), "cmd_get"), gets) << "no read before an overwrite";
  EXPECT_EQ(ServerStat(port(), "cmd_set"), sets + 10) << "one set per overwrite";
  EXPECT_EQ(*cache->Lookup("k"), "10");
  const CacheStats stats = cache->Stats();
  EXPECT_EQ(stats.insertions, 1u);
  EXPECT_EQ(stats.updates, 10u);
}

TEST_F(MemcachedCacheTest, ErasingTheItemThisHandleLastWroteIsOneCommand) {
  auto clock = std::make_shared<ManualClock>(absl::Now());
  auto cache = Connect(port(), "erase", clock);
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->Insert("live", "v").ok());
  ASSERT_TRUE(cache->InsertWithTtl("expired", "v", absl::Seconds(1)).ok());
  clock->Advance(absl::Seconds(5));
  const int64_t gets = ServerStat(port(), "cmd_get"), sets = ServerStat(port(), "cmd_set");
  ASSERT_GE(gets, 0);
  EXPECT_TRUE(*cache->Erase("live"));
  EXPECT_FALSE(*cache->Erase("expired"));
  EXPECT_FALSE(*cache->Erase("live")) << "erased already";
  EXPECT_EQ(ServerStat(port(), "cmd_get"), gets) << "no read before an erase";
  EXPECT_EQ(ServerStat(port(), "cmd_set"), sets + 3) << "one swap per erase";
  EXPECT_EQ(*cache->Lookup("live"), std::nullopt);
  const CacheStats stats = cache->Stats();
  EXPECT_EQ(stats.removals, 1u);
  EXPECT_EQ(stats.expirations, 1u);
}

// `mine` inserted "k" once, then another client replaced it by an entry that has expired since.
// Overwriting it must count an expiration and an insertion, not an update.
void ExpectOverwriteReplacesAnExpiredEntry(StringCache& mine, bool after_restart) {
  absl::Status status = mine.Insert("k", "again");
  if (after_restart && !status.ok()) {  // the first call may find the old connection dead
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    status = mine.Insert("k", "again");
  }
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(*mine.Lookup("k"), "again");
  const CacheStats stats = mine.Stats();
  EXPECT_EQ(stats.updates, 0u) << "the entry replaced was theirs, and had expired";
  EXPECT_EQ(stats.expirations, 1u);
  EXPECT_EQ(stats.insertions, 2u);
}

TEST_F(MemcachedCacheTest, AnOverwriteAfterAnotherClientsWriteCountsWhatItReallyReplaced) {
  auto clock = std::make_shared<ManualClock>(absl::Now());
  auto mine = Connect(port(), "replaced", clock);
  auto theirs = Connect(port(), "replaced", clock);
  ASSERT_TRUE(mine && theirs);
  ASSERT_TRUE(mine->InsertWithTtl("k", "mine", absl::Seconds(100)).ok());
  ASSERT_TRUE(theirs->InsertWithTtl("k", "theirs", absl::Seconds(1)).ok());
  clock->Advance(absl::Seconds(5));  // theirs has expired; the entry mine wrote would not have
  ExpectOverwriteReplacesAnExpiredEntry(*mine, /*after_restart=*/false);
}

TEST_F(MemcachedCacheTest, ARestartedServerNumbersItemsAfreshAndNoOldCasIsTrusted) {
  auto clock = std::make_shared<ManualClock>(absl::Now());
  auto mine = Connect(port(), "restart", clock);
  ASSERT_NE(mine, nullptr);
  ASSERT_TRUE(mine->InsertWithTtl("k", "mine", absl::Seconds(100)).ok());
  const std::string name =
      memcached_internal::ItemName(memcached_internal::ItemPrefix("restart"), "k");
  const uint64_t first_cas = ItemCas(port(), name);

  server_->Stop();
  auto restarted = testing::MemcachedServer::Start(port());
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  server_ = *std::move(restarted);
  auto theirs = Connect(port(), "restart", clock);
  ASSERT_NE(theirs, nullptr);
  ASSERT_TRUE(theirs->InsertWithTtl("k", "theirs", absl::Seconds(1)).ok());
  // The premise: the new server gave the new item the CAS mine remembers for the old one.
  ASSERT_EQ(ItemCas(port(), name), first_cas);
  clock->Advance(absl::Seconds(5));
  ExpectOverwriteReplacesAnExpiredEntry(*mine, /*after_restart=*/true);
}

TEST_F(MemcachedCacheTest, ListingKeysWhileAnotherProcessListsThemToo) {
  auto cache = Connect(port(), "listing");
  ASSERT_NE(cache, nullptr);
  std::vector<std::string> keys;
  for (int i = 0; i < 2000; ++i) keys.push_back("key" + std::to_string(i));
  for (const std::string& key : keys) ASSERT_TRUE(cache->Insert(key, "v").ok());
  std::sort(keys.begin(), keys.end());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // no gtest in here: the exit code is the verdict
    auto other = Connect(port(), "listing");
    for (int i = 0; i < 20; ++i) {
      auto seen = other->Keys();
      if (!seen.ok()) _exit(2);
      if (seen->size() != 2000) _exit(3);
    }
    _exit(0);
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(SortedKeys(*cache), keys);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child: 2 a listing failed, 3 a listing was incomplete";
}

TEST(MemcachedServerTest, AServerThatCannotListKeysIsAClearError) {
  auto server = testing::MemcachedServer::Start(0, {"-X"});  // -X: dumping disabled
  ASSERT_TRUE(server.ok()) << server.status();
  auto cache = Connect((*server)->port(), "no-dump");
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->Insert("k", "v").ok()) << "reads and writes do not need the listing";
  EXPECT_EQ(*cache->Lookup("k"), "v");
  const auto keys = cache->Keys();
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition) << keys.status();
  EXPECT_NE(keys.status().message().find("1.6.9"), absl::string_view::npos) << keys.status();
}

TEST(MemcachedEntryTest, EntriesRoundTripAndDamageIsRecognised) {
  const absl::Time deadline = absl::FromUnixNanos(1'700'000'000'123'456'789);
  const std::string key("k\0y", 3), value("v\0\xff", 3);
  auto entry = memcached_internal::DecodeEntry(memcached_internal::EncodeEntry(deadline, key, value));
  ASSERT_TRUE(entry.has_value());
  EXPECT_FALSE(entry->tombstone);
  EXPECT_EQ(entry->deadline, deadline);
  EXPECT_EQ(entry->key, key);
  EXPECT_EQ(entry->value, value);
  auto forever = memcached_internal::DecodeEntry(
      memcached_internal::EncodeEntry(absl::InfiniteFuture(), key, ""));
  ASSERT_TRUE(forever.has_value());
  EXPECT_EQ(forever->deadline, absl::InfiniteFuture());
  EXPECT_TRUE(memcached_internal::DecodeEntry(memcached_internal::EncodeTombstone())->tombstone);
  const std::string whole = memcached_internal::EncodeEntry(deadline, key, value);
  EXPECT_FALSE(memcached_internal::DecodeEntry(whole.substr(0, 14)).has_value()) << "torn";
  EXPECT_FALSE(memcached_internal::DecodeEntry(whole.substr(0, 17)).has_value()) << "short key";
  EXPECT_FALSE(memcached_internal::DecodeEntry("xl" + whole.substr(2)).has_value()) << "magic";
}

TEST(MemcachedEntryTest, DumpedNamesAreUrlDecoded) {
  EXPECT_EQ(memcached_internal::UrlDecode("a%2520b%3A"), "a%20b:");
  EXPECT_EQ(memcached_internal::UrlDecode("plain"), "plain");
  EXPECT_FALSE(memcached_internal::UrlDecode("bad%2").has_value());
  EXPECT_FALSE(memcached_internal::UrlDecode("bad%zz").has_value());
}

}  // namespace
}  // namespace cachelab
