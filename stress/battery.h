// The stress battery: what cache_battery() generates as <engine>_stress_test (tag "stress"),
// chosen by the engine's capabilities.
//
//   StressSuite.ConcurrentHistoriesAreLinearizable      thread_safe: 8 threads (more than the
//       cores) run random Lookup / Insert / InsertWithTtl / Erase on 6 keys, in 4 rounds with
//       the manual clock moved between rounds; every round's history is checked against the
//       contract (linearizability.h), with and without room for every key (eviction modelled as
//       "an entry may vanish").
//   StressSuite.ProcessHistoriesAreLinearizable          multi_process: the same from 3 forked
//       processes on one location.
//   StressSuite.CapacityAndStatisticsHoldUnderLoad       thread_safe: mixed calls (Clear and Size
//       included) from 8 threads while a watcher checks the capacity at every moment it looks;
//       afterwards the fixture's invariants (exact statistics against what the threads saw).
//   StressSuite.AcknowledgedWritesSurviveAKill           persistent: a child process writes and
//       erases and reports each acknowledged call; it is killed (SIGKILL) at a random moment;
//       the cache must reopen without repair holding every acknowledged change (or the one call
//       in flight after it), and nothing damaged or never written. 100 trials
//       (STRESS_KILL_TRIALS=1000 in the soak run).
//   DiskFaultSuite.*                                     local_files: corruption, a full disk,
//       EIO, a read-only directory, files deleted or swapped (disk_fault_suite.h).
//   ServerFaultSuite.*                                   factories that start a server of their
//       own: killed, paused, moved, short of memory (server_fault_suite.h).
//
// STRESS_ROUNDS multiplies the rounds of the linearizability tests (the soak run uses 25).
// Every wait is bounded: a broken engine ends in a named failure, not a hung test.
// Compiled once, for ErasedFactory (conformance/erased_factory.h), into //stress:engine_battery;
// an engine's test links it with its CACHELAB_ENGINE_HOOKS (erased_factory.h).
#ifndef CACHELAB_STRESS_BATTERY_H_
#define CACHELAB_STRESS_BATTERY_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "conformance/internal/fixture.h"
#include "gtest/gtest.h"
#include "stress/disk_fault_suite.h"
#include "stress/internal/process.h"
#include "stress/linearizability.h"
#include "stress/server_fault_suite.h"

namespace cachelab::stress {

using conformance::CacheTest;
using conformance::StringCache;

inline int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Runs random calls on `cache` from thread `thread`, appending to `history` (this thread's).
// Values are unique ("t<thread>.<n>"), so a read names the write it saw.
inline void RandomCalls(StringCache& cache, int thread, int calls, int keys, uint64_t seed,
                        int64_t default_ttl_ns, std::vector<Call>& history, bool with_ttl) {
  std::mt19937_64 rng(seed);
  for (int n = 0; n < calls; ++n) {
    Call call;
    call.thread = thread;
    call.key = absl::StrCat("k", rng() % keys);
    const int roll = static_cast<int>(rng() % 100);
    call.kind = roll < 40   ? Call::kLookup
                : roll < 65 ? Call::kInsert
                : roll < 80 ? (with_ttl ? Call::kInsertWithTtl : Call::kInsert)
                            : Call::kErase;
    if (call.kind == Call::kInsert || call.kind == Call::kInsertWithTtl) {
      call.value = absl::StrCat("t", thread, ".", n);
    }
    if (call.kind == Call::kInsert) call.ttl_ns = default_ttl_ns;
    if (call.kind == Call::kInsertWithTtl) {
      const int pick = static_cast<int>(rng() % 4);
      call.ttl_ns = pick == 0 ? 0 : pick == 1 ? INT64_MAX : 1'000'000'000;  // 0, none, 1 s
    }
    bool ok = true;
    call.invoked = MonotonicNanos();
    switch (call.kind) {
      case Call::kLookup: {
        auto found = cache.Lookup(call.key);
        ok = found.ok();
        if (ok && found->has_value()) {
          call.hit = true;
          call.value = **found;
        }
        break;
      }
      case Call::kInsert:
        ok = cache.Insert(call.key, call.value).ok();
        break;
      case Call::kInsertWithTtl:
        ok = cache
                 .InsertWithTtl(call.key, call.value,
                                call.ttl_ns == INT64_MAX ? absl::InfiniteDuration()
                                                         : absl::Nanoseconds(call.ttl_ns))
                 .ok();
        break;
      case Call::kErase: {
        auto erased = cache.Erase(call.key);
        ok = erased.ok();
        call.hit = ok && *erased;
        break;
      }
    }
    call.responded = MonotonicNanos();
    if (!ok) {
      ADD_FAILURE() << "a call failed under load: " << call.ToString();
      return;
    }
    history.push_back(std::move(call));
  }
}

// One history on the wire between processes: one call per line.
inline std::string Serialize(const std::vector<Call>& calls) {
  std::string out;
  for (const Call& c : calls) {
    absl::StrAppend(&out, static_cast<int>(c.kind), "\t", c.key, "\t", c.value, "\t", c.ttl_ns,
                    "\t", c.hit ? 1 : 0, "\t", c.thread, "\t", c.invoked, "\t", c.responded, "\n");
  }
  return out;
}

inline std::vector<Call> Deserialize(const std::string& text) {
  std::vector<Call> calls;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != 8) continue;
    Call c;
    int kind = 0, hit = 0;
    (void)absl::SimpleAtoi(f[0], &kind);
    c.kind = static_cast<Call::Kind>(kind);
    c.key = f[1];
    c.value = f[2];
    (void)absl::SimpleAtoi(f[3], &c.ttl_ns);
    (void)absl::SimpleAtoi(f[4], &hit);
    c.hit = hit != 0;
    (void)absl::SimpleAtoi(f[5], &c.thread);
    (void)absl::SimpleAtoi(f[6], &c.invoked);
    (void)absl::SimpleAtoi(f[7], &c.responded);
    calls.push_back(std::move(c));
  }
  return calls;
}

template <typename Factory>
class StressSuite : public CacheTest<Factory> {
 protected:
  static constexpr int kThreads = 8;
  static constexpr int kKeys = 6;
  static constexpr int kCallsPerThread = 150;

  int64_t DefaultTtlNanos(const CacheOptions& options) const {
    return options.default_ttl ? absl::ToInt64Nanoseconds(*options.default_ttl) : INT64_MAX;
  }

  // Rounds of concurrent calls, each history checked; returns the calls checked.
  size_t RunRounds(StringCache& cache, const CacheOptions& options, bool may_evict) {
    std::map<std::string, std::set<KeyState>> states;
    const int rounds = 4 * EnvInt("STRESS_ROUNDS", 1);
    const bool ttl = this->Caps().per_entry_ttl;
    size_t checked = 0;
    for (int round = 0; round < rounds; ++round) {
      std::vector<std::vector<Call>> histories(kThreads);
      std::latch start(kThreads);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          start.arrive_and_wait();
          RandomCalls(cache, t, kCallsPerThread, kKeys, round * 1000 + t,
                      DefaultTtlNanos(options), histories[t], ttl);
        });
      }
      for (std::thread& thread : threads) thread.join();
      std::vector<Call> history;
      for (auto& h : histories) history.insert(history.end(), h.begin(), h.end());
      CheckOptions check;
      check.clock = absl::ToUnixNanos(this->clock_->Now());
      check.may_evict = may_evict;
      const auto begin = MonotonicNanos();
      const CheckResult result = Check(history, states, check);
      std::printf("round %d: %zu calls on %d keys, %s, checked in %.1f ms\n", round,
                  history.size(), kKeys, result.Describe().c_str(),
                  (MonotonicNanos() - begin) / 1e6);
      checked += history.size();
      EXPECT_NE(result.verdict, CheckResult::kFail) << "round " << round << ": "
                                                    << result.Describe();
      EXPECT_NE(result.verdict, CheckResult::kUnknown) << result.Describe();
      if (result.verdict != CheckResult::kPass) return checked;
      states = result.end_states;
      this->Advance(absl::Seconds(1));  // TTL entries of 1 s expire between rounds
    }
    return checked;
  }
};
TYPED_TEST_SUITE_P(StressSuite);

TYPED_TEST_P(StressSuite, ConcurrentHistoriesAreLinearizable) {
  CACHELAB_REQUIRE(this->Caps().thread_safe, "engine is not declared thread-safe");
  // Room for every key: nothing may vanish. Then a cache that is full: entries may vanish.
  for (const bool full : {false, true}) {
    if (full && !this->Caps().bounded()) continue;
    SCOPED_TRACE(full ? "a full cache (entries may be evicted)" : "room for every key");
    const CacheOptions options = this->Options(full ? 3 : 64);
    StringCache& cache = this->Make(options);
    this->RunRounds(cache, options, full);
  }
}

TYPED_TEST_P(StressSuite, ProcessHistoriesAreLinearizable) {
  CACHELAB_REQUIRE(this->Caps().multi_process, "engine is not declared multi_process");
  constexpr int kProcesses = 3;
  const CacheOptions options = this->Options(64);
  std::vector<pid_t> children;
  std::vector<int> pipes;
  for (int p = 0; p < kProcesses; ++p) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      auto engine = TypeParam::template Create<std::string, std::string>(options);
      std::vector<Call> history;
      if (engine.ok()) {
        RandomCalls(**engine, p, TestFixture::kCallsPerThread, TestFixture::kKeys, 77 + p,
                    this->DefaultTtlNanos(options), history, /*with_ttl=*/false);
      }
      // An engine that cannot be opened says why, in place of its history.
      const std::string text =
          engine.ok() ? Serialize(history) : "open failed: " + engine.status().ToString();
      size_t written = 0;
      while (written < text.size()) {
        const ssize_t n = write(fds[1], text.data() + written, text.size() - written);
        if (n <= 0) break;
        written += n;
      }
      _exit(engine.ok() && written == text.size() ? 0 : 1);
    }
    close(fds[1]);
    children.push_back(pid);
    pipes.push_back(fds[0]);
  }
  std::vector<Call> history;
  for (int p = 0; p < kProcesses; ++p) {
    std::string text;
    char buffer[65536];
    ssize_t n;
    while ((n = read(pipes[p], buffer, sizeof(buffer))) > 0) text.append(buffer, n);
    close(pipes[p]);
    const int status = WaitBounded(children[p], std::chrono::seconds(60));
    ASSERT_FALSE(absl::StartsWith(text, "open failed: "))
        << "process " << p << " could not open the cache: " << text.substr(13);
    ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "process " << p << " failed or did not finish within 60 s";
    auto calls = Deserialize(text);
    history.insert(history.end(), calls.begin(), calls.end());
  }
  CheckOptions check;
  check.clock = absl::ToUnixNanos(this->clock_->Now());
  const CheckResult result = Check(history, {}, check);
  std::printf("%zu calls from %d processes: %s\n", history.size(), kProcesses,
              result.Describe().c_str());
  EXPECT_EQ(result.verdict, CheckResult::kPass) << result.Describe();
}

TYPED_TEST_P(StressSuite, CapacityAndStatisticsHoldUnderLoad) {
  CACHELAB_REQUIRE(this->Caps().thread_safe, "engine is not declared thread-safe");
  StringCache& cache = this->Make(8);
  const std::optional<size_t> capacity = cache.Capacity();
  std::atomic<bool> stop{false};
  std::atomic<int> over{0}, failed{0};
  std::thread watcher([&] {
    while (!stop.load()) {
      auto size = cache.Size();
      if (!size.ok()) ++failed;
      if (size.ok() && capacity && *size > *capacity) ++over;
    }
  });
  std::vector<std::thread> threads;
  std::latch start(TestFixture::kThreads);
  for (int t = 0; t < TestFixture::kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      start.arrive_and_wait();
      for (int i = 0; i < 600; ++i) {
        const std::string key = absl::StrCat("k", rng() % 32);
        const int roll = static_cast<int>(rng() % 100);
        bool ok = true;
        if (roll < 45) {
          ok = cache.Lookup(key).ok();
        } else if (roll < 85) {
          ok = cache.Insert(key, key).ok();
        } else if (roll < 98) {
          ok = cache.Erase(key).ok();
        } else {
          ok = cache.Clear().ok();
        }
        if (!ok) ++failed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  stop = true;
  watcher.join();
  EXPECT_EQ(over.load(), 0) << "Size() was above the capacity while calls ran";
  EXPECT_EQ(failed.load(), 0) << "calls failed under load";
  // The fixture then checks the invariants: exact hits and misses, balance, Keys == Size.
}

TYPED_TEST_P(StressSuite, AcknowledgedWritesSurviveAKill) {
  CACHELAB_REQUIRE(this->Caps().persistent, "engine is not persistent");
  const int trials = EnvInt("STRESS_KILL_TRIALS", 100);
  std::mt19937 rng(2026);
  int killed_mid_write = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const CacheOptions options = this->Options(1000);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      auto engine = TypeParam::template Create<std::string, std::string>(options);
      if (!engine.ok()) _exit(1);
      // Call n acts on key n % 7: writes "v<n>", or erases (every fifth call). "<n>\n" on the
      // pipe acknowledges call n.
      for (int n = 0;; ++n) {
        const std::string key = absl::StrCat("k", n % 7);
        const bool ok = n % 5 == 4 ? (*engine)->Erase(key).ok()
                                   : (*engine)->Insert(key, absl::StrCat("v", n)).ok();
        if (!ok) _exit(2);
        const std::string ack = absl::StrCat(n, "\n");
        if (write(fds[1], ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) _exit(3);
      }
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(500 + rng() % 20000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    std::string acks;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) acks.append(buffer, n);
    close(fds[0]);
    int last = -1;
    for (absl::string_view line : absl::StrSplit(acks, '\n', absl::SkipEmpty())) {
      (void)absl::SimpleAtoi(line, &last);
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "trial " << trial << ": the writer died on its own (status " << status << ")";
    // Reopen as a user would after a crash: no repair step.
    StringCache& reopened = this->Make(options);
    for (int k = 0; k < 7; ++k) {
      const std::string key = absl::StrCat("k", k);
      // The last acknowledged call on this key, and the call on it in flight after that.
      int acked = -1;
      for (int c = k; c <= last; c += 7) acked = c;
      const int in_flight = acked < 0 ? k : acked + 7;  // the next call on this key
      auto expected_after = [](int call) -> std::optional<std::string> {
        if (call < 0 || call % 5 == 4) return std::nullopt;
        return absl::StrCat("v", call);
      };
      const std::optional<std::string> found = conformance::Get(reopened, key);
      const bool matches_acked = found == expected_after(acked);
      // The writer calls one at a time: only call last + 1 can have been in flight.
      const bool matches_in_flight = in_flight == last + 1 && found == expected_after(in_flight);
      if (!matches_acked && found == expected_after(in_flight)) ++killed_mid_write;
      EXPECT_TRUE(matches_acked || matches_in_flight)
          << "trial " << trial << ": " << key << " holds "
          << (found ? *found : std::string("nothing")) << " after " << last + 1
          << " acknowledged calls; expected "
          << (expected_after(acked) ? *expected_after(acked) : "nothing")
          << " (the last acknowledged call on it) or the call in flight";
    }
    if (this->HasFailure()) return;
  }
  std::printf("%d kill trials; %d ended with the call in flight applied\n", trials,
              killed_mid_write);
}

REGISTER_TYPED_TEST_SUITE_P(StressSuite, ConcurrentHistoriesAreLinearizable,
                            ProcessHistoriesAreLinearizable, CapacityAndStatisticsHoldUnderLoad,
                            AcknowledgedWritesSurviveAKill);

}  // namespace cachelab::stress

#endif  // CACHELAB_STRESS_BATTERY_H_
