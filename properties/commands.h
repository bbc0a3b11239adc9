// The commands of the model-based properties (rc::state): each is one call on the engine, run
// on the engine and, for exact policies, on ModelCache too, with the answers compared. A shadow
// of the last write of each key gives the invariants every policy must keep.
//
// rc::state's Model here is the fixed Setup of one sequence (capacity, key space, TTL); the
// evolving expected state lives in System, next to the engine, so that the same ModelCache that
// judges the conformance suites judges the properties.
#ifndef CACHELAB_PROPERTIES_COMMANDS_H_
#define CACHELAB_PROPERTIES_COMMANDS_H_

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "conformance/internal/removals.h"
#include "reference/cache.h"

namespace cachelab::properties {

using StringCache = Cache<std::string, std::string>;

// Fixed for one command sequence; generated, and shrunk, with it.
struct Setup {
  Capabilities caps;
  size_t capacity = 1;
  int keys = 1;
  std::optional<absl::Duration> default_ttl;
};

inline void showValue(const Setup& setup, std::ostream& os) {
  os << "capacity " << setup.capacity << ", keys k0..k" << setup.keys - 1 << ", default_ttl "
     << (setup.default_ttl ? absl::FormatDuration(*setup.default_ttl) : "none");
}

struct Written {
  std::string value;
  absl::Time deadline;
  // An engine evicts only when full, so a live write may be missing only if, since it was
  // written, a new key was inserted while at least `capacity` other writes were live.
  bool may_be_evicted = false;
};

// The system under test: the engine, the model (exact policies) and the shadow of writes.
struct System {
  std::shared_ptr<ManualClock> clock;
  std::unique_ptr<StringCache> engine;
  std::unique_ptr<StringCache> model;  // null: hold the engine to the invariants only
  std::map<std::string, Written> shadow;
  uint64_t observed_hits = 0;
  uint64_t observed_misses = 0;
  // What the engine reported removing (engines that declare reports_removals).
  std::shared_ptr<conformance::Removals> removals;

  const Written* Live(const std::string& key) const {
    auto it = shadow.find(key);
    return it != shadow.end() && it->second.deadline > clock->Now() ? &it->second : nullptr;
  }

  // Records a write of `key`; marks the other live writes as possibly evicted if the key may be
  // new to the engine (never written, expired, or possibly evicted itself) and the cache may be
  // full.
  void Wrote(const Setup& setup, const std::string& key, std::string value, absl::Time deadline) {
    const Written* before = Live(key);
    if (setup.caps.bounded() && (before == nullptr || before->may_be_evicted)) {
      std::vector<Written*> others;
      for (auto& [k, written] : shadow) {
        if (k != key && Live(k) != nullptr) others.push_back(&written);
      }
      if (others.size() >= setup.capacity) {
        for (Written* written : others) written->may_be_evicted = true;
      }
    }
    shadow[key] = Written{std::move(value), deadline, false};
  }
};

using Command = rc::state::Command<Setup, System>;

inline std::string Show(const std::optional<std::string>& value) {
  return value.has_value() ? absl::StrCat("\"", absl::CEscape(*value), "\"") : "miss";
}

// Fails the property with `what` unless `ok`.
inline void Require(bool ok, const std::string& what) {
  if (!ok) RC_FAIL(what);
}

inline std::string KeyOf(const Setup& setup) {
  return absl::StrCat("k", *rc::gen::inRange(0, setup.keys));
}

// True for engines that turn values into bytes (files, databases, servers): their buffers and
// pages have boundaries that large values cross.
inline bool StoresBytes(const Setup& setup) {
  return setup.caps.persistent || setup.caps.multi_process || setup.caps.local_files;
}

// "v<n>", and now and then bytes a C string would lose; for engines that store bytes, one value
// in 32 is large (64 KiB - 1, 64 KiB, 64 KiB + 1 or 128 KiB + 7 bytes, a pattern that starts
// with "v<n>"), so values cross buffer and page boundaries. Shrinks to plain small values.
inline std::string DrawValue(const Setup& setup) {
  std::string value = absl::StrCat("v", *rc::gen::inRange(0, 1000));
  if (*rc::gen::inRange(0, 4) == 3) value += std::string("\0z", 2);
  if (StoresBytes(setup) && *rc::gen::inRange(0, 32) == 31) {
    static constexpr size_t kSizes[] = {65535, 65536, 65537, 131079};
    const size_t size = kSizes[*rc::gen::inRange(0, 4)];
    while (value.size() < size) value += static_cast<char>('a' + value.size() % 26);
    value.resize(size);
  }
  return value;
}

// A value as a counterexample shows it: escaped, and cut after 24 bytes with its length.
inline std::string ShowValue(const std::string& value) {
  if (value.size() <= 24) return absl::StrCat("\"", absl::CEscape(value), "\"");
  return absl::StrCat("\"", absl::CEscape(value.substr(0, 24)), "...\" (", value.size(),
                      " bytes)");
}

struct InsertCall : Command {
  std::string key;
  std::string value;
  explicit InsertCall(const Setup& setup)
      : key(KeyOf(setup)), value(DrawValue(setup)) {}
  void run(const Setup& setup, System& sys) const override {
    const absl::Status status = sys.engine->Insert(key, value);
    Require(status.ok(), "Insert failed: " + status.ToString());
    if (sys.model) (void)sys.model->Insert(key, value);
    const absl::Duration ttl = setup.default_ttl.value_or(absl::InfiniteDuration());
    sys.Wrote(setup, key, value, sys.clock->Now() + ttl);
  }
  void show(std::ostream& os) const override {
    os << "Insert(" << key << ", " << ShowValue(value) << ")";
  }
};

struct InsertWithTtlCall : Command {
  std::string key;
  std::string value;
  int seconds;
  explicit InsertWithTtlCall(const Setup& setup)
      : key(KeyOf(setup)),
        value(DrawValue(setup)),
        seconds(*rc::gen::inRange(0, 6)) {}
  void checkPreconditions(const Setup& setup) const override {
    RC_PRE(setup.caps.per_entry_ttl);
  }
  void run(const Setup& setup, System& sys) const override {
    const absl::Status status = sys.engine->InsertWithTtl(key, value, absl::Seconds(seconds));
    Require(status.ok(), "InsertWithTtl failed: " + status.ToString());
    if (sys.model) (void)sys.model->InsertWithTtl(key, value, absl::Seconds(seconds));
    sys.Wrote(setup, key, value, sys.clock->Now() + absl::Seconds(seconds));
  }
  void show(std::ostream& os) const override {
    os << "InsertWithTtl(" << key << ", " << ShowValue(value) << ", " << seconds << "s)";
  }
};

struct LookupCall : Command {
  std::string key;
  explicit LookupCall(const Setup& setup) : key(KeyOf(setup)) {}
  void run(const Setup& setup, System& sys) const override {
    auto found = sys.engine->Lookup(key);
    Require(found.ok(), "Lookup failed: " + found.status().ToString());
    ++(found->has_value() ? sys.observed_hits : sys.observed_misses);
    if (sys.model) {
      auto expected = *sys.model->Lookup(key);
      Require(*found == expected, absl::StrCat("Lookup(", key, ") returned ", Show(*found),
                                               "; the model says ", Show(expected)));
    }
    const Written* live = sys.Live(key);
    if (found->has_value()) {
      Require(live != nullptr && live->value == **found,
              absl::StrCat("Lookup(", key, ") returned ", Show(*found),
                           ", which is not the last live write"));
    } else {
      Require(live == nullptr || live->may_be_evicted,
              absl::StrCat("Lookup(", key, ") missed, but the engine was never full since ",
                           Show(live ? std::optional(live->value) : std::nullopt),
                           " was written"));
    }
  }
  void show(std::ostream& os) const override { os << "Lookup(" << key << ")"; }
};

// A batch of 1 to 4 lookups (keys may repeat), through the engine's LookupMany.
struct LookupManyCall : Command {
  std::vector<std::string> keys;
  explicit LookupManyCall(const Setup& setup) {
    const int n = *rc::gen::inRange(1, 5);
    for (int i = 0; i < n; ++i) keys.push_back(KeyOf(setup));
  }
  void run(const Setup& setup, System& sys) const override {
    auto found = sys.engine->LookupMany(keys);
    Require(found.ok(), "LookupMany failed: " + found.status().ToString());
    Require(found->size() == keys.size(), "LookupMany returned a wrong number of answers");
    std::vector<std::optional<std::string>> expected;
    if (sys.model) expected = *sys.model->LookupMany(keys);
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::optional<std::string>& value = (*found)[i];
      ++(value.has_value() ? sys.observed_hits : sys.observed_misses);
      if (sys.model) {
        Require(value == expected[i], absl::StrCat("LookupMany: ", keys[i], " returned ",
                                                   Show(value), "; the model says ",
                                                   Show(expected[i])));
      }
      const Written* live = sys.Live(keys[i]);
      if (value.has_value()) {
        Require(live != nullptr && live->value == *value,
                absl::StrCat("LookupMany: ", keys[i], " returned ", Show(value),
                             ", which is not the last live write"));
      } else {
        Require(live == nullptr || live->may_be_evicted,
                absl::StrCat("LookupMany: ", keys[i], " missed, but the engine was never full"));
      }
    }
  }
  void show(std::ostream& os) const override {
    os << "LookupMany(" << absl::StrJoin(keys, ", ") << ")";
  }
};

// A batch of 1 to 4 inserts (keys may repeat: the last one wins), through InsertMany.
struct InsertManyCall : Command {
  std::vector<std::pair<std::string, std::string>> entries;
  explicit InsertManyCall(const Setup& setup) {
    const int n = *rc::gen::inRange(1, 5);
    for (int i = 0; i < n; ++i) entries.emplace_back(KeyOf(setup), DrawValue(setup));
  }
  void run(const Setup& setup, System& sys) const override {
    const absl::Status status = sys.engine->InsertMany(entries);
    Require(status.ok(), "InsertMany failed: " + status.ToString());
    if (sys.model) (void)sys.model->InsertMany(entries);
    const absl::Duration ttl = setup.default_ttl.value_or(absl::InfiniteDuration());
    for (const auto& [key, value] : entries) sys.Wrote(setup, key, value, sys.clock->Now() + ttl);
  }
  void show(std::ostream& os) const override {
    os << "InsertMany(";
    for (size_t i = 0; i < entries.size(); ++i) {
      os << (i ? ", " : "") << entries[i].first << "=" << ShowValue(entries[i].second);
    }
    os << ")";
  }
};

struct EraseCall : Command {
  std::string key;
  explicit EraseCall(const Setup& setup) : key(KeyOf(setup)) {}
  void run(const Setup&, System& sys) const override {
    auto erased = sys.engine->Erase(key);
    Require(erased.ok(), "Erase failed: " + erased.status().ToString());
    if (sys.model) {
      const bool expected = *sys.model->Erase(key);
      Require(*erased == expected, absl::StrCat("Erase(", key, ") returned ", *erased));
    }
    sys.shadow.erase(key);
  }
  void show(std::ostream& os) const override { os << "Erase(" << key << ")"; }
};

struct ClearCall : Command {
  explicit ClearCall(const Setup&) {}
  void run(const Setup&, System& sys) const override {
    Require(sys.engine->Clear().ok(), "Clear failed");
    if (sys.model) (void)sys.model->Clear();
    sys.shadow.clear();
  }
  void show(std::ostream& os) const override { os << "Clear()"; }
};

struct AdvanceCall : Command {
  int seconds;
  explicit AdvanceCall(const Setup&) : seconds(*rc::gen::inRange(1, 4)) {}
  void checkPreconditions(const Setup& setup) const override {
    RC_PRE(setup.caps.per_entry_ttl || setup.default_ttl.has_value());
  }
  void run(const Setup&, System& sys) const override {
    sys.clock->Advance(absl::Seconds(seconds));
  }
  void show(std::ostream& os) const override { os << "Advance(" << seconds << "s)"; }
};

// Looks at the whole cache: live keys, size and statistics.
struct ObserveCall : Command {
  explicit ObserveCall(const Setup&) {}
  void run(const Setup& setup, System& sys) const override {
    // Size() and Stats() first, while expired entries may still wait to be purged (Stats()
    // purges them and counts them; Keys() finds nothing more to purge after it).
    auto size = sys.engine->Size();
    Require(size.ok(), "Size() failed");
    if (sys.model) {
      Require(*size == *sys.model->Size(),
              absl::StrCat("Size() is ", *size, ", the model's ", *sys.model->Size()));
    }
    const CacheStats stats = sys.engine->Stats();
    if (sys.model) {
      const CacheStats model = sys.model->Stats();
      Require(stats == model,
              absl::StrCat("the statistics differ from the model's (expirations ",
                           stats.expirations, " vs ", model.expirations, ", evictions ",
                           stats.evictions, " vs ", model.evictions, ")"));
    }
    auto keys = sys.engine->Keys();
    Require(keys.ok(), "Keys() failed");
    std::sort(keys->begin(), keys->end());
    if (sys.model) {
      auto expected = *sys.model->Keys();
      std::sort(expected.begin(), expected.end());
      Require(*keys == expected, absl::StrCat("live keys {", absl::StrJoin(*keys, " "),
                                              "} differ from the model's {",
                                              absl::StrJoin(expected, " "), "}"));
    }
    size_t live = 0;
    for (const auto& [key, written] : sys.shadow) live += sys.Live(key) != nullptr;
    for (const std::string& key : *keys) {
      Require(sys.Live(key) != nullptr, "Keys() lists " + key + ", which is not live");
    }
    Require(*size == keys->size(), "Size() differs from the number of keys");
    Require(setup.caps.bounded() ? *size <= std::min(live, setup.capacity) : *size == live,
            absl::StrCat("Size() is ", *size, " with ", live, " live writes"));
    Require(stats.hits == sys.observed_hits && stats.misses == sys.observed_misses,
            "hits or misses differ from those observed");
    if (!setup.caps.persistent && !setup.caps.multi_process) {
      Require(stats.Balance() == static_cast<int64_t>(*size),
              "insertions - evictions - expirations - removals != size");
    }
    if (sys.removals) {
      const size_t evicted = sys.removals->Keys(RemovalCause::kEvicted).size();
      const size_t expired = sys.removals->Keys(RemovalCause::kExpired).size();
      Require(evicted == stats.evictions && expired == stats.expirations,
              absl::StrCat("removal reports (", evicted, " evicted, ", expired,
                           " expired) differ from the counters (", stats.evictions, ", ",
                           stats.expirations, ")"));
    }
  }
  void show(std::ostream& os) const override { os << "Observe()"; }
};

}  // namespace cachelab::properties

#endif  // CACHELAB_PROPERTIES_COMMANDS_H_
