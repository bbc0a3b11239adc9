// BatchOperation: one fetch(keys) of a BatchLoader, from the de-duplicated key list to the one
// completion. Every distinct key is settled exactly once (cache, validation, provider, timeout
// or cancellation); the operation completes exactly once, when the last key settles.
#ifndef CACHELAB_REFERENCE_LOADING_INTERNAL_BATCH_OPERATION_H_
#define CACHELAB_REFERENCE_LOADING_INTERNAL_BATCH_OPERATION_H_

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "reference/loading/data_provider.h"
#include "reference/mutex.h"

namespace cachelab::internal {

// The distinct keys of `keys` in first-occurrence order, and for each input position the index
// of its key among them. Never iterates a hash container, so the order is the input's.
template <typename K>
struct DistinctKeys {
  std::vector<K> keys;
  std::vector<size_t> position_to_key;

  explicit DistinctKeys(const std::vector<K>& input) {
    absl::flat_hash_map<K, size_t> index;
    position_to_key.reserve(input.size());
    for (const K& key : input) {
      auto [it, inserted] = index.try_emplace(key, keys.size());
      if (inserted) keys.push_back(key);
      position_to_key.push_back(it->second);
    }
  }
};

// Splits `indices` (in order) into consecutive batches of at most `max_size`.
inline std::vector<std::vector<size_t>> Chunk(const std::vector<size_t>& indices, size_t max_size) {
  std::vector<std::vector<size_t>> batches;
  for (size_t i = 0; i < indices.size(); i += max_size) {
    batches.emplace_back(indices.begin() + i,
                         indices.begin() + std::min(indices.size(), i + max_size));
  }
  return batches;
}

template <typename K, typename V>
class BatchOperation {
 public:
  // on_key(key index, answer) runs once per distinct key; on_done(answers) once, at the end.
  BatchOperation(size_t keys, std::function<void(size_t, const Answer<V>&)> on_key,
                 std::function<void(std::vector<Answer<V>>)> on_done)
      : answers_(keys), unsettled_(keys), on_key_(std::move(on_key)), on_done_(std::move(on_done)) {}

  std::stop_token stop_token() const { return stop_.get_token(); }
  bool stopped() const { return stop_.stop_requested(); }

  // Settles key `index` with `answer` unless it is settled already. Returns true if it was not.
  bool Settle(size_t index, const Answer<V>& answer) {
    std::optional<std::vector<Answer<V>>> finished;
    {
      MutexLock lock(&mu_);
      if (answers_[index].has_value()) return false;
      answers_[index] = answer;
      if (--unsettled_ == 0) finished = Collect();
    }
    if (on_key_) on_key_(index, answer);
    if (finished) on_done_(*std::move(finished));
    return true;
  }

  // Settles every key still open with `why`, and tells the provider to stop.
  void SettleAllOpen(const absl::Status& why) {
    stop_.request_stop();
    for (size_t i = 0; i < answers_.size(); ++i) Settle(i, why);
  }

  // Completes an operation over no keys at all.
  void FinishIfEmpty() {
    if (answers_.empty()) on_done_({});
  }

 private:
  std::vector<Answer<V>> Collect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<Answer<V>> out;
    out.reserve(answers_.size());
    for (auto& answer : answers_) out.push_back(*answer);
    return out;
  }

  Mutex mu_;
  std::vector<std::optional<Answer<V>>> answers_ ABSL_GUARDED_BY(mu_);
  size_t unsettled_ ABSL_GUARDED_BY(mu_);
  std::stop_source stop_;
  const std::function<void(size_t, const Answer<V>&)> on_key_;
  const std::function<void(std::vector<Answer<V>>)> on_done_;
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_LOADING_INTERNAL_BATCH_OPERATION_H_
