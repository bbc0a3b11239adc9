#include "reference/loading/loading_cache.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <latch>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "reference/memory/memory_cache.h"

namespace cachelab {
namespace {

using Result = absl::StatusOr<std::string>;

// The value, or the error as text, so that expectations print what went wrong.
std::string Show(const Result& result) {
  return result.ok() ? *result : "error: " + result.status().ToString();
}

// A loader the test controls: it counts calls, can hold every call until Release(), and
// records whether it was told to stop.
class GatedLoader {
 public:
  explicit GatedLoader(bool gated) : gated_(gated) {}

  LoadingCache<std::string, std::string>::Loader AsLoader() {
    return [this](const std::string& key, std::stop_token stop) -> Result {
      ++calls_;
      entered_.count_down();
      std::unique_lock<std::mutex> lock(mu_);
      if (gated_) {
        cv_.wait(lock, stop, [this] { return released_; });
        if (stop.stop_requested()) {
          stopped_.set_value();
          return absl::CancelledError("stopped");
        }
      }
      if (key.starts_with("bad")) return absl::UnavailableError("backend down for " + key);
      return "value of " + key;
    };
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  void WaitUntilEntered() { entered_.wait(); }
  void WaitUntilStopped() { stopped_.get_future().wait(); }
  int calls() const { return calls_.load(); }

 private:
  const bool gated_;
  std::atomic<int> calls_{0};
  std::latch entered_{1};
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool released_ = false;
  std::promise<void> stopped_;
};

class LoadingCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<LoadingCache<std::string, std::string>> Make(GatedLoader& loader,
                                                               LoadingOptions options = {}) {
    CacheOptions engine_options;
    engine_options.capacity = 100;
    engine_ = *NewMemoryCache<std::string, std::string>(MemoryEngine::kLru, engine_options);
    if (!options.clock) options.clock = clock_;
    return *LoadingCache<std::string, std::string>::Create(engine_, loader.AsLoader(), options);
  }
  std::shared_ptr<Cache<std::string, std::string>> engine_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

TEST_F(LoadingCacheTest, MissRunsTheLoaderOnceAndStoresTheValue) {
  GatedLoader loader(false);
  auto cache = Make(loader);
  EXPECT_EQ(Show(cache->Get("a")), "value of a");
  EXPECT_EQ(Show(cache->Get("a")), "value of a");
  EXPECT_EQ(loader.calls(), 1);
  EXPECT_EQ(*engine_->Lookup("a"), "value of a");
  const LoadingStats stats = cache->Stats();
  EXPECT_EQ(stats.loads, 1u);
  EXPECT_EQ(stats.hits, 1u);
}

TEST_F(LoadingCacheTest, ConcurrentWaitsForOneKeyShareOneLoad) {
  GatedLoader loader(true);
  auto cache = Make(loader);
  std::vector<std::future<Result>> waits;
  for (int i = 0; i < 8; ++i) waits.push_back(cache->AsyncGet("k", asio::use_future));
  loader.WaitUntilEntered();
  loader.Release();
  for (auto& wait : waits) EXPECT_EQ(Show(wait.get()), "value of k");
  EXPECT_EQ(loader.calls(), 1);
  EXPECT_EQ(cache->Stats().coalesced, 7u);
}

TEST_F(LoadingCacheTest, EveryWaiterGetsTheLoadErrorAndItIsNotCached) {
  GatedLoader loader(true);
  auto cache = Make(loader);
  auto first = cache->AsyncGet("bad1", asio::use_future);
  auto second = cache->AsyncGet("bad1", asio::use_future);
  loader.Release();
  for (auto* wait : {&first, &second}) {
    const Result result = wait->get();
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(result.status().message(), "backend down for bad1");
  }
  EXPECT_FALSE(cache->Get("bad1").ok());
  EXPECT_EQ(loader.calls(), 2) << "an error must not be cached unless asked";
  EXPECT_EQ(*engine_->Lookup("bad1"), std::nullopt);
}

TEST_F(LoadingCacheTest, ErrorsAreRememberedForErrorTtlWhenAsked) {
  GatedLoader loader(false);
  LoadingOptions options;
  options.error_ttl = absl::Seconds(10);
  auto cache = Make(loader, options);
  EXPECT_FALSE(cache->Get("bad").ok());
  clock_->Advance(absl::Seconds(10) - absl::Nanoseconds(1));
  EXPECT_EQ(cache->Get("bad").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(loader.calls(), 1);
  clock_->Advance(absl::Nanoseconds(1));
  EXPECT_FALSE(cache->Get("bad").ok());
  EXPECT_EQ(loader.calls(), 2);
  EXPECT_EQ(cache->Stats().error_hits, 1u);
}

TEST_F(LoadingCacheTest, CallbackFutureAndCoroutineAllWaitOnTheSameLoad) {
  GatedLoader loader(true);
  auto cache = Make(loader);
  std::promise<Result> from_callback;
  cache->AsyncGet("k", [&](Result r) { from_callback.set_value(std::move(r)); });
  auto from_future = cache->AsyncGet("k", asio::use_future);
  asio::io_context io;
  Result from_coroutine = absl::UnknownError("not run");
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        from_coroutine = co_await cache->AsyncGet("k", asio::use_awaitable);
      },
      asio::detached);
  io.poll();  // the coroutine starts its wait before the load is released
  loader.Release();
  io.run();
  cache.reset();  // joins the loader threads, which may still be posting to `io`
  EXPECT_EQ(Show(from_callback.get_future().get()), "value of k");
  EXPECT_EQ(Show(from_future.get()), "value of k");
  EXPECT_EQ(Show(from_coroutine), "value of k");
  EXPECT_EQ(loader.calls(), 1);
}

TEST_F(LoadingCacheTest, TimeoutCompletesTheWaitAndStopsTheLoader) {
  GatedLoader loader(true);  // never released: only the stop token ends it
  auto cache = Make(loader);
  LoadOptions options;
  options.timeout = absl::Milliseconds(20);
  const Result result = cache->Get("slow", options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  loader.WaitUntilStopped();
  EXPECT_EQ(cache->Stats().timeouts, 1u);
  EXPECT_EQ(*engine_->Lookup("slow"), std::nullopt);
}

TEST_F(LoadingCacheTest, CancellationCompletesTheWaitAndStopsTheLoader) {
  GatedLoader loader(true);
  auto cache = Make(loader);
  asio::cancellation_signal cancel;
  std::promise<Result> done;
  cache->AsyncGet("k", asio::bind_cancellation_slot(
                           cancel.slot(), [&](Result r) { done.set_value(std::move(r)); }));
  loader.WaitUntilEntered();
  cancel.emit(asio::cancellation_type::terminal);
  EXPECT_EQ(done.get_future().get().status().code(), absl::StatusCode::kCancelled);
  loader.WaitUntilStopped();
  EXPECT_EQ(cache->Stats().cancellations, 1u);
}

TEST_F(LoadingCacheTest, OneCancelledWaiterDoesNotStopTheLoadForOthers) {
  GatedLoader loader(true);
  auto cache = Make(loader);
  asio::cancellation_signal cancel;
  std::promise<Result> cancelled;
  cache->AsyncGet("k", asio::bind_cancellation_slot(
                           cancel.slot(), [&](Result r) { cancelled.set_value(std::move(r)); }));
  auto other = cache->AsyncGet("k", asio::use_future);
  cancel.emit(asio::cancellation_type::terminal);
  EXPECT_EQ(cancelled.get_future().get().status().code(), absl::StatusCode::kCancelled);
  loader.Release();
  EXPECT_EQ(Show(other.get()), "value of k");
  EXPECT_EQ(loader.calls(), 1);
}

TEST_F(LoadingCacheTest, DestroyingTheCacheCancelsPendingWaits) {
  GatedLoader loader(true);
  auto cache = Make(loader);
  auto pending = cache->AsyncGet("k", asio::use_future);
  loader.WaitUntilEntered();
  cache.reset();
  EXPECT_EQ(pending.get().status().code(), absl::StatusCode::kCancelled);
}

TEST_F(LoadingCacheTest, InjectedExecutorRunsTheLoader) {
  GatedLoader loader(false);
  asio::thread_pool pool(1);
  LoadingOptions options;
  options.executor = pool.get_executor();
  auto cache = Make(loader, options);
  EXPECT_EQ(Show(cache->Get("x")), "value of x");
  cache.reset();
  pool.join();
}

TEST_F(LoadingCacheTest, InvalidOptionsAreRefused) {
  auto no_loader = LoadingCache<std::string, std::string>::Create(nullptr, nullptr);
  EXPECT_EQ(no_loader.status().code(), absl::StatusCode::kInvalidArgument);
  GatedLoader loader(false);
  LoadingOptions options;
  options.threads = 0;
  CacheOptions engine_options;
  engine_options.capacity = 1;
  std::shared_ptr<Cache<std::string, std::string>> engine =
      *NewMemoryCache<std::string, std::string>(MemoryEngine::kLru, engine_options);
  auto no_threads = LoadingCache<std::string, std::string>::Create(engine, loader.AsLoader(),
                                                                   options);
  EXPECT_EQ(no_threads.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_threads.status().message().find("threads"), absl::string_view::npos);
}

}  // namespace
}  // namespace cachelab
