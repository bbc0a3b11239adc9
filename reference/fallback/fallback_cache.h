// FallbackCache: an ordered chain of engines (for example memcached, then Redis, then SQLite,
// then files) that serves every call from the first engine that works, ending in an in-memory
// engine that cannot fail. It is itself a Cache<K, V> (reference/cache.h).
//
// Construction. Each engine is opened in order of preference; one that cannot be opened (server
// unreachable, directory unusable, options refused) is skipped with one kSkipped event naming it
// and the reason. The chain's own memory tail (an LRU when CacheOptions::capacity is set, else
// unbounded) is always last, so construction fails only for options the tail refuses.
//
// Failures at run time. A call that fails with kUnavailable, kDeadlineExceeded, kDataLoss,
// kInternal or kResourceExhausted is tried again on the same engine FallbackOptions::retries
// times (a pooled connection to a server that restarted fails once, then reconnects); if it
// still fails, it demotes the serving engine (one kFallback event) and is retried on the next
// engine; other statuses (kInvalidArgument, kUnimplemented, ...) are the
// caller's and are returned. A demoted or skipped engine is probed again (opened, then Size()),
// first after FallbackOptions::first_probe and then at doubling intervals up to max_probe, on the
// chain's clock, by the first call after the interval; once it answers it serves again (one
// kRecovered event). Probes are timed on FallbackOptions::probe_clock if set, else on the chain's
// clock.
//
// No stale reads (how). Every engine that is not serving keeps the set of keys written or erased
// since it last served; before it serves again those keys are erased from it, or it is cleared
// if more than max_dirty_keys were written or Clear() was called. So a key written while the
// preferred engine was down is never served later from that engine's older copy. Engines below
// the first serving one may hold entries from earlier runs, so they are cleared before they
// first serve. Writes made by other processes to a shared engine while this chain served
// elsewhere are not tracked (they are that engine's own, newer data).
//
// Carrying over (FallbackOptions::carry_over). A recovering engine is given, instead of
// erasures, the current entry of each key written or erased while it was down: the value the
// engine serving until then holds, with the deadline it was written with (its remaining TTL;
// an entry with a deadline is erased instead if the engine has no per-entry TTL), or an erasure
// if it holds none. So a recovery loses nothing the chain held, unless more than max_dirty_keys
// were written meanwhile (then the engine is cleared, as without carrying over). A Clear() while
// it was down clears it and forgets the keys written before (held by no one now, so they do not
// count towards max_dirty_keys); what is written after the Clear() is carried over, and so is a
// write that started before the Clear() and landed after it (it marks its keys again).
//
// Removals. If every engine reports removals, so does the chain (SetRemovalListener): the
// serving engine's evictions and expirations, delivered after the chain's lock is released.
// With FallbackOptions::removal_events, the listener also gets kEvicted / kExpired events from
// whichever serving engine reports them. Engines that are not serving report nothing (what
// reconciling does to them is not counted either).
//
// Capabilities: the meet of the engines' declared capabilities (fallback_capabilities below);
// several different policies meet as kApproximate with no hit-ratio floor. A switch forgets the
// entries that the new serving engine does not hold: within one serving engine the chain keeps
// every promise of the contract, across a switch it keeps only "no stale read" and its
// statistics. These add the counters of every engine that served; carrying over is not counted
// (its lookups neither, even when it fails part way); the entries a fallback loses (the chain's
// balance less the new engine's size, if positive) are counted as evictions. An engine that
// serves again may hold entries from before it was demoted (an engine demoted while it still
// worked, or a server that kept its data): those the chain no longer counts are counted as
// insertions when it recovers; without carrying over (or after max_dirty_keys), the entries
// written while it was down and erased from it are counted as evictions. So Balance() == Size()
// holds across fallbacks and recoveries as long as no other handle writes to the engines; with
// carry_over nothing is counted lost at a recovery, so a carried-over entry that went missing
// shows as Balance() > Size().
//
// Thread-safety: thread-safe if every engine is; calls run in parallel on the serving engine
// (under a reader lock); a switch waits for the calls in flight. Cost: one reader lock and one
// clock read per call over the serving engine's own cost; writes also add their key to the
// dirty set of each engine that is not serving (one hash insert each, bounded by max_dirty_keys)
// and, while an engine will be carried over to, check once more after the write for a Clear().
#ifndef CACHELAB_REFERENCE_FALLBACK_FALLBACK_CACHE_H_
#define CACHELAB_REFERENCE_FALLBACK_FALLBACK_CACHE_H_

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "absl/time/time.h"
#include "reference/cache.h"
#include "reference/fallback/events.h"
#include "reference/memory/memory_cache.h"
#include "reference/mutex.h"

namespace cachelab {

// One engine of a chain: its name (in events and Serving()), what it declares, and how to open
// it. `open` may be called again later (probing an engine that was skipped).
template <typename K, typename V>
struct FallbackEngine {
  std::string name;
  Capabilities declared;
  std::function<absl::StatusOr<std::unique_ptr<Cache<K, V>>>()> open;
};

struct FallbackOptions {
  std::string name = "fallback";  // the chain's name in events
  absl::Duration first_probe = absl::Milliseconds(100);
  absl::Duration max_probe = absl::Seconds(30);
  size_t max_dirty_keys = 100000;  // per engine; beyond it, recovery clears the engine
  int retries = 1;                 // on the same engine before demoting it (>= 0)
  CacheListener listener;          // null: StderrLogger(kWarning)
  // Recovery writes the entries written while an engine was down into it (see above) instead
  // of erasing them from it.
  bool carry_over = false;
  // The clock probes are timed on (shared ownership); null: the chain's (CacheOptions::clock).
  std::shared_ptr<const Clock> probe_clock;
  // Also send kEvicted / kExpired events to `listener` where the serving engine reports them.
  bool removal_events = false;
};

// True for the statuses that demote the serving engine.
bool IsEngineFailure(const absl::Status& status);

// The meet of `engines`: the common policy (else kApproximate with min_hit_ratio 0), TTLs and
// thread-safety, persistent, multi_process and local_files only if all have them, server_evicts
// if any has it.
Capabilities FallbackCapabilities(const std::vector<Capabilities>& engines);

// Capabilities of the memory tail a chain built with `options` ends in.
Capabilities FallbackTailCapabilities(const CacheOptions& options);

// Checks FallbackOptions; kInvalidArgument naming the field otherwise.
absl::Status ValidateFallbackOptions(const FallbackOptions& options);

struct EngineAvailability {
  std::string engine;
  absl::Status status;  // OK if it opened
};

// Opens (and closes again) each of `engines`: which of them can be used here, and why not (the
// seeds' get_available_backends). Order as given.
template <typename K, typename V>
std::vector<EngineAvailability> AvailableEngines(const std::vector<FallbackEngine<K, V>>& engines) {
  std::vector<EngineAvailability> available;
  for (const auto& engine : engines) available.push_back({engine.name, engine.open().status()});
  return available;
}

template <typename K, typename V>
class FallbackCache final : public Cache<K, V> {
 public:
  struct Skip {
    std::string engine;
    absl::Status reason;
  };

  // Opens the chain `engines` + a memory tail built from `options` (capacity, default_ttl,
  // clock; location is ignored). Returns kInvalidArgument if `fallback` is invalid or `options`
  // are refused by the chain's capabilities (e.g. a default_ttl that an engine cannot honour);
  // never fails because an engine of `engines` cannot be opened.
  static absl::StatusOr<std::unique_ptr<FallbackCache>> Open(std::vector<FallbackEngine<K, V>> engines,
                                                             const CacheOptions& options,
                                                             FallbackOptions fallback = {}) {
    if (absl::Status status = ValidateFallbackOptions(fallback); !status.ok()) return status;
    std::vector<Capabilities> declared;
    for (const auto& engine : engines) declared.push_back(engine.declared);
    declared.push_back(FallbackTailCapabilities(options));
    if (absl::Status status = ValidateOptions(options, FallbackCapabilities(declared), fallback.name);
        !status.ok()) {
      return status;
    }
    FallbackEngine<K, V> tail{"memory", declared.back(), [options] {
                                return NewMemoryCache<K, V>(options.capacity
                                                                ? MemoryEngine::kLru
                                                                : MemoryEngine::kUnbounded,
                                                            options);
                              }};
    auto tail_engine = tail.open();
    if (!tail_engine.ok()) return tail_engine.status();
    engines.push_back(std::move(tail));
    auto chain = std::unique_ptr<FallbackCache>(
        new FallbackCache(std::move(engines), options, std::move(fallback), declared));
    chain->OpenAll(*std::move(tail_engine));
    return chain;
  }

  // The engine serving now.
  std::string Serving() const {
    ReaderMutexLock lock(&mu_);
    return engines_[serving_].name;
  }
  // The engines skipped when the chain was built, with why.
  std::vector<Skip> Skipped() const {
    ReaderMutexLock lock(&mu_);
    return skipped_;
  }
  // How many times the serving engine changed (fallbacks and recoveries).
  uint64_t Switches() const { return switches_.load(std::memory_order_relaxed); }

  absl::StatusOr<std::optional<V>> Lookup(const K& key) override {
    return Call<std::optional<V>>([&](Cache<K, V>& c) { return c.Lookup(key); });
  }
  absl::Status Insert(const K& key, V value) override {
    return Write({key}, [&](Cache<K, V>& c) { return c.Insert(key, value); });
  }
  absl::Status InsertWithTtl(const K& key, V value, absl::Duration ttl) override {
    // A negative TTL is refused by every engine and changes nothing: nothing to mark.
    const absl::Span<const K> written = ttl < absl::ZeroDuration() ? absl::Span<const K>()
                                                                   : absl::MakeConstSpan(&key, 1);
    return Write(
        written, [&](Cache<K, V>& c) { return c.InsertWithTtl(key, value, ttl); }, false, ttl);
  }
  absl::StatusOr<bool> Erase(const K& key) override {
    return WriteWith<bool>({key}, [&](Cache<K, V>& c) { return c.Erase(key); });
  }
  absl::Status Clear() override {
    return Write({}, [&](Cache<K, V>& c) { return c.Clear(); }, /*everything=*/true);
  }
  absl::StatusOr<size_t> Size() override {
    return Call<size_t>([&](Cache<K, V>& c) { return c.Size(); });
  }
  std::optional<size_t> Capacity() const override { return capacity_; }
  absl::StatusOr<std::vector<K>> Keys() override {
    return Call<std::vector<K>>([&](Cache<K, V>& c) { return c.Keys(); });
  }
  CacheStats Stats() override {
    ReportScope reports(*this);
    MaybeProbe();
    ReaderMutexLock lock(&mu_);
    CacheStats total = retired_stats_;
    total += StatsSince(slots_[serving_]);
    return total;
  }
  Capabilities capabilities() const override { return capabilities_; }

  absl::Status SetRemovalListener(RemovalListener<K> listener) override {
    if (!capabilities_.reports_removals) return Cache<K, V>::SetRemovalListener(nullptr);
    WriterMutexLock lock(&mu_);
    {
      MutexLock user(&removal_mu_);
      removal_listener_ = std::move(listener);
    }
    Attach(serving_);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::optional<V>>> LookupMany(const std::vector<K>& keys) override {
    return Call<std::vector<std::optional<V>>>([&](Cache<K, V>& c) { return c.LookupMany(keys); });
  }
  absl::Status InsertMany(std::vector<std::pair<K, V>> entries) override {
    std::vector<K> keys;
    keys.reserve(entries.size());
    for (const auto& entry : entries) keys.push_back(entry.first);
    return Write(keys, [&](Cache<K, V>& c) { return c.InsertMany(entries); });
  }

 private:
  struct Slot {
    std::unique_ptr<Cache<K, V>> cache;  // null until opened
    absl::Time next_probe = absl::InfinitePast();
    absl::Duration backoff;
    // Written since it last served, with the deadline written (for carrying over).
    absl::flat_hash_map<K, absl::Time> dirty;
    bool attached = false;     // reports its removals to the chain
    bool clear_first = false;  // dirty overflowed, Clear() was called, or contents unknown
    bool overflowed = false;   // dirty overflowed: nothing can be carried over
    CacheStats base;           // its counters when it last started serving
  };

  FallbackCache(std::vector<FallbackEngine<K, V>> engines, const CacheOptions& options,
                FallbackOptions fallback, const std::vector<Capabilities>& declared)
      : engines_(std::move(engines)),
        fallback_(std::move(fallback)),
        capabilities_(FallbackCapabilities(declared)),
        capacity_(options.capacity),
        default_ttl_(options.default_ttl),
        clock_(options.clock ? options.clock : DefaultClock()),
        probe_clock_(fallback_.probe_clock ? fallback_.probe_clock : clock_) {
    if (!fallback_.listener) fallback_.listener = StderrLogger();
  }

  void OpenAll(std::unique_ptr<Cache<K, V>> tail) {
    std::vector<CacheEvent> events;
    {
      WriterMutexLock lock(&mu_);
      const absl::Time now = probe_clock_->Now();
      slots_.resize(engines_.size());
      for (size_t i = 0; i < engines_.size(); ++i) {
        Slot& slot = slots_[i];
        const std::string& name = engines_[i].name;
        slot.backoff = fallback_.first_probe;
        if (i + 1 == engines_.size()) {
          slot.cache = std::move(tail);
        } else if (auto opened = engines_[i].open(); opened.ok()) {
          slot.cache = *std::move(opened);
        } else {
          skipped_.push_back({name, opened.status()});
          slot.next_probe = now + slot.backoff;
          slot.backoff = std::min(slot.backoff * 2, fallback_.max_probe);
          events.push_back({CacheEventKind::kSkipped, fallback_.name, name, opened.status(), ""});
        }
      }
      serving_ = 0;
      while (slots_[serving_].cache == nullptr) ++serving_;
      slots_[serving_].base = slots_[serving_].cache->Stats();
      Attach(serving_);
      for (size_t i = serving_ + 1; i < slots_.size(); ++i) slots_[i].clear_first = true;
      UpdateProbeTime();
    }
    for (const CacheEvent& event : events) fallback_.listener(event);
  }

  // Runs `f` on the serving engine; on an engine failure, demotes it and runs `f` again on the
  // next. A write first adds `keys` (all keys if `everything`) to the other engines' dirty sets.
  template <typename R, typename F>
  absl::StatusOr<R> Call(F&& f) {
    return WriteWith<R>({}, std::forward<F>(f));
  }

  // `ttl`: the TTL the keys are written with (else the default TTL, if any).
  template <typename R, typename F>
  absl::StatusOr<R> WriteWith(absl::Span<const K> keys, F&& f, bool everything = false,
                              std::optional<absl::Duration> ttl = std::nullopt) {
    ReportScope reports(*this);  // delivers after every lock below is released
    MaybeProbe();
    int retries = fallback_.retries;
    while (true) {
      uint64_t generation;
      absl::StatusOr<R> result = [&]() -> absl::StatusOr<R> {
        ReaderMutexLock lock(&mu_);
        generation = generation_;
        const std::optional<Marked> marked = MarkDirty(keys, everything, ttl);
        absl::StatusOr<R> written = f(*slots_[serving_].cache);
        if (marked.has_value()) MarkAgainAfterAClear(keys, *marked);
        return written;
      }();
      if (result.ok() || !IsEngineFailure(result.status())) return result;
      if (retries-- > 0) continue;
      if (!Demote(generation, result.status())) return result;
      retries = fallback_.retries;
    }
  }

  template <typename F>
  absl::Status Write(absl::Span<const K> keys, F&& f, bool everything = false,
                     std::optional<absl::Duration> ttl = std::nullopt) {
    auto result = WriteWith<bool>(
        keys,
        [&](Cache<K, V>& c) -> absl::StatusOr<bool> {
          absl::Status status = f(c);
          if (!status.ok()) return status;
          return true;
        },
        everything, ttl);
    return result.status();
  }

  // What a write marked in the dirty sets of engines that will be carried over to.
  struct Marked {
    uint64_t clears;  // clears_ when it marked
    absl::Time deadline;
  };

  // Called under mu_ (shared): every engine but the serving one learns the keys written. Only
  // engines above the serving one (which may recover) keep track after a Clear() or need the
  // deadline. Returns what it marked for such engines when they are carried over to.
  std::optional<Marked> MarkDirty(absl::Span<const K> keys, bool everything,
                                  std::optional<absl::Duration> ttl)
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (slots_.size() == 1 || (keys.empty() && !everything)) return std::nullopt;
    MutexLock lock(&dirty_mu_);
    if (everything) ++clears_;
    std::optional<absl::Time> deadline;
    bool carried = false;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (i == serving_) continue;
      Slot& slot = slots_[i];
      const bool carries = CarriedOverTo(i);
      if (slot.overflowed || (slot.clear_first && !carries)) continue;
      if (everything) {
        slot.clear_first = true;
        slot.dirty.clear();
        continue;
      }
      if (!deadline.has_value()) deadline = DeadlineOf(ttl);
      AddDirty(slot, keys, *deadline);
      carried = carried || carries;
    }
    if (!carried) return std::nullopt;
    return Marked{clears_, *deadline};
  }

  // After a write: if a Clear() marked the engines since the write marked its keys, the write may
  // have landed after that Clear() (which forgot the keys), so the keys are marked again in the
  // engines that will be carried over to. A recovery waits for the write (it takes mu_
  // exclusively), so it sees them.
  void MarkAgainAfterAClear(absl::Span<const K> keys, const Marked& marked)
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    MutexLock lock(&dirty_mu_);
    if (clears_ == marked.clears) return;
    for (size_t i = 0; i < serving_; ++i) {
      if (CarriedOverTo(i) && !slots_[i].overflowed) AddDirty(slots_[i], keys, marked.deadline);
    }
  }

  // Whether slot `i` would be given the serving engine's entries if it recovered now.
  bool CarriedOverTo(size_t i) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return fallback_.carry_over && i < serving_;
  }

  // Adds `keys` to `slot`'s dirty set; past max_dirty_keys the set is dropped, and the engine
  // will be cleared before it serves again.
  void AddDirty(Slot& slot, absl::Span<const K> keys, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(dirty_mu_) {
    if (slot.dirty.size() + keys.size() > fallback_.max_dirty_keys) {
      slot.clear_first = slot.overflowed = true;
      slot.dirty.clear();
      return;
    }
    for (const K& key : keys) slot.dirty.insert_or_assign(key, deadline);
  }

  absl::Time DeadlineOf(std::optional<absl::Duration> ttl) const {
    if (!ttl.has_value() && !default_ttl_.has_value()) return absl::InfiniteFuture();
    return clock_->Now() + (ttl.has_value() ? *ttl : *default_ttl_);
  }

  // Erases what slot `i` may hold stale, or (with `from`, the engine serving until now) carries
  // the entries written while it was down over; true if it may serve.
  bool Reconcile(size_t i, Slot* from = nullptr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Slot& slot = slots_[i];
    if (slot.clear_first && !slot.cache->Clear().ok()) return false;
    if (from != nullptr && !slot.overflowed) {
      const bool ttls = engines_[i].declared.per_entry_ttl;
      for (const auto& [key, deadline] : slot.dirty) {
        if (!CarryOver(key, deadline, ttls, *from->cache, *slot.cache).ok()) return false;
      }
    } else if (!slot.clear_first) {
      for (const auto& entry : slot.dirty) {
        if (!slot.cache->Erase(entry.first).ok()) return false;
      }
    }
    slot.clear_first = slot.overflowed = false;
    slot.dirty.clear();
    return true;
  }

  // Writes `from`'s entry for `key` (written with `deadline`) into `to`, or erases it there.
  absl::Status CarryOver(const K& key, absl::Time deadline, bool ttls, Cache<K, V>& from,
                         Cache<K, V>& to) {
    auto held = from.Lookup(key);
    if (held.ok() && held->has_value()) {
      if (deadline == absl::InfiniteFuture()) return to.Insert(key, **std::move(held));
      const absl::Duration left = deadline - clock_->Now();
      if (ttls && left > absl::ZeroDuration()) {
        return to.InsertWithTtl(key, **std::move(held), left);
      }
    }
    return to.Erase(key).status();
  }

  // The engine that served at `generation` failed with `why`: serve from the next one that can.
  // Returns false if the call should not be retried (the tail failed).
  bool Demote(uint64_t generation, const absl::Status& why) {
    CacheEvent event;
    {
      WriterMutexLock lock(&mu_);
      if (generation != generation_) return true;  // someone else switched: retry there
      if (serving_ + 1 == slots_.size()) return false;
      const absl::Time now = probe_clock_->Now();
      Slot& failed = slots_[serving_];
      retired_stats_ += StatsSince(failed);
      failed.next_probe = now + failed.backoff;
      failed.backoff = std::min(failed.backoff * 2, fallback_.max_probe);
      size_t next = serving_ + 1;
      while (next + 1 < slots_.size() && (slots_[next].cache == nullptr || !Reconcile(next))) {
        ++next;
      }
      if (next + 1 == slots_.size()) (void)Reconcile(next);  // memory: cannot fail
      Detach(serving_);
      serving_ = next;
      // The entries only the failed engine held are gone.
      Rebalance(next, /*count_found=*/false, /*count_lost=*/true);
      slots_[next].base = slots_[next].cache->Stats();
      Attach(next);
      ++generation_;
      switches_.fetch_add(1, std::memory_order_relaxed);
      UpdateProbeTime();
      event = {CacheEventKind::kFallback, fallback_.name, engines_[next].name, why, ""};
    }
    fallback_.listener(event);
    return true;
  }

  // Slot `i` starts serving: the difference between its size and the chain's balance is
  // counted, entries it holds beyond the balance as insertions (with `count_found`) and entries
  // missing from it as evictions (with `count_lost`), so the chain's balance is its size.
  void Rebalance(size_t i, bool count_found, bool count_lost) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto size = slots_[i].cache->Size();
    if (!size.ok()) return;
    const int64_t found = static_cast<int64_t>(*size) - retired_stats_.Balance();
    if (found > 0 && count_found) retired_stats_.insertions += static_cast<uint64_t>(found);
    if (found < 0 && count_lost) retired_stats_.evictions += static_cast<uint64_t>(-found);
  }

  // The engine's counters since it last started serving.
  static CacheStats StatsSince(Slot& slot) { return slot.cache->Stats() - slot.base; }

  void UpdateProbeTime() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Time next = absl::InfiniteFuture();
    for (size_t i = 0; i < serving_; ++i) next = std::min(next, slots_[i].next_probe);
    next_probe_.store(absl::ToUnixNanos(next), std::memory_order_relaxed);
  }

  // Probes the preferred engines whose time has come; the first that answers serves again.
  void MaybeProbe() {
    if (next_probe_.load(std::memory_order_relaxed) == kNever) return;
    const absl::Time now = probe_clock_->Now();
    if (absl::ToUnixNanos(now) < next_probe_.load(std::memory_order_relaxed)) return;
    if (!probe_mu_.TryLock()) return;  // another thread is probing
    std::optional<CacheEvent> event;
    {
      WriterMutexLock lock(&mu_);
      for (size_t i = 0; i < serving_; ++i) {
        Slot& slot = slots_[i];
        if (now < slot.next_probe) continue;
        if (Healthy(i) && Recover(i)) {
          Detach(serving_);
          serving_ = i;
          slot.base = slot.cache->Stats();
          Attach(i);
          ++generation_;
          switches_.fetch_add(1, std::memory_order_relaxed);
          event = CacheEvent{CacheEventKind::kRecovered, fallback_.name, engines_[i].name, {}, ""};
          break;
        }
        slot.next_probe = now + slot.backoff;
        slot.backoff = std::min(slot.backoff * 2, fallback_.max_probe);
      }
      UpdateProbeTime();
    }
    probe_mu_.Unlock();
    if (event) fallback_.listener(*event);
  }

  // Reconciles slot `i` (carrying over from the serving engine if asked to) and retires the
  // serving engine's counters, less the lookups carrying over made.
  // The lookups carrying over made are taken out of its counters whether or not it succeeds.
  bool Recover(size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Slot& old = slots_[serving_];
    const bool carries = fallback_.carry_over && !slots_[i].overflowed;
    const CacheStats before = old.cache->Stats();
    const bool reconciled = Reconcile(i, fallback_.carry_over ? &old : nullptr);
    const CacheStats carrying = old.cache->Stats() - before;
    old.base.hits += carrying.hits;
    old.base.misses += carrying.misses;
    if (!reconciled) return false;
    retired_stats_ += StatsSince(old);
    // Entries it kept from before it was demoted are found again; without carrying over, the
    // entries reconciling erased from it are lost.
    Rebalance(i, /*count_found=*/true, /*count_lost=*/!carries);
    return true;
  }

  bool Healthy(size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Slot& slot = slots_[i];
    if (slot.cache == nullptr) {
      auto opened = engines_[i].open();
      if (!opened.ok()) return false;
      slot.cache = *std::move(opened);
    }
    return slot.cache->Size().ok();
  }

  // ---- Removal reports. An engine reports on the thread of the chain's call, while the chain
  // holds mu_; a ReportScope collects them there and delivers them when the call is done. ----
  struct Removal {
    K key;
    RemovalCause cause;
    size_t engine;
  };
  class ReportScope {
   public:
    explicit ReportScope(FallbackCache& chain) : chain_(chain), outer_(sink_) { sink_ = &list_; }
    ~ReportScope() {
      sink_ = outer_;
      for (const Removal& removal : list_) chain_.Deliver(removal);
    }
    ReportScope(const ReportScope&) = delete;
    ReportScope& operator=(const ReportScope&) = delete;

   private:
    FallbackCache& chain_;
    std::vector<Removal>* const outer_;  // a chain nested in this one's call
    std::vector<Removal> list_;
  };
  static inline thread_local std::vector<Removal>* sink_ = nullptr;

  bool Reporting() {
    MutexLock lock(&removal_mu_);
    return removal_listener_ != nullptr || fallback_.removal_events;
  }
  // Slot `i` starts serving: its removals are reported (if anyone listens).
  void Attach(size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!Reporting() || slots_[i].attached) return;
    slots_[i].attached =
        slots_[i]
            .cache
            ->SetRemovalListener([this, i](const K& key, RemovalCause cause) {
              if (sink_ != nullptr) {
                sink_->push_back({key, cause, i});
              } else {
                Deliver({key, cause, i});
              }
            })
            .ok();
  }
  void Detach(size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!slots_[i].attached) return;
    (void)slots_[i].cache->SetRemovalListener(nullptr);
    slots_[i].attached = false;
  }
  void Deliver(const Removal& removal) {
    RemovalListener<K> listener;
    {
      MutexLock lock(&removal_mu_);
      listener = removal_listener_;
    }
    if (listener) listener(removal.key, removal.cause);
    if (fallback_.removal_events) {
      fallback_.listener({EventKindOf(removal.cause), fallback_.name, engines_[removal.engine].name,
                          {}, KeyPreview(removal.key)});
    }
  }

  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  const std::vector<FallbackEngine<K, V>> engines_;
  FallbackOptions fallback_;
  const Capabilities capabilities_;
  const std::optional<size_t> capacity_;
  const std::optional<absl::Duration> default_ttl_;
  const std::shared_ptr<const Clock> clock_;
  const std::shared_ptr<const Clock> probe_clock_;

  mutable SharedMutex mu_;
  std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);  // dirty sets also under dirty_mu_
  size_t serving_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Skip> skipped_ ABSL_GUARDED_BY(mu_);
  CacheStats retired_stats_ ABSL_GUARDED_BY(mu_);  // of engines that stopped serving
  Mutex dirty_mu_ ABSL_ACQUIRED_AFTER(mu_);
  uint64_t clears_ ABSL_GUARDED_BY(dirty_mu_) = 0;  // Clear() calls marked in the dirty sets
  Mutex probe_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::atomic<int64_t> next_probe_{kNever};
  std::atomic<uint64_t> switches_{0};
  Mutex removal_mu_ ABSL_ACQUIRED_AFTER(mu_);
  RemovalListener<K> removal_listener_ ABSL_GUARDED_BY(removal_mu_);
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_FALLBACK_FALLBACK_CACHE_H_
