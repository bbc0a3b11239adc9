// BatchOperation: one fetch(keys) of a BatchLoader, from the de-duplicated key list to the one
// completion. Every distinct key is settled exactly once (cache, validation, provider, timeout
// or cancellation); the operation completes exactly once, when the last key settles.
//
// Memory: a fetch keeps one item (key and answer) per distinct key, which becomes the result
// as it is when no key repeats; nothing else is proportional to the fetch. (With glibc's
// malloc, a fetch whose buffers together exceed the 128 KiB trim threshold while each stays
// under the mmap threshold returns its memory to the kernel on every call and faults it back
// in on the next: a 1000-key fetch with a second and third copy of its answers did.)
#ifndef CACHELAB_REFERENCE_LOADING_INTERNAL_BATCH_OPERATION_H_
#define CACHELAB_REFERENCE_LOADING_INTERNAL_BATCH_OPERATION_H_

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "reference/loading/data_provider.h"
#include "reference/mutex.h"

namespace cachelab::internal {

// One key of a fetch and its answer (BatchResult<K, V>::Item).
template <typename K, typename V>
struct KeyAnswer {
  K key;
  Answer<V> answer;
};

// The distinct keys of a fetch in first-occurrence order, as items whose answers are still to
// be given, and, only when the input repeats a key, the input itself and for each input
// position the index of its key. Keys are copied from a const input and moved from an rvalue
// one. Never iterates a hash container, so the order is the input's.
template <typename K, typename V>
struct DistinctKeys {
  std::vector<KeyAnswer<K, V>> items;
  std::vector<K> input;                 // empty unless the input repeats a key
  std::vector<size_t> position_to_key;  // empty unless the input repeats a key

  explicit DistinctKeys(const std::vector<K>& given) { Build(given); }
  explicit DistinctKeys(std::vector<K>&& given) { Build(given); }
  bool repeats() const { return !position_to_key.empty(); }

 private:
  template <typename Given>  // const std::vector<K> or std::vector<K> (moved from)
  void Build(Given& given) {
    constexpr bool kMove = !std::is_const_v<Given>;
    std::vector<size_t> to_key = IndexIfRepeats(given);
    if (to_key.empty()) {
      items.reserve(given.size());
      for (auto& key : given) {
        if constexpr (kMove) {
          items.push_back({std::move(key), Answer<V>()});
        } else {
          items.push_back({key, Answer<V>()});
        }
      }
      return;
    }
    for (size_t p = 0; p < given.size(); ++p) {
      if (to_key[p] == items.size()) items.push_back({given[p], Answer<V>()});  // first occurrence
    }
    position_to_key = std::move(to_key);
    if constexpr (kMove) {
      input = std::move(given);
    } else {
      input = given;
    }
  }

  // Empty if no key repeats (a set of pointers tells, the common case); else the index of each
  // position's key.
  static std::vector<size_t> IndexIfRepeats(const std::vector<K>& given) {
    struct Hash {
      size_t operator()(const K* key) const { return absl::Hash<K>{}(*key); }
    };
    struct Eq {
      bool operator()(const K* a, const K* b) const { return *a == *b; }
    };
    if (given.size() < 2) return {};
    {
      absl::flat_hash_set<const K*, Hash, Eq> seen;
      seen.reserve(given.size());
      bool repeat = false;
      for (const K& key : given) {
        if (!seen.insert(&key).second) {
          repeat = true;
          break;
        }
      }
      if (!repeat) return {};
    }
    absl::flat_hash_map<const K*, size_t, Hash, Eq> index;
    index.reserve(given.size());
    std::vector<size_t> to_key;
    to_key.reserve(given.size());
    for (const K& key : given) to_key.push_back(index.try_emplace(&key, index.size()).first->second);
    return to_key;
  }
};

// A batch for the provider: the indices of its keys in the fetch, and copies of those keys
// (the provider's call and its answer read these, never the operation's items, which the
// completion hands over).
template <typename K>
struct ProviderBatch {
  std::vector<size_t> index;
  std::vector<K> keys;
};

template <typename K, typename V>
class BatchOperation {
 public:
  using Items = std::vector<KeyAnswer<K, V>>;

  // `items`: one per distinct key, answers unset. on_key(key, answer) runs once per distinct
  // key; on_done(items) once, at the end, with every answer given.
  BatchOperation(Items items, std::function<void(const K&, const Answer<V>&)> on_key,
                 std::function<void(Items)> on_done)
      : size_(items.size()),
        items_(std::move(items)),
        settled_(size_, false),
        unsettled_(size_),
        on_key_(std::move(on_key)),
        on_done_(std::move(on_done)) {}

  size_t size() const { return size_; }
  std::stop_token stop_token() const { return stop_.get_token(); }
  bool stopped() const { return stop_.stop_requested(); }

  // The key of item `index`; only before Begin(), while nothing else can touch the operation.
  const K& key(size_t index) const ABSL_NO_THREAD_SAFETY_ANALYSIS { return items_[index].key; }
  // Settles key `index` before Begin() (no lock, and the completion check is left to Begin()).
  void Prefill(size_t index, Answer<V> answer) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    items_[index].answer = std::move(answer);
    settled_[index] = true;
    --unsettled_;
    if (on_key_) on_key_(items_[index].key, items_[index].answer);
  }
  // Ends the unshared phase: completes the operation if Prefill settled every key.
  void Begin() {
    std::optional<Items> finished;
    {
      MutexLock lock(&mu_);
      if (unsettled_ == 0) finished = HandOver();
    }
    if (finished) on_done_(*std::move(finished));
  }

  // Settles key `index`, which is `key`, with `answer` unless it is settled already. Returns
  // true if it was not.
  bool Settle(size_t index, const K& key, const Answer<V>& answer) {
    std::optional<Items> finished;
    {
      MutexLock lock(&mu_);
      if (handed_over_ || settled_[index]) return false;
      items_[index].answer = answer;
      settled_[index] = true;
      if (--unsettled_ == 0) finished = HandOver();
    }
    if (on_key_) on_key_(key, answer);
    if (finished) on_done_(*std::move(finished));
    return true;
  }

  // Settles every key still open with `why`, at once, and tells the provider to stop.
  void SettleAllOpen(const absl::Status& why) {
    stop_.request_stop();
    std::vector<K> settled_keys;  // for on_key, which runs outside the lock
    Items finished;
    {
      MutexLock lock(&mu_);
      if (handed_over_) return;
      for (size_t i = 0; i < size_; ++i) {
        if (settled_[i]) continue;
        items_[i].answer = why;
        settled_[i] = true;
        if (on_key_) settled_keys.push_back(items_[i].key);
      }
      unsettled_ = 0;
      finished = HandOver();
    }
    for (const K& key : settled_keys) on_key_(key, why);
    on_done_(std::move(finished));
  }

 private:
  // Gives the items to on_done; later Settle calls find the operation handed over.
  Items HandOver() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    handed_over_ = true;
    return std::move(items_);
  }

  const size_t size_;
  Mutex mu_;
  Items items_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> settled_ ABSL_GUARDED_BY(mu_);
  size_t unsettled_ ABSL_GUARDED_BY(mu_);
  bool handed_over_ ABSL_GUARDED_BY(mu_) = false;
  std::stop_source stop_;
  const std::function<void(const K&, const Answer<V>&)> on_key_;
  const std::function<void(Items)> on_done_;
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_LOADING_INTERNAL_BATCH_OPERATION_H_
