// BatchLoader: fetches keys through a cache, asking a DataProvider (data_provider.h) only for
// what the cache lacks, in deterministic batches (the seeds' KVLightTasks).
//
// Determinism: a fetch de-duplicates its keys in first-occurrence order, answers from the cache
// what it can (a cached "no such key" included), and splits the rest, still in that order,
// into batches of at most max_batch_size. The provider receives those batches in that order
// (a synchronous provider one batch at a time; an asynchronous one is called for every batch in
// order, and may answer in any order). Results come back in the order the keys were given, a
// duplicate key answered at each of its positions. So the same keys and cache contents give the
// same batches and the same results on every run, whatever the thread timing. (Different fetch
// calls running at once are not ordered against each other.)
//
// Forms, all on one implementation:
//   FetchEach(keys, on_key, on_done)  on_key(key, answer) per distinct key as it settles, then
//                                     on_done(result) once (the seeds' callback API);
//   Fetch(keys, on_done)              on_done(result) once, when every key is settled;
//   AsyncFetch(keys, token)           Asio completion token: callback, asio::use_future,
//                                     asio::use_awaitable;
//   FetchAll(keys) / FetchOne(key)    block for the answer.
// Per-key errors: a failing key does not fail the others; BatchResult::AggregateError() lists
// every failed key with its reason. Keys refused by BatchOptions::validate fail with
// kInvalidArgument and never reach the provider. Successful answers (values and "no such key")
// are stored in the cache; errors never are. FetchOptions::timeout and FetchOptions::stop (and,
// for AsyncFetch, the token's Asio cancellation slot) settle every open key with
// kDeadlineExceeded or kCancelled, in order, and signal the provider's stop token.
//
// Thread-safety: all methods may be called from any thread. Ownership: the cache is shared; a
// default executor pool is owned. Callbacks run on the loader's executor or the provider's
// thread, never inside the loader's locks; AsyncFetch handlers on their associated executor.
// Complexity: O(n) expected for n keys plus the cache's and the provider's work; the cache is
// read 256 keys per LookupMany (one lock, transaction or round trip each).
// Not promised: the order of on_key calls; answers from a provider after a fetch completed.
#ifndef CACHELAB_REFERENCE_LOADING_BATCH_LOADER_H_
#define CACHELAB_REFERENCE_LOADING_BATCH_LOADER_H_

#include <future>
#include <memory>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "reference/cache.h"
#include "reference/loading/data_provider.h"
#include "reference/loading/internal/batch_operation.h"
#include "reference/loading/internal/waiter.h"
#include "reference/mutex.h"

namespace cachelab {

template <typename K, typename V>
struct BatchResult {
  using Item = internal::KeyAnswer<K, V>;  // {K key; Answer<V> answer;}
  std::vector<Item> items;  // in the order the keys were given

  bool ok() const {
    for (const Item& item : items) {
      if (!item.answer.ok()) return false;
    }
    return true;
  }
  // One answer per distinct key.
  absl::flat_hash_map<K, Answer<V>> ToMap() const {
    absl::flat_hash_map<K, Answer<V>> map;
    for (const Item& item : items) map.try_emplace(item.key, item.answer);
    return map;
  }
  // OK if every key succeeded; otherwise the code of the first failure and a message listing
  // every failed key (each once, in input order) with its reason.
  absl::Status AggregateError() const {
    std::string message;
    std::optional<absl::StatusCode> code;
    int failed = 0;
    absl::flat_hash_set<K> seen, failed_keys;
    for (const Item& item : items) {
      seen.insert(item.key);
      if (item.answer.ok() || !failed_keys.insert(item.key).second) continue;
      if (!code) code = item.answer.status().code();
      absl::StrAppend(&message, failed++ ? "; " : "", item.key, ": ",
                      item.answer.status().ToString());
    }
    if (!code) return absl::OkStatus();
    return absl::Status(*code, absl::StrCat(failed, " of ", seen.size(),
                                            " keys failed: ", message));
  }
};

struct BatchOptions {
  size_t max_batch_size = 100;  // also bounded by the provider's own maximum
  // Runs synchronous providers. Default: a pool of `threads` owned by the loader.
  std::optional<asio::any_io_executor> executor;
  int threads = 2;
};

struct FetchOptions {
  absl::Duration timeout = absl::InfiniteDuration();
  std::stop_token stop;  // cancels the fetch when requested
};

// Counted per fetch over its distinct keys (a duplicate counts once). A key refused by the
// validator is neither a hit nor a miss; a failed key (refused, failed by the provider, timed
// out or cancelled) is counted in failed_keys.
struct BatchStats {
  uint64_t hits = 0;            // distinct keys answered by the cache (a cached absence too)
  uint64_t misses = 0;          // distinct valid keys the cache lacked
  uint64_t provider_calls = 0;  // batches sent to the provider
  uint64_t provider_keys = 0;   // keys sent to the provider, over all calls
  uint64_t largest_call = 0;    // most keys in one provider call
  uint64_t failed_keys = 0;     // distinct keys that ended in an error
};

template <typename K, typename V>
class BatchLoader {
 public:
  using Result = BatchResult<K, V>;
  using Validator = std::function<absl::Status(const K&)>;

  // Returns kInvalidArgument for a null cache, max_batch_size 0 (loader's or provider's) or
  // threads < 1 without an executor.
  static absl::StatusOr<std::unique_ptr<BatchLoader>> Create(
      std::shared_ptr<Cache<K, std::optional<V>>> cache, DataProvider<K, V> provider,
      BatchOptions options = {}, Validator validate = nullptr) {
    if (cache == nullptr) return absl::InvalidArgumentError("BatchLoader: cache is null");
    if (options.max_batch_size == 0 || provider.max_batch_size() == 0) {
      return absl::InvalidArgumentError("BatchLoader: max_batch_size must be at least 1");
    }
    if (!options.executor && options.threads < 1) {
      return absl::InvalidArgumentError("BatchLoader: threads must be at least 1");
    }
    return std::unique_ptr<BatchLoader>(new BatchLoader(
        std::move(cache), std::move(provider), std::move(options), std::move(validate)));
  }

  ~BatchLoader() {
    if (pool_) pool_->join();
  }

  void FetchEach(const std::vector<K>& keys, std::function<void(const K&, const Answer<V>&)> on_key,
                 std::function<void(Result)> on_done, FetchOptions options = {}) {
    core_->Start(keys, std::move(on_key), std::move(on_done), std::move(options), kNoSlot);
  }
  void Fetch(const std::vector<K>& keys, std::function<void(Result)> on_done,
             FetchOptions options = {}) {
    core_->Start(keys, nullptr, std::move(on_done), std::move(options), kNoSlot);
  }
  template <typename CompletionToken>
  auto AsyncFetch(const std::vector<K>& keys, CompletionToken&& token, FetchOptions options = {}) {
    return asio::async_initiate<CompletionToken, void(Result)>(
        [core = core_, keys, options](auto handler) mutable {
          auto slot = asio::get_associated_cancellation_slot(handler);
          auto deliver = internal::PostingDeliverer<Result>(std::move(handler), core->executor());
          core->Start(std::move(keys), nullptr, std::move(deliver), std::move(options),
                      slot.is_connected() ? &slot : nullptr);
        },
        token);
  }
  // Blocks the calling thread; completes on it when every key is cached (no thread hop).
  Result FetchAll(const std::vector<K>& keys, FetchOptions options = {}) {
    auto promise = std::make_shared<std::promise<Result>>();
    std::future<Result> result = promise->get_future();
    Fetch(keys, [promise](Result done) { promise->set_value(std::move(done)); },
          std::move(options));
    return result.get();
  }
  Answer<V> FetchOne(const K& key, FetchOptions options = {}) {
    return FetchAll({key}, std::move(options)).items.front().answer;
  }

  BatchStats Stats() const { return core_->Stats(); }

 private:
  static constexpr asio::cancellation_slot* kNoSlot = nullptr;

  class Core : public std::enable_shared_from_this<Core> {
   public:
    Core(std::shared_ptr<Cache<K, std::optional<V>>> cache, DataProvider<K, V> provider,
         size_t max_batch_size, asio::any_io_executor executor, Validator validate)
        : cache_(std::move(cache)),
          provider_(std::move(provider)),
          max_batch_size_(std::min(max_batch_size, provider_.max_batch_size())),
          executor_(std::move(executor)),
          validate_(std::move(validate)) {}

    const asio::any_io_executor& executor() const { return executor_; }

    // Runs one fetch: validation and cache first, then the provider for the rest, in order.
    // `input` is a const std::vector<K>& (copied) or a std::vector<K>&& (moved from).
    template <typename Keys, typename Slot>
    void Start(Keys&& input, std::function<void(const K&, const Answer<V>&)> on_key,
               std::function<void(Result)> on_done, FetchOptions options, Slot* slot) {
      auto distinct = std::make_shared<internal::DistinctKeys<K, V>>(std::forward<Keys>(input));
      auto hooks = std::make_shared<Hooks>();
      auto self = this->shared_from_this();
      auto op = std::make_shared<Operation>(
          std::move(distinct->items), std::move(on_key),
          [self, distinct, hooks, on_done](typename Operation::Items items) {
            hooks->Release();
            self->CountFailures(items);
            on_done(InInputOrder(*distinct, std::move(items)));
          });

      // Validation and the cache first, while nothing else can touch the operation.
      uint64_t invalid = 0;
      std::vector<size_t> missing = ReadCache(*op, invalid);
      {
        MutexLock lock(&mu_);
        stats_.misses += missing.size();
        stats_.hits += op->size() - missing.size() - invalid;
      }
      if (missing.empty()) {
        op->Begin();  // completes the fetch here: every key was settled
        return;
      }
      auto batches = std::make_shared<const std::vector<internal::ProviderBatch<K>>>(
          Batches(*op, missing));
      op->Begin();
      hooks->Arm(executor_, op, options, slot);
      if (provider_.is_async()) {
        for (size_t b = 0; b < batches->size(); ++b) Send(op, batches, b);
      } else {
        asio::post(executor_, [self, op, batches] { self->Send(op, batches, 0); });
      }
    }

    BatchStats Stats() const {
      MutexLock lock(&mu_);
      return stats_;
    }

   private:
    using Operation = internal::BatchOperation<K, V>;

    // What keeps a fetch's timeout and cancellation hooked up until it completes. The hooks
    // hold the operation weakly, so they never keep it alive.
    struct Hooks {
      template <typename Slot>
      void Arm(const asio::any_io_executor& executor, const std::shared_ptr<Operation>& op,
               const FetchOptions& options, Slot* slot) {
        std::weak_ptr<Operation> weak = op;
        MutexLock lock(&mu);
        if (released) return;
        if (auto duration = internal::TimerDuration(options.timeout)) {
          timer.emplace(executor, *duration);
          timer->async_wait([weak, timeout = options.timeout](const asio::error_code& ec) {
            if (auto op = weak.lock(); op && !ec) {
              op->SettleAllOpen(absl::DeadlineExceededError(
                  absl::StrCat("batch fetch timed out after ", absl::FormatDuration(timeout))));
            }
          });
        }
        if (options.stop.stop_possible()) {
          stop.emplace(options.stop, [weak] {
            if (auto op = weak.lock()) op->SettleAllOpen(absl::CancelledError("fetch cancelled"));
          });
        }
        if (slot != nullptr) {
          slot->assign([weak](asio::cancellation_type) {
            if (auto op = weak.lock()) op->SettleAllOpen(absl::CancelledError("fetch cancelled"));
          });
        }
      }
      // Destroys (not just cancels) the timer: the provider may drop the operation, and with
      // it these hooks, after the loader and its executor are gone, and a timer must not
      // outlive its executor. Completion always comes while the executor lives (a fired timer
      // holds the pool's join() until it has run).
      void Release() {
        MutexLock lock(&mu);
        released = true;
        timer.reset();
        stop.reset();
      }

      Mutex mu;
      bool released ABSL_GUARDED_BY(mu) = false;
      std::optional<asio::steady_timer> timer ABSL_GUARDED_BY(mu);
      std::optional<std::stop_callback<std::function<void()>>> stop ABSL_GUARDED_BY(mu);
    };

    // Before op->Begin(): settles each key the validator refuses or the cache holds, and
    // returns the indices of the rest. The cache is read kReadChunk keys per LookupMany (one
    // lock, one transaction or one round trip each), in order, so that no buffer as large as
    // the fetch is added to its items. A failing read is bypassed: the provider is the source.
    std::vector<size_t> ReadCache(Operation& op, uint64_t& invalid) {
      constexpr size_t kReadChunk = 256;
      std::vector<size_t> missing;
      std::vector<size_t> chunk_index;  // with a validator; else the chunk is keys [first, i)
      std::vector<K> chunk;             // assigned in place, so long keys reuse their buffers
      size_t filled = 0, first = 0;
      chunk.reserve(std::min(op.size(), kReadChunk));
      auto read = [&] {
        chunk.resize(filled);
        auto found = cache_->LookupMany(chunk);
        for (size_t j = 0; j < filled; ++j) {
          const size_t i = validate_ ? chunk_index[j] : first + j;
          if (found.ok() && (*found)[j].has_value()) {
            op.Prefill(i, *std::move((*found)[j]));
          } else {
            missing.push_back(i);
          }
        }
        chunk_index.clear();
        filled = 0;
      };
      for (size_t i = 0; i < op.size(); ++i) {
        if (validate_) {
          if (absl::Status valid = validate_(op.key(i)); !valid.ok()) {
            ++invalid;
            op.Prefill(i, std::move(valid));
            continue;
          }
          chunk_index.push_back(i);
        }
        if (filled == 0) first = i;
        if (filled < chunk.size()) {
          chunk[filled] = op.key(i);
        } else {
          chunk.push_back(op.key(i));
        }
        if (++filled == kReadChunk) read();
      }
      if (filled > 0) read();
      return missing;
    }

    // The provider batches of the missing keys, in order, with copies of their keys.
    std::vector<internal::ProviderBatch<K>> Batches(const Operation& op,
                                                    const std::vector<size_t>& missing) const {
      std::vector<internal::ProviderBatch<K>> batches;
      for (size_t i = 0; i < missing.size(); i += max_batch_size_) {
        auto& batch = batches.emplace_back();
        for (size_t j = i; j < std::min(missing.size(), i + max_batch_size_); ++j) {
          batch.index.push_back(missing[j]);
          batch.keys.push_back(op.key(missing[j]));
        }
      }
      return batches;
    }

    // Sends batch `b` to the provider and settles its keys from the answer. A synchronous
    // provider's next batch is posted once this one is answered (one batch at a time, no
    // recursion); Start sends every batch of an asynchronous provider in order.
    void Send(std::shared_ptr<Operation> op,
              std::shared_ptr<const std::vector<internal::ProviderBatch<K>>> batches, size_t b) {
      if (b == batches->size() || op->stopped()) return;
      const internal::ProviderBatch<K>& batch = (*batches)[b];
      {
        MutexLock lock(&mu_);
        ++stats_.provider_calls;
        stats_.provider_keys += batch.keys.size();
        stats_.largest_call = std::max<uint64_t>(stats_.largest_call, batch.keys.size());
      }
      auto self = this->shared_from_this();
      provider_.Call(batch.keys, op->stop_token(),
                     [self, op, batches, b](std::vector<Answer<V>> answers) {
                       const internal::ProviderBatch<K>& batch = (*batches)[b];
                       for (size_t j = 0; j < batch.keys.size() && !op->stopped(); ++j) {
                         if (answers[j].ok()) (void)self->cache_->Insert(batch.keys[j], *answers[j]);
                         op->Settle(batch.index[j], batch.keys[j], answers[j]);
                       }
                       if (!self->provider_.is_async() && b + 1 < batches->size()) {
                         asio::post(self->executor_,
                                    [self, op, batches, b] { self->Send(op, batches, b + 1); });
                       }
                     });
    }

    // The answer of each input position, in input order. Without a repeat the items are the
    // result; with one, each position takes its key from the input and its answer from its
    // key's item: moved for the key's last position, copied for its earlier duplicates.
    static Result InInputOrder(internal::DistinctKeys<K, V>& distinct,
                               typename Operation::Items items) {
      Result result;
      if (!distinct.repeats()) {
        result.items = std::move(items);
        return result;
      }
      result.items.reserve(distinct.input.size());
      std::vector<uint32_t> remaining(items.size());
      for (size_t key : distinct.position_to_key) ++remaining[key];
      for (size_t p = 0; p < distinct.input.size(); ++p) {
        const size_t key = distinct.position_to_key[p];
        if (--remaining[key] == 0) {
          result.items.push_back({std::move(distinct.input[p]), std::move(items[key].answer)});
        } else {
          result.items.push_back({std::move(distinct.input[p]), items[key].answer});
        }
      }
      return result;
    }

    void CountFailures(const typename Operation::Items& items) {
      uint64_t failed = 0;
      for (const auto& item : items) failed += !item.answer.ok();
      MutexLock lock(&mu_);
      stats_.failed_keys += failed;
    }

    std::shared_ptr<Cache<K, std::optional<V>>> cache_;
    const DataProvider<K, V> provider_;
    const size_t max_batch_size_;
    const asio::any_io_executor executor_;
    const Validator validate_;
    mutable Mutex mu_;
    BatchStats stats_ ABSL_GUARDED_BY(mu_);
  };

  BatchLoader(std::shared_ptr<Cache<K, std::optional<V>>> cache, DataProvider<K, V> provider,
              BatchOptions options, Validator validate)
      : pool_(options.executor ? nullptr : std::make_unique<asio::thread_pool>(options.threads)),
        core_(std::make_shared<Core>(
            std::move(cache), std::move(provider), options.max_batch_size,
            options.executor ? *options.executor : asio::any_io_executor(pool_->get_executor()),
            std::move(validate))) {}

  std::unique_ptr<asio::thread_pool> pool_;
  std::shared_ptr<Core> core_;
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_LOADING_BATCH_LOADER_H_
