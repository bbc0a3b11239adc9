// DataProvider: where a BatchLoader gets what its cache lacks. Four kinds, one key at a time or
// a batch of keys, each synchronous or asynchronous:
//
//   DataProvider<K, V>::OneKey([](const K&, std::stop_token) -> Answer<V> { ... });
//   DataProvider<K, V>::Batch([](const std::vector<K>&, std::stop_token)
//                                 -> absl::StatusOr<std::vector<Answer<V>>> { ... }, 50);
//   DataProvider<K, V>::OneKeyAsync([](const K&, std::stop_token, auto done) { ... done(a); });
//   DataProvider<K, V>::BatchAsync([](const std::vector<K>&, std::stop_token, auto done) {...}, 50);
//
// An Answer<V> is a value, std::nullopt ("the source has no such key", which is cached like a
// value), or an error status (never cached). A batch provider answers one Answer per key in the
// order given, or one error status for the whole batch; an answer vector of the wrong length is
// turned into kInternal for every key of that batch. An asynchronous provider must call `done`
// exactly once, from any thread; it should stop early once its stop token is signalled.
//
// Thread-safety: a provider may be called from several threads at once (different fetches);
// within one fetch, a synchronous provider is called for one batch at a time.
#ifndef CACHELAB_REFERENCE_LOADING_DATA_PROVIDER_H_
#define CACHELAB_REFERENCE_LOADING_DATA_PROVIDER_H_

#include <algorithm>
#include <functional>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace cachelab {

template <typename V>
using Answer = absl::StatusOr<std::optional<V>>;

template <typename K, typename V>
class DataProvider {
 public:
  using Answers = std::vector<Answer<V>>;
  using BatchAnswer = absl::StatusOr<Answers>;
  using OneKeyFn = std::function<Answer<V>(const K&, std::stop_token)>;
  using BatchFn = std::function<BatchAnswer(const std::vector<K>&, std::stop_token)>;
  using OneKeyAsyncFn =
      std::function<void(const K&, std::stop_token, std::function<void(Answer<V>)>)>;
  using BatchAsyncFn =
      std::function<void(const std::vector<K>&, std::stop_token, std::function<void(BatchAnswer)>)>;

  static DataProvider OneKey(OneKeyFn fn) {
    return DataProvider(1, false, [fn = std::move(fn)](const std::vector<K>& keys,
                                                       std::stop_token stop, auto done) {
      done(Answers{fn(keys.front(), stop)});
    });
  }
  // Precondition (checked by BatchLoader::Create): max_batch_size >= 1.
  static DataProvider Batch(BatchFn fn, size_t max_batch_size) {
    return DataProvider(max_batch_size, false,
                        [fn = std::move(fn)](const std::vector<K>& keys, std::stop_token stop,
                                             auto done) { done(Checked(keys, fn(keys, stop))); });
  }
  static DataProvider OneKeyAsync(OneKeyAsyncFn fn) {
    return DataProvider(1, true, [fn = std::move(fn)](const std::vector<K>& keys,
                                                      std::stop_token stop, auto done) {
      fn(keys.front(), stop, [done](Answer<V> answer) { done(Answers{std::move(answer)}); });
    });
  }
  static DataProvider BatchAsync(BatchAsyncFn fn, size_t max_batch_size) {
    return DataProvider(max_batch_size, true, [fn = std::move(fn)](const std::vector<K>& keys,
                                                                   std::stop_token stop,
                                                                   auto done) {
      fn(keys, stop, [keys, done](BatchAnswer answer) { done(Checked(keys, std::move(answer))); });
    });
  }

  size_t max_batch_size() const { return max_batch_size_; }
  // True if calls return before answering (the answer comes through `done`).
  bool is_async() const { return async_; }

  // Calls the provider for `keys`; `done` receives one Answer per key, in order, exactly once.
  void Call(const std::vector<K>& keys, std::stop_token stop,
            std::function<void(Answers)> done) const {
    call_(keys, std::move(stop), std::move(done));
  }

 private:
  using CallFn =
      std::function<void(const std::vector<K>&, std::stop_token, std::function<void(Answers)>)>;

  DataProvider(size_t max_batch_size, bool async, CallFn call)
      : max_batch_size_(max_batch_size), async_(async), call_(std::move(call)) {}

  // One answer per key: a batch-wide error or a wrong-length answer applies to every key.
  static Answers Checked(const std::vector<K>& keys, BatchAnswer answer) {
    if (answer.ok() && answer->size() == keys.size()) return *std::move(answer);
    const absl::Status status =
        answer.ok() ? absl::InternalError(absl::StrCat("the provider answered ", answer->size(),
                                                       " keys of a batch of ", keys.size()))
                    : answer.status();
    return Answers(keys.size(), status);
  }

  size_t max_batch_size_;
  bool async_;
  CallFn call_;
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_LOADING_DATA_PROVIDER_H_
