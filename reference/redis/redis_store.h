// RedisStore: the byte-level Redis client behind RedisCache (redis_cache.h), through hiredis.
//
// Each entry is one Redis string `cachelab:<namespace>:<key>` holding its deadline (20 decimal
// digits of Unix nanoseconds, as text, so Lua compares it exactly) followed by the value. Deadlines
// are judged against the engine's injected clock by small Lua scripts that classify and act in
// one step on the server (absent, expired, live), so statistics follow reference/cache.h exactly
// even with other clients writing. The server also expires entries on its own (PX = TTL plus an
// hour's grace) to reclaim memory.
//
// Accounting: the same scripts keep, beside the entries, the namespace's entry count
// (`cachelab-meta:<namespace>:count`) and a sorted set of the entries with deadlines
// (`...:deadlines`), so Size() purges only what is due and reads the count: O(expired), no
// listing. A namespace written before this accounting existed is counted once, at open. Not
// promised: a count that stays exact if the server drops entries under memory pressure
// (server_evicts) or if something else deletes the namespace's keys.
//
// Speed: a connection pool (ServerOptions::connections), so threads make round trips in
// parallel; LookupMany and StoreMany send every element's script in one pipelined round trip.
// The scripts are loaded once at open (SCRIPT LOAD) and called by digest (EVALSHA), so a call
// sends its arguments, not the script's body. A server that has forgotten them (restarted, or
// SCRIPT FLUSH) refuses with NOSCRIPT; those commands had no effect and are sent again with their
// bodies. Not promised: when another client reloads the scripts between two commands of one
// batch, a refused command runs after the batch's later ones.
//
// Errors: a server that cannot be reached or answers too late gives kUnavailable within the
// command timeout, naming host and port; the next call on that connection reconnects.
// Thread-safety: all methods may be called from any thread. Not promised: Clear and Keys are
// not atomic against other clients (they walk the namespace with SCAN, classifying each page's
// entries in one pipelined batch).
#ifndef CACHELAB_REFERENCE_REDIS_REDIS_STORE_H_
#define CACHELAB_REFERENCE_REDIS_REDIS_STORE_H_

#include <array>
#include <atomic>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/codec/remote_cache.h"
#include "reference/mutex.h"

struct redisContext;
struct redisReply;

namespace cachelab {

class RedisStore final : public ByteStore {
 public:
  // Connects (and PINGs) once; returns kInvalidArgument for an empty namespace, kUnavailable
  // if the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<RedisStore>> Open(RemoteStoreOptions options);
  ~RedisStore() override;

  absl::StatusOr<std::optional<std::string>> Lookup(const std::string& key) override;
  absl::Status Store(const std::string& key, const std::string& value,
                     absl::Time deadline) override;
  absl::StatusOr<bool> Erase(const std::string& key) override;
  absl::Status Clear() override;
  absl::StatusOr<std::vector<std::string>> Keys() override;
  absl::StatusOr<size_t> Size() override;
  CacheStats Stats() override;
  std::optional<size_t> capacity() const override { return std::nullopt; }
  absl::StatusOr<std::vector<std::optional<std::string>>> LookupMany(
      const std::vector<std::string>& keys) override;
  absl::Status StoreMany(const std::vector<Write>& writes) override;

 private:
  using Reply = std::unique_ptr<redisReply, void (*)(void*)>;
  using Args = std::vector<std::string>;
  // One pooled connection, and the failure generation it was made in: after any connection
  // loses the server, the others are made afresh before their next use (a restarted server
  // leaves them with dead sockets that would fail once more).
  struct Connection {
    redisContext* context = nullptr;
    uint64_t generation = 0;
  };
  // The Lua scripts of redis_store.cc.
  enum Script { kLookupManyScript, kStoreScript, kClassifyScript, kPurgeScript, kInitializeScript };
  static constexpr int kScriptCount = 5;
  explicit RedisStore(RemoteStoreOptions options);
  static const char* Body(Script script);
  // Caches every script on the server and keeps their digests (at open, before any call).
  absl::Status LoadScripts(Connection& connection);
  // EVALSHA of `script` with `args` (the key count, keys, then arguments).
  Args Call(Script script, std::initializer_list<std::string> args) const;

  // Runs one command on `context`; reconnects first if the last one lost the connection.
  absl::StatusOr<Reply> Command(Connection& connection, const Args& args);
  // Sends every command before reading any reply (one round trip for the batch); the replies
  // come back in order. Commands refused with NOSCRIPT are sent again with their scripts' bodies.
  // Fails as a whole if any command fails.
  absl::StatusOr<std::vector<Reply>> Pipeline(Connection& connection,
                                              const std::vector<Args>& commands);
  absl::Status Connect(Connection& connection);
  absl::Status Unavailable(const std::string& why) const;
  // A connection lost the server: starts a new failure generation; returns kUnavailable.
  absl::Status Lost(const char* why);
  absl::Time NowTime() const;
  std::string Now() const;
  // The script call that stores one entry, and its effect on the statistics once answered.
  Args StoreCommand(const std::string& key, const std::string& value, absl::Time deadline,
                    absl::Time now) const;
  void CountStore(int found, absl::Time deadline, absl::Time now);
  // Counts the namespace's entries and deadlines if nothing has (written by an older version).
  absl::Status InitializeAccounting(Connection& connection);
  // Deletes the expired entries that are due; counts them; returns the entry count.
  absl::StatusOr<int64_t> Purge(Connection& connection);
  // Deletes every expired entry of the namespace; returns the live keys (without prefix).
  absl::StatusOr<std::vector<std::string>> Sweep(Connection& connection, uint64_t& expired);

  const RemoteStoreOptions options_;
  const std::string prefix_;
  const std::string count_key_;
  const std::string deadlines_key_;
  std::array<std::string, kScriptCount> shas_;  // written once, at open
  ConnectionPool<Connection> pool_;
  std::atomic<uint64_t> failures_{0};  // the failure generation
  Mutex stats_mu_;
  CacheStats stats_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_REDIS_REDIS_STORE_H_
