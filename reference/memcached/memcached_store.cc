#include "reference/memcached/memcached_store.h"

#include <libmemcached/memcached.h>
#include <sodium.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reference/memcached/internal/key_dump.h"

namespace cachelab {
namespace {

using memcached_internal::DecodeEntry;
using memcached_internal::EncodeEntry;
using memcached_internal::EncodeTombstone;
using memcached_internal::ItemName;

// Calls start over when another client changes the entry in between; this bounds the retries.
constexpr int kMaxAttempts = 64;

// After a lost compare-and-swap race: wait a random 1..2^min(attempt, 10) microseconds, so
// writers contending for one key spread out instead of failing each other in lockstep.
void BackOff(int attempt) {
  const uint32_t limit = 1u << std::min(attempt, 10);
  absl::SleepFor(absl::Microseconds(1 + randombytes_uniform(limit)));
}
constexpr absl::Duration kServerGrace = absl::Hours(1);
constexpr time_t kTombstoneExpiry = 2;  // seconds: a tombstone only has to outlive the swap
constexpr int64_t kMaxRelativeExpiry = 30 * 24 * 3600;  // above it memcached reads Unix time
constexpr size_t kFetchBatch = 256;
constexpr size_t kKnownLimit = 1 << 16;  // names remembered as probably on the server

// The server-side expiry of an entry: its TTL plus grace, so that the injected clock decides.
time_t ServerExpiry(absl::Time deadline, absl::Time now) {
  if (deadline == absl::InfiniteFuture()) return 0;
  const int64_t seconds =
      absl::ToInt64Seconds(absl::Ceil(deadline - now + kServerGrace, absl::Seconds(1)));
  if (seconds <= kMaxRelativeExpiry) return static_cast<time_t>(seconds);
  return absl::ToTimeT(absl::Now()) + static_cast<time_t>(seconds);
}

bool IsNetworkFailure(memcached_return_t code) {
  switch (code) {
    case MEMCACHED_HOST_LOOKUP_FAILURE:
    case MEMCACHED_CONNECTION_FAILURE:
    case MEMCACHED_WRITE_FAILURE:
    case MEMCACHED_READ_FAILURE:
    case MEMCACHED_UNKNOWN_READ_FAILURE:
    case MEMCACHED_ERRNO:
    case MEMCACHED_TIMEOUT:
    case MEMCACHED_SERVER_MARKED_DEAD:
    case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
    case MEMCACHED_NO_SERVERS:
    case MEMCACHED_PARTIAL_READ:
    case MEMCACHED_SOME_ERRORS:
    case MEMCACHED_IN_PROGRESS:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<MemcachedStore>> MemcachedStore::Open(
    RemoteStoreOptions options) {
  if (options.name_space.empty()) {
    return absl::InvalidArgumentError(
        "memcached cache: CacheOptions::location must name the namespace to keep keys in");
  }
  if (sodium_init() < 0) return absl::InternalError("memcached cache: libsodium failed to start");
  std::unique_ptr<MemcachedStore> store(new MemcachedStore(std::move(options)));
  auto lease = store->pool_.Acquire();
  if (absl::Status status = store->Connect(lease.conn()); !status.ok()) return status;
  return store;
}

MemcachedStore::MemcachedStore(RemoteStoreOptions options)
    : options_(std::move(options)),
      prefix_(memcached_internal::ItemPrefix(options_.name_space)),
      pool_(options_.server.connections) {}

MemcachedStore::~MemcachedStore() {
  pool_.ForEach([](Connection& c) {
    if (c.client != nullptr) memcached_free(c.client);
  });
}

absl::Status MemcachedStore::Connect(Connection& c) {
  memcached_st*& client_ = c.client;
  if (client_ != nullptr) memcached_free(client_);
  c.generation = failures_.load(std::memory_order_acquire);
  client_ = memcached_create(nullptr);
  if (client_ == nullptr) return absl::ResourceExhaustedError("memcached cache: out of memory");
  const auto millis = [](absl::Duration d) { return absl::ToInt64Milliseconds(d); };
  memcached_behavior_set(client_, MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
  memcached_behavior_set(client_, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  memcached_behavior_set(client_, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
                         millis(options_.server.connect_timeout));
  memcached_behavior_set(client_, MEMCACHED_BEHAVIOR_POLL_TIMEOUT,
                         millis(options_.server.command_timeout));
  memcached_behavior_set(client_, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
                         absl::ToInt64Microseconds(options_.server.command_timeout));
  memcached_behavior_set(client_, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
                         absl::ToInt64Microseconds(options_.server.command_timeout));
  memcached_return_t code =
      memcached_server_add(client_, options_.server.host.c_str(), static_cast<in_port_t>(options_.server.port));
  if (code == MEMCACHED_SUCCESS) code = memcached_version(client_);  // a round trip: reachable?
  if (code != MEMCACHED_SUCCESS) return Failure(c, code, "the connection");
  return absl::OkStatus();
}

absl::Status MemcachedStore::Connected(Connection& c) {
  const bool current = c.generation == failures_.load(std::memory_order_acquire);
  return c.client != nullptr && current ? absl::OkStatus() : Connect(c);
}

absl::Status MemcachedStore::Failure(Connection& c, int code, const std::string& what) {
  memcached_st*& client_ = c.client;
  const auto rc = static_cast<memcached_return_t>(code);
  const std::string where = absl::StrCat("memcached cache ", options_.server.host, ":", options_.server.port);
  const char* detail = client_ != nullptr ? memcached_last_error_message(client_) : nullptr;
  const std::string why = detail != nullptr ? detail : memcached_strerror(client_, rc);
  if (IsNetworkFailure(rc)) {
    if (client_ != nullptr) memcached_free(client_);
    client_ = nullptr;  // the next call reconnects, and so do the other clients
    failures_.fetch_add(1, std::memory_order_acq_rel);
    return absl::UnavailableError(
        absl::StrCat(where, ": lost the server during ", what, " (", why, "); will reconnect"));
  }
  if (rc == MEMCACHED_E2BIG) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": the entry is larger than the server's item size limit (memcached -I)"));
  }
  return absl::InternalError(absl::StrCat(where, ": the server refused ", what, ": ", why));
}

absl::Time MemcachedStore::Now() const {
  return (options_.clock ? options_.clock : DefaultClock())->Now();
}

absl::StatusOr<std::vector<MemcachedStore::Item>> MemcachedStore::Fetch(
    Connection& c, const std::vector<std::string>& names) {
  if (absl::Status status = Connected(c); !status.ok()) return status;
  memcached_st* client_ = c.client;
  std::vector<const char*> keys;
  std::vector<size_t> lengths;
  absl::flat_hash_map<absl::string_view, size_t> position;
  for (size_t i = 0; i < names.size(); ++i) {
    keys.push_back(names[i].data());
    lengths.push_back(names[i].size());
    position[names[i]] = i;
  }
  memcached_return_t code = memcached_mget(client_, keys.data(), lengths.data(), keys.size());
  if (code != MEMCACHED_SUCCESS) return Failure(c, code, "gets");
  std::vector<Item> items(names.size());
  const absl::Time now = Now();
  while (memcached_result_st* result = memcached_fetch_result(client_, nullptr, &code)) {
    const absl::string_view name(memcached_result_key_value(result),
                                 memcached_result_key_length(result));
    if (auto at = position.find(name); at != position.end()) {
      Item& item = items[at->second];
      item.on_server = true;
      item.cas = memcached_result_cas(result);
      auto entry = DecodeEntry(
          absl::string_view(memcached_result_value(result), memcached_result_length(result)));
      if (!entry || (!entry->tombstone && ItemName(prefix_, entry->key) != name)) {
        item.found = Found::kCorrupt;  // damaged, or not written by this engine
      } else {
        item.found = entry->tombstone         ? Found::kAbsent
                     : now >= entry->deadline ? Found::kExpired
                                              : Found::kLive;
        item.entry = *std::move(entry);
      }
    }
    memcached_result_free(result);
  }
  if (code != MEMCACHED_END && code != MEMCACHED_NOTFOUND && code != MEMCACHED_SUCCESS) {
    return Failure(c, code, "gets");
  }
  return items;
}

absl::StatusOr<MemcachedStore::Item> MemcachedStore::FetchOne(Connection& c,
                                                              const std::string& name) {
  auto items = Fetch(c, {name});
  if (!items.ok()) return items.status();
  return std::move(items->front());
}

absl::StatusOr<bool> MemcachedStore::Swap(Connection& c, const std::string& name, uint64_t cas,
                                          const std::string& bytes, time_t expiry) {
  const memcached_return_t code = memcached_cas(c.client, name.data(), name.size(), bytes.data(),
                                                bytes.size(), expiry, 0, cas);
  if (code == MEMCACHED_SUCCESS) return true;
  if (code == MEMCACHED_DATA_EXISTS || code == MEMCACHED_NOTFOUND) return false;
  return Failure(c, code, "cas");
}

void MemcachedStore::CountRemoved(Found found) {
  MutexLock lock(&stats_mu_);
  if (found == Found::kExpired) ++stats_.expirations;
  if (found == Found::kCorrupt) ++stats_.corrupt;
  if (found == Found::kLive) ++stats_.removals;
}

absl::StatusOr<MemcachedStore::Item> MemcachedStore::Remove(Connection& c,
                                                            const std::string& name,
                                                            bool remove_live) {
  MutexLock turn(&WriteStripe(name));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto item = FetchOne(c, name);
    if (!item.ok()) return item.status();
    if (item->found == Found::kAbsent || (item->found == Found::kLive && !remove_live)) {
      return item;
    }
    auto swapped = Swap(c, name, item->cas, EncodeTombstone(), kTombstoneExpiry);
    if (!swapped.ok()) return swapped.status();
    if (!*swapped) {  // changed meanwhile: look again
      BackOff(attempt);
      continue;
    }
    CountRemoved(item->found);
    return item;
  }
  return absl::AbortedError("memcached cache: the entry kept changing under other clients");
}

absl::StatusOr<std::optional<std::string>> MemcachedStore::Lookup(const std::string& key) {
  auto values = LookupMany({key});
  if (!values.ok()) return values.status();
  return std::move(values->front());
}

absl::StatusOr<std::vector<std::optional<std::string>>> MemcachedStore::LookupMany(
    const std::vector<std::string>& keys) {
  auto lease = pool_.Acquire();
  Connection& c = lease.conn();
  std::vector<std::string> names;
  names.reserve(keys.size());
  for (const std::string& key : keys) names.push_back(ItemName(prefix_, key));
  auto items = Fetch(c, names);  // one multi-get (repeated names are answered once each)
  if (!items.ok()) return items.status();
  std::vector<std::optional<std::string>> values(keys.size());
  absl::flat_hash_map<absl::string_view, size_t> first;  // a name's first position
  uint64_t hits = 0, misses = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [at, is_first] = first.try_emplace(names[i], i);
    Item* item = &(*items)[at->second];
    if (is_first && item->found != Found::kLive && item->found != Found::kAbsent) {
      // Expired or damaged: removed (and counted) as a single lookup would, then a miss for
      // this and every later occurrence.
      auto removed = Remove(c, names[i], /*remove_live=*/false);
      if (!removed.ok()) return removed.status();
      *item = *std::move(removed);
      if (item->found != Found::kLive) item->found = Found::kAbsent;
    }
    if (item->found == Found::kLive) {
      ++hits;
      values[i] = item->entry.value;
      if (is_first) Remember(names[i]);
    } else {
      ++misses;
    }
  }
  MutexLock lock(&stats_mu_);
  stats_.hits += hits;
  stats_.misses += misses;
  return values;
}

absl::Status MemcachedStore::Store(const std::string& key, const std::string& value,
                                   absl::Time deadline) {
  auto lease = pool_.Acquire();
  Connection& c = lease.conn();
  const absl::Time now = Now();
  const std::string name = ItemName(prefix_, key);
  if (deadline <= now) return Remove(c, name, /*remove_live=*/true).status();
  const std::string bytes = EncodeEntry(deadline, key, value);
  const time_t expiry = ServerExpiry(deadline, now);
  MutexLock turn(&WriteStripe(name));
  // A key this handle has seen on the server is probably there still: `gets` then `cas`, two
  // round trips. Any other key is probably new: `add` first, one round trip (three if it
  // existed after all).
  bool try_add = !Known(name);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (absl::Status status = Connected(c); !status.ok()) return status;
    if (try_add) {
      const memcached_return_t code = memcached_add(c.client, name.data(), name.size(),
                                                    bytes.data(), bytes.size(), expiry, 0);
      if (code == MEMCACHED_SUCCESS) {
        Remember(name);
        MutexLock lock(&stats_mu_);
        ++stats_.insertions;
        return absl::OkStatus();
      }
      if (code != MEMCACHED_NOTSTORED && code != MEMCACHED_DATA_EXISTS) {
        return Failure(c, code, "add");
      }
    }
    auto item = FetchOne(c, name);
    if (!item.ok()) return item.status();
    if (!item->on_server) {  // gone (or never there): add
      try_add = true;
      continue;
    }
    auto swapped = Swap(c, name, item->cas, bytes, expiry);
    if (!swapped.ok()) return swapped.status();
    if (!*swapped) {
      BackOff(attempt);
      continue;
    }
    Remember(name);
    if (item->found == Found::kLive) {
      MutexLock lock(&stats_mu_);
      ++stats_.updates;
    } else {
      CountRemoved(item->found);  // an expired or damaged entry replaced
      MutexLock lock(&stats_mu_);
      ++stats_.insertions;
    }
    return absl::OkStatus();
  }
  return absl::AbortedError("memcached cache: the entry kept changing under other clients");
}

bool MemcachedStore::Known(const std::string& name) {
  MutexLock lock(&known_mu_);
  return known_.contains(name);
}

void MemcachedStore::Remember(const std::string& name) {
  MutexLock lock(&known_mu_);
  if (known_.size() >= kKnownLimit) known_.clear();  // a hint, not a record: start over
  known_.insert(name);
}

absl::StatusOr<bool> MemcachedStore::Erase(const std::string& key) {
  auto lease = pool_.Acquire();
  auto item = Remove(lease.conn(), ItemName(prefix_, key), /*remove_live=*/true);
  if (!item.ok()) return item.status();
  return item->found == Found::kLive;
}

absl::StatusOr<std::vector<std::string>> MemcachedStore::Sweep(Connection& c, bool remove_live) {
  auto names = memcached_internal::DumpItemNames(options_.server.host, options_.server.port, prefix_,
                                                 options_.server.command_timeout);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());  // a dump may list a name twice
  names->erase(std::unique(names->begin(), names->end()), names->end());
  std::vector<std::string> live;
  for (size_t begin = 0; begin < names->size(); begin += kFetchBatch) {
    const std::vector<std::string> batch(
        names->begin() + begin, names->begin() + std::min(names->size(), begin + kFetchBatch));
    auto items = Fetch(c, batch);
    if (!items.ok()) return items.status();
    for (size_t i = 0; i < batch.size(); ++i) {
      Item& item = (*items)[i];
      if (item.found == Found::kAbsent) continue;
      if (item.found == Found::kLive && !remove_live) {
        live.push_back(std::move(item.entry.key));
        continue;
      }
      auto swapped = Swap(c, batch[i], item.cas, EncodeTombstone(), kTombstoneExpiry);
      if (!swapped.ok()) return swapped.status();
      if (*swapped) {
        CountRemoved(item.found);
        continue;
      }
      auto again = Remove(c, batch[i], remove_live);  // changed meanwhile: decide afresh
      if (!again.ok()) return again.status();
      if (again->found == Found::kLive && !remove_live) live.push_back(again->entry.key);
    }
  }
  return live;
}

absl::Status MemcachedStore::Clear() {
  auto lease = pool_.Acquire();
  return Sweep(lease.conn(), /*remove_live=*/true).status();
}

absl::StatusOr<std::vector<std::string>> MemcachedStore::Keys() {
  auto lease = pool_.Acquire();
  return Sweep(lease.conn(), /*remove_live=*/false);
}

CacheStats MemcachedStore::Stats() {
  {
    auto lease = pool_.Acquire();
    (void)Sweep(lease.conn(), /*remove_live=*/false);  // counts what has expired, as asked
  }
  MutexLock lock(&stats_mu_);
  return stats_;
}

}  // namespace cachelab
