#include "reference/private_directory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cachelab {

absl::Status PreparePrivateDirectory(const std::string& directory, absl::string_view engine) {
  if (directory.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        engine, ": CacheOptions::location must name the directory to keep the cache in"));
  }
  auto failed = [&](absl::string_view what) {
    return absl::FailedPreconditionError(absl::StrCat(engine, ": cannot ", what, " ", directory,
                                                      ": ", std::strerror(errno)));
  };
  struct stat info;
  if (stat(directory.c_str(), &info) != 0) {
    if (errno != ENOENT) return failed("create the directory");
    // Another process opening the same new cache may create it first: that is fine.
    if (mkdir(directory.c_str(), 0700) != 0 &&
        (errno != EEXIST || stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))) {
      return failed("create the directory");
    }
  } else if (!S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        engine, ": ", directory, " exists and is not a directory; choose another location"));
  }
  if (access(directory.c_str(), W_OK | X_OK) != 0) return failed("write in");
  return absl::OkStatus();
}

}  // namespace cachelab
