// Properties of BatchLoader (reference/loading/batch_loader.h) over every provider kind:
//   fetch(keys) answers each key as fetching it alone would;
//   results come back in input order, one per input position;
//   within one fetch, no key reaches the provider twice, and every uncached key reaches it.
#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "reference/loading/batch_loader.h"
#include "reference/loading/testing/fake_source.h"
#include "reference/memory/memory_cache.h"

namespace cachelab {
namespace {

using ::cachelab::fakes::FakeSource;
using ::cachelab::fakes::ShowAnswer;

using Keys = std::vector<std::string>;
using Provider = DataProvider<std::string, std::string>;
using Loader = BatchLoader<std::string, std::string>;

enum class Kind { kOneKey, kBatch, kOneKeyAsync, kBatchAsync };

void showValue(Kind kind, std::ostream& os) {
  static const char* const kNames[] = {"one key", "batch", "one key async", "batch async"};
  os << kNames[static_cast<int>(kind)] << " provider";
}

// Key i of the drawn key space: some fail at the source, some do not exist there.
std::string KeyName(int i) {
  switch (i % 4) {
    case 0:
      return absl::StrCat("bad", i);
    case 1:
      return absl::StrCat("miss", i);
    default:
      return absl::StrCat("k", i);
  }
}


// A loader over a fresh cache whose provider records every key it is asked for.
class Harness {
 public:
  Harness(Kind kind, size_t max_batch_size) {
    CacheOptions cache_options;
    cache_options.capacity = 1000;
    std::shared_ptr<Cache<std::string, std::optional<std::string>>> cache =
        *NewMemoryCache<std::string, std::optional<std::string>>(MemoryEngine::kLru,
                                                                  cache_options);
    BatchOptions options;
    options.max_batch_size = max_batch_size;
    loader_ = *Loader::Create(cache, MakeProvider(kind), options);
  }
  ~Harness() {
    loader_.reset();
    pool_.join();
  }
  Loader& loader() { return *loader_; }
  // Keys the provider was asked for since the last call.
  Keys TakeReceived() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(received_, {});
  }

 private:
  Provider::Answers Answer(const Keys& keys) {
    std::lock_guard<std::mutex> lock(mu_);
    Provider::Answers answers;
    for (const auto& key : keys) {
      received_.push_back(key);
      answers.push_back(FakeSource(key));
    }
    return answers;
  }
  Provider MakeProvider(Kind kind) {
    switch (kind) {
      case Kind::kOneKey:
        return Provider::OneKey(
            [this](const std::string& key, std::stop_token) { return Answer({key}).front(); });
      case Kind::kBatch:
        return Provider::Batch(
            [this](const Keys& keys, std::stop_token) -> Provider::BatchAnswer {
              return Answer(keys);
            },
            4);
      case Kind::kOneKeyAsync:
        return Provider::OneKeyAsync([this](const std::string& key, std::stop_token, auto done) {
          asio::post(pool_, [this, key, done] { done(Answer({key}).front()); });
        });
      case Kind::kBatchAsync:
        return Provider::BatchAsync(
            [this](const Keys& keys, std::stop_token, auto done) {
              asio::post(pool_, [this, keys, done] { done(Answer(keys)); });
            },
            4);
    }
    return Provider::OneKey(nullptr);
  }

  asio::thread_pool pool_{2};
  std::mutex mu_;
  Keys received_;
  std::unique_ptr<Loader> loader_;
};

struct Drawn {
  Keys keys;
  Kind kind;
  size_t max_batch_size;
};

Drawn Draw() {
  Drawn drawn;
  drawn.keys = *rc::gen::container<Keys>(rc::gen::map(rc::gen::inRange(0, 12), KeyName));
  drawn.kind = *rc::gen::element(Kind::kOneKey, Kind::kBatch, Kind::kOneKeyAsync,
                                 Kind::kBatchAsync);
  drawn.max_batch_size = *rc::gen::inRange<size_t>(1, 6);
  return drawn;
}

RC_GTEST_PROP(BatchLoaderProperties, FetchOfKeysEqualsFetchingEachKeyInTurn, ()) {
  const Drawn d = Draw();
  Harness together(d.kind, d.max_batch_size);
  Harness one_by_one(d.kind, d.max_batch_size);
  const Loader::Result result = together.loader().FetchAll(d.keys);
  RC_ASSERT(result.items.size() == d.keys.size());
  for (size_t i = 0; i < d.keys.size(); ++i) {
    RC_ASSERT(ShowAnswer(result.items[i].answer) == ShowAnswer(one_by_one.loader().FetchOne(d.keys[i])));
  }
}

RC_GTEST_PROP(BatchLoaderProperties, ResultOrderEqualsInputOrder, ()) {
  const Drawn d = Draw();
  Harness harness(d.kind, d.max_batch_size);
  const Loader::Result result = harness.loader().FetchAll(d.keys);
  Keys result_keys;
  for (const auto& item : result.items) result_keys.push_back(item.key);
  RC_ASSERT(result_keys == d.keys);
}

RC_GTEST_PROP(BatchLoaderProperties, NoKeyReachesTheProviderTwiceInOneCall, ()) {
  const Drawn d = Draw();
  Harness harness(d.kind, d.max_batch_size);
  const Keys warm = *rc::gen::container<Keys>(rc::gen::map(rc::gen::inRange(0, 12), KeyName));
  (void)harness.loader().FetchAll(warm);  // answers and absences cached, failures not
  (void)harness.TakeReceived();
  (void)harness.loader().FetchAll(d.keys);
  Keys received = harness.TakeReceived();
  std::sort(received.begin(), received.end());
  RC_ASSERT(std::adjacent_find(received.begin(), received.end()) == received.end());
  Keys expected;  // distinct keys that the warm-up did not leave cached
  for (const auto& key : d.keys) {
    const bool cached = std::find(warm.begin(), warm.end(), key) != warm.end() &&
                        !key.starts_with("bad");
    if (!cached && std::find(expected.begin(), expected.end(), key) == expected.end()) {
      expected.push_back(key);
    }
  }
  std::sort(expected.begin(), expected.end());
  RC_ASSERT(received == expected);
}

}  // namespace
}  // namespace cachelab
