// Server faults, part of the stress battery (<engine>_stress_test), for engines over a server.
// An engine opts in by giving its battery factory two more members (RedisFactory and
// MemcachedFactory are examples):
//
//   // A server of the test's own on `port` (0: a free one); with `short_of_memory`, one too
//   // small to hold a few MB (only asked of engines declaring server_evicts).
//   static absl::StatusOr<std::unique_ptr<testing::ServerProcess>> StartServer(
//       int port, bool short_of_memory);
//   // An engine on that server whose connects and commands time out after `timeout`.
//   template <typename K, typename V>
//   static absl::StatusOr<std::unique_ptr<Cache<K, V>>> CreateOnServer(
//       const CacheOptions& options, int port, absl::Duration timeout);
//
// (the server type only needs port(), Stop(), Pause() and Resume(), as ServerProcess has).
// Factories without them see these tests skipped.
//
//   ServerFaultSuite.AKilledServerGivesStatusesAndAnEmptyRestartGivesOnlyMisses
//   ServerFaultSuite.APausedServerTimesOutInsteadOfHanging            SIGSTOP
//   ServerFaultSuite.AServerMovedToAnotherPortIsAClearStatusNamingTheOldOne
//   ServerFaultSuite.AServerShortOfMemoryDropsEntriesButNeverAnswersWrong   server_evicts
//
// Every call must end with a value or a status within 3 s (the engine is given 300 ms); a call
// that does not is a failure naming it, and the server is resumed so that the call returns.
#ifndef CACHELAB_STRESS_SERVER_FAULT_SUITE_H_
#define CACHELAB_STRESS_SERVER_FAULT_SUITE_H_

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "conformance/erased_factory.h"
#include "conformance/internal/fixture.h"
#include "gtest/gtest.h"
#include "stress/internal/process.h"

namespace cachelab::stress {

using battery::StartsItsOwnServer;  // conformance/erased_factory.h

template <typename Factory>
class ServerFaultSuite : public conformance::CacheTest<Factory> {
 protected:
  using Engine = std::unique_ptr<conformance::StringCache>;
  static constexpr absl::Duration kTimeout = absl::Milliseconds(300);
  static constexpr std::chrono::milliseconds kBound{3000};

  auto StartServer(int port, bool short_of_memory) {
    return Factory::StartServer(port, short_of_memory);
  }
  absl::StatusOr<Engine> OpenOn(int port, const std::string& name) {
    CacheOptions options = this->Options(100000);
    options.location = name;
    return Factory::template CreateOnServer<std::string, std::string>(options, port, kTimeout);
  }

  // The status `call` ends with, or nullopt (and a failure naming `what`) if it did not end
  // within the bound; `unblock` is then run so that it does.
  std::optional<absl::Status> Within(const std::string& what,
                                     const std::function<absl::Status()>& call,
                                     const std::function<void()>& unblock = [] {}) {
    std::optional<absl::Status> status = CallWithin<absl::Status>(kBound, call, unblock, what);
    if (!status.has_value()) {
      ADD_FAILURE() << what << " did not return within " << kBound.count()
                    << " ms although the engine was given a " << kTimeout
                    << " timeout: a call to a server that does not answer must time out, not hang";
    }
    return status;
  }
  void ExpectUnavailableSoon(const std::string& what, const std::function<absl::Status()>& call,
                             const std::function<void()>& unblock = [] {}) {
    if (auto status = Within(what, call, unblock)) {
      EXPECT_EQ(status->code(), absl::StatusCode::kUnavailable) << what << ": " << *status;
    }
  }

  void KilledServer();
  void PausedServer();
  void MovedServer();
  void ServerShortOfMemory();
};
TYPED_TEST_SUITE_P(ServerFaultSuite);

#define CACHELAB_REQUIRE_OWN_SERVER()                                       \
  CACHELAB_REQUIRE(battery::StartsServers<TypeParam>(),                     \
                   "the factory starts no server of its own (StartServer, " \
                   "CreateOnServer: see stress/server_fault_suite.h)")

template <typename Factory>
void ServerFaultSuite<Factory>::KilledServer() {
  auto server = StartServer(0, false);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  auto cache = OpenOn(port, "killed");
  ASSERT_TRUE(cache.ok()) << cache.status();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*cache)->Insert(absl::StrCat("k", i), "v").ok());
  (*server)->Stop();
  ExpectUnavailableSoon("a lookup", [&] { return (*cache)->Lookup("k1").status(); });
  ExpectUnavailableSoon("an insert", [&] { return (*cache)->Insert("k1", "w"); });
  ExpectUnavailableSoon("an erase", [&] { return (*cache)->Erase("k2").status(); });
  auto restarted = StartServer(port, false);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  auto reconnected = Within("an insert after the restart",
                            [&] { return (*cache)->Insert("new", "after the restart"); });
  ASSERT_TRUE(reconnected.has_value());
  ASSERT_TRUE(reconnected->ok()) << "the engine must reconnect: " << *reconnected;
  for (int i = 0; i < 10; ++i) {
    auto found = (*cache)->Lookup(absl::StrCat("k", i));
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_FALSE(found->has_value()) << "an empty server answered an old entry";
  }
  EXPECT_EQ(*(*cache)->Lookup("new"), "after the restart");
}

TYPED_TEST_P(ServerFaultSuite, AKilledServerGivesStatusesAndAnEmptyRestartGivesOnlyMisses) {
  CACHELAB_REQUIRE_OWN_SERVER();
  if constexpr (StartsItsOwnServer<TypeParam>) this->KilledServer();
}

template <typename Factory>
void ServerFaultSuite<Factory>::PausedServer() {
  auto server = StartServer(0, false);
  ASSERT_TRUE(server.ok()) << server.status();
  auto cache = OpenOn((*server)->port(), "paused");
  ASSERT_TRUE(cache.ok()) << cache.status();
  ASSERT_TRUE((*cache)->Insert("k", "v").ok());
  (*server)->Pause();
  const auto resume = [&] { (*server)->Resume(); };
  ExpectUnavailableSoon("a lookup on a paused server", [&] { return (*cache)->Lookup("k").status(); },
                        resume);
  (*server)->Pause();  // again, if the lookup's failure resumed it
  ExpectUnavailableSoon("an insert on a paused server", [&] { return (*cache)->Insert("k", "w"); },
                        resume);
  (*server)->Resume();
  // The calls that timed out may or may not have reached the server; what is read is one of
  // the writes.
  auto found = (*cache)->Lookup("k");
  ASSERT_TRUE(found.ok()) << "the engine must recover once the server answers: "
                          << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE(**found == "v" || **found == "w") << **found;
}

TYPED_TEST_P(ServerFaultSuite, APausedServerTimesOutInsteadOfHanging) {
  CACHELAB_REQUIRE_OWN_SERVER();
  if constexpr (StartsItsOwnServer<TypeParam>) this->PausedServer();
}

template <typename Factory>
void ServerFaultSuite<Factory>::MovedServer() {
  auto server = StartServer(0, false);
  ASSERT_TRUE(server.ok()) << server.status();
  const int old_port = (*server)->port();
  auto cache = OpenOn(old_port, "moved");
  ASSERT_TRUE(cache.ok()) << cache.status();
  (*server)->Stop();
  auto moved = StartServer(0, false);
  ASSERT_TRUE(moved.ok()) << moved.status();
  auto lost = Within("a lookup on the old port", [&] { return (*cache)->Lookup("k").status(); });
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->code(), absl::StatusCode::kUnavailable) << *lost;
  EXPECT_NE(lost->message().find(std::to_string(old_port)), absl::string_view::npos)
      << "the status should name the address it tried: " << *lost;
  auto reopened = OpenOn((*moved)->port(), "moved");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->Insert("k", "v").ok());
}

TYPED_TEST_P(ServerFaultSuite, AServerMovedToAnotherPortIsAClearStatusNamingTheOldOne) {
  CACHELAB_REQUIRE_OWN_SERVER();
  if constexpr (StartsItsOwnServer<TypeParam>) this->MovedServer();
}

template <typename Factory>
void ServerFaultSuite<Factory>::ServerShortOfMemory() {
  auto server = StartServer(0, /*short_of_memory=*/true);
  ASSERT_TRUE(server.ok()) << server.status();
  auto cache = OpenOn((*server)->port(), "starved");
  ASSERT_TRUE(cache.ok()) << cache.status();
  constexpr int kEntries = 12000;  // 2 KB each: far more than the server may keep
  const auto value_of = [](int i) { return absl::StrCat(i, ":", std::string(2000, 'v')); };
  int refused = 0;
  for (int i = 0; i < kEntries; ++i) {
    // A server out of memory may refuse; never silently wrong.
    if (!(*cache)->Insert(absl::StrCat("k", i), value_of(i)).ok()) ++refused;
  }
  int kept = 0, dropped = 0;
  for (int i = 0; i < kEntries; ++i) {
    auto found = (*cache)->Lookup(absl::StrCat("k", i));
    ASSERT_TRUE(found.ok()) << found.status();
    if (!found->has_value()) {
      ++dropped;
      continue;
    }
    ++kept;
    ASSERT_EQ(**found, value_of(i)) << "k" << i << " answered another entry's value";
  }
  EXPECT_GT(dropped, 0) << "the server never ran short: the test proves nothing";
  EXPECT_GT(kept, 0);
  std::printf("%d entries written (%d refused): %d kept, %d dropped by the server\n", kEntries,
              refused, kept, dropped);
}

TYPED_TEST_P(ServerFaultSuite, AServerShortOfMemoryDropsEntriesButNeverAnswersWrong) {
  CACHELAB_REQUIRE_OWN_SERVER();
  CACHELAB_REQUIRE(this->Caps().server_evicts, "engine does not declare server_evicts");
  if constexpr (StartsItsOwnServer<TypeParam>) this->ServerShortOfMemory();
}

#undef CACHELAB_REQUIRE_OWN_SERVER

REGISTER_TYPED_TEST_SUITE_P(ServerFaultSuite,
                            AKilledServerGivesStatusesAndAnEmptyRestartGivesOnlyMisses,
                            APausedServerTimesOutInsteadOfHanging,
                            AServerMovedToAnotherPortIsAClearStatusNamingTheOldOne,
                            AServerShortOfMemoryDropsEntriesButNeverAnswersWrong);

}  // namespace cachelab::stress

#endif  // CACHELAB_STRESS_SERVER_FAULT_SUITE_H_
