#include "stress/decoder_fuzz.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <new>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stress/internal/process.h"

namespace cachelab::stress {
namespace {

// At most the first 64 bytes, in hex.
std::string Preview(const std::string& bytes) {
  const std::string shown = absl::BytesToHexString(bytes.substr(0, 64));
  return absl::StrCat(bytes.size(), " bytes: ", shown, bytes.size() > 64 ? "..." : "");
}

// The input of case `index` (replaying the mutator from the seed).
std::string CaseInput(const std::vector<std::string>& valid, uint64_t seed, int64_t index) {
  Mutator mutator(seed);
  std::string bytes;
  for (int64_t i = 0; i <= index; ++i) bytes = mutator.Next(valid);
  return bytes;
}

// The body run in the child; `current` is where it notes the case it is on.
absl::StatusOr<std::string> RunCases(const std::string& name,
                                     const std::vector<std::string>& valid, const Decoder& decode,
                                     const FuzzOptions& options, std::atomic<int64_t>* current) {
  for (const std::string& bytes : valid) {
    if (absl::Status status = decode(bytes); !status.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(name, " refused a valid encoding (", Preview(bytes), "): ", status.ToString()));
    }
  }
  Mutator mutator(options.seed);
  FuzzReport report;
  for (int i = 0; i < options.cases; ++i) {
    current->store(i, std::memory_order_relaxed);
    const std::string bytes = mutator.Next(valid);
    const absl::Status status = decode(bytes);
    ++report.cases;
    const bool is_valid = std::find(valid.begin(), valid.end(), bytes) != valid.end();
    if (status.ok()) {
      ++report.accepted;
      if (options.refuses_damage && !is_valid) {
        return absl::DataLossError(absl::StrCat(name, " accepted damaged input as data at case ", i,
                                                " (seed ", options.seed, "): ", Preview(bytes)));
      }
    } else {
      ++report.refused;
      if (status.code() != options.refusal) {
        return absl::FailedPreconditionError(
            absl::StrCat(name, " refused case ", i, " (seed ", options.seed, ") with ",
                         status.ToString(), " instead of ", absl::StatusCodeToString(options.refusal),
                         ": ", Preview(bytes)));
      }
    }
  }
  return absl::StrFormat("%d %d %d", report.cases, report.accepted, report.refused);
}

}  // namespace

std::string Mutator::Next(const std::vector<std::string>& valid) {
  if (valid.empty() || rng_() % 4 == 0) {
    std::string bytes(rng_() % 96, '\0');
    for (char& c : bytes) c = static_cast<char>(rng_());
    return bytes;
  }
  std::string bytes = valid[rng_() % valid.size()];
  const int edits = 1 + static_cast<int>(rng_() % 4);
  for (int e = 0; e < edits && !bytes.empty(); ++e) {
    switch (rng_() % 3) {
      case 0:
        bytes[rng_() % bytes.size()] ^= static_cast<char>(1 << (rng_() % 8));
        break;
      case 1:
        bytes.resize(rng_() % bytes.size());
        break;
      default:
        bytes.insert(rng_() % (bytes.size() + 1), 1, static_cast<char>(rng_()));
    }
  }
  return bytes;
}

absl::StatusOr<FuzzReport> FuzzDecoder(const std::string& name,
                                       const std::vector<std::string>& valid,
                                       const Decoder& decode, const FuzzOptions& options) {
  // Shared with the child: the case it is on when it dies.
  void* shared = mmap(nullptr, sizeof(std::atomic<int64_t>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return absl::InternalError("mmap failed");
  auto* current = new (shared) std::atomic<int64_t>(-1);
  const absl::StatusOr<std::string> result =
      RunInChild([&] { return RunCases(name, valid, decode, options, current); },
                 std::chrono::seconds(options.limit_seconds));
  const int64_t at = current->load();
  munmap(shared, sizeof(std::atomic<int64_t>));
  if (result.ok()) {
    FuzzReport report;
    if (std::sscanf(result->c_str(), "%d %d %d", &report.cases, &report.accepted,
                    &report.refused) != 3) {
      return absl::InternalError("unreadable report from the fuzzing child: " + *result);
    }
    return report;
  }
  if (result.status().code() == absl::StatusCode::kInternal ||
      result.status().code() == absl::StatusCode::kDeadlineExceeded) {
    // Crashed or hung: name the input it was on.
    std::string where = "before the first case";
    if (at >= 0) {
      where = absl::StrCat("on case ", at, " (seed ", options.seed,
                           "), input ", Preview(CaseInput(valid, options.seed, at)));
    }
    return absl::Status(result.status().code(),
                        absl::StrCat(name, " ", result.status().message(), " ", where));
  }
  return result.status();
}

int FuzzCases(int fallback) { return EnvInt("FUZZ_CASES", fallback); }

}  // namespace cachelab::stress
