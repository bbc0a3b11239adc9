#include "reference/loading/batch_loader.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "reference/loading/testing/fake_source.h"
#include "reference/memory/memory_cache.h"

namespace cachelab {
namespace {

using ::cachelab::fakes::FakeSource;

using Keys = std::vector<std::string>;
using Loader = BatchLoader<std::string, std::string>;
using Provider = DataProvider<std::string, std::string>;

std::string Show(const Answer<std::string>& answer) {
  if (!answer.ok()) return "error: " + std::string(answer.status().message());
  return answer->has_value() ? **answer : "none";
}

std::string Show(const BatchStats& stats) {
  return absl::StrCat("hits=", stats.hits, " misses=", stats.misses,
                      " provider_calls=", stats.provider_calls,
                      " provider_keys=", stats.provider_keys,
                      " largest_call=", stats.largest_call, " failed_keys=", stats.failed_keys);
}

class BatchLoaderTest : public ::testing::Test {
 protected:
  // Asynchronous providers answer from this pool; joined before the fixture's state goes.
  ~BatchLoaderTest() override { provider_pool_.join(); }

  // Every test that makes a loader asserts all of its counters (ExpectStats), as Caffeine
  // validates its caches after every test: a counter no test looks at is a counter that can
  // silently go wrong.
  void TearDown() override {
    if (made_) {
      EXPECT_TRUE(stats_checked_)
          << "the test made a loader but did not assert its statistics with ExpectStats";
    }
  }
  void ExpectStats(const Loader& loader, const BatchStats& expected) {
    stats_checked_ = true;
    EXPECT_EQ(Show(loader.Stats()), Show(expected));
  }

  // A synchronous batch provider that records every batch it receives.
  Provider RecordingBatch(size_t max_batch_size) {
    return Provider::Batch(
        [this](const Keys& keys, std::stop_token) -> Provider::BatchAnswer {
          MutexLock lock(&mu_);
          batches_.push_back(keys);
          Provider::Answers answers;
          for (const auto& key : keys) answers.push_back(FakeSource(key));
          return answers;
        },
        max_batch_size);
  }
  std::unique_ptr<Loader> Make(Provider provider, BatchOptions options = {},
                               Loader::Validator validate = nullptr) {
    CacheOptions cache_options;
    cache_options.capacity = 1000;
    cache_ = *NewMemoryCache<std::string, std::optional<std::string>>(MemoryEngine::kLru,
                                                                       cache_options);
    made_ = true;
    return *Loader::Create(cache_, std::move(provider), options, std::move(validate));
  }
  std::vector<Keys> Batches() {
    MutexLock lock(&mu_);
    return batches_;
  }

  // A provider that never answers on its own: only its stop token ends a call.
  Provider Stalling(std::promise<void>* stopped) {
    return Provider::BatchAsync(
        [this, stopped](const Keys&, std::stop_token stop, auto done) {
          asio::post(provider_pool_, [stop, done, stopped] {
            std::mutex mu;
            std::condition_variable_any cv;
            std::unique_lock<std::mutex> lock(mu);
            cv.wait(lock, stop, [] { return false; });
            stopped->set_value();
            done(absl::CancelledError("provider stopped"));
          });
        },
        10);
  }

  asio::thread_pool provider_pool_{2};
  std::shared_ptr<Cache<std::string, std::optional<std::string>>> cache_;
  Mutex mu_;
  std::vector<Keys> batches_ ABSL_GUARDED_BY(mu_);
  bool made_ = false;
  bool stats_checked_ = false;
};

TEST_F(BatchLoaderTest, ResultsComeInInputOrderAndDuplicatesAreAnsweredAtEachPosition) {
  auto loader = Make(RecordingBatch(10));
  const Loader::Result result = loader->FetchAll({"b", "a", "b", "miss1", "a"});
  std::vector<std::string> shown;
  for (const auto& item : result.items) shown.push_back(item.key + "=" + Show(item.answer));
  EXPECT_EQ(shown, (Keys{"b=v:b", "a=v:a", "b=v:b", "miss1=none", "a=v:a"}));
  EXPECT_EQ(Batches(), (std::vector<Keys>{{"b", "a", "miss1"}}));
  EXPECT_EQ(result.ToMap().size(), 3u);
  ExpectStats(*loader, {.hits = 0, .misses = 3, .provider_calls = 1, .provider_keys = 3, .largest_call = 3, .failed_keys = 0});
}

TEST_F(BatchLoaderTest, BatchesFollowFirstOccurrenceOrderUpToTheMaximumSize) {
  BatchOptions options;
  options.max_batch_size = 2;
  auto loader = Make(RecordingBatch(100), options);
  (void)loader->FetchAll({"c", "a", "b", "a", "d", "e", "c", "f"});
  EXPECT_EQ(Batches(), (std::vector<Keys>{{"c", "a"}, {"b", "d"}, {"e", "f"}}));
  ExpectStats(*loader, {.hits = 0, .misses = 6, .provider_calls = 3, .provider_keys = 6, .largest_call = 2, .failed_keys = 0});
}

TEST_F(BatchLoaderTest, TheProvidersOwnMaximumAlsoBoundsBatches) {
  auto loader = Make(RecordingBatch(1));
  (void)loader->FetchAll({"x", "y"});
  EXPECT_EQ(Batches(), (std::vector<Keys>{{"x"}, {"y"}}));
  ExpectStats(*loader, {.hits = 0, .misses = 2, .provider_calls = 2, .provider_keys = 2, .largest_call = 1, .failed_keys = 0});
}

TEST_F(BatchLoaderTest, CachedKeysAndCachedNullsNeverReachTheProvider) {
  auto loader = Make(RecordingBatch(10));
  ASSERT_TRUE(cache_->Insert("a", std::string("cached a")).ok());
  (void)loader->FetchAll({"miss1"});
  const Loader::Result result = loader->FetchAll({"a", "miss1", "b"});
  EXPECT_EQ(Show(result.items[0].answer), "cached a");
  EXPECT_EQ(Show(result.items[1].answer), "none");
  EXPECT_EQ(Batches(), (std::vector<Keys>{{"miss1"}, {"b"}}));
  ExpectStats(*loader, {.hits = 2, .misses = 2, .provider_calls = 2, .provider_keys = 2, .largest_call = 1, .failed_keys = 0});  // a and the cached absence of miss1
}

// The loader reads the cache a chunk of keys at a time; a fetch of several chunks, with hits,
// misses, refused keys and repeats spread over them, is answered as one.
TEST_F(BatchLoaderTest, AFetchOfManyKeysMixesHitsMissesAndRefusalsAcrossCacheReads) {
  BatchOptions options;
  options.max_batch_size = 1000;
  auto loader = Make(RecordingBatch(1000), options, [](const std::string& key) {
    return absl::EndsWith(key, "7") ? absl::InvalidArgumentError("no 7s") : absl::OkStatus();
  });
  Keys keys, expected_batch;
  for (int i = 0; i < 700; ++i) {
    keys.push_back(absl::StrCat("k", i));
    if (i % 10 == 7) continue;
    if (i % 3 == 0) {
      ASSERT_TRUE(cache_->Insert(keys.back(), std::string(absl::StrCat("cached ", i))).ok());
    } else {
      expected_batch.push_back(keys.back());
    }
  }
  keys.push_back("k3");  // a repeat of a cached key, answered at both positions
  const Loader::Result result = loader->FetchAll(keys);
  ASSERT_EQ(result.items.size(), keys.size());
  for (size_t p = 0; p < keys.size(); ++p) {
    const int i = p < 700 ? static_cast<int>(p) : 3;
    const std::string expected = i % 10 == 7  ? "error: no 7s"
                                 : i % 3 == 0 ? absl::StrCat("cached ", i)
                                              : "v:" + keys[p];
    EXPECT_EQ(result.items[p].key, keys[p]);
    EXPECT_EQ(Show(result.items[p].answer), expected) << keys[p];
  }
  EXPECT_EQ(Batches(), (std::vector<Keys>{expected_batch}));
  // 700 keys: 70 end in 7; of the other 630, the 211 multiples of 3 are cached.
  ExpectStats(*loader, {.hits = 211, .misses = 419, .provider_calls = 1, .provider_keys = 419, .largest_call = 419, .failed_keys = 70});
}

TEST_F(BatchLoaderTest, OneFailingKeyFailsAloneAndIsNotCached) {
  auto loader = Make(RecordingBatch(10));
  const Loader::Result result = loader->FetchAll({"a", "bad1", "b", "bad2", "bad1"});
  EXPECT_EQ(Show(result.items[0].answer), "v:a");
  EXPECT_EQ(Show(result.items[1].answer), "error: source refused bad1");
  EXPECT_EQ(Show(result.items[2].answer), "v:b");
  EXPECT_FALSE(result.ok());
  const absl::Status aggregate = result.AggregateError();
  EXPECT_EQ(aggregate.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(aggregate.message(),
            "2 of 4 keys failed: bad1: UNAVAILABLE: source refused bad1; "
            "bad2: UNAVAILABLE: source refused bad2");
  EXPECT_EQ(*cache_->Lookup("bad1"), std::nullopt);
  (void)loader->FetchAll({"bad1"});
  EXPECT_EQ(Batches().back(), Keys{"bad1"}) << "a failure must be asked again";
  ExpectStats(*loader, {.hits = 0, .misses = 5, .provider_calls = 2, .provider_keys = 5, .largest_call = 4, .failed_keys = 3});
}

TEST_F(BatchLoaderTest, AWholeBatchErrorFailsOnlyThatBatch) {
  BatchOptions options;
  options.max_batch_size = 2;
  auto loader = Make(Provider::Batch(
                         [](const Keys& keys, std::stop_token) -> Provider::BatchAnswer {
                           if (keys.front() == "c") return absl::InternalError("shard down");
                           Provider::Answers answers;
                           for (const auto& key : keys) answers.push_back(FakeSource(key));
                           return answers;
                         },
                         10),
                     options);
  const Loader::Result result = loader->FetchAll({"a", "b", "c", "d", "e"});
  std::vector<std::string> shown;
  for (const auto& item : result.items) shown.push_back(Show(item.answer));
  EXPECT_EQ(shown, (Keys{"v:a", "v:b", "error: shard down", "error: shard down", "v:e"}));
  ExpectStats(*loader, {.hits = 0, .misses = 5, .provider_calls = 3, .provider_keys = 5, .largest_call = 2, .failed_keys = 2});
}

TEST_F(BatchLoaderTest, AnAnswerOfTheWrongLengthIsAnInternalErrorForTheBatch) {
  auto loader = Make(Provider::Batch(
      [](const Keys&, std::stop_token) -> Provider::BatchAnswer {
        return Provider::Answers{std::optional<std::string>("only one")};
      },
      10));
  const Loader::Result result = loader->FetchAll({"a", "b"});
  EXPECT_EQ(result.items[1].answer.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(result.items[1].answer.status().message(), "answered 1 keys"));
  ExpectStats(*loader, {.hits = 0, .misses = 2, .provider_calls = 1, .provider_keys = 2, .largest_call = 2, .failed_keys = 2});
}

TEST_F(BatchLoaderTest, InvalidKeysFailWithoutReachingTheProvider) {
  auto loader = Make(RecordingBatch(10), {}, [](const std::string& key) {
    return key.empty() ? absl::InvalidArgumentError("empty key") : absl::OkStatus();
  });
  const Loader::Result result = loader->FetchAll({"a", "", "b"});
  EXPECT_EQ(result.items[1].answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Batches(), (std::vector<Keys>{{"a", "b"}}));
  ExpectStats(*loader, {.hits = 0, .misses = 2, .provider_calls = 1, .provider_keys = 2, .largest_call = 2, .failed_keys = 1});  // a refused key is neither a hit nor a miss
}

TEST_F(BatchLoaderTest, FetchEachReportsEveryDistinctKeyOnceThenCompletesOnce) {
  auto loader = Make(Provider::OneKey([](const std::string& key, std::stop_token) {
    return FakeSource(key);
  }));
  std::atomic<int> keys_seen{0};
  std::atomic<int> completions{0};
  std::promise<Loader::Result> done;
  loader->FetchEach(
      {"a", "b", "a", "bad"}, [&](const std::string&, const Answer<std::string>&) { ++keys_seen; },
      [&](Loader::Result result) {
        ++completions;
        done.set_value(std::move(result));
      });
  EXPECT_EQ(done.get_future().get().items.size(), 4u);
  EXPECT_EQ(keys_seen.load(), 3);
  EXPECT_EQ(completions.load(), 1);
  ExpectStats(*loader, {.hits = 0, .misses = 3, .provider_calls = 3, .provider_keys = 3, .largest_call = 1, .failed_keys = 1});
}

TEST_F(BatchLoaderTest, AnEmptyFetchCompletesAtOnce) {
  auto loader = Make(RecordingBatch(10));
  EXPECT_TRUE(loader->FetchAll({}).items.empty());
  EXPECT_TRUE(Batches().empty());
  ExpectStats(*loader, {.hits = 0, .misses = 0, .provider_calls = 0, .provider_keys = 0, .largest_call = 0, .failed_keys = 0});
}

TEST_F(BatchLoaderTest, TimeoutSettlesOpenKeysInOrderAndStopsTheProvider) {
  std::promise<void> stopped;
  auto loader = Make(this->Stalling(&stopped));
  ASSERT_TRUE(cache_->Insert("cached", std::string("c")).ok());
  FetchOptions options;
  options.timeout = absl::Milliseconds(20);
  const Loader::Result result = loader->FetchAll({"x", "cached", "y"}, options);
  EXPECT_EQ(result.items[0].answer.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Show(result.items[1].answer), "c");
  EXPECT_EQ(result.items[2].answer.status().code(), absl::StatusCode::kDeadlineExceeded);
  stopped.get_future().wait();
  ExpectStats(*loader, {.hits = 1, .misses = 2, .provider_calls = 1, .provider_keys = 2, .largest_call = 2, .failed_keys = 2});
}

TEST_F(BatchLoaderTest, StopTokenCancelsTheFetch) {
  std::promise<void> stopped;
  auto loader = Make(this->Stalling(&stopped));
  std::stop_source source;
  FetchOptions options;
  options.stop = source.get_token();
  auto pending = loader->AsyncFetch({"x"}, asio::use_future, options);
  source.request_stop();
  EXPECT_EQ(pending.get().items[0].answer.status().code(), absl::StatusCode::kCancelled);
  stopped.get_future().wait();
  ExpectStats(*loader, {.hits = 0, .misses = 1, .provider_calls = 1, .provider_keys = 1, .largest_call = 1, .failed_keys = 1});
}

TEST_F(BatchLoaderTest, AsioCancellationCancelsTheFetch) {
  std::promise<void> stopped;
  auto loader = Make(this->Stalling(&stopped));
  asio::cancellation_signal cancel;
  std::promise<Loader::Result> done;
  loader->AsyncFetch({"x", "y"}, asio::bind_cancellation_slot(cancel.slot(), [&](Loader::Result r) {
                       done.set_value(std::move(r));
                     }));
  cancel.emit(asio::cancellation_type::terminal);
  const Loader::Result result = done.get_future().get();
  EXPECT_EQ(result.AggregateError().code(), absl::StatusCode::kCancelled);
  stopped.get_future().wait();
  ExpectStats(*loader, {.hits = 0, .misses = 2, .provider_calls = 1, .provider_keys = 2, .largest_call = 2, .failed_keys = 2});
}

TEST_F(BatchLoaderTest, CoroutineFormGivesTheSameResult) {
  auto loader = Make(Provider::OneKeyAsync([this](const std::string& key, std::stop_token, auto done) {
    asio::post(provider_pool_, [key, done] { done(FakeSource(key)); });
  }));
  asio::io_context io;
  Loader::Result result;
  const Keys keys = {"q", "miss2"};  // GCC 12 rejects a braced list inside co_await
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await loader->AsyncFetch(keys, asio::use_awaitable);
      },
      asio::detached);
  io.run();
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_EQ(Show(result.items[0].answer), "v:q");
  EXPECT_EQ(Show(result.items[1].answer), "none");
  ExpectStats(*loader, {.hits = 0, .misses = 2, .provider_calls = 2, .provider_keys = 2, .largest_call = 1, .failed_keys = 0});
  loader.reset();
  provider_pool_.join();  // its threads post to `io`, which must outlive them
}

TEST_F(BatchLoaderTest, FetchOneOfAMissingKeyIsNone) {
  auto loader = Make(RecordingBatch(10));
  EXPECT_EQ(Show(loader->FetchOne("miss9")), "none");
  const std::optional<std::optional<std::string>> cached = *cache_->Lookup("miss9");
  ASSERT_TRUE(cached.has_value()) << "the absence must be cached";
  EXPECT_EQ(*cached, std::nullopt);
  ExpectStats(*loader, {.hits = 0, .misses = 1, .provider_calls = 1, .provider_keys = 1, .largest_call = 1, .failed_keys = 0});
}

TEST_F(BatchLoaderTest, EveryKindOfKeyMovesItsOwnCounters) {
  // Slow keys stall until the fetch's timeout stops them; every other key is answered at once,
  // inside the provider call, so only the slow ones are still open when the timeout fires.
  std::atomic<int> stalled{0};
  std::promise<void> all_stopped;
  auto loader = Make(
      Provider::OneKeyAsync([&](const std::string& key, std::stop_token stop, auto done) {
        if (!key.starts_with("slow")) return done(FakeSource(key));
        asio::post(provider_pool_, [&, stop, done] {
          std::mutex mu;
          std::condition_variable_any cv;
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, stop, [] { return false; });
          done(absl::CancelledError("provider stopped"));
          if (++stalled == 2) all_stopped.set_value();
        });
      }),
      {}, [](const std::string& key) {
        return key.empty() ? absl::InvalidArgumentError("empty key") : absl::OkStatus();
      });
  ASSERT_TRUE(cache_->Insert("cached", std::string("c")).ok());
  ASSERT_TRUE(cache_->Insert("known-absent", std::nullopt).ok());
  FetchOptions options;
  options.timeout = absl::Milliseconds(20);
  const Loader::Result result = loader->FetchAll(
      {"cached", "known-absent", "", "new", "bad1", "miss1", "new", "slow1", "cached", "slow2"},
      options);
  std::vector<std::string> shown;
  for (const auto& item : result.items) shown.push_back(Show(item.answer));
  EXPECT_EQ(shown, (Keys{"c", "none", "error: empty key", "v:new", "error: source refused bad1",
                         "none", "v:new", "error: batch fetch timed out after 20ms", "c",
                         "error: batch fetch timed out after 20ms"}));
  all_stopped.get_future().wait();
  // Distinct keys: 2 cached (a value and an absence), 1 refused by the validator (neither hit
  // nor miss), 5 missing and each sent alone; failed: the refused, the failed and 2 timed out.
  ExpectStats(*loader, {.hits = 2, .misses = 5, .provider_calls = 5, .provider_keys = 5, .largest_call = 1, .failed_keys = 4});
  // Nothing that failed was cached: asked again, the failed and timed-out keys go back to the
  // provider, the answered ones do not.
  const Loader::Result again = loader->FetchAll({"new", "miss1", "bad1"});
  EXPECT_EQ(Show(again.items[2].answer), "error: source refused bad1");
  ExpectStats(*loader, {.hits = 4, .misses = 6, .provider_calls = 6, .provider_keys = 6, .largest_call = 1, .failed_keys = 5});
}

TEST_F(BatchLoaderTest, InvalidConfigurationIsRefused) {
  EXPECT_EQ(Loader::Create(nullptr, RecordingBatch(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  CacheOptions cache_options;
  cache_options.capacity = 4;
  std::shared_ptr<Cache<std::string, std::optional<std::string>>> cache =
      *NewMemoryCache<std::string, std::optional<std::string>>(MemoryEngine::kLru, cache_options);
  BatchOptions options;
  options.max_batch_size = 0;
  EXPECT_EQ(Loader::Create(cache, RecordingBatch(1), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Loader::Create(cache, RecordingBatch(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cachelab
