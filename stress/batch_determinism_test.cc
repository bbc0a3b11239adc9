// Order determinism of BatchLoader under randomized thread timing. The seed's tests went
// non-deterministic because keys passed through a hash set before batching; here every case
// runs kRuns times with different thread counts and random yields in providers (asynchronous
// answers come back from another pool, out of order), and every run must produce exactly the
// batches and results derived from first principles: de-duplicated keys in first-occurrence
// order, minus cached and invalid keys, chunked by the batch size; results in input order.
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
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

// Runs per case; STRESS_RUNS in the environment overrides it (see README, "Stress").
int Runs() {
  const char* runs = std::getenv("STRESS_RUNS");
  return runs != nullptr ? std::atoi(runs) : 1000;
}


enum class Kind { kOneKey, kBatch, kOneKeyAsync, kBatchAsync };

struct Case {
  const char* name;
  Kind kind;
  Keys keys;
  size_t max_batch_size;
  Keys cached;  // already in the cache before the fetch
  Loader::Validator validate;
  // A batch containing this key fails as a whole ("" for none).
  std::string poison;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// Spins a random number of yields, to shuffle thread interleavings.
void Jitter(std::mt19937& rng) {
  for (int i = std::uniform_int_distribution<int>(0, 200)(rng); i > 0; --i) {
    std::this_thread::yield();
  }
}

// One run of `c`: the batches the provider received, and the results.
struct Observed {
  std::vector<Keys> batches;
  Keys results;
  bool operator==(const Observed&) const = default;
};

class Trial {
 public:
  Trial(const Case& c, int run) : case_(c), seed_(run), async_pool_(1 + run % 3) {}
  ~Trial() { async_pool_.join(); }

  Observed Fetch(int run) {
    CacheOptions cache_options;
    cache_options.capacity = 1000;
    std::shared_ptr<Cache<std::string, std::optional<std::string>>> cache =
        *NewMemoryCache<std::string, std::optional<std::string>>(MemoryEngine::kLru,
                                                                  cache_options);
    for (const auto& key : case_.cached) (void)cache->Insert(key, "cached:" + key);
    BatchOptions options;
    options.max_batch_size = case_.max_batch_size;
    options.threads = 1 + run % 4;
    auto loader = *Loader::Create(cache, MakeProvider(), options, case_.validate);
    const Loader::Result result = loader->FetchAll(case_.keys);
    Observed observed;
    for (const auto& item : result.items) {
      observed.results.push_back(item.key + "=" + ShowAnswer(item.answer));
    }
    std::lock_guard<std::mutex> lock(mu_);
    observed.batches = batches_;
    return observed;
  }

 private:
  // Answers `keys` as the source does, failing the whole batch if it holds the poison key.
  Provider::BatchAnswer Respond(const Keys& keys) {
    for (const auto& key : keys) {
      if (key == case_.poison) return absl::InternalError("batch with " + key + " failed");
    }
    Provider::Answers answers;
    for (const auto& key : keys) answers.push_back(FakeSource(key));
    return answers;
  }
  static Answer<std::string> First(const Provider::BatchAnswer& answer) {
    return answer.ok() ? answer->front() : Answer<std::string>(answer.status());
  }
  // Records the batch on entry and returns a generator for this call's jitter.
  std::mt19937 Received(const Keys& keys) {
    std::lock_guard<std::mutex> lock(mu_);
    batches_.push_back(keys);
    return std::mt19937(seed_ * 7919 + batches_.size());
  }

  Provider MakeProvider() {
    const size_t max = case_.max_batch_size;
    switch (case_.kind) {
      case Kind::kOneKey:
        return Provider::OneKey([this](const std::string& key, std::stop_token) {
          std::mt19937 rng = Received({key});
          Jitter(rng);
          return First(Respond({key}));
        });
      case Kind::kBatch:
        return Provider::Batch(
            [this](const Keys& keys, std::stop_token) {
              std::mt19937 rng = Received(keys);
              Jitter(rng);
              return Respond(keys);
            },
            max);
      case Kind::kOneKeyAsync:
        return Provider::OneKeyAsync([this](const std::string& key, std::stop_token, auto done) {
          std::mt19937 rng = Received({key});
          asio::post(async_pool_, [this, rng, key, done]() mutable {
            Jitter(rng);
            done(First(Respond({key})));
          });
        });
      case Kind::kBatchAsync:
        return Provider::BatchAsync(
            [this](const Keys& keys, std::stop_token, auto done) {
              std::mt19937 rng = Received(keys);
              asio::post(async_pool_, [this, rng, keys, done]() mutable {
                Jitter(rng);
                done(Respond(keys));
              });
            },
            max);
    }
    return Provider::OneKey(nullptr);
  }

  const Case& case_;
  const int seed_;
  asio::thread_pool async_pool_;
  std::mutex mu_;
  std::vector<Keys> batches_;
};

// What every run must observe, derived from the definition rather than from a run.
Observed Expected(const Case& c) {
  Observed expected;
  absl::flat_hash_set<std::string> seen(c.cached.begin(), c.cached.end());
  Keys to_fetch;
  for (const auto& key : c.keys) {
    if (c.validate && !c.validate(key).ok()) continue;
    if (seen.insert(key).second) to_fetch.push_back(key);
  }
  const bool one_key = c.kind == Kind::kOneKey || c.kind == Kind::kOneKeyAsync;
  const size_t size = one_key ? 1 : c.max_batch_size;
  for (size_t i = 0; i < to_fetch.size(); i += size) {
    expected.batches.emplace_back(to_fetch.begin() + i,
                                  to_fetch.begin() + std::min(to_fetch.size(), i + size));
  }
  for (const auto& key : c.keys) {
    std::string answer;
    if (c.validate && !c.validate(key).ok()) {
      answer = c.validate(key).ToString();
    } else if (std::find(c.cached.begin(), c.cached.end(), key) != c.cached.end()) {
      answer = "cached:" + key;
    } else {
      bool poisoned = false;
      for (const Keys& batch : expected.batches) {
        if (std::find(batch.begin(), batch.end(), key) != batch.end()) {
          poisoned = std::find(batch.begin(), batch.end(), c.poison) != batch.end();
        }
      }
      answer = poisoned ? absl::InternalError("batch with " + c.poison + " failed").ToString()
                        : ShowAnswer(FakeSource(key));
    }
    expected.results.push_back(key + "=" + answer);
  }
  return expected;
}

// Usernames: "user:" then 1 to 6 digits, not on the deny list.
absl::Status ValidUser(const std::string& key) {
  if (!key.starts_with("user:")) return absl::InvalidArgumentError(key + ": must start user:");
  const std::string id = key.substr(5);
  if (id.empty() || id.size() > 6) return absl::InvalidArgumentError(key + ": 1 to 6 digits");
  for (char c : id) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(key + ": digits only");
    }
  }
  if (id == "0" || id == "666") return absl::PermissionDeniedError(key + ": denied");
  return absl::OkStatus();
}

absl::Status NotEmpty(const std::string& key) {
  return key.empty() || key.find(' ') != std::string::npos
             ? absl::InvalidArgumentError("'" + key + "' is not a key")
             : absl::OkStatus();
}

const Case kCases[] = {
    {"MixedDuplicatesAndCachedKeys", Kind::kBatch,
     {"d", "a", "c", "a", "b", "miss1", "e", "d", "f", "g", "h", "i", "c"}, 3, {"b", "g"}, nullptr,
     ""},
    {"ErrorsPropagateThroughBatches", Kind::kBatch,
     {"a", "b", "c", "boom", "d", "e", "f", "g", "h", "a"}, 3, {}, nullptr, "boom"},
    {"ErrorKeyAmongNormalKeysInOneBatch", Kind::kBatch,
     {"a", "b", "bad1", "c", "d", "bad2", "e", "bad1"}, 4, {}, nullptr, ""},
    {"ValidAndInvalidKeysMixed", Kind::kBatch,
     {"a", "", "b", "has space", "c", "", "d", "miss2"}, 2, {"d"}, NotEmpty, ""},
    {"KeysWithComplexValidationRules", Kind::kBatch,
     {"user:1", "user:", "user:1234567", "user:12a", "admin:1", "user:666", "user:42", "user:0",
      "user:7", "user:42", "user:99999"},
     2, {}, ValidUser, ""},
    {"AsyncOneKeyProviderWithErrors", Kind::kOneKeyAsync,
     {"a", "bad1", "b", "miss3", "bad2", "c", "a", "d", "bad1"}, 1, {"c"}, nullptr, ""},
    {"AsyncBatchProviderWithErrorKeyInBatch", Kind::kBatchAsync,
     {"a", "b", "bad1", "c", "d", "e", "bad2", "f", "g", "b", "h"}, 3, {}, nullptr, ""},
    {"SyncOneKeyProviderKeepsOrder", Kind::kOneKey, {"z", "y", "x", "y", "w", "v"}, 1, {"x"},
     nullptr, ""},
};

class BatchDeterminismTest : public ::testing::TestWithParam<Case> {};

TEST_P(BatchDeterminismTest, SameBatchesAndResultsOnEveryRun) {
  const Case& c = GetParam();
  const Observed expected = Expected(c);
  const int runs = Runs();
  for (int run = 0; run < runs; ++run) {
    Trial trial(c, run);
    const Observed observed = trial.Fetch(run);
    ASSERT_EQ(observed.batches, expected.batches) << "run " << run << " of " << c.name;
    ASSERT_EQ(observed.results, expected.results) << "run " << run << " of " << c.name;
  }
  RecordProperty("runs", runs);
  std::printf("%s: %d runs, %zu batches each, identical\n", c.name, runs, expected.batches.size());
}

INSTANTIATE_TEST_SUITE_P(SeedCases, BatchDeterminismTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace cachelab
