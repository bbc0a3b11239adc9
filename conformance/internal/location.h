// NewCacheLocation: a path under the test's temporary directory (TEST_TMPDIR, else /tmp)
// whose parent exists and which does not, so a persistent engine starts from an empty cache
// and creates its own directory. Shared by the conformance fixture and the properties.
#ifndef CACHELAB_CONFORMANCE_INTERNAL_LOCATION_H_
#define CACHELAB_CONFORMANCE_INTERNAL_LOCATION_H_

#include <stdlib.h>

#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace cachelab::conformance {

inline absl::StatusOr<std::string> NewCacheLocation() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/cachelab-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot make a temporary directory like ", dir));
  }
  return dir + "/cache";
}

}  // namespace cachelab::conformance

#endif  // CACHELAB_CONFORMANCE_INTERNAL_LOCATION_H_
