// PreparePrivateDirectory: the directory a local persistent engine keeps its data in.
// Creates it with mode 0700 if missing; refuses an empty path, something that is not a
// directory, or one this process cannot write in, with a message naming the path and the fix.
#ifndef CACHELAB_REFERENCE_PRIVATE_DIRECTORY_H_
#define CACHELAB_REFERENCE_PRIVATE_DIRECTORY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cachelab {

// Returns OK, kInvalidArgument (empty path) or kFailedPrecondition; `engine` prefixes messages.
absl::Status PreparePrivateDirectory(const std::string& directory, absl::string_view engine);

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_PRIVATE_DIRECTORY_H_
