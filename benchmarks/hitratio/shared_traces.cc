#include "benchmarks/hitratio/shared_traces.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cachelab::hitratio {
namespace {

namespace fs = std::filesystem;

// The runfiles directory of this binary (bazel test, bazel run, or run by hand).
std::string RunfilesDir() {
  for (const char* variable : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* dir = std::getenv(variable); dir != nullptr && *dir != '\0') return dir;
  }
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? "" : self.string() + ".runfiles";
}

std::string TracesDir() { return RunfilesDir() + "/traces"; }

}  // namespace

std::vector<std::string> SharedTraceNames() {
  return {"web07", "web12", "orm-busy", "orm-night", "zipf"};
}

bool SharedTracesFound() {
  std::ifstream found(TracesDir() + "/found.txt");
  std::string flag;
  return found >> flag && flag == "1";
}

absl::StatusOr<std::string> ResolveTrace(const std::string& name) {
  std::error_code error;
  if (fs::is_regular_file(name, error)) return name;
  // bazel run starts binaries in their runfiles; a relative path means the caller's directory.
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY"); cwd != nullptr) {
    const fs::path given = fs::path(cwd) / name;
    if (fs::is_regular_file(given, error)) return given.string();
  }
  const std::string dir = TracesDir();
  if (name == "zipf") {
    for (const auto& entry : fs::directory_iterator(dir + "/synthetic", error)) {
      if (entry.path().filename().string().starts_with("zipf")) return entry.path().string();
    }
  }
  const std::string cache2k = absl::StrCat(dir, "/cache2k/", name, ".trace.xz");
  if (fs::exists(cache2k, error)) return cache2k;
  return absl::NotFoundError(absl::StrCat(
      "no trace \"", name, "\": not a file, and not a shared trace (",
      absl::StrJoin(SharedTraceNames(), ", "), ")",
      SharedTracesFound() ? ""
                          : "; the build did not find ../shared/traces: set CACHELAB_TRACES to "
                            "its directory"));
}

}  // namespace cachelab::hitratio
