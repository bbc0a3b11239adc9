#include "reference/redis/redis_store.h"

#include <hiredis/hiredis.h>

#include <string.h>

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "reference/redis/internal/send.h"

namespace cachelab {
namespace {

// Deadlines are 20-digit decimal text, so equal-length string comparison in Lua is exact.
constexpr int kDeadlineDigits = 20;
constexpr absl::Duration kServerGrace = absl::Hours(1);
constexpr size_t kBatch = 500;  // commands per pipelined batch (and SCAN's COUNT hint)

std::string DeadlineText(int64_t nanos) { return absl::StrFormat("%020d", nanos); }

// Every script takes KEYS[1] the entry (or unused), KEYS[2] the count, KEYS[3] the sorted set
// of deadlines (member: the entry's name), and keeps both exact: an entry key that exists is
// counted once, and is in the set if it has a deadline.

// Many lookups in one script: KEYS[1] unused, KEYS[2] count, KEYS[3] deadlines, KEYS[4..] the
// entries in order; ARGV[1] now. Returns, per entry, its stored bytes, or 0 absent or 1 expired
// (now deleted), as kLookup would one after the other.
constexpr const char* kLookupMany = R"lua(
local answers = {}
for i = 4, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if not v then
    answers[i - 3] = 0
  elseif string.sub(v, 1, 20) <= ARGV[1] then
    redis.call('DEL', KEYS[i]) redis.call('DECR', KEYS[2]) redis.call('ZREM', KEYS[3], KEYS[i])
    answers[i - 3] = 1
  else
    answers[i - 3] = v
  end
end
return answers)lua";
constexpr size_t kKeysPerScript = 1000;

// ARGV[1] now, ARGV[2] deadline, ARGV[3] value, ARGV[4] server TTL ms ("0": none), ARGV[5] the
// deadline as a sorted-set score ("none": no deadline). Writes unless the deadline has passed
// (then deletes). Returns the state it found: 0 absent, 1 expired, 2 live.
constexpr const char* kStore = R"lua(
local old = redis.call('GET', KEYS[1])
local state = 0
if old then
  if string.sub(old, 1, 20) <= ARGV[1] then state = 1 else state = 2 end
end
if ARGV[2] <= ARGV[1] then
  if old then
    redis.call('DEL', KEYS[1]) redis.call('DECR', KEYS[2]) redis.call('ZREM', KEYS[3], KEYS[1])
  end
  return state
end
if ARGV[4] == '0' then
  redis.call('SET', KEYS[1], ARGV[2] .. ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2] .. ARGV[3], 'PX', ARGV[4])
end
if not old then redis.call('INCR', KEYS[2]) end
if ARGV[5] == 'none' then
  redis.call('ZREM', KEYS[3], KEYS[1])
else
  redis.call('ZADD', KEYS[3], ARGV[5], KEYS[1])
end
return state)lua";

// ARGV[1] now, ARGV[2] "1" to delete even a live entry. Deletes an expired entry (and a live
// one if asked). Returns 0 absent, 1 expired, 2 live.
constexpr const char* kClassify = R"lua(
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
local expired = string.sub(old, 1, 20) <= ARGV[1]
if expired or ARGV[2] == '1' then
  redis.call('DEL', KEYS[1]) redis.call('DECR', KEYS[2]) redis.call('ZREM', KEYS[3], KEYS[1])
end
if expired then return 1 end
return 2)lua";

// ARGV[1] now, ARGV[2] a score at or after now. Deletes the entries due by their exact
// deadline (an entry the server already dropped, by its later backstop expiry, is due too).
// Returns {entry count, entries expired now}.
constexpr const char* kPurge = R"lua(
local expired = 0
for _, name in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[2])) do
  local v = redis.call('GET', name)
  if (not v) or string.sub(v, 1, 20) <= ARGV[1] then
    if v then redis.call('DEL', name) end
    redis.call('ZREM', KEYS[3], name) redis.call('DECR', KEYS[2])
    expired = expired + 1
  end
end
return {tonumber(redis.call('GET', KEYS[2]) or '0'), expired})lua";

// Counts an unaccounted namespace: ARGV[1] the entry prefix as a SCAN pattern. Sets the count
// and the deadlines only if no count exists yet (another client may be counting too).
constexpr const char* kInitialize = R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local count, cursor = 0, '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, name in ipairs(page[2]) do
    local v = redis.call('GET', name)
    if v then
      count = count + 1
      local deadline = tonumber(string.sub(v, 1, 20))
      if deadline < 9223372036854775807 then redis.call('ZADD', KEYS[3], deadline, name) end
    end
  end
until cursor == '0'
redis.call('SET', KEYS[2], count)
return count)lua";

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
  auto lease = store->pool_.Acquire();
  if (absl::Status status = store->Connect(lease.conn()); !status.ok()) return status;
  if (absl::Status status = store->LoadScripts(lease.conn()); !status.ok()) return status;
  if (absl::Status status = store->InitializeAccounting(lease.conn()); !status.ok()) {
    return status;
  }
  return store;
}

RedisStore::RedisStore(RemoteStoreOptions options)
    : options_(std::move(options)),
      prefix_("cachelab:" + options_.name_space + ":"),
      count_key_("cachelab-meta:" + options_.name_space + ":count"),
      deadlines_key_("cachelab-meta:" + options_.name_space + ":deadlines"),
      pool_(options_.server.connections) {}

RedisStore::~RedisStore() {
  pool_.ForEach([](Connection& connection) {
    if (connection.context != nullptr) redisFree(connection.context);
  });
}

absl::Status RedisStore::Unavailable(const std::string& why) const {
  return absl::UnavailableError(
      absl::StrCat("redis cache ", options_.server.host, ":", options_.server.port, ": ", why));
}

absl::Status RedisStore::Connect(Connection& connection) {
  redisContext*& context = connection.context;
  if (context != nullptr) redisFree(context);
  connection.generation = failures_.load(std::memory_order_acquire);
  context = redisConnectWithTimeout(options_.server.host.c_str(), options_.server.port,
                                    absl::ToTimeval(options_.server.connect_timeout));
  if (context == nullptr) return Unavailable("cannot allocate a connection");
  if (context->err != 0) {
    const std::string why = context->errstr;
    redisFree(context);
    context = nullptr;
    failures_.fetch_add(1, std::memory_order_acq_rel);
    return Unavailable(absl::StrCat("cannot connect: ", why));
  }
  redisSetTimeout(context, absl::ToTimeval(options_.server.command_timeout));
  return absl::OkStatus();
}

absl::StatusOr<RedisStore::Reply> RedisStore::Command(Connection& connection, const Args& args) {
  auto replies = Pipeline(connection, {args});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::vector<RedisStore::Reply>> RedisStore::Pipeline(
    Connection& connection, const std::vector<Args>& commands) {
  if (connection.context == nullptr || connection.context->err != 0 ||
      connection.generation != failures_.load(std::memory_order_acquire)) {
    if (absl::Status status = Connect(connection); !status.ok()) return status;
  }
  redisContext* context = connection.context;
  for (const Args& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    redisAppendCommandArgv(context, static_cast<int>(args.size()), argv.data(), lengths.data());
  }
  // Sent here rather than by redisGetReply, whose write(2) would raise SIGPIPE (internal/send.h).
  if (const int error = internal::SendBuffered(context); error != 0) return Lost(strerror(error));
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  absl::Status refused;
  std::vector<size_t> unloaded;  // commands refused with NOSCRIPT: not run
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) return Lost(context->errstr);
    Reply reply(static_cast<redisReply*>(raw), freeReplyObject);
    if (reply->type == REDIS_REPLY_ERROR) {  // read on: the replies must drain
      const absl::string_view error(reply->str, reply->len);
      if (commands[i][0] == "EVALSHA" && absl::StartsWith(error, "NOSCRIPT")) {
        unloaded.push_back(i);
      } else if (refused.ok()) {
        refused = absl::InternalError(
            absl::StrCat("redis cache: the server refused ", commands[i][0], ": ", error));
      }
    }
    replies.push_back(std::move(reply));
  }
  if (!refused.ok()) return refused;
  if (!unloaded.empty()) {
    // The server forgot the scripts (restarted, or SCRIPT FLUSH): send the refused commands
    // again, in order, with their bodies (EVAL also caches them for the next EVALSHA).
    std::vector<Args> again;
    for (size_t i : unloaded) {
      Args args = commands[i];
      args[0] = "EVAL";
      for (int s = 0; s < kScriptCount; ++s) {
        if (args[1] == shas_[s]) args[1] = Body(static_cast<Script>(s));
      }
      again.push_back(std::move(args));
    }
    auto answered = Pipeline(connection, again);
    if (!answered.ok()) return answered.status();
    for (size_t j = 0; j < unloaded.size(); ++j) replies[unloaded[j]] = std::move((*answered)[j]);
  }
  return replies;
}

absl::Status RedisStore::Lost(const char* why) {
  failures_.fetch_add(1, std::memory_order_acq_rel);  // every pooled connection reconnects
  return Unavailable(absl::StrCat("lost the server (", why, "); will reconnect"));
}

absl::Status RedisStore::LoadScripts(Connection& connection) {
  std::vector<Args> loads;
  for (int s = 0; s < kScriptCount; ++s) {
    loads.push_back({"SCRIPT", "LOAD", Body(static_cast<Script>(s))});
  }
  auto replies = Pipeline(connection, loads);
  if (!replies.ok()) return replies.status();
  for (int s = 0; s < kScriptCount; ++s) {
    const redisReply* reply = (*replies)[s].get();
    if (reply->type != REDIS_REPLY_STRING) {
      return absl::InternalError("redis cache: unexpected reply to SCRIPT LOAD");
    }
    shas_[s].assign(reply->str, reply->len);
  }
  return absl::OkStatus();
}

const char* RedisStore::Body(Script script) {
  static constexpr std::array<const char*, kScriptCount> kBodies = {kLookupMany, kStore, kClassify,
                                                                    kPurge, kInitialize};
  return kBodies[script];
}

RedisStore::Args RedisStore::Call(Script script, std::initializer_list<std::string> args) const {
  Args call = {"EVALSHA", shas_[script]};
  call.insert(call.end(), args);
  return call;
}

absl::Time RedisStore::NowTime() const {
  return (options_.clock ? options_.clock : DefaultClock())->Now();
}

std::string RedisStore::Now() const { return DeadlineText(absl::ToUnixNanos(NowTime())); }

absl::Status RedisStore::InitializeAccounting(Connection& connection) {
  auto reply = Command(connection, Call(kInitializeScript, {"3", "", count_key_, deadlines_key_,
                                                              GlobLiteral(prefix_) + "*"}));
  return reply.status();
}

absl::StatusOr<std::optional<std::string>> RedisStore::Lookup(const std::string& key) {
  auto values = LookupMany({key});
  if (!values.ok()) return values.status();
  return std::move(values->front());
}

absl::StatusOr<std::vector<std::optional<std::string>>> RedisStore::LookupMany(
    const std::vector<std::string>& keys) {
  // One script per kKeysPerScript keys, all in one pipelined round trip.
  std::vector<Args> commands;
  const std::string now = Now();
  for (size_t begin = 0; begin < keys.size(); begin += kKeysPerScript) {
    const size_t end = std::min(keys.size(), begin + kKeysPerScript);
    Args args = Call(kLookupManyScript, {absl::StrCat(end - begin + 3), "", count_key_,
                                         deadlines_key_});
    for (size_t i = begin; i < end; ++i) args.push_back(prefix_ + keys[i]);
    args.push_back(now);
    commands.push_back(std::move(args));
  }
  std::vector<std::optional<std::string>> values(keys.size());
  if (commands.empty()) return values;
  auto lease = pool_.Acquire();
  auto replies = Pipeline(lease.conn(), commands);
  if (!replies.ok()) return replies.status();
  uint64_t hits = 0, misses = 0, expired = 0;
  for (size_t c = 0; c < replies->size(); ++c) {
    const redisReply* reply = (*replies)[c].get();
    const size_t begin = c * kKeysPerScript;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != std::min(keys.size() - begin, kKeysPerScript)) {
      return absl::InternalError("redis cache: unexpected reply to the lookup script");
    }
    for (size_t j = 0; j < reply->elements; ++j) {
      const redisReply* answer = reply->element[j];
      if (answer->type == REDIS_REPLY_STRING) {
        ++hits;
        values[begin + j].emplace(answer->str + kDeadlineDigits, answer->len - kDeadlineDigits);
      } else {
        ++misses;
        if (answer->integer == 1) ++expired;
      }
    }
  }
  MutexLock lock(&stats_mu_);
  stats_.hits += hits;
  stats_.misses += misses;
  stats_.expirations += expired;
  return values;
}

RedisStore::Args RedisStore::StoreCommand(const std::string& key, const std::string& value,
                                          absl::Time deadline, absl::Time now) const {
  const bool forever = deadline == absl::InfiniteFuture();
  const int64_t until = forever ? INT64_MAX : absl::ToUnixNanos(deadline);
  const std::string server_ttl =
      forever ? "0" : absl::StrCat(absl::ToInt64Milliseconds(deadline - now + kServerGrace));
  return Call(kStoreScript, {"3", prefix_ + key, count_key_, deadlines_key_,
                             DeadlineText(absl::ToUnixNanos(now)), DeadlineText(until), value,
                             server_ttl, forever ? "none" : absl::StrCat(until)});
}

void RedisStore::CountStore(int found, absl::Time deadline, absl::Time now) {
  if (found == 1) ++stats_.expirations;
  if (deadline <= now) {
    if (found == 2) ++stats_.removals;
  } else {
    ++(found == 2 ? stats_.updates : stats_.insertions);
  }
}

absl::Status RedisStore::Store(const std::string& key, const std::string& value,
                               absl::Time deadline) {
  return StoreMany({Write{key, value, deadline}});
}

absl::Status RedisStore::StoreMany(const std::vector<Write>& writes) {
  const absl::Time now = NowTime();
  std::vector<Args> commands;
  commands.reserve(writes.size());
  for (const Write& write : writes) {
    commands.push_back(StoreCommand(write.key, write.value, write.deadline, now));
  }
  auto lease = pool_.Acquire();
  auto replies = Pipeline(lease.conn(), commands);
  if (!replies.ok()) return replies.status();
  MutexLock lock(&stats_mu_);
  for (size_t i = 0; i < writes.size(); ++i) {
    CountStore(static_cast<int>((*replies)[i]->integer), writes[i].deadline, now);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RedisStore::Erase(const std::string& key) {
  auto lease = pool_.Acquire();
  auto reply = Command(lease.conn(), Call(kClassifyScript, {"3", prefix_ + key, count_key_,
                                                            deadlines_key_, Now(), "1"}));
  if (!reply.ok()) return reply.status();
  const int found = static_cast<int>((*reply)->integer);
  MutexLock lock(&stats_mu_);
  if (found == 1) ++stats_.expirations;
  if (found == 2) ++stats_.removals;
  return found == 2;
}

absl::StatusOr<int64_t> RedisStore::Purge(Connection& connection) {
  const absl::Time now = NowTime();
  // Scores are doubles (about 256 ns apart at today's nanosecond times): look a little past now
  // and let the exact deadline decide.
  const std::string bound = absl::StrCat(absl::ToUnixNanos(now) + 4096);
  auto reply = Command(connection, Call(kPurgeScript, {"3", "", count_key_, deadlines_key_,
                                                       DeadlineText(absl::ToUnixNanos(now)), bound}));
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 2) {
    return absl::InternalError("redis cache: unexpected reply to the purge script");
  }
  MutexLock lock(&stats_mu_);
  stats_.expirations += (*reply)->element[1]->integer;
  return (*reply)->element[0]->integer;
}

absl::StatusOr<size_t> RedisStore::Size() {
  auto lease = pool_.Acquire();
  auto count = Purge(lease.conn());
  if (!count.ok()) return count.status();
  return static_cast<size_t>(std::max<int64_t>(0, *count));
}

absl::StatusOr<std::vector<std::string>> RedisStore::Sweep(Connection& connection,
                                                           uint64_t& expired) {
  std::vector<std::string> live;
  std::string cursor = "0";
  const std::string pattern = GlobLiteral(prefix_) + "*";
  do {
    auto page = Command(connection, {"SCAN", cursor, "MATCH", pattern, "COUNT", absl::StrCat(kBatch)});
    if (!page.ok()) return page.status();
    if ((*page)->type != REDIS_REPLY_ARRAY || (*page)->elements != 2) {
      return absl::InternalError("redis cache: unexpected SCAN reply");
    }
    cursor.assign((*page)->element[0]->str, (*page)->element[0]->len);
    const redisReply* keys = (*page)->element[1];
    std::vector<std::string> names;
    std::vector<Args> classify;
    const std::string now = Now();
    for (size_t i = 0; i < keys->elements; ++i) {
      names.emplace_back(keys->element[i]->str, keys->element[i]->len);
      classify.push_back(
          Call(kClassifyScript, {"3", names.back(), count_key_, deadlines_key_, now, "0"}));
    }
    auto states = Pipeline(connection, classify);
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
  auto lease = pool_.Acquire();
  uint64_t expired = 0;
  auto live = Sweep(lease.conn(), expired);
  {
    MutexLock lock(&stats_mu_);
    stats_.expirations += expired;
  }
  if (!live.ok()) return live.status();
  for (size_t begin = 0; begin < live->size(); begin += kBatch) {
    std::vector<Args> removes;
    const std::string now = Now();
    for (size_t i = begin; i < std::min(live->size(), begin + kBatch); ++i) {
      removes.push_back(
          Call(kClassifyScript, {"3", prefix_ + (*live)[i], count_key_, deadlines_key_, now, "1"}));
    }
    auto replies = Pipeline(lease.conn(), removes);
    if (!replies.ok()) return replies.status();
    MutexLock lock(&stats_mu_);
    for (const Reply& reply : *replies) {
      if (reply->integer == 1) ++stats_.expirations;
      if (reply->integer == 2) ++stats_.removals;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RedisStore::Keys() {
  auto lease = pool_.Acquire();
  uint64_t expired = 0;
  auto live = Sweep(lease.conn(), expired);
  MutexLock lock(&stats_mu_);
  stats_.expirations += expired;
  return live;
}

CacheStats RedisStore::Stats() {
  {
    auto lease = pool_.Acquire();
    (void)Purge(lease.conn());  // counts what has expired, as the contract asks; an error keeps stats
  }
  MutexLock lock(&stats_mu_);
  return stats_;
}

}  // namespace cachelab
