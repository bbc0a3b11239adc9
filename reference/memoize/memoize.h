// Memoized: a function whose results are kept in a cache engine, keyed by its arguments (the
// seeds' decorators). Build one with the front-ends in front_ends.h (Mcache, Bcache, Fcache,
// Ucache, Acache); this header holds what they share.
//
//   auto square = cachelab::Mcache([](int64_t x) { return x * x; }, {.name = "square"});
//   absl::StatusOr<int64_t> nine = (**square)(3);  // runs the lambda once; later calls hit
//
// Keys. Each argument contributes its key part: the argument itself (copied), or for a pointer
// to an object, the object's CacheKey() if its class has one, else (memory engines only) the
// object's address. Memory engines key by the tuple of parts (hash and equality); engines that
// store bytes key by Codec<std::tuple<std::string, Parts...>> of the function's name and the
// parts, which is stable across processes and runs, so two argument lists never share an entry
// and two functions never share one through a common location. An argument type with no Codec
// is a compile error saying what to add.
//
// Calls. A call returns the cached value (a hit) or runs the function (a miss). Concurrent
// misses of one key run the function once: the first caller runs it on its own thread, the
// others wait for its result (no stampede). An error (a non-OK absl::StatusOr from the function)
// or an exception reaches every caller waiting for that run (the exception is rethrown in each)
// and is not cached, unless MemoizeOptions::error_ttl > 0, in which case the error status (not
// an exception) is returned without running the function until error_ttl has passed. An engine
// failure on the lookup or the store does not fail the call: the function's result is returned
// and the failure counted (MemoStats::engine_errors).
//
// Thread-safety: every method may be called from any thread at once. Complexity: a hit costs
// the engine's lookup plus building the key; a miss, two lookups, the function and an insert.
// Ownership: the Memoized owns its engine and the function object. Not promised: that the
// function runs at most once per key overall (an entry may be evicted or expire, and runs in
// different processes are not coordinated).
#ifndef CACHELAB_REFERENCE_MEMOIZE_MEMOIZE_H_
#define CACHELAB_REFERENCE_MEMOIZE_MEMOIZE_H_

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reference/cache.h"
#include "reference/codec/codec.h"
#include "reference/fallback/events.h"
#include "reference/mutex.h"

namespace cachelab {

// Options of every front-end; each says which it reads.
struct MemoizeOptions {
  std::string name{};                    // in the registry and events; default "memoized-<N>"
  std::optional<int64_t> maxsize{};      // entries; unset: 128; must be >= 1
  std::optional<absl::Duration> ttl{};   // how long a result is kept; unset: until evicted
  std::string policy{};                  // Mcache: "fast" (default), "lru", "lfu", "fifo", "random"
  std::string location{};                // Bcache, Fcache, Ucache with persistence: a directory
  bool compress = false;                 // Fcache: zstd
  std::optional<std::string> encryption_key{};  // Fcache: 32 bytes, XChaCha20-Poly1305
  std::string preferred_engine{};        // Ucache: put this engine first in the chain
  absl::Duration error_ttl = absl::ZeroDuration();  // how long an error is remembered
  CacheListener listener{};              // hits, misses, loads, load errors (null: none)
  std::shared_ptr<const Clock> clock{};  // for ttl and error_ttl; null: DefaultClock()
};

// Checks the options shared by every front-end (maxsize, ttl, error_ttl, policy names, a
// location that is a file). Returns kInvalidArgument naming the field and what to change.
absl::Status ValidateMemoizeOptions(const MemoizeOptions& options, absl::string_view front_end);

// maxsize, or the default of 128.
size_t MaxSizeOf(const MemoizeOptions& options);

struct MemoStats {
  uint64_t hits = 0;           // calls answered by the engine
  uint64_t misses = 0;         // calls that were not (each ran the function or waited for a run)
  uint64_t calls = 0;          // runs of the function
  uint64_t errors = 0;         // runs that failed (error status or exception)
  uint64_t error_hits = 0;     // calls answered by a remembered error
  uint64_t coalesced = 0;      // misses that waited for another caller's run
  uint64_t engine_errors = 0;  // engine lookups or stores that failed (the call still answered)
  double HitRatio() const {
    return hits + misses == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(hits + misses);
  }
};

// What the registry knows of a memoized function.
class MemoizedBase {
 public:
  virtual ~MemoizedBase() = default;
  virtual const std::string& name() const = 0;
  virtual MemoStats Stats() const = 0;
  // Removes every cached result (and remembered error) of this function.
  virtual absl::Status Clear() = 0;
};

// The process-wide registry of live memoized functions (the seeds' clear_cache / get_stats).
// Thread-safe. A function is registered while it lives.
class MemoizeRegistry {
 public:
  static MemoizeRegistry& Global();
  // Clears every registered function; returns the first failure (after trying all).
  absl::Status ClearAll();
  // Each registered function's name and statistics, in registration order.
  std::vector<std::pair<std::string, MemoStats>> AllStats();

  void Add(MemoizedBase* function);
  void Remove(MemoizedBase* function);
  std::string NextName();

 private:
  Mutex mu_;
  std::vector<MemoizedBase*> functions_ ABSL_GUARDED_BY(mu_);
  uint64_t counter_ ABSL_GUARDED_BY(mu_) = 0;
};

namespace memoize_internal {

template <typename T, typename = void>
constexpr bool kHasCacheKey = false;
template <typename T>
constexpr bool kHasCacheKey<T, std::void_t<decltype(std::declval<const T&>().CacheKey())>> = true;

// The key part of an argument of type A (see "Keys" above).
template <typename A>
struct KeyPart {
  using type = std::decay_t<A>;
  static const type& Of(const type& a) { return a; }
};
template <typename C, bool kGiven = kHasCacheKey<C>>
struct ObjectKey {
  using type = uintptr_t;
};
template <typename C>
struct ObjectKey<C, true> {
  using type = std::decay_t<decltype(std::declval<const C&>().CacheKey())>;
};
template <typename C>
struct KeyPart<C*> {
  static constexpr bool kGiven = kHasCacheKey<C>;
  using type = typename ObjectKey<C>::type;
  static type Of(C* object) {
    if constexpr (kGiven) {
      return object->CacheKey();
    } else {
      return reinterpret_cast<uintptr_t>(object);
    }
  }
};

template <typename... Args>
using Parts = std::tuple<typename KeyPart<std::decay_t<Args>>::type...>;

template <typename... Args>
Parts<Args...> PartsOf(const std::decay_t<Args>&... args) {
  return Parts<Args...>(KeyPart<std::decay_t<Args>>::Of(args)...);
}

template <typename T>
struct Unwrap {
  using type = T;
};
template <typename T>
struct Unwrap<absl::StatusOr<T>> {
  using type = T;
};

template <typename A>
constexpr bool kStableKeyPart = !std::is_pointer_v<std::decay_t<A>> ||
                                kHasCacheKey<std::remove_pointer_t<std::decay_t<A>>>;

}  // namespace memoize_internal

// Compile-time checks of a function whose results and arguments are stored as bytes (Bcache,
// Fcache, Ucache): each says what to add.
template <typename Value, typename... Args>
constexpr void CheckStoredAsBytes() {
  static_assert((memoize_internal::kStableKeyPart<Args> && ...),
                "an object argument has no stable key across processes: give its class a "
                "CacheKey() method (returning a type with a cachelab::Codec)");
  static_assert(
      (kHasCodec<typename memoize_internal::KeyPart<std::decay_t<Args>>::type> && ...),
      "an argument type has no cachelab::Codec: specialize cachelab::Codec<T> "
      "(reference/codec/codec.h), or give its class a CacheKey() method and pass a pointer");
  static_assert(kHasCodec<Value>,
                "the result type has no cachelab::Codec: specialize cachelab::Codec<T> "
                "(reference/codec/codec.h)");
}

// How a front-end turns key parts into the engine's key and back (for InvalidateIf).
template <typename Key, typename PartsT>
struct KeyScheme {
  std::function<Key(const PartsT&)> build;
  std::function<std::optional<PartsT>(const Key&)> parts;  // null: keys cannot be read back
};

// Memory engines: the key is the tuple of parts.
template <typename PartsT>
KeyScheme<PartsT, PartsT> TupleKeys() {
  return {[](const PartsT& parts) { return parts; },
          [](const PartsT& key) { return std::optional<PartsT>(key); }};
}

// Engines that store bytes: the key is the encoded (name, parts...).
template <typename PartsT>
KeyScheme<std::string, PartsT> EncodedKeys(std::string name) {
  return {[name](const PartsT& parts) {
            return Codec<decltype(std::tuple_cat(std::tuple<std::string>(), parts))>::Encode(
                std::tuple_cat(std::tuple<std::string>(name), parts));
          },
          [name](const std::string& key) -> std::optional<PartsT> {
            using Full = decltype(std::tuple_cat(std::tuple<std::string>(), std::declval<PartsT>()));
            auto full = Codec<Full>::Decode(key);
            if (!full.ok() || std::get<0>(*full) != name) return std::nullopt;
            return std::apply([](const std::string&, auto&... rest) { return PartsT(rest...); },
                              *full);
          }};
}

template <typename Key, typename Value, typename... Args>
class Memoized final : public MemoizedBase {
 public:
  using PartsT = memoize_internal::Parts<Args...>;
  using Function = std::function<absl::StatusOr<Value>(const std::decay_t<Args>&...)>;

  // Precondition: options passed ValidateMemoizeOptions; engine and function are non-null.
  Memoized(std::unique_ptr<Cache<Key, Value>> engine, Function function,
           KeyScheme<Key, PartsT> keys, const MemoizeOptions& options, std::string engine_name)
      : engine_(std::move(engine)),
        function_(std::move(function)),
        keys_(std::move(keys)),
        name_(options.name.empty() ? MemoizeRegistry::Global().NextName() : options.name),
        engine_name_(std::move(engine_name)),
        listener_(options.listener),
        error_ttl_(options.error_ttl),
        clock_(options.clock ? options.clock : DefaultClock()) {
    // Evictions and expirations, where the engine reports them (a ucache chain sends its own:
    // FallbackOptions::removal_events).
    if (listener_ && engine_name_ != "ucache") {
      (void)engine_->SetRemovalListener([this](const Key& key, RemovalCause cause) {
        Emit(EventKindOf(cause), {}, KeyPreview(key));
      });
    }
    MemoizeRegistry::Global().Add(this);
  }
  ~Memoized() override { MemoizeRegistry::Global().Remove(this); }
  Memoized(const Memoized&) = delete;
  Memoized& operator=(const Memoized&) = delete;

  // Returns the function's result for `args`, from the cache or from one run of the function
  // (see "Calls" above); rethrows the function's exception.
  absl::StatusOr<Value> operator()(const std::decay_t<Args>&... args) {
    return Call(memoize_internal::PartsOf<Args...>(args...), [&] { return function_(args...); });
  }

  // Removes the cached result of the call with `args`; returns whether there was one.
  absl::StatusOr<bool> Invalidate(const std::decay_t<Args>&... args) {
    const Key key = keys_.build(memoize_internal::PartsOf<Args...>(args...));
    ForgetError(key);
    return engine_->Erase(key);
  }

  // Removes every cached result whose key parts satisfy `predicate`; returns how many.
  // kFailedPrecondition if this function's keys cannot be read back (a custom key builder).
  absl::StatusOr<size_t> InvalidateIf(const std::function<bool(const PartsT&)>& predicate) {
    if (!keys_.parts) {
      return absl::FailedPreconditionError(
          absl::StrCat(name_, ": InvalidateIf needs keys that can be read back; this function "
                              "has a custom key builder (use Invalidate or Clear)"));
    }
    auto keys = engine_->Keys();
    if (!keys.ok()) return keys.status();
    size_t removed = 0;
    for (const Key& key : *keys) {
      const std::optional<PartsT> parts = keys_.parts(key);
      if (!parts || !predicate(*parts)) continue;
      auto erased = engine_->Erase(key);
      if (!erased.ok()) return erased.status();
      removed += *erased;
    }
    return removed;
  }

  // Calls the function for each argument tuple not cached yet; stops at the first error.
  absl::Status Warm(const std::vector<std::tuple<std::decay_t<Args>...>>& calls) {
    for (const auto& call : calls) {
      auto result = std::apply([&](const auto&... args) { return (*this)(args...); }, call);
      if (!result.ok()) return result.status();
    }
    return absl::OkStatus();
  }

  absl::Status Clear() override {
    {
      MutexLock lock(&mu_);
      errors_.clear();
    }
    return engine_->Clear();
  }
  MemoStats Stats() const override {
    MemoStats stats;
    stats.hits = hits_.load(std::memory_order_relaxed);
    stats.misses = misses_.load(std::memory_order_relaxed);
    stats.calls = calls_.load(std::memory_order_relaxed);
    stats.errors = errors_count_.load(std::memory_order_relaxed);
    stats.error_hits = error_hits_.load(std::memory_order_relaxed);
    stats.coalesced = coalesced_.load(std::memory_order_relaxed);
    stats.engine_errors = engine_errors_.load(std::memory_order_relaxed);
    return stats;
  }
  const std::string& name() const override { return name_; }
  // The engine (for its statistics and capabilities); owned by this Memoized.
  Cache<Key, Value>& engine() { return *engine_; }

 private:
  struct Flight {
    Notification done;
    std::optional<absl::StatusOr<Value>> result;
    std::exception_ptr exception;
  };

  template <typename Run>
  absl::StatusOr<Value> Call(const PartsT& parts, Run&& run) {
    const Key key = keys_.build(parts);
    if (std::optional<Value> hit = Find(key)) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      Emit(CacheEventKind::kHit, {});
      return *std::move(hit);
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    Emit(CacheEventKind::kMiss, {});
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      MutexLock lock(&mu_);
      if (auto error = errors_.find(key); error != errors_.end()) {
        if (clock_->Now() < error->second.second) {
          error_hits_.fetch_add(1, std::memory_order_relaxed);
          return error->second.first;
        }
        errors_.erase(error);
      }
      auto [it, inserted] = flights_.try_emplace(key);
      if (inserted) it->second = std::make_shared<Flight>();
      flight = it->second;
      leader = inserted;
    }
    if (!leader) {
      coalesced_.fetch_add(1, std::memory_order_relaxed);
      flight->done.WaitForNotification();
      if (flight->exception) std::rethrow_exception(flight->exception);
      return *flight->result;
    }
    Lead(key, *flight, std::forward<Run>(run));
    {
      MutexLock lock(&mu_);
      flights_.erase(key);
    }
    flight->done.Notify();
    if (flight->exception) std::rethrow_exception(flight->exception);
    return *flight->result;
  }

  // Fills `flight`: the value another leader stored meanwhile, or a run of the function.
  template <typename Run>
  void Lead(const Key& key, Flight& flight, Run&& run) {
    if (std::optional<Value> stored = Find(key)) {  // a run finished between our miss and now
      flight.result = *std::move(stored);
      return;
    }
    calls_.fetch_add(1, std::memory_order_relaxed);
    try {
      flight.result = run();
    } catch (...) {
      flight.exception = std::current_exception();
      errors_count_.fetch_add(1, std::memory_order_relaxed);
      Emit(CacheEventKind::kLoadError, absl::UnknownError("the function threw an exception"));
      return;
    }
    if (!flight.result->ok()) {
      errors_count_.fetch_add(1, std::memory_order_relaxed);
      Emit(CacheEventKind::kLoadError, flight.result->status());
      if (error_ttl_ > absl::ZeroDuration()) {
        MutexLock lock(&mu_);
        errors_[key] = {flight.result->status(), clock_->Now() + error_ttl_};
      }
      return;
    }
    if (!engine_->Insert(key, **flight.result).ok()) {
      engine_errors_.fetch_add(1, std::memory_order_relaxed);
    }
    Emit(CacheEventKind::kLoad, {});
  }

  std::optional<Value> Find(const Key& key) {
    auto found = engine_->Lookup(key);
    if (!found.ok()) {
      engine_errors_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    return *std::move(found);
  }

  void ForgetError(const Key& key) {
    MutexLock lock(&mu_);
    errors_.erase(key);
  }

  void Emit(CacheEventKind kind, absl::Status status, std::string key = "") {
    if (listener_) listener_({kind, name_, engine_name_, std::move(status), std::move(key)});
  }

  const std::unique_ptr<Cache<Key, Value>> engine_;
  const Function function_;
  const KeyScheme<Key, PartsT> keys_;
  const std::string name_;
  const std::string engine_name_;
  const CacheListener listener_;
  const absl::Duration error_ttl_;
  const std::shared_ptr<const Clock> clock_;

  Mutex mu_;
  absl::flat_hash_map<Key, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, std::pair<absl::Status, absl::Time>> errors_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> hits_{0}, misses_{0}, calls_{0}, errors_count_{0}, error_hits_{0},
      coalesced_{0}, engine_errors_{0};
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_MEMOIZE_MEMOIZE_H_
