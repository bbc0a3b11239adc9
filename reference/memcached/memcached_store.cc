#include "reference/memcached/memcached_store.h"

#include <libmemcached/memcached.h>
#include <sodium.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
constexpr size_t kSeenLimit = 1 << 16;  // names whose last item this handle remembers
// Bytes of an item beyond its name and value: memcached's header (48), CAS (8), the value's
// "\r\n" and the flags suffix come to under 100; an entry this far under item_size_max fits.
constexpr size_t kItemOverhead = 256;

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
  c.meta = std::make_unique<memcached_internal::LineConnection>(
      options_.server.host, options_.server.port, "writing");
  absl::Status status = c.meta->Open(absl::Now() + options_.server.connect_timeout);
  if (status.ok()) status = Identify(c);
  if (absl::IsUnavailable(status)) return Lost(c, status);
  if (!status.ok()) c.meta.reset();
  return status;
}

absl::Status MemcachedStore::Identify(Connection& c) {
  const absl::Time deadline = absl::Now() + options_.server.command_timeout;
  if (absl::Status status = c.meta->Send("stats\r\nstats settings\r\n", deadline);
      !status.ok()) {
    return status;
  }
  uint64_t pid = 0, time = 0, uptime = 0;
  c.item_size_max = 0;
  for (int ends = 0; ends < 2;) {
    auto line = c.meta->ReadLine(deadline);
    if (!line.ok()) return line.status();
    const std::vector<absl::string_view> field = absl::StrSplit(*line, ' ');
    if (field.size() == 1 && field[0] == "END") {
      ++ends;
    } else if (field.size() != 3 || field[0] != "STAT") {
      return absl::FailedPreconditionError(absl::StrCat(
          Where(), ": the server answered \"", *line, "\" to `stats`: is it memcached?"));
    } else if (field[1] == "pid") {
      (void)absl::SimpleAtoi(field[2], &pid);
    } else if (field[1] == "time") {
      (void)absl::SimpleAtoi(field[2], &time);
    } else if (field[1] == "uptime") {
      (void)absl::SimpleAtoi(field[2], &uptime);
    } else if (field[1] == "item_size_max") {
      (void)absl::SimpleAtoi(field[2], &c.item_size_max);
    }
  }
  // time - uptime is the server's start time, exactly (both count from one internal clock).
  // A server that does not say gets a number of its own per connection: nothing remembered
  // through another connection is trusted on it.
  c.instance = pid != 0 && time != 0
                   ? absl::HashOf(pid, time - uptime)
                   : absl::HashOf(this, connects_.fetch_add(1, std::memory_order_relaxed));
  return absl::OkStatus();
}

absl::Status MemcachedStore::Connected(Connection& c) {
  const bool current = c.generation == failures_.load(std::memory_order_acquire);
  return c.client != nullptr && c.meta != nullptr && current ? absl::OkStatus() : Connect(c);
}

absl::Status MemcachedStore::Failure(Connection& c, int code, const std::string& what) {
  memcached_st*& client_ = c.client;
  const auto rc = static_cast<memcached_return_t>(code);
  const std::string where = Where();
  const char* detail = client_ != nullptr ? memcached_last_error_message(client_) : nullptr;
  const std::string why = detail != nullptr ? detail : memcached_strerror(client_, rc);
  if (IsNetworkFailure(rc)) {
    return Lost(c, absl::UnavailableError(
                       absl::StrCat(where, ": lost the server during ", what, " (", why, ")")));
  }
  if (rc == MEMCACHED_E2BIG) return TooLarge();
  return absl::InternalError(absl::StrCat(where, ": the server refused ", what, ": ", why));
}

absl::Status MemcachedStore::Lost(Connection& c, const absl::Status& why) {
  if (c.client != nullptr) memcached_free(c.client);
  c.client = nullptr;  // the next call reconnects, and so do the other connections
  c.meta.reset();
  failures_.fetch_add(1, std::memory_order_acq_rel);
  return absl::UnavailableError(absl::StrCat(why.message(), "; will reconnect"));
}

absl::Status MemcachedStore::TooLarge() const {
  return absl::InvalidArgumentError(absl::StrCat(
      Where(), ": the entry is larger than the server's item size limit (memcached -I)"));
}

std::string MemcachedStore::Where() const {
  return absl::StrCat("memcached cache ", options_.server.host, ":", options_.server.port);
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
        item.found = Classify(entry->tombstone, entry->deadline, now);
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

absl::StatusOr<MemcachedStore::Written> MemcachedStore::Write(Connection& c,
                                                             const std::string& name,
                                                             std::optional<uint64_t> cas,
                                                             const std::string& bytes,
                                                             time_t expiry) {
  if (name.size() + bytes.size() + kItemOverhead <= c.item_size_max) {
    return MetaWrite(c, name, cas, bytes, expiry);
  }
  const memcached_return_t code =
      cas ? memcached_cas(c.client, name.data(), name.size(), bytes.data(), bytes.size(), expiry,
                          0, *cas)
          : memcached_add(c.client, name.data(), name.size(), bytes.data(), bytes.size(),
                          expiry, 0);
  if (code == MEMCACHED_SUCCESS) return Written{Written::kStored, 0};  // its CAS is not told
  if (code == MEMCACHED_DATA_EXISTS || code == MEMCACHED_NOTSTORED) {
    return Written{Written::kExists};
  }
  if (code == MEMCACHED_NOTFOUND) return Written{Written::kAbsent};
  return Failure(c, code, cas ? "cas" : "add");
}

absl::StatusOr<MemcachedStore::Written> MemcachedStore::MetaWrite(Connection& c,
                                                                 const std::string& name,
                                                                 std::optional<uint64_t> cas,
                                                                 const std::string& bytes,
                                                                 time_t expiry) {
  std::string command;
  command.reserve(name.size() + bytes.size() + 64);
  absl::StrAppend(&command, "ms ", name, " ", bytes.size(), " T", expiry);
  if (cas) {
    absl::StrAppend(&command, " C", *cas);
  } else {
    command.append(" ME");  // mode: add
  }
  absl::StrAppend(&command, " c\r\n", bytes, "\r\n");
  const absl::Time deadline = absl::Now() + options_.server.command_timeout;
  absl::Status sent = c.meta->Send(command, deadline);
  absl::StatusOr<std::string> reply = sent.ok() ? c.meta->ReadLine(deadline) : sent;
  if (!reply.ok()) return Lost(c, reply.status());
  absl::string_view line = *reply;
  if (absl::ConsumePrefix(&line, "HD")) {
    Written stored;
    for (absl::string_view flag : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      if (absl::ConsumePrefix(&flag, "c")) (void)absl::SimpleAtoi(flag, &stored.cas);
    }
    return stored;
  }
  if (absl::StartsWith(line, "NS") || absl::StartsWith(line, "EX")) {
    return Written{Written::kExists};
  }
  if (absl::StartsWith(line, "NF")) return Written{Written::kAbsent};
  if (absl::StartsWith(line, "SERVER_ERROR object too large")) return TooLarge();
  c.meta.reset();  // an answer this client does not understand: start the connection afresh
  return absl::InternalError(absl::StrCat(Where(), ": the server refused a meta set (\"", line,
                                          "\"); memcached 1.6 or newer is needed"));
}

absl::StatusOr<bool> MemcachedStore::Swap(Connection& c, const std::string& name, uint64_t cas,
                                          const std::string& bytes, time_t expiry,
                                          absl::Time deadline, bool tombstone) {
  auto written = Write(c, name, cas, bytes, expiry);
  if (!written.ok()) return written.status();
  if (written->outcome != Written::kStored) return false;
  Remember(c, name, written->cas, deadline, tombstone);
  return true;
}

MemcachedStore::Found MemcachedStore::Classify(bool tombstone, absl::Time deadline,
                                               absl::Time now) {
  return tombstone ? Found::kAbsent : now >= deadline ? Found::kExpired : Found::kLive;
}

void MemcachedStore::CountRemoved(Found found) {
  MutexLock lock(&stats_mu_);
  if (found == Found::kExpired) ++stats_.expirations;
  if (found == Found::kCorrupt) ++stats_.corrupt;
  if (found == Found::kLive) ++stats_.removals;
}

void MemcachedStore::CountReplaced(Found found) {
  if (found != Found::kLive) CountRemoved(found);  // an expired or damaged entry replaced
  MutexLock lock(&stats_mu_);
  ++(found == Found::kLive ? stats_.updates : stats_.insertions);
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
    auto swapped = Swap(c, name, item->cas, EncodeTombstone(), kTombstoneExpiry,
                        absl::InfiniteFuture(), /*tombstone=*/true);
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
    } else if (is_first) {  // what the server holds now: a later overwrite may swap it at once
      Remember(c, names[i], item->on_server ? item->cas : 0,  // none: forget the name
               item->entry.deadline, /*tombstone=*/item->found == Found::kAbsent);
    }
    if (item->found == Found::kLive) {
      ++hits;
      values[i] = item->entry.value;
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
  if (absl::Status status = Connected(c); !status.ok()) return status;
  // The item this handle saw last under the name, if it is still there, is replaced by one
  // swap, and what it was is known (see the header). Otherwise (or if the swap fails), a name
  // never seen is probably new: add first, one round trip (three if it existed after all); a
  // name seen is probably there: `gets` then swap.
  const std::optional<Seen> seen = Recall(c, name);
  if (seen) {
    auto swapped = Swap(c, name, seen->cas, bytes, expiry, deadline, /*tombstone=*/false);
    if (!swapped.ok()) return swapped.status();
    if (*swapped) {
      CountReplaced(Classify(seen->tombstone, seen->deadline, now));
      return absl::OkStatus();
    }
  }
  bool try_add = !seen;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (try_add) {
      auto added = Write(c, name, std::nullopt, bytes, expiry);
      if (!added.ok()) return added.status();
      if (added->outcome == Written::kStored) {
        Remember(c, name, added->cas, deadline, /*tombstone=*/false);
        MutexLock lock(&stats_mu_);
        ++stats_.insertions;
        return absl::OkStatus();
      }
    }
    auto item = FetchOne(c, name);
    if (!item.ok()) return item.status();
    if (!item->on_server) {  // gone (or never there): add
      try_add = true;
      continue;
    }
    auto swapped = Swap(c, name, item->cas, bytes, expiry, deadline, /*tombstone=*/false);
    if (!swapped.ok()) return swapped.status();
    if (!*swapped) {
      BackOff(attempt);
      continue;
    }
    CountReplaced(item->found);
    return absl::OkStatus();
  }
  return absl::AbortedError("memcached cache: the entry kept changing under other clients");
}

std::optional<MemcachedStore::Seen> MemcachedStore::Recall(const Connection& c,
                                                           const std::string& name) {
  MutexLock lock(&seen_mu_);
  const auto it = seen_.find(name);
  if (it == seen_.end() || it->second.instance != c.instance) return std::nullopt;
  return it->second;
}

void MemcachedStore::Remember(const Connection& c, const std::string& name, uint64_t cas,
                              absl::Time deadline, bool tombstone) {
  MutexLock lock(&seen_mu_);
  if (cas == 0) {  // not on the server, or its CAS unknown
    seen_.erase(name);
    return;
  }
  if (seen_.size() >= kSeenLimit) seen_.clear();  // only ever a shortcut: start over
  seen_.insert_or_assign(name, Seen{c.instance, cas, deadline, tombstone});
}

absl::StatusOr<bool> MemcachedStore::Erase(const std::string& key) {
  auto lease = pool_.Acquire();
  Connection& c = lease.conn();
  const std::string name = ItemName(prefix_, key);
  {
    // As for an overwrite: the item this handle saw last under the name, if it is still there,
    // becomes a tombstone by one swap, and what it was is known. Otherwise `gets` then swap.
    MutexLock turn(&WriteStripe(name));
    if (absl::Status status = Connected(c); !status.ok()) return status;
    if (const std::optional<Seen> seen = Recall(c, name)) {
      auto swapped = Swap(c, name, seen->cas, EncodeTombstone(), kTombstoneExpiry,
                          absl::InfiniteFuture(), /*tombstone=*/true);
      if (!swapped.ok()) return swapped.status();
      if (*swapped) {
        const Found found = Classify(seen->tombstone, seen->deadline, Now());
        CountRemoved(found);
        return found == Found::kLive;
      }
    }
  }
  auto item = Remove(c, name, /*remove_live=*/true);
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
      auto swapped =
          Swap(c, batch[i], item.cas, EncodeTombstone(), kTombstoneExpiry, absl::InfiniteFuture(),
               /*tombstone=*/true);
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
