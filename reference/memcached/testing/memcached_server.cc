#include "reference/memcached/testing/memcached_server.h"

#include <libmemcached/memcached.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "reference/memcached/internal/entry.h"

namespace cachelab::testing {
namespace {

// Runs `command` on a fresh client of the server on loopback `port`. Returns its code if it is
// `success` or one of `expected`, else kUnavailable naming `what`.
absl::StatusOr<memcached_return_t> OnServer(
    int port, const char* what, const std::function<memcached_return_t(memcached_st*)>& command,
    std::initializer_list<memcached_return_t> expected = {}) {
  memcached_st* client = memcached_create(nullptr);
  memcached_server_add(client, "127.0.0.1", static_cast<in_port_t>(port));
  const memcached_return_t code = command(client);
  const std::string why = memcached_strerror(client, code);
  memcached_free(client);
  if (code == MEMCACHED_SUCCESS ||
      std::find(expected.begin(), expected.end(), code) != expected.end()) {
    return code;
  }
  return absl::UnavailableError(absl::StrCat("memcached on port ", port, ": ", what, ": ", why));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> MemcachedServer::Start(
    int port, const std::vector<std::string>& extra_args) {
  if (port == 0) {
    auto free_port = FreeLoopbackPort();
    if (!free_port.ok()) return free_port.status();
    port = *free_port;
  }
  std::vector<std::string> argv = {"/usr/bin/memcached", "-p",  std::to_string(port), "-l",
                                   "127.0.0.1",          "-U",  "0",  // no UDP
                                   "-t",                 "2",   "-vv"};
  // Listing keys walks the whole hash table, pausing between buckets: a small initial table
  // (it grows with the items) and no pauses make it about 0.3 ms instead of 14 ms.
  argv.insert(argv.end(), {"-o", "hashpower=12,lru_crawler_sleep=0"});
  // The battery stores values of 4 MB; memcached's default item limit is 1 MB.
  argv.insert(argv.end(), {"-m", "64", "-I", "8m"});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (geteuid() == 0) argv.insert(argv.end(), {"-u", "root"});  // memcached asks, as root
  // -vv is only for the line that says it listens; verbosity goes back to 0 right after.
  auto server = ServerProcess::Start(argv, port, ServerProcess::Stream::kStderr,
                                     "server listening",
                                     "is the memcached package installed? run tools/setup");
  if (!server.ok()) return server.status();
  absl::Status quiet = OnServer(port, "verbosity 0", [](memcached_st* client) {
                          return memcached_verbosity(client, 0);
                        }).status();
  if (!quiet.ok()) return quiet;
  return server;
}

absl::StatusOr<bool> MarkFirstUse(int port, const std::string& name_space) {
  // Not under "cachelab:", so no engine's namespace lists it.
  const std::string marker = "factory-seen:" + memcached_internal::ItemPrefix(name_space);
  auto code = OnServer(
      port, "add",
      [&](memcached_st* client) {
        return memcached_add(client, marker.data(), marker.size(), "1", 1, 0, 0);
      },
      {MEMCACHED_NOTSTORED, MEMCACHED_DATA_EXISTS});
  if (!code.ok()) return code.status();
  return *code == MEMCACHED_SUCCESS;
}

absl::Status FlushMemcachedServer(int port) {
  return OnServer(port, "flush_all", [](memcached_st* client) {
           return memcached_flush(client, 0);
         }).status();
}

}  // namespace cachelab::testing
