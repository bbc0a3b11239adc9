#include "reference/redis/redis_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cachelab {
namespace {

// Deadlines are 20-digit decimal text, so equal-length string comparison in Lua is exact.
constexpr int kDeadlineDigits = 20;
constexpr absl::Duration kServerGrace = absl::Hours(1);
constexpr size_t kBatch = 500;  // commands per pipelined batch (and SCAN's COUNT hint)

std::string DeadlineText(int64_t nanos) { return absl::StrFormat("%020d", nanos); }

// KEYS[1] entry, ARGV[1] now. Returns 0 absent, 1 expired (now deleted), or the stored bytes.
constexpr const char* kLookup = R"lua(
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if string.sub(v, 1, 20) <= ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return v)lua";

// KEYS[1] entry, ARGV[1] now, ARGV[2] deadline, ARGV[3] value, ARGV[4] server TTL ms ("0":
// none). Writes unless the deadline has passed (then deletes). Returns the state it found:
// 0 absent, 1 expired, 2 live.
constexpr const char* kStore = R"lua(
local old = redis.call('GET', KEYS[1])
local state = 0
if old then
  if string.sub(old, 1, 20) <= ARGV[1] then state = 1 else state = 2 end
end
if ARGV[2] <= ARGV[1] then
  if old then redis.call('DEL', KEYS[1]) end
  return state
end
if ARGV[4] == '0' then
  redis.call('SET', KEYS[1], ARGV[2] .. ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2] .. ARGV[3], 'PX', ARGV[4])
end
return state)lua";

// KEYS[1] entry, ARGV[1] now, ARGV[2] "1" to delete even a live entry. Deletes an expired
// entry (and a live one if asked). Returns 0 absent, 1 expired, 2 live.
constexpr const char* kClassify = R"lua(
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
if string.sub(old, 1, 20) <= ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
return 2)lua";

// Escapes glob characters for SCAN MATCH.
std::string GlobLiteral(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisStore>> RedisStore::Open(RemoteStoreOptions options) {
  if (options.name_space.empty()) {
    return absl::InvalidArgumentError(
        "redis cache: CacheOptions::location must name the namespace to keep keys in");
  }
  std::unique_ptr<RedisStore> store(new RedisStore(std::move(options)));
  MutexLock lock(&store->mu_);
  if (absl::Status status = store->Connect(); !status.ok()) return status;
  return store;
}

RedisStore::RedisStore(RemoteStoreOptions options)
    : options_(std::move(options)), prefix_("cachelab:" + options_.name_space + ":") {}

RedisStore::~RedisStore() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (context_ != nullptr) redisFree(context_);
}

absl::Status RedisStore::Unavailable(const std::string& why) const {
  return absl::UnavailableError(
      absl::StrCat("redis cache ", options_.server.host, ":", options_.server.port, ": ", why));
}

absl::Status RedisStore::Connect() {
  if (context_ != nullptr) redisFree(context_);
  context_ = redisConnectWithTimeout(options_.server.host.c_str(), options_.server.port,
                                     absl::ToTimeval(options_.server.connect_timeout));
  if (context_ == nullptr) return Unavailable("cannot allocate a connection");
  if (context_->err != 0) {
    const std::string why = context_->errstr;
    redisFree(context_);
    context_ = nullptr;
    return Unavailable(absl::StrCat("cannot connect: ", why));
  }
  redisSetTimeout(context_, absl::ToTimeval(options_.server.command_timeout));
  return absl::OkStatus();
}

absl::StatusOr<RedisStore::Reply> RedisStore::Command(const std::vector<std::string>& args) {
  auto replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::vector<RedisStore::Reply>> RedisStore::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (context_ == nullptr || context_->err != 0) {
    if (absl::Status status = Connect(); !status.ok()) return status;
  }
  for (const std::vector<std::string>& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    redisAppendCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data());
  }
  std::vector<Reply> replies;
  absl::Status refused;
  for (const std::vector<std::string>& args : commands) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      return Unavailable(absl::StrCat("lost the server (", context_->errstr, "); will reconnect"));
    }
    Reply reply(static_cast<redisReply*>(raw), freeReplyObject);
    if (reply->type == REDIS_REPLY_ERROR && refused.ok()) {  // read on: the replies must drain
      refused = absl::InternalError(absl::StrCat("redis cache: the server refused ", args[0], ": ",
                                                 std::string(reply->str, reply->len)));
    }
    replies.push_back(std::move(reply));
  }
  if (!refused.ok()) return refused;
  return replies;
}

std::string RedisStore::Now() const {
  return DeadlineText(absl::ToUnixNanos((options_.clock ? options_.clock : DefaultClock())->Now()));
}

absl::StatusOr<std::optional<std::string>> RedisStore::Lookup(const std::string& key) {
  MutexLock lock(&mu_);
  auto reply = Command({"EVAL", kLookup, "1", prefix_ + key, Now()});
  if (!reply.ok()) return reply.status();
  if ((*reply)->type == REDIS_REPLY_STRING) {
    ++stats_.hits;
    return std::optional<std::string>(
        std::string((*reply)->str + kDeadlineDigits, (*reply)->len - kDeadlineDigits));
  }
  ++stats_.misses;
  if (static_cast<int>((*reply)->integer) == 1) ++stats_.expirations;
  return std::optional<std::string>();
}

absl::Status RedisStore::Store(const std::string& key, const std::string& value,
                               absl::Time deadline) {
  MutexLock lock(&mu_);
  const absl::Time now = (options_.clock ? options_.clock : DefaultClock())->Now();
  const bool forever = deadline == absl::InfiniteFuture();
  const std::string until = DeadlineText(forever ? INT64_MAX : absl::ToUnixNanos(deadline));
  const std::string server_ttl =
      forever ? "0" : absl::StrCat(absl::ToInt64Milliseconds(deadline - now + kServerGrace));
  auto reply = Command({"EVAL", kStore, "1", prefix_ + key, DeadlineText(absl::ToUnixNanos(now)),
                        until, value, server_ttl});
  if (!reply.ok()) return reply.status();
  const int found = static_cast<int>((*reply)->integer);
  if (found == 1) ++stats_.expirations;
  if (deadline <= now) {
    if (found == 2) ++stats_.removals;
  } else {
    ++(found == 2 ? stats_.updates : stats_.insertions);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RedisStore::Erase(const std::string& key) {
  MutexLock lock(&mu_);
  auto reply = Command({"EVAL", kClassify, "1", prefix_ + key, Now(), "1"});
  if (!reply.ok()) return reply.status();
  const int found = static_cast<int>((*reply)->integer);
  if (found == 1) ++stats_.expirations;
  if (found == 2) ++stats_.removals;
  return found == 2;
}

absl::StatusOr<std::vector<std::string>> RedisStore::Sweep(uint64_t& expired) {
  std::vector<std::string> live;
  std::string cursor = "0";
  const std::string pattern = GlobLiteral(prefix_) + "*";
  do {
    auto page = Command({"SCAN", cursor, "MATCH", pattern, "COUNT", absl::StrCat(kBatch)});
    if (!page.ok()) return page.status();
    if ((*page)->type != REDIS_REPLY_ARRAY || (*page)->elements != 2) {
      return absl::InternalError("redis cache: unexpected SCAN reply");
    }
    cursor.assign((*page)->element[0]->str, (*page)->element[0]->len);
    const redisReply* keys = (*page)->element[1];
    std::vector<std::string> names;
    std::vector<std::vector<std::string>> classify;
    const std::string now = Now();
    for (size_t i = 0; i < keys->elements; ++i) {
      names.emplace_back(keys->element[i]->str, keys->element[i]->len);
      classify.push_back({"EVAL", kClassify, "1", names.back(), now, "0"});
    }
    auto states = Pipeline(classify);
    if (!states.ok()) return states.status();
    for (size_t i = 0; i < names.size(); ++i) {
      if ((*states)[i]->integer == 1) ++expired;
      if ((*states)[i]->integer == 2) live.push_back(names[i].substr(prefix_.size()));
    }
  } while (cursor != "0");
  // SCAN may return a key twice; each live key is listed once.
  std::sort(live.begin(), live.end());
  live.erase(std::unique(live.begin(), live.end()), live.end());
  return live;
}

absl::Status RedisStore::Clear() {
  MutexLock lock(&mu_);
  uint64_t expired = 0;
  auto live = Sweep(expired);
  stats_.expirations += expired;
  if (!live.ok()) return live.status();
  for (size_t begin = 0; begin < live->size(); begin += kBatch) {
    std::vector<std::vector<std::string>> removes;
    const std::string now = Now();
    for (size_t i = begin; i < std::min(live->size(), begin + kBatch); ++i) {
      removes.push_back({"EVAL", kClassify, "1", prefix_ + (*live)[i], now, "1"});
    }
    auto replies = Pipeline(removes);
    if (!replies.ok()) return replies.status();
    for (const Reply& reply : *replies) {
      if (reply->integer == 1) ++stats_.expirations;
      if (reply->integer == 2) ++stats_.removals;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RedisStore::Keys() {
  MutexLock lock(&mu_);
  uint64_t expired = 0;
  auto live = Sweep(expired);
  stats_.expirations += expired;
  return live;
}


CacheStats RedisStore::Stats() {
  MutexLock lock(&mu_);
  uint64_t expired = 0;
  (void)Sweep(expired);  // counts what has expired, as the contract asks; an error keeps stats
  stats_.expirations += expired;
  return stats_;
}

}  // namespace cachelab
