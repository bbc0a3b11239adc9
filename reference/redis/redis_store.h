// RedisStore: the byte-level Redis client behind RedisCache (redis_cache.h), through hiredis.
//
// Each entry is one Redis string `cachelab:<namespace>:<key>` holding its deadline (20 decimal
// digits of Unix nanoseconds, as text, so Lua compares it exactly) followed by the value. Deadlines
// are judged against the engine's injected clock by small Lua scripts that classify and act in
// one step on the server (absent, expired, live), so statistics follow reference/cache.h exactly
// even with other clients writing. The server also expires entries on its own (PX = TTL plus an
// hour's grace) to reclaim memory.
//
// Errors: a server that cannot be reached or answers too late gives kUnavailable within the
// command timeout, naming host and port; the next call reconnects. Thread-safety: all methods
// may be called from any thread (one connection, one mutex). Not promised: Clear and Keys are
// not atomic against other clients (they walk the namespace with SCAN, classifying each page's
// entries in one pipelined batch).
#ifndef CACHELAB_REFERENCE_REDIS_REDIS_STORE_H_
#define CACHELAB_REFERENCE_REDIS_REDIS_STORE_H_

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
  CacheStats Stats() override;
  std::optional<size_t> capacity() const override { return std::nullopt; }

 private:
  explicit RedisStore(RemoteStoreOptions options);

  // Runs one command; reconnects first if the last one lost the connection.
  using Reply = std::unique_ptr<redisReply, void (*)(void*)>;
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends every command before reading any reply (one round trip for the batch); the replies
  // come back in order. Fails as a whole if any command fails.
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Connect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Unavailable(const std::string& why) const;
  std::string Now() const;
  // Deletes every expired entry of the namespace; returns the live keys (without prefix).
  absl::StatusOr<std::vector<std::string>> Sweep(uint64_t& expired)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RemoteStoreOptions options_;
  const std::string prefix_;
  Mutex mu_;
  redisContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_REDIS_REDIS_STORE_H_
