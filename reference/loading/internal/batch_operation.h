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

// The distinct keys of a fetch in first-occurrence order, and, only when the input repeats a
// key, the input itself and for each input position the index of its key. Without a repeat
// (the usual case) `keys` is the input, moved in: no key is copied. Never iterates a hash
// container, so the order is the input's; the index hashes pointers into the input.
template <typename K>
struct DistinctKeys {
  std::vector<K> keys;
  std::vector<K> input;                // empty unless the input repeats a key
  std::vector<size_t> position_to_key;  // empty unless the input repeats a key
  // Set before the fetch can complete: no provider call was needed, so nothing else reads
  // `keys` when it completes and the result may take them.
  bool keys_movable = false;

  explicit DistinctKeys(std::vector<K> given) {
    if (given.size() < 2) {
      keys = std::move(given);
      return;
    }
    struct Hash {
      size_t operator()(const K* key) const { return absl::Hash<K>{}(*key); }
    };
    struct Eq {
      bool operator()(const K* a, const K* b) const { return *a == *b; }
    };
    absl::flat_hash_map<const K*, size_t, Hash, Eq> index;
    index.reserve(given.size());
    std::vector<size_t> to_key;
    to_key.reserve(given.size());
    for (const K& key : given) to_key.push_back(index.try_emplace(&key, index.size()).first->second);
    if (index.size() == given.size()) {
      keys = std::move(given);
      return;
    }
    keys.reserve(index.size());
    for (size_t p = 0; p < given.size(); ++p) {
      if (to_key[p] == keys.size()) keys.push_back(given[p]);  // a first occurrence
    }
    input = std::move(given);
    position_to_key = std::move(to_key);
  }
  bool repeats() const { return !position_to_key.empty(); }
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
  using Answers = std::vector<std::optional<Answer<V>>>;  // every element set when handed over

  // on_key(key index, answer) runs once per distinct key; on_done(answers) once, at the end.
  BatchOperation(size_t keys, std::function<void(size_t, const Answer<V>&)> on_key,
                 std::function<void(Answers)> on_done)
      : size_(keys),
        answers_(keys),
        unsettled_(keys),
        on_key_(std::move(on_key)),
        on_done_(std::move(on_done)) {}

  std::stop_token stop_token() const { return stop_.get_token(); }
  bool stopped() const { return stop_.stop_requested(); }

  // Settles key `index` before the operation is shared with any other thread (no lock, and
  // the completion check is left to Begin()).
  void Prefill(size_t index, Answer<V> answer) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    answers_[index] = std::move(answer);
    --unsettled_;
    if (on_key_) on_key_(index, *answers_[index]);
  }
  // Ends the unshared phase: completes the operation if Prefill settled every key.
  void Begin() {
    std::optional<Answers> finished;
    {
      MutexLock lock(&mu_);
      if (unsettled_ == 0) finished = HandOver();
    }
    if (finished) on_done_(*std::move(finished));
  }

  // Settles key `index` with `answer` unless it is settled already. Returns true if it was not.
  bool Settle(size_t index, const Answer<V>& answer) {
    std::optional<Answers> finished;
    {
      MutexLock lock(&mu_);
      if (handed_over_ || answers_[index].has_value()) return false;
      answers_[index] = answer;
      if (--unsettled_ == 0) finished = HandOver();
    }
    if (on_key_) on_key_(index, answer);
    if (finished) on_done_(*std::move(finished));
    return true;
  }

  // Settles every key still open with `why`, and tells the provider to stop.
  void SettleAllOpen(const absl::Status& why) {
    stop_.request_stop();
    for (size_t i = 0; i < size_; ++i) Settle(i, why);
  }

 private:
  // Gives the answers to on_done; later Settle calls find the operation handed over.
  Answers HandOver() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    handed_over_ = true;
    return std::move(answers_);
  }

  const size_t size_;
  Mutex mu_;
  Answers answers_ ABSL_GUARDED_BY(mu_);
  size_t unsettled_ ABSL_GUARDED_BY(mu_);
  bool handed_over_ ABSL_GUARDED_BY(mu_) = false;
  std::stop_source stop_;
  const std::function<void(size_t, const Answer<V>&)> on_key_;
  const std::function<void(Answers)> on_done_;
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_LOADING_INTERNAL_BATCH_OPERATION_H_
