// Battery factories for FallbackCache (see conformance/battery.h).
//
// FallbackRedisFactory: Redis on the test process's real redis-server (in the battery's
// namespace), then the memory tail; the battery runs while Redis serves.
// FallbackRedisRestoredFactory: a server lost and restored during the test. Each chain gets a
// redis-server of its own, killed just after the chain opened it (so the test's first call
// falls back to memory) and restarted on the same port before the test's n-th call (n from 1 to
// 12, seeded by the port); the chain probes every millisecond of real time and carries the
// entries written meanwhile over (FallbackOptions::carry_over) when Redis answers again, and
// Redis serves the rest of the test. The process prints at exit how many chains recovered while
// open.
// FallbackUnusableDirectoryFactory: SQLite and files given a location that is a regular file (so
// both are skipped at construction), then an LRU tail that serves every test.
#ifndef CACHELAB_REFERENCE_FALLBACK_TESTING_FALLBACK_FACTORIES_H_
#define CACHELAB_REFERENCE_FALLBACK_TESTING_FALLBACK_FACTORIES_H_

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <thread>
#include <vector>
#include <string>
#include <utility>
#include <vector>

#include "reference/fallback/fallback_cache.h"
#include "reference/forwarding_cache.h"
#include "reference/mutex.h"
#include "reference/files/files_cache.h"
#include "reference/redis/redis_cache.h"
#include "reference/redis/testing/redis_server.h"
#include "reference/sqlite/sqlite_cache.h"

namespace cachelab {

// Silent: the battery builds thousands of chains.
inline FallbackOptions QuietFallback(std::string name) {
  FallbackOptions fallback;
  fallback.name = std::move(name);
  fallback.listener = [](const CacheEvent&) {};
  return fallback;
}

template <typename K, typename V>
FallbackEngine<K, V> RedisFallbackEngine(const CacheOptions& options, int port) {
  return {"redis", RedisCache<K, V>::Declared(), [options, port] {
            CacheOptions remote = options;
            remote.capacity.reset();  // a server-side namespace is unbounded
            RedisOptions redis;
            redis.port = port;
            return RedisCache<K, V>::Open(remote, redis);
          }};
}

struct FallbackRedisFactory {
  static cachelab::Capabilities Capabilities() {
    return FallbackCapabilities({RedisCache<int, int>::Declared(), FallbackTailCapabilities({})});
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    // This configuration is the unbounded one (a capacity would bound the tail and make the
    // chain kApproximate).
    if (absl::Status status = ValidateOptions(options, Capabilities(), "fallback_redis");
        !status.ok()) {
      return status;
    }
    auto server = testing::SharedRedisServer();
    if (!server.ok()) return server.status();
    auto chain = FallbackCache<K, V>::Open({RedisFallbackEngine<K, V>(options, (*server)->port())},
                                           options, QuietFallback("battery"));
    if (!chain.ok()) return chain.status();
    return std::unique_ptr<Cache<K, V>>(*std::move(chain));
  }
};

struct FallbackRedisRestoredFactory {
  static cachelab::Capabilities Capabilities() { return FallbackRedisFactory::Capabilities(); }

  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    if (absl::Status status = ValidateOptions(options, Capabilities(), "fallback_redis_restored");
        !status.ok()) {
      return status;
    }
    auto server = testing::RedisServer::Start(0);
    if (!server.ok()) return server.status();
    const int port = (*server)->port();
    FallbackOptions fallback = QuietFallback("battery");
    fallback.carry_over = true;
    fallback.probe_clock = DefaultClock();
    fallback.first_probe = absl::Milliseconds(1);
    fallback.max_probe = absl::Milliseconds(2);
    fallback.listener = [](const CacheEvent& event) {
      if (event.kind == CacheEventKind::kRecovered) Counts().recovered.fetch_add(1);
    };
    auto chain = FallbackCache<K, V>::Open({RedisFallbackEngine<K, V>(options, port)}, options,
                                           std::move(fallback));
    if (!chain.ok()) return chain.status();
    if ((*chain)->Serving() != "redis") {
      return absl::InternalError("the chain did not open its redis-server");
    }
    Counts().chains.fetch_add(1);
    (*server)->Stop();  // lost
    return std::unique_ptr<Cache<K, V>>(new Restoring<K, V>(*std::move(chain), port));
  }

 private:
  struct Tally {
    std::atomic<int> chains{0};
    std::atomic<int> recovered{0};
    std::atomic<int> not_restarted{0};
    ~Tally() {
      std::printf(
          "fallback_redis_restored: %d chains lost their server, %d recovered while open, %d "
          "servers could not be restarted\n",
          chains.load(), recovered.load(), not_restarted.load());
    }
  };
  static Tally& Counts() {
    static Tally tally;
    return tally;
  }

  // The chain, and the thread that restores its server when the test makes its n-th call (n
  // drawn from 1-12; the call waits until the server is up) and keeps it until the chain closes
  // (a server dies with the thread that started it: PR_SET_PDEATHSIG).
  template <typename K, typename V>
  class Restoring final : public ForwardingCache<K, V> {
   public:
    Restoring(std::unique_ptr<Cache<K, V>> chain, int port)
        : ForwardingCache<K, V>(std::move(chain)),
          restore_at_(1 + std::mt19937(static_cast<unsigned>(port))() % 12),
          // std::unique_lock is not annotated: the analysis cannot follow it.
          restorer_([this, port]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
            std::unique_lock<Mutex> lock(mu_);
            changed_.wait(lock, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return due_ || closing_;
            });
            if (closing_) return;
            // The port is free only while nothing else takes it (another test's server can):
            // then the chain stays on memory, and the tally says so.
            auto restarted = testing::RedisServer::Start(port);
            if (!restarted.ok()) {
              Counts().not_restarted.fetch_add(1);
              std::fprintf(stderr, "fallback_redis_restored: %s\n",
                           restarted.status().ToString().c_str());
            }
            restored_ = true;
            changed_.notify_all();
            changed_.wait(lock, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return closing_; });
          }) {}
    ~Restoring() override {
      {
        MutexLock lock(&mu_);
        closing_ = true;
      }
      changed_.notify_all();
      restorer_.join();
    }

    absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
      Tick();
      return this->inner().Lookup(key);
    }
    absl::Status Insert(const K& key, V value) override {
      Tick();
      return this->inner().Insert(key, std::move(value));
    }
    absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
      Tick();
      return this->inner().InsertWithTtl(key, std::move(value), ttl);
    }
    absl::StatusOr<bool> Erase(const K& key) override {
      Tick();
      return this->inner().Erase(key);
    }
    absl::Status Clear() override {
      Tick();
      return this->inner().Clear();
    }
    absl::StatusOr<size_t> Size() override {
      Tick();
      return this->inner().Size();
    }
    absl::StatusOr<std::vector<K>> Keys() override {
      Tick();
      return this->inner().Keys();
    }
    absl::StatusOr<std::vector<std::optional<V>>> LookupMany(const std::vector<K>& keys) override {
      Tick();
      return this->inner().LookupMany(keys);
    }
    absl::Status InsertMany(std::vector<std::pair<K, V>> entries) override {
      Tick();
      return this->inner().InsertMany(std::move(entries));
    }

   private:
    // The restore_at_-th call restores the server before it runs.
    void Tick() ABSL_NO_THREAD_SAFETY_ANALYSIS {  // std::unique_lock is not annotated
      if (calls_.fetch_add(1) + 1 != restore_at_) return;
      std::unique_lock<Mutex> lock(mu_);
      due_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return restored_; });
    }

    const int restore_at_;
    std::atomic<int> calls_{0};
    Mutex mu_;  // not absl::Mutex, which ThreadSanitizer cannot see here (reference/mutex.h)
    std::condition_variable_any changed_;
    bool due_ ABSL_GUARDED_BY(mu_) = false;
    bool restored_ ABSL_GUARDED_BY(mu_) = false;
    bool closing_ ABSL_GUARDED_BY(mu_) = false;
    std::thread restorer_;
  };
};

struct FallbackUnusableDirectoryFactory {
  static cachelab::Capabilities Capabilities() {
    CacheOptions bounded;
    bounded.capacity = 1;
    return FallbackCapabilities({SqliteCache<int, int>::Declared(),
                                 FilesCache<int, int>::Declared(),
                                 FallbackTailCapabilities(bounded)});
  }
  template <typename K, typename V>
  static absl::StatusOr<std::unique_ptr<Cache<K, V>>> Create(const CacheOptions& options) {
    CacheOptions unusable = options;
    unusable.location = options.location + ".file";
    std::ofstream(unusable.location) << "not a directory\n";
    std::vector<FallbackEngine<K, V>> engines = {
        {"sqlite", SqliteCache<K, V>::Declared(),
         [unusable] { return SqliteCache<K, V>::Open(unusable); }},
        {"files", FilesCache<K, V>::Declared(),
         [unusable] { return FilesCache<K, V>::Open(unusable); }},
    };
    auto chain = FallbackCache<K, V>::Open(std::move(engines), options, QuietFallback("battery"));
    if (!chain.ok()) return chain.status();
    if ((*chain)->Serving() != "memory") {
      return absl::InternalError("an engine opened a location that is a regular file");
    }
    return std::unique_ptr<Cache<K, V>>(*std::move(chain));
  }
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FALLBACK_TESTING_FALLBACK_FACTORIES_H_
