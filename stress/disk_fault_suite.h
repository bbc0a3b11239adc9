// Disk faults, part of the stress battery (<engine>_stress_test), for engines that keep local
// files (Capabilities::local_files). Every fault runs in a forked child with a bounded wait, so
// a crash or a hang is a named failure.
//
//   DiskFaultSuite.CorruptedStorageIsNeverReturnedAsData     seeded byte flips and truncations
//       of a closed cache's files (STRESS_CORRUPTION_TRIALS, 20 in CI): the reopened cache may
//       refuse to open (saying why) or lose entries, never return damage.
//   DiskFaultSuite.StorageCorruptedWhileOpenIsNeverReturnedAsData   the same damage while open
//       (to files not mapped into memory: see MappedFiles).
//   DiskFaultSuite.AFullDiskGivesStatusesAndReadsStillAnswer       RLIMIT_FSIZE.
//   DiskFaultSuite.AnIoErrorOnWriteGivesStatusesAndLosesNothing    EIO from write/pwrite.
//   DiskFaultSuite.AnIoErrorOnSyncGivesStatusesAndLosesNothing     EIO from fsync/fdatasync.
//   DiskFaultSuite.AReadOnlyDirectoryGivesStatusesAndLosesNothing  no file created or removed.
//   DiskFaultSuite.FilesDeletedUnderTheEngineLoseOnlyWhatTheyHeld  every file unlinked.
//   DiskFaultSuite.FilesSwappedUnderTheEngineAreNeverReadAsAnotherKey  contents exchanged.
//
// The I/O faults come from stress/internal/io_faults.h (interposed libc calls, limited to the
// cache's directory). What every fault must give: statuses, no crash, no hang, reads of what is
// stored still answering, no acknowledged write lost, nothing damaged or misattributed returned,
// and the engine working again (in the same process and after reopening) once the fault is gone.
#ifndef CACHELAB_STRESS_DISK_FAULT_SUITE_H_
#define CACHELAB_STRESS_DISK_FAULT_SUITE_H_

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "conformance/internal/fixture.h"
#include "gtest/gtest.h"
#include "stress/internal/io_faults.h"
#include "stress/internal/process.h"

namespace cachelab::stress {

// Every regular file under `dir`, recursively, sorted.
inline std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
    if (entry.is_regular_file(error)) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The files this process has mapped into memory (from /proc/self/maps). Damage to those while
// they are mapped is damage to memory (a truncated mapping faults with SIGBUS in whoever touches
// it), which no engine can answer with a status: SQLite's WAL index (-shm) is one. The
// while-open damage leaves them alone; the closed-cache damage includes them.
inline std::set<std::string> MappedFiles() {
  std::set<std::string> mapped;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash != std::string::npos) mapped.insert(line.substr(slash));
  }
  return mapped;
}

// FilesUnder(dir) less the ones mapped into memory.
inline std::vector<std::string> UnmappedFilesUnder(const std::string& dir) {
  const std::set<std::string> mapped = MappedFiles();
  std::vector<std::string> files;
  for (std::string& file : FilesUnder(dir)) {
    std::error_code error;
    const std::string real = std::filesystem::weakly_canonical(file, error).string();
    if (mapped.count(error ? file : real) == 0) files.push_back(std::move(file));
  }
  return files;
}

inline std::string ValueFor(int i) { return absl::StrCat("value-", i, "-", std::string(64, 'x')); }
inline std::string KeyFor(int i) { return absl::StrCat("k", i); }

// Seeded damage to 1-4 of `files`: a truncation, or 1-8 flipped bits, in place (open files see
// it too).
inline void DamageFiles(const std::vector<std::string>& files, std::mt19937_64& rng) {
  if (files.empty()) return;
  for (int damage = 0; damage < 1 + static_cast<int>(rng() % 4); ++damage) {
    const std::string& path = files[rng() % files.size()];
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error || size == 0) continue;
    if (rng() % 4 == 0) {
      std::filesystem::resize_file(path, rng() % size, error);  // torn
      continue;
    }
    FILE* f = std::fopen(path.c_str(), "r+b");
    if (f == nullptr) continue;
    for (int flip = 0; flip < 1 + static_cast<int>(rng() % 8); ++flip) {
      const long at = static_cast<long>(rng() % size);
      std::fseek(f, at, SEEK_SET);
      const int c = std::fgetc(f);
      std::fseek(f, at, SEEK_SET);
      std::fputc((c ^ (1 << (rng() % 8))) & 0xff, f);
    }
    std::fclose(f);
  }
}

inline std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Rewrites `path` in place (same inode, so an engine holding it open sees the new bytes).
inline void RewriteInPlace(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

using EngineOr = absl::StatusOr<std::unique_ptr<conformance::StringCache>>;

// What each key may hold: the set of allowed values (nullopt = absent).
using Allowed = std::map<int, std::set<std::optional<std::string>>>;

// Checks every key of `allowed` on `cache`; `errors_allowed` lets a lookup fail with a status
// (a read of damaged storage may), never return something not allowed.
inline absl::Status CheckAllowed(conformance::StringCache& cache, const Allowed& allowed,
                                 const std::string& when, bool errors_allowed, int* lost = nullptr) {
  for (const auto& [i, values] : allowed) {
    auto found = cache.Lookup(KeyFor(i));
    if (!found.ok()) {
      if (errors_allowed) {
        if (lost != nullptr) ++*lost;
        continue;
      }
      return absl::InternalError(absl::StrCat(when, ": reading ", KeyFor(i), " failed: ",
                                              found.status().ToString()));
    }
    if (values.count(*found) == 0) {
      if (lost != nullptr && !found->has_value() && values.count(std::nullopt) == 0 &&
          errors_allowed) {
        ++*lost;
        continue;
      }
      return absl::InternalError(absl::StrCat(
          when, ": ", KeyFor(i), " holds ",
          found->has_value() ? absl::CEscape(found->value().substr(0, 40)) : "nothing",
          ", which was never acknowledged for it"));
    }
  }
  return absl::OkStatus();
}

template <typename Factory>
class DiskFaultSuite : public conformance::CacheTest<Factory> {
 protected:
  EngineOr Open(const CacheOptions& options) {
    return Factory::template Create<std::string, std::string>(options);
  }

  // Runs `body` in a child and turns its result into this test's verdict.
  void InChild(const std::string& what, const std::function<absl::StatusOr<std::string>()>& body) {
    const absl::StatusOr<std::string> result = RunInChild(body, std::chrono::seconds(120));
    ASSERT_TRUE(result.ok()) << what << ": " << result.status();
    std::printf("%s: %s\n", what.c_str(), result->c_str());
  }

  // Opens the engine and inserts k0 .. k<n-1> = ValueFor(i), recording in `allowed` that each
  // holds its value (or, if `may_vanish`, also nothing).
  EngineOr OpenFilled(const CacheOptions& options, int n, Allowed& allowed, bool may_vanish) {
    EngineOr engine = Open(options);
    if (!engine.ok()) return absl::InternalError("open: " + engine.status().ToString());
    for (int i = 0; i < n; ++i) {
      if (auto status = (*engine)->Insert(KeyFor(i), ValueFor(i)); !status.ok()) {
        return absl::InternalError("filling the cache: " + status.ToString());
      }
      allowed[i] = {ValueFor(i)};
      if (may_vanish) allowed[i].insert(std::nullopt);
    }
    return engine;
  }

  // Closes `engine`, opens the cache again and checks `allowed` on it.
  absl::Status ReopenAndCheck(EngineOr& engine, const CacheOptions& options,
                              const Allowed& allowed) {
    engine->reset();
    EngineOr reopened = Open(options);
    if (!reopened.ok()) return absl::InternalError("reopen: " + reopened.status().ToString());
    return CheckAllowed(**reopened, allowed, "after reopening", false);
  }

  absl::StatusOr<std::string> IoFaultTrial(IoFault fault, const CacheOptions& options);
};
TYPED_TEST_SUITE_P(DiskFaultSuite);

// Under `fault`: 30 inserts and 5 erases (each acknowledged or refused), reads of what is stored;
// then, the fault removed, a write must succeed and every key hold what was acknowledged, in
// this process and after reopening.
template <typename Factory>
absl::StatusOr<std::string> DiskFaultSuite<Factory>::IoFaultTrial(IoFault fault,
                                                                  const CacheOptions& options) {
  Allowed allowed;
  EngineOr engine = OpenFilled(options, 20, allowed, false);
  if (!engine.ok()) return engine.status();
  int refused = 0, injected = 0;
  {
    ScopedIoFault armed(fault, options.location);
    for (int i = 20; i < 50; ++i) {
      const std::string value = ValueFor(i) + "-under-fault";
      const absl::Status status = (*engine)->Insert(KeyFor(i), value);
      if (status.ok()) {
        allowed[i] = {value};
      } else {
        ++refused;
        allowed[i] = {std::nullopt, value};  // refused: absent, or written after all
      }
    }
    for (int i = 0; i < 5; ++i) {
      auto erased = (*engine)->Erase(KeyFor(i));
      if (erased.ok()) {
        allowed[i] = {std::nullopt};
      } else {
        ++refused;
        allowed[i] = {std::nullopt, ValueFor(i)};
      }
    }
    // Reads never need to write: every one answers while the fault lasts.
    if (auto status = CheckAllowed(**engine, allowed, "during the fault", false); !status.ok()) {
      return status;
    }
    injected = armed.injected();
  }
  if (fault == IoFault::kWriteError && refused == 0) {
    return absl::InternalError("every write failed with EIO, yet no call was refused");
  }
  if (auto status = (*engine)->Insert("after", "the fault is gone"); !status.ok()) {
    return absl::InternalError("writes did not resume after the fault: " + status.ToString());
  }
  if (auto status = CheckAllowed(**engine, allowed, "after the fault", false); !status.ok()) {
    return status;
  }
  if (auto status = ReopenAndCheck(engine, options, allowed); !status.ok()) return status;
  return absl::StrCat(IoFaultName(fault), ": ", injected, " calls failed, ", refused,
                      " of 35 writes refused with a status, nothing lost");
}

TYPED_TEST_P(DiskFaultSuite, AnIoErrorOnWriteGivesStatusesAndLosesNothing) {
  CACHELAB_REQUIRE(this->Caps().local_files, "engine keeps no local files");
  const CacheOptions options = this->Options(1000);
  this->InChild("EIO on write", [&] { return this->IoFaultTrial(IoFault::kWriteError, options); });
}

TYPED_TEST_P(DiskFaultSuite, AnIoErrorOnSyncGivesStatusesAndLosesNothing) {
  CACHELAB_REQUIRE(this->Caps().local_files, "engine keeps no local files");
  const CacheOptions options = this->Options(1000);
  this->InChild("EIO on fsync", [&] { return this->IoFaultTrial(IoFault::kSyncError, options); });
}

TYPED_TEST_P(DiskFaultSuite, AReadOnlyDirectoryGivesStatusesAndLosesNothing) {
  CACHELAB_REQUIRE(this->Caps().local_files, "engine keeps no local files");
  const CacheOptions options = this->Options(1000);
  this->InChild("read-only directory",
                [&] { return this->IoFaultTrial(IoFault::kReadOnly, options); });
}

// Every file unlinked under an open engine (a clean-up job, a user's rm): reads answer (a miss
// or what was there), writes go on and are read back, in this process and after reopening.
TYPED_TEST_P(DiskFaultSuite, FilesDeletedUnderTheEngineLoseOnlyWhatTheyHeld) {
  CACHELAB_REQUIRE(this->Caps().local_files, "engine keeps no local files");
  const CacheOptions options = this->Options(1000);
  this->InChild("files deleted", [&]() -> absl::StatusOr<std::string> {
    Allowed allowed;  // each entry deleted with its file, or still held
    EngineOr engine = this->OpenFilled(options, 20, allowed, true);
    if (!engine.ok()) return engine.status();
    const std::vector<std::string> files = FilesUnder(options.location);
    for (const std::string& file : files) std::filesystem::remove(file);
    if (auto status = CheckAllowed(**engine, allowed, "after deleting", true); !status.ok()) {
      return status;
    }
    int refused = 0;
    for (int i = 10; i < 30; ++i) {
      const std::string value = ValueFor(i) + "-after-deleting";
      if ((*engine)->Insert(KeyFor(i), value).ok()) {
        allowed[i] = {value};
      } else {
        ++refused;
        allowed[i] = {std::nullopt, value};
      }
    }
    if (auto status = CheckAllowed(**engine, allowed, "writing after deleting", false);
        !status.ok()) {
      return status;
    }
    if (auto status = this->ReopenAndCheck(engine, options, allowed); !status.ok()) return status;
    return absl::StrCat(files.size(), " files deleted; ", refused,
                        " of 20 later writes refused; every acknowledged write kept");
  });
}

// The contents of the engine's files exchanged pairwise in place while it is open: a key is
// never answered with another key's value, now or after reopening (which may refuse, saying why).
TYPED_TEST_P(DiskFaultSuite, FilesSwappedUnderTheEngineAreNeverReadAsAnotherKey) {
  CACHELAB_REQUIRE(this->Caps().local_files, "engine keeps no local files");
  const CacheOptions options = this->Options(1000);
  this->InChild("files swapped", [&]() -> absl::StatusOr<std::string> {
    Allowed allowed;
    EngineOr engine = this->OpenFilled(options, 20, allowed, true);
    if (!engine.ok()) return engine.status();
    const std::vector<std::string> files = UnmappedFilesUnder(options.location);
    for (size_t f = 0; f + 1 < files.size(); f += 2) {
      const std::string first = ReadWhole(files[f]);
      RewriteInPlace(files[f], ReadWhole(files[f + 1]));
      RewriteInPlace(files[f + 1], first);
    }
    int lost = 0;
    if (auto status = CheckAllowed(**engine, allowed, "after swapping", true, &lost);
        !status.ok()) {
      return status;
    }
    engine->reset();
    EngineOr reopened = this->Open(options);
    if (!reopened.ok()) {
      return absl::StrCat(files.size(), " files swapped; reopening refused: ",
                          reopened.status().ToString());
    }
    if (auto status = CheckAllowed(**reopened, allowed, "after reopening", true); !status.ok()) {
      return status;
    }
    return absl::StrCat(files.size(), " files swapped; no key read as another");
  });
}

// Seeded byte flips and truncations of the stored files of a closed cache; the reopened cache
// may refuse to open (with a status) or lose entries, but never returns a value that was not
// written for that key, nor lists a key that was never written.
TYPED_TEST_P(DiskFaultSuite, CorruptedStorageIsNeverReturnedAsData) {
  CACHELAB_REQUIRE(this->Caps().local_files, "engine keeps no local files");
  const int trials = EnvInt("STRESS_CORRUPTION_TRIALS", 20);
  std::mt19937_64 rng(4242);
  int refused = 0, lost = 0, kept = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const CacheOptions options = this->Options(100);
    Allowed allowed;
    ASSERT_TRUE(this->OpenFilled(options, 30, allowed, false).ok());  // closed at once
    const std::vector<std::string> files = FilesUnder(options.location);
    ASSERT_FALSE(files.empty());
    DamageFiles(files, rng);
    auto reopened = this->Open(options);
    if (!reopened.ok()) {
      ++refused;
      EXPECT_FALSE(reopened.status().message().empty()) << "a refusal must say why";
      continue;
    }
    int trial_lost = 0;
    const absl::Status checked =
        CheckAllowed(**reopened, allowed, absl::StrCat("trial ", trial), true, &trial_lost);
    EXPECT_TRUE(checked.ok()) << checked;
    lost += trial_lost;
    kept += 30 - trial_lost;
    if (auto keys = (*reopened)->Keys(); keys.ok()) {
      for (const std::string& key : *keys) {
        int i = -1;
        EXPECT_TRUE(key.size() > 1 && absl::SimpleAtoi(key.substr(1), &i) && i >= 0 && i < 30)
            << "trial " << trial << ": Keys() lists " << absl::CEscape(key) << ", never written";
      }
    }
  }
  std::printf("%d corruption trials: %d refused at open, %d entries kept, %d lost or unreadable\n",
              trials, refused, kept, lost);
}

// The same damage while the engine is open: its reads answer with the right value, a miss or a
// status, never damage; then the same after reopening.
TYPED_TEST_P(DiskFaultSuite, StorageCorruptedWhileOpenIsNeverReturnedAsData) {
  CACHELAB_REQUIRE(this->Caps().local_files, "engine keeps no local files");
  const int trials = EnvInt("STRESS_CORRUPTION_TRIALS", 20);
  const CacheOptions first = this->Options(100);
  this->InChild("corrupted while open", [&]() -> absl::StatusOr<std::string> {
    std::mt19937_64 rng(977);
    int refused = 0, lost = 0;
    for (int trial = 0; trial < trials; ++trial) {
      CacheOptions options = first;
      options.location = absl::StrCat(first.location, "-", trial);
      Allowed allowed;
      EngineOr engine = this->OpenFilled(options, 30, allowed, false);
      if (!engine.ok()) return engine.status();
      DamageFiles(UnmappedFilesUnder(options.location), rng);
      const std::string when = absl::StrCat("trial ", trial);
      if (auto s = CheckAllowed(**engine, allowed, when + " (open)", true, &lost); !s.ok()) return s;
      engine->reset();
      EngineOr reopened = this->Open(options);
      if (!reopened.ok()) {
        ++refused;
        continue;
      }
      if (auto s = CheckAllowed(**reopened, allowed, when + " (reopened)", true, &lost); !s.ok()) {
        return s;
      }
    }
    return absl::StrCat(trials, " trials: ", refused, " refused at reopening, ", lost,
                        " reads lost or unreadable, none damaged");
  });
}

// A disk that cannot grow (RLIMIT_FSIZE at the files' current sizes): writes give statuses;
// reads of what is stored still answer; once the disk can grow again, writes succeed, and every
// acknowledged write is there.
TYPED_TEST_P(DiskFaultSuite, AFullDiskGivesStatusesAndReadsStillAnswer) {
  CACHELAB_REQUIRE(this->Caps().local_files, "engine keeps no local files");
  const CacheOptions options = this->Options(1000);
  this->InChild("full disk", [&]() -> absl::StatusOr<std::string> {
    Allowed allowed;
    EngineOr engine = this->OpenFilled(options, 20, allowed, false);
    if (!engine.ok()) return engine.status();
    conformance::StringCache& cache = **engine;
    uintmax_t largest = 0;
    for (const std::string& file : FilesUnder(options.location)) {
      std::error_code error;
      largest = std::max<uintmax_t>(largest, std::filesystem::file_size(file, error));
    }
    signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead of killing
    rlimit full{static_cast<rlim_t>(largest), RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &full) != 0) return absl::InternalError("setrlimit");
    int refused = 0;
    for (int i = 20; i < 70; ++i) {
      const std::string value = ValueFor(i) + std::string(4096, 'y');
      if (cache.Insert(KeyFor(i), value).ok()) {
        allowed[i] = {value};
      } else {
        ++refused;
        allowed[i] = {std::nullopt, value};
      }
    }
    if (refused == 0) return absl::InternalError("no write was refused on a disk that cannot grow");
    if (auto status = CheckAllowed(cache, allowed, "on a full disk", false); !status.ok()) {
      return status;
    }
    for (int i = 0; i < 5; ++i) {
      if (cache.Erase(KeyFor(i)).ok()) allowed[i] = {std::nullopt};  // may fail: no space
    }
    rlimit room{RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &room) != 0) return absl::InternalError("setrlimit");
    if (!cache.Insert("after", "the disk has room again").ok()) {
      return absl::InternalError("writes did not resume");
    }
    if (auto status = CheckAllowed(cache, allowed, "with room again", false); !status.ok()) {
      return status;
    }
    if (auto status = this->ReopenAndCheck(engine, options, allowed); !status.ok()) return status;
    return absl::StrCat(refused, " of 50 writes refused while full, nothing lost");
  });
}

REGISTER_TYPED_TEST_SUITE_P(DiskFaultSuite, AnIoErrorOnWriteGivesStatusesAndLosesNothing,
                            AnIoErrorOnSyncGivesStatusesAndLosesNothing,
                            AReadOnlyDirectoryGivesStatusesAndLosesNothing,
                            FilesDeletedUnderTheEngineLoseOnlyWhatTheyHeld,
                            FilesSwappedUnderTheEngineAreNeverReadAsAnotherKey,
                            CorruptedStorageIsNeverReturnedAsData,
                            StorageCorruptedWhileOpenIsNeverReturnedAsData,
                            AFullDiskGivesStatusesAndReadsStillAnswer);

}  // namespace cachelab::stress

#endif  // CACHELAB_STRESS_DISK_FAULT_SUITE_H_
