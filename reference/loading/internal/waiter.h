// Waiter: one caller waiting for a key, completed exactly once, by whichever comes first of the
// result, its timeout or its cancellation. Shared by LoadingCache and BatchLoader.
#ifndef CACHELAB_REFERENCE_LOADING_INTERNAL_WAITER_H_
#define CACHELAB_REFERENCE_LOADING_INTERNAL_WAITER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "asio.hpp"
#include "reference/mutex.h"

namespace cachelab::internal {

// Converts an absl::Duration to the steady_timer's duration; InfiniteDuration means none.
inline std::optional<std::chrono::nanoseconds> TimerDuration(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return std::nullopt;
  return absl::ToChronoNanoseconds(std::max(d, absl::ZeroDuration()));
}

template <typename Result>
class Waiter : public std::enable_shared_from_this<Waiter<Result>> {
 public:
  // `deliver` is called once, with the result, on the thread that completes the waiter; it
  // must not block (it posts the user's handler).
  explicit Waiter(std::function<void(Result)> deliver) : deliver_(std::move(deliver)) {}

  // Completes the waiter unless it already is. Returns true if this call completed it.
  bool Complete(Result result) {
    if (done_.exchange(true)) return false;
    {
      MutexLock lock(&mu_);
      timer_.reset();  // destroyed, not just cancelled: a timer must not outlive its executor
    }
    std::function<void(Result)> deliver = std::move(deliver_);
    deliver(std::move(result));
    return true;
  }
  bool done() const { return done_.load(); }

  // Completes the waiter with `on_timeout()` after `timeout`, unless it completes first.
  template <typename Executor, typename OnTimeout>
  void ArmTimeout(const Executor& executor, absl::Duration timeout, OnTimeout on_timeout) {
    const auto duration = TimerDuration(timeout);
    if (!duration) return;
    MutexLock lock(&mu_);
    timer_.emplace(executor, *duration);
    timer_->async_wait([weak = this->weak_from_this(), on_timeout](const asio::error_code& ec) {
      if (ec) return;  // cancelled: the waiter completed first
      if (auto self = weak.lock()) on_timeout(*self);
    });
  }

 private:
  std::atomic<bool> done_{false};
  std::function<void(Result)> deliver_;
  Mutex mu_;
  std::optional<asio::steady_timer> timer_ ABSL_GUARDED_BY(mu_);
};

// Wraps an Asio completion handler (move-only) as a copyable function that posts it to its
// associated executor, so user code never runs inside the cache's locks or loader threads.
template <typename Result, typename Handler, typename Executor>
std::function<void(Result)> PostingDeliverer(Handler&& handler, const Executor& fallback) {
  auto shared = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
  return [shared, fallback](Result result) {
    auto executor = asio::get_associated_executor(*shared, fallback);
    asio::post(executor, [shared, result = std::move(result)]() mutable {
      // Asio's rule: a completed operation leaves the handler's cancellation slot empty.
      asio::get_associated_cancellation_slot(*shared).clear();
      (*shared)(std::move(result));
    });
  };
}

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_LOADING_INTERNAL_WAITER_H_
