// Where the shared traces (../shared/traces, exposed as @traces by third_party/traces.bzl) are
// in this binary's runfiles, and their short names: web07, web12, orm-busy, orm-night, zipf.
//
// Thread-safety: the functions read the environment and the file system only.
#ifndef CACHELAB_BENCHMARKS_HITRATIO_SHARED_TRACES_H_
#define CACHELAB_BENCHMARKS_HITRATIO_SHARED_TRACES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cachelab::hitratio {

// The five shared traces, smallest first.
std::vector<std::string> SharedTraceNames();

// True if the build found the shared traces (else tests that need them skip, saying so).
bool SharedTracesFound();

// The path of shared trace `name` (a short name above), or `name` itself if it is a path to an
// existing file. Returns kNotFound naming what was looked for.
absl::StatusOr<std::string> ResolveTrace(const std::string& name);

}  // namespace cachelab::hitratio

#endif  // CACHELAB_BENCHMARKS_HITRATIO_SHARED_TRACES_H_
