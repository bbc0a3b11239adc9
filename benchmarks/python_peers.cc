#include "benchmarks/python_peers.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace cachelab {
namespace {

// The python3 worker running python_peers.py (started on first use, ended at exit).
class PythonPeers {
 public:
  static PythonPeers& Get() {
    static auto* peers = new PythonPeers();
    return *peers;
  }
  // Nanoseconds for `iterations` operations of `name`, or -1 if the worker failed.
  int64_t Time(const std::string& name, int64_t iterations) {
    if (to_ == nullptr || from_ == nullptr) return -1;
    std::fprintf(to_, "%s %lld\n", name.c_str(), static_cast<long long>(iterations));
    if (std::fflush(to_) != 0) return -1;
    long long nanos = -1;
    if (std::fscanf(from_, "%lld", &nanos) != 1) return -1;
    return nanos;
  }

 private:
  PythonPeers() {
    // A worker that dies must fail its benchmarks, not kill this process on the next write.
    signal(SIGPIPE, SIG_IGN);
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    const std::string script = Script();
    if (fork() == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      execl("/usr/bin/python3", "python3", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_ = fdopen(in[1], "w");
    from_ = fdopen(out[0], "r");
  }
  static std::string Script() {
    for (const char* variable : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
      if (const char* dir = std::getenv(variable)) {
        return std::string(dir) + "/cachelab/benchmarks/python_peers.py";
      }
    }
    std::error_code error;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    return self.string() + ".runfiles/cachelab/benchmarks/python_peers.py";
  }
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

}  // namespace

void RunPythonPeer(benchmark::State& state, const std::string& name) {
  const int64_t iterations = static_cast<int64_t>(state.max_iterations);
  const int64_t nanos = PythonPeers::Get().Time(name, iterations);
  if (nanos < 0) return state.SkipWithError("python3 worker failed (python3-cachetools, "
                                            "python3-diskcache installed?)");
  const double per_iteration = static_cast<double>(nanos) / 1e9 / iterations;
  for (auto _ : state) state.SetIterationTime(per_iteration);
}


}  // namespace cachelab
