// DumpItemNames: the names of a memcached server's items, through the text protocol's
// `lru_crawler metadump hash` (memcached 1.6.9 or newer, LRU crawler enabled, the default),
// which libmemcached does not speak. It walks the server's hash table, not its LRUs, so an
// item present for the whole dump is listed even while other clients move items between LRUs;
// items written or removed during the dump may or may not be listed, and one may be listed
// twice. Cost: the whole server's key set crosses the connection, filtered here by prefix.
//
// Only one dump runs on a server at a time; the server answers BUSY to others. Dumps from this
// process are serialized, and a BUSY server is asked again until `timeout` has passed.
#ifndef CACHELAB_REFERENCE_MEMCACHED_INTERNAL_KEY_DUMP_H_
#define CACHELAB_REFERENCE_MEMCACHED_INTERNAL_KEY_DUMP_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cachelab::memcached_internal {

// Returns the names that begin with `prefix`, or kUnavailable (cannot connect, a wait for the
// next line longer than `timeout`, crawler busy for longer than `timeout`) naming host and port, or
// kFailedPrecondition if the server does not know the command.
absl::StatusOr<std::vector<std::string>> DumpItemNames(const std::string& host, int port,
                                                       absl::string_view prefix,
                                                       absl::Duration timeout);

// Decodes the %XX escapes memcached writes in dumped names; returns nullopt for a bad escape.
std::optional<std::string> UrlDecode(absl::string_view text);

}  // namespace cachelab::memcached_internal

#endif  // CACHELAB_REFERENCE_MEMCACHED_INTERNAL_KEY_DUMP_H_
