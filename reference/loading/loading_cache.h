// LoadingCache: a read-through cache over any engine. AsyncGet(key) answers from the engine, or
// runs the loader once for the key; loads of the same key in flight at the same time are
// coalesced into one loader call, whose result (value or error) every waiter gets.
//
// One asynchronous operation, three ways to wait (Asio completion tokens):
//   cache.AsyncGet(key, [](absl::StatusOr<V> r) { ... });         // callback
//   std::future<absl::StatusOr<V>> f = cache.AsyncGet(key, asio::use_future);
//   absl::StatusOr<V> r = co_await cache.AsyncGet(key, asio::use_awaitable);
// Get(key) blocks for the answer. Handlers run on their associated executor (for a plain
// callback, the cache's executor), never inside the cache's locks; keep that executor's
// context alive until the cache is destroyed, since loader threads post to it.
//
// Timeouts and cancellation: a wait that outlives LoadOptions::timeout completes with
// kDeadlineExceeded; one whose Asio cancellation slot is emitted (asio::cancellation_signal,
// or a cancelled coroutine) completes with kCancelled. When every waiter of a load has gone,
// the loader's std::stop_token is signalled and the load is forgotten: a later Get starts a new
// one. A loader that ignores its stop token only wastes its own thread.
//
// Errors: an engine failure or a loader error is delivered as the status; loader errors are
// not cached unless LoadingOptions::error_ttl > 0, in which case the error is returned without
// calling the loader until error_ttl has passed on the options' clock.
//
// Thread-safety: all methods may be called from any thread. Ownership: the engine is shared;
// a default thread pool is owned. Destroying the cache completes every pending waiter with
// kCancelled, signals every loader to stop and, for its own pool, waits for loader threads.
// Complexity: O(1) expected per call plus the engine's. Not promised: which thread runs the
// loader; the order in which waiters of one load are completed.
#ifndef CACHELAB_REFERENCE_LOADING_LOADING_CACHE_H_
#define CACHELAB_REFERENCE_LOADING_LOADING_CACHE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "asio.hpp"
#include "reference/cache.h"
#include "reference/loading/internal/waiter.h"
#include "reference/mutex.h"

namespace cachelab {

struct LoadingOptions {
  // Runs the loader. Default: a pool of `threads` owned by the cache.
  std::optional<asio::any_io_executor> executor;
  int threads = 4;
  // How long a failed load is remembered (0: never); measured on `clock`.
  absl::Duration error_ttl = absl::ZeroDuration();
  std::shared_ptr<const Clock> clock;  // null: DefaultClock()
};

struct LoadOptions {
  absl::Duration timeout = absl::InfiniteDuration();  // for this wait only
};

struct LoadingStats {
  uint64_t hits = 0;         // answered by the engine
  uint64_t loads = 0;        // loader calls started
  uint64_t coalesced = 0;    // waits that joined a load already in flight
  uint64_t load_errors = 0;  // loader calls that returned an error
  uint64_t error_hits = 0;   // waits answered by a remembered error
  uint64_t timeouts = 0;     // waits that ended with kDeadlineExceeded
  uint64_t cancellations = 0;
};

template <typename K, typename V>
class LoadingCache {
 public:
  using Result = absl::StatusOr<V>;
  // Loads `key`; should return promptly once `stop` is requested.
  using Loader = std::function<Result(const K& key, std::stop_token stop)>;

  // Returns kInvalidArgument for a null engine or loader, threads < 1 or a negative error_ttl.
  static absl::StatusOr<std::unique_ptr<LoadingCache>> Create(std::shared_ptr<Cache<K, V>> engine,
                                                              Loader loader,
                                                              LoadingOptions options = {}) {
    if (engine == nullptr || !loader) {
      return absl::InvalidArgumentError("LoadingCache: engine and loader must both be given");
    }
    if (!options.executor && options.threads < 1) {
      return absl::InvalidArgumentError("LoadingCache: threads must be at least 1");
    }
    if (options.error_ttl < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("LoadingCache: error_ttl must not be negative");
    }
    return std::unique_ptr<LoadingCache>(
        new LoadingCache(std::move(engine), std::move(loader), std::move(options)));
  }

  ~LoadingCache() {
    core_->Shutdown();
    if (pool_) pool_->join();
  }

  // Starts a wait for `key`; completes `token` with absl::StatusOr<V>.
  template <typename CompletionToken>
  auto AsyncGet(const K& key, CompletionToken&& token, LoadOptions options = {}) {
    return asio::async_initiate<CompletionToken, void(Result)>(
        [core = core_, key, options](auto handler) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          auto waiter = std::make_shared<internal::Waiter<Result>>(
              internal::PostingDeliverer<Result>(std::move(handler), core->executor()));
          if (slot.is_connected()) {
            slot.assign([core, key, weak = std::weak_ptr(waiter)](asio::cancellation_type) {
              if (auto w = weak.lock()) core->Abandon(key, *w, absl::CancelledError("cancelled"));
            });
          }
          core->Start(key, waiter, options);
        },
        token);
  }

  // Blocks until the answer for `key` (or the timeout).
  Result Get(const K& key, LoadOptions options = {}) {
    return AsyncGet(key, asio::use_future, options).get();
  }

  LoadingStats Stats() const { return core_->Stats(); }

 private:
  struct Flight {
    std::stop_source stop;
    std::vector<std::shared_ptr<internal::Waiter<Result>>> waiters;
  };

  class Core : public std::enable_shared_from_this<Core> {
   public:
    Core(std::shared_ptr<Cache<K, V>> engine, Loader loader, asio::any_io_executor executor,
         absl::Duration error_ttl, std::shared_ptr<const Clock> clock)
        : engine_(std::move(engine)),
          loader_(std::move(loader)),
          executor_(std::move(executor)),
          error_ttl_(error_ttl),
          clock_(clock ? std::move(clock) : DefaultClock()) {}

    const asio::any_io_executor& executor() const { return executor_; }

    void Start(const K& key, const std::shared_ptr<internal::Waiter<Result>>& waiter,
               LoadOptions options) {
      auto found = engine_->Lookup(key);
      if (!found.ok() || found->has_value()) {
        if (found.ok()) Count(&LoadingStats::hits);
        waiter->Complete(found.ok() ? Result(**std::move(found)) : Result(found.status()));
        return;
      }
      waiter->ArmTimeout(executor_, options.timeout, [self = this->shared_from_this(), key](
                                                         internal::Waiter<Result>& w) {
        self->Abandon(key, w, absl::DeadlineExceededError("timed out waiting for the load"));
      });
      std::shared_ptr<Flight> flight;  // set if this wait starts the load
      std::optional<absl::Status> remembered;
      {
        MutexLock lock(&mu_);
        if (waiter->done()) return;  // timed out already (timeout 0)
        auto error = errors_.find(key);
        if (error != errors_.end() && clock_->Now() < error->second.second) {
          ++stats_.error_hits;
          remembered = error->second.first;
        } else {
          if (error != errors_.end()) errors_.erase(error);
          auto& slot = flights_[key];
          if (slot == nullptr) {
            slot = flight = std::make_shared<Flight>();
            ++stats_.loads;
          } else {
            ++stats_.coalesced;
          }
          slot->waiters.push_back(waiter);
        }
      }
      if (remembered.has_value()) {
        waiter->Complete(*std::move(remembered));
        return;
      }
      if (flight == nullptr) return;  // joined a load in flight
      asio::post(executor_, [self = this->shared_from_this(), key, flight] {
        self->Finish(key, flight, self->loader_(key, flight->stop.get_token()));
      });
    }

    // Completes `waiter` with `why` (timeout or cancellation); stops the load if it was the last.
    void Abandon(const K& key, internal::Waiter<Result>& waiter, absl::Status why) {
      const bool timeout = absl::IsDeadlineExceeded(why);
      if (!waiter.Complete(std::move(why))) return;
      MutexLock lock(&mu_);
      ++(timeout ? stats_.timeouts : stats_.cancellations);
      auto it = flights_.find(key);
      if (it == flights_.end()) return;
      Flight& flight = *it->second;
      std::erase_if(flight.waiters, [](const auto& w) { return w->done(); });
      if (flight.waiters.empty()) {
        flight.stop.request_stop();
        flights_.erase(it);
      }
    }

    void Shutdown() {
      absl::flat_hash_map<K, std::shared_ptr<Flight>> flights;
      {
        MutexLock lock(&mu_);
        flights.swap(flights_);
      }
      for (auto& [key, flight] : flights) {
        flight->stop.request_stop();
        for (auto& w : flight->waiters) w->Complete(absl::CancelledError("cache destroyed"));
      }
    }

    LoadingStats Stats() const {
      MutexLock lock(&mu_);
      return stats_;
    }

   private:
    void Count(uint64_t LoadingStats::*field) {
      MutexLock lock(&mu_);
      ++(stats_.*field);
    }

    void Finish(const K& key, const std::shared_ptr<Flight>& flight, Result result) {
      std::vector<std::shared_ptr<internal::Waiter<Result>>> waiters;
      {
        MutexLock lock(&mu_);
        auto it = flights_.find(key);
        if (it != flights_.end() && it->second == flight) {
          flights_.erase(it);
          waiters.swap(flight->waiters);
        }
        if (!result.ok()) {
          ++stats_.load_errors;
          if (error_ttl_ > absl::ZeroDuration() && !waiters.empty()) {
            errors_[key] = {result.status(), clock_->Now() + error_ttl_};
          }
        }
      }
      if (waiters.empty()) return;  // abandoned: nobody waits, and the result is not stored
      if (result.ok()) {
        if (absl::Status stored = engine_->Insert(key, *result); !stored.ok()) result = stored;
      }
      for (auto& waiter : waiters) waiter->Complete(result);
    }

    const std::shared_ptr<Cache<K, V>> engine_;
    const Loader loader_;
    const asio::any_io_executor executor_;
    const absl::Duration error_ttl_;
    const std::shared_ptr<const Clock> clock_;
    mutable Mutex mu_;
    absl::flat_hash_map<K, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);
    absl::flat_hash_map<K, std::pair<absl::Status, absl::Time>> errors_ ABSL_GUARDED_BY(mu_);
    LoadingStats stats_ ABSL_GUARDED_BY(mu_);
  };

  LoadingCache(std::shared_ptr<Cache<K, V>> engine, Loader loader, LoadingOptions options)
      : pool_(options.executor ? nullptr : std::make_unique<asio::thread_pool>(options.threads)),
        core_(std::make_shared<Core>(std::move(engine), std::move(loader),
                                     options.executor ? *options.executor
                                                      : asio::any_io_executor(pool_->get_executor()),
                                     options.error_ttl, std::move(options.clock))) {}

  std::unique_ptr<asio::thread_pool> pool_;
  std::shared_ptr<Core> core_;
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_LOADING_LOADING_CACHE_H_
