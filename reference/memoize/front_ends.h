// The memoizing front-ends of the seeds: each wraps a callable (a function, a lambda, or a member
// function, whose object is then the first argument, as a pointer) in a Memoized (memoize.h):
//
//   Mcache(f, options)  memory: the fast engine (reference/fast), or policy "lru", "lfu",
//                       "fifo", "random" for an exact memory engine
//   McacheWithKey(f, key_of, options)  the same with a custom key builder
//   Bcache(f, options)  SQLite in options.location (persistent, shared by processes; exact LRU)
//   Fcache(f, options)  one file per result in options.location, zstd if options.compress,
//                       XChaCha20-Poly1305 if options.encryption_key
//   Ucache(f, options, needs, servers)  a FallbackCache chosen by UcachePlan (ucache_plan.h)
//   Acache(f, options)  asynchronous: Call(args...) returns a std::future; concurrent calls with
//                       the same arguments share one run (a LoadingCache over the fast engine)
//
// Each returns the memoized function, or kInvalidArgument for options it refuses (a message
// naming the option and what to change), or the engine's status if it cannot be opened (Ucache
// never fails for that: its chain falls back). The function may return T or absl::StatusOr<T>;
// the memoized function returns absl::StatusOr<T>. Results and, for Bcache / Fcache / Ucache,
// arguments need a cachelab::Codec (reference/codec/codec.h); a missing one is a compile error
// saying what to add. Thread-safety and the rest: memoize.h.
#ifndef CACHELAB_REFERENCE_MEMOIZE_FRONT_ENDS_H_
#define CACHELAB_REFERENCE_MEMOIZE_FRONT_ENDS_H_

#include <future>
#include <memory>
#include <stop_token>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "reference/fallback/fallback_cache.h"
#include "reference/fast/fast_cache.h"
#include "reference/files/files_cache.h"
#include "reference/loading/loading_cache.h"
#include "reference/memcached/memcached_cache.h"
#include "reference/memoize/memoize.h"
#include "reference/memoize/ucache_plan.h"
#include "reference/memory/memory_cache.h"
#include "reference/redis/redis_cache.h"
#include "reference/sqlite/sqlite_cache.h"

namespace cachelab {

// Where Ucache finds its servers.
struct UcacheServers {
  int redis_port = 6379;
  int memcached_port = 11211;
};

namespace memoize_internal {

template <typename M>
struct MethodSignature;
template <typename C, typename R, typename... A>
struct MethodSignature<R (C::*)(A...) const> {
  using Class = const C;
  using Result = R;
  using Args = std::tuple<A...>;
};
template <typename C, typename R, typename... A>
struct MethodSignature<R (C::*)(A...)> {
  using Class = C;
  using Result = R;
  using Args = std::tuple<A...>;
};

// What a callable F takes and returns, and Adapt(f): a callable of the memoized arguments.
template <typename F, typename = void>
struct Callable {  // a lambda or function object (one non-template operator())
  using S = MethodSignature<decltype(&F::operator())>;
  using Result = typename S::Result;
  using Args = typename S::Args;
  static F Adapt(F f) { return f; }
};
template <typename R, typename... A>
struct Callable<R (*)(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
  static auto Adapt(R (*f)(A...)) { return f; }
};
template <typename M>
struct Callable<M, std::enable_if_t<std::is_member_function_pointer_v<M>>> {
  using S = MethodSignature<M>;
  using Result = typename S::Result;
  using Args = decltype(std::tuple_cat(std::tuple<typename S::Class*>(), typename S::Args()));
  static auto Adapt(M method) {
    return [method](typename S::Class* object, const auto&... args) {
      return (object->*method)(args...);
    };
  }
};

// The memoized types for result Value and argument tuple Args.
template <typename Value, typename ArgsTuple>
struct Front;
template <typename Value, typename... A>
struct Front<Value, std::tuple<A...>> {
  using PartsT = Parts<A...>;
  template <typename Key>
  using M = Memoized<Key, Value, A...>;

  template <typename G>
  static auto Wrap(G g) {
    return [g = std::move(g)](const std::decay_t<A>&... args) -> absl::StatusOr<Value> {
      return g(args...);
    };
  }

  // For engines that store bytes: the compile-time checks (memoize.h).
  static constexpr void CheckCodecs() { CheckStoredAsBytes<Value, A...>(); }

  using BytesResult = absl::StatusOr<std::unique_ptr<M<std::string>>>;
  template <typename G>
  static BytesResult Bytes(
      absl::StatusOr<std::unique_ptr<Cache<std::string, Value>>> engine, G g,
      const MemoizeOptions& options, std::string engine_name) {
    if (!engine.ok()) return engine.status();
    MemoizeOptions named = options;
    if (named.name.empty()) named.name = MemoizeRegistry::Global().NextName();
    return std::make_unique<M<std::string>>(*std::move(engine), Wrap(std::move(g)),
                                            EncodedKeys<PartsT>(named.name), named,
                                            std::move(engine_name));
  }
};

template <typename F>
using ValueOf = std::decay_t<typename Unwrap<std::decay_t<typename Callable<F>::Result>>::type>;
template <typename F>
using FrontOf = Front<ValueOf<F>, typename Callable<F>::Args>;

// CacheOptions for an engine of a front-end.
CacheOptions EngineOptions(const MemoizeOptions& options, std::string location);

absl::Status ValidateFor(const MemoizeOptions& options, absl::string_view front_end,
                         bool needs_location, bool exact_lru_only);

}  // namespace memoize_internal

template <typename F>
auto Mcache(F f, const MemoizeOptions& options = {}) {
  using Fr = memoize_internal::FrontOf<F>;
  using Value = memoize_internal::ValueOf<F>;
  using PartsT = typename Fr::PartsT;
  using Result = absl::StatusOr<std::unique_ptr<typename Fr::template M<PartsT>>>;
  if (absl::Status valid = memoize_internal::ValidateFor(options, "mcache", false, false);
      !valid.ok()) {
    return Result(valid);
  }
  const CacheOptions engine_options = memoize_internal::EngineOptions(options, "");
  absl::StatusOr<std::unique_ptr<Cache<PartsT, Value>>> engine =
      absl::InternalError("no engine");
  std::string engine_name = options.policy.empty() ? "fast" : options.policy;
  if (engine_name == "fast") {
    engine = NewFastCache<PartsT, Value, absl::Hash<PartsT>>(engine_options);
  } else {
    const MemoryEngine kind = engine_name == "lru"   ? MemoryEngine::kLru
                              : engine_name == "lfu" ? MemoryEngine::kLfu
                              : engine_name == "fifo" ? MemoryEngine::kFifo
                                                      : MemoryEngine::kRandom;
    engine = NewMemoryCache<PartsT, Value>(kind, engine_options);
  }
  if (!engine.ok()) return Result(engine.status());
  return Result(std::make_unique<typename Fr::template M<PartsT>>(
      *std::move(engine), Fr::Wrap(memoize_internal::Callable<F>::Adapt(std::move(f))),
      TupleKeys<PartsT>(), options,
      engine_name));
}

// Mcache on the fast engine with a custom key builder: `key_of` gets the key parts of a call
// (see memoize.h) and returns the key; calls with equal keys share one entry. InvalidateIf is
// then refused (keys cannot be read back).
template <typename F, typename KeyBuilder>
auto McacheWithKey(F f, KeyBuilder key_of, const MemoizeOptions& options = {}) {
  using Fr = memoize_internal::FrontOf<F>;
  using Value = memoize_internal::ValueOf<F>;
  using PartsT = typename Fr::PartsT;
  using Result = absl::StatusOr<std::unique_ptr<typename Fr::template M<std::string>>>;
  if (absl::Status valid = memoize_internal::ValidateFor(options, "mcache", false, false);
      !valid.ok()) {
    return Result(valid);
  }
  auto engine = NewFastCache<std::string, Value>(memoize_internal::EngineOptions(options, ""));
  if (!engine.ok()) return Result(engine.status());
  KeyScheme<std::string, PartsT> keys{
      [key_of](const PartsT& parts) { return std::string(std::apply(key_of, parts)); }, nullptr};
  return Result(std::make_unique<typename Fr::template M<std::string>>(
      *std::move(engine), Fr::Wrap(memoize_internal::Callable<F>::Adapt(std::move(f))),
      std::move(keys), options, "fast"));
}

template <typename F>
auto Bcache(F f, const MemoizeOptions& options) {
  using Fr = memoize_internal::FrontOf<F>;
  using Value = memoize_internal::ValueOf<F>;
  Fr::CheckCodecs();
  if (absl::Status valid = memoize_internal::ValidateFor(options, "bcache", true, true);
      !valid.ok()) {
    return typename Fr::BytesResult(valid);
  }
  return Fr::Bytes(
      SqliteCache<std::string, Value>::Open(memoize_internal::EngineOptions(options, options.location)),
      memoize_internal::Callable<F>::Adapt(std::move(f)), options, "sqlite");
}

template <typename F>
auto Fcache(F f, const MemoizeOptions& options) {
  using Fr = memoize_internal::FrontOf<F>;
  using Value = memoize_internal::ValueOf<F>;
  Fr::CheckCodecs();
  if (absl::Status valid = memoize_internal::ValidateFor(options, "fcache", true, true);
      !valid.ok()) {
    return typename Fr::BytesResult(valid);
  }
  FilesOptions files;
  files.compress = options.compress;
  files.encryption_key = options.encryption_key;
  return Fr::Bytes(FilesCache<std::string, Value>::Open(
                       memoize_internal::EngineOptions(options, options.location), files),
                   memoize_internal::Callable<F>::Adapt(std::move(f)), options, "files");
}

namespace memoize_internal {

// The chain of engines `plan` names, for results of type Value.
template <typename Value>
std::vector<FallbackEngine<std::string, Value>> UcacheEngines(const std::vector<std::string>& plan,
                                                              const MemoizeOptions& options,
                                                              const std::string& name,
                                                              const UcacheServers& servers) {
  std::vector<FallbackEngine<std::string, Value>> engines;
  for (const std::string& engine : plan) {
    if (engine == "fast") {
      CacheOptions o = EngineOptions(options, "");
      engines.push_back({engine, FastCacheCapabilities(),
                         [o] { return NewFastCache<std::string, Value>(o); }});
    } else if (engine == "sqlite" || engine == "files") {
      CacheOptions o = EngineOptions(options, options.location + "/" + engine);
      if (engine == "sqlite") {
        engines.push_back({engine, SqliteCache<std::string, Value>::Declared(),
                           [o] { return SqliteCache<std::string, Value>::Open(o); }});
      } else {
        FilesOptions files;
        files.compress = options.compress;
        files.encryption_key = options.encryption_key;
        engines.push_back({engine, FilesCache<std::string, Value>::Declared(),
                           [o, files] { return FilesCache<std::string, Value>::Open(o, files); }});
      }
    } else {
      CacheOptions o = EngineOptions(options, "ucache:" + name);
      o.capacity.reset();  // a server namespace is unbounded
      if (engine == "redis") {
        RedisOptions redis;
        redis.port = servers.redis_port;
        engines.push_back({engine, RedisCache<std::string, Value>::Declared(),
                           [o, redis] { return RedisCache<std::string, Value>::Open(o, redis); }});
      } else {
        MemcachedOptions memcached;
        memcached.port = servers.memcached_port;
        engines.push_back({engine, MemcachedCache<std::string, Value>::Declared(), [o, memcached] {
                             return MemcachedCache<std::string, Value>::Open(o, memcached);
                           }});
      }
    }
  }
  return engines;
}

absl::Status ValidateUcache(const MemoizeOptions& options, const UcacheNeeds& needs,
                            const std::vector<std::string>& plan);

}  // namespace memoize_internal

// Which of ucache's engines ("memcached", "redis", "sqlite", "files", "fast", in that order)
// can be opened here with `options` (their location under options.location) and `servers`, and
// why not (the seeds' get_available_backends). Each is opened and closed again; sqlite and files
// create their directories under options.location, and are reported unusable with the reason
// when it is empty or cannot be created.
template <typename Value = std::string>
std::vector<EngineAvailability> UcacheAvailableEngines(const MemoizeOptions& options,
                                                       UcacheServers servers = {}) {
  MemoizeOptions named = options;
  if (named.name.empty()) named.name = "available-engines";
  // The disk engines live in subdirectories of the location, prepared as Ucache does; without
  // a usable location they are not tried (an empty one would put them at the root).
  const absl::Status disk = memoize_internal::ValidateUcache(named, {}, {"sqlite", "files"});
  std::vector<std::string> plan = {"memcached", "redis", "sqlite", "files", "fast"};
  if (!disk.ok()) plan = {"memcached", "redis", "fast"};
  std::vector<EngineAvailability> found =
      AvailableEngines(memoize_internal::UcacheEngines<Value>(plan, named, named.name, servers));
  if (!disk.ok()) {
    found.insert(found.begin() + 2, {{"sqlite", disk}, {"files", disk}});
  }
  return found;
}

// The universal front-end: a FallbackCache over the engines UcachePlan(needs) names, ending in a
// memory LRU of maxsize entries. Its engine() is the chain (FallbackCache: Serving(), Skipped()).
// Fallback events go to options.listener, or to StderrLogger() if none is given.
template <typename F>
auto Ucache(F f, const MemoizeOptions& options, UcacheNeeds needs = {},
            UcacheServers servers = {}) {
  using Fr = memoize_internal::FrontOf<F>;
  using Value = memoize_internal::ValueOf<F>;
  using Result = typename Fr::BytesResult;
  Fr::CheckCodecs();
  needs.ttl = options.ttl.has_value();
  auto plan = UcachePlan(needs, options.preferred_engine);
  if (!plan.ok()) return Result(plan.status());
  if (absl::Status valid = memoize_internal::ValidateUcache(options, needs, *plan); !valid.ok()) {
    return Result(valid);
  }
  MemoizeOptions named = options;
  if (named.name.empty()) named.name = MemoizeRegistry::Global().NextName();
  FallbackOptions fallback;
  fallback.name = named.name;
  fallback.listener = options.listener;
  fallback.removal_events = options.listener != nullptr;
  auto chain = FallbackCache<std::string, Value>::Open(
      memoize_internal::UcacheEngines<Value>(*plan, options, named.name, servers),
      memoize_internal::EngineOptions(options, ""), std::move(fallback));
  if (!chain.ok()) return Result(chain.status());
  return Fr::Bytes(std::unique_ptr<Cache<std::string, Value>>(*std::move(chain)),
                   memoize_internal::Callable<F>::Adapt(std::move(f)), named, "ucache");
}

// An asynchronous memoized function: Call(args...) returns a future of the result; concurrent
// calls with the same arguments share one run, on the loader pool (LoadingCache). An exception
// from the function becomes kUnknown with its what(). Arguments must be values (no objects).
template <typename Value, typename... A>
class AsyncMemoized final : public MemoizedBase {
 public:
  using PartsT = std::tuple<std::decay_t<A>...>;

  AsyncMemoized(std::shared_ptr<Cache<PartsT, Value>> engine,
                std::unique_ptr<LoadingCache<PartsT, Value>> loading, std::string name)
      : engine_(std::move(engine)), loading_(std::move(loading)), name_(std::move(name)) {
    MemoizeRegistry::Global().Add(this);
  }
  ~AsyncMemoized() override { MemoizeRegistry::Global().Remove(this); }

  std::future<absl::StatusOr<Value>> Call(const std::decay_t<A>&... args) {
    return loading_->AsyncGet(PartsT(args...), asio::use_future);
  }
  // Blocks for the result.
  absl::StatusOr<Value> operator()(const std::decay_t<A>&... args) { return Call(args...).get(); }

  MemoStats Stats() const override {
    const LoadingStats loading = loading_->Stats();
    MemoStats stats;
    stats.hits = loading.hits;
    stats.calls = loading.loads;
    stats.coalesced = loading.coalesced;
    stats.misses = loading.loads + loading.coalesced + loading.error_hits;
    stats.errors = loading.load_errors;
    stats.error_hits = loading.error_hits;
    return stats;
  }
  absl::Status Clear() override { return engine_->Clear(); }
  const std::string& name() const override { return name_; }

 private:
  const std::shared_ptr<Cache<PartsT, Value>> engine_;
  const std::unique_ptr<LoadingCache<PartsT, Value>> loading_;
  const std::string name_;
};

namespace memoize_internal {
template <typename Value, typename ArgsTuple>
struct AsyncFront;
template <typename Value, typename... A>
struct AsyncFront<Value, std::tuple<A...>> {
  using type = AsyncMemoized<Value, A...>;
  static_assert((!std::is_pointer_v<std::decay_t<A>> && ...),
                "Acache memoizes functions of values; pass objects' keys, not pointers");
};
}  // namespace memoize_internal

template <typename F>
auto Acache(F f, const MemoizeOptions& options = {}) {
  using Value = memoize_internal::ValueOf<F>;
  using Async = typename memoize_internal::AsyncFront<Value, typename memoize_internal::Callable<F>::Args>::type;
  using PartsT = typename Async::PartsT;
  using Result = absl::StatusOr<std::unique_ptr<Async>>;
  if (absl::Status valid = memoize_internal::ValidateFor(options, "acache", false, false);
      !valid.ok()) {
    return Result(valid);
  }
  auto engine = NewFastCache<PartsT, Value, absl::Hash<PartsT>>(
      memoize_internal::EngineOptions(options, ""));
  if (!engine.ok()) return Result(engine.status());
  std::shared_ptr<Cache<PartsT, Value>> shared = *std::move(engine);
  auto function = memoize_internal::Callable<F>::Adapt(std::move(f));
  auto loader = [function](const PartsT& key, std::stop_token) -> absl::StatusOr<Value> {
    try {
      return std::apply(function, key);
    } catch (const std::exception& e) {
      return absl::UnknownError(absl::StrCat("the function threw: ", e.what()));
    } catch (...) {
      return absl::UnknownError("the function threw a non-standard exception");
    }
  };
  LoadingOptions loading_options;
  loading_options.error_ttl = options.error_ttl;
  loading_options.clock = options.clock;
  auto loading = LoadingCache<PartsT, Value>::Create(shared, std::move(loader), loading_options);
  if (!loading.ok()) return Result(loading.status());
  return Result(std::make_unique<Async>(
      shared, *std::move(loading),
      options.name.empty() ? MemoizeRegistry::Global().NextName() : options.name));
}

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMOIZE_FRONT_ENDS_H_
