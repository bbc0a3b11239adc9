// RunPythonPeer: times a Python peer (benchmarks/python_peers.py, run by Debian's python3 in a
// worker process started on first use) inside a Google Benchmark, so that a C++ figure and its
// Python peer come from one run. The peer times itself in Python (perf_counter_ns over the
// benchmark's iterations), reported as manual time: register with ->UseManualTime().
// Not thread-safe: call from single-threaded benchmarks. The binary needs python_peers.py in
// its runfiles (data = ["//benchmarks:python_peers.py"]).
#ifndef CACHELAB_BENCHMARKS_PYTHON_PEERS_H_
#define CACHELAB_BENCHMARKS_PYTHON_PEERS_H_

#include <string>

#include "benchmark/benchmark.h"

namespace cachelab {

// Runs peer `name` (see python_peers.py) for the state's iterations; skips with an error if
// the worker cannot run.
void RunPythonPeer(benchmark::State& state, const std::string& name);

}  // namespace cachelab

#endif  // CACHELAB_BENCHMARKS_PYTHON_PEERS_H_
