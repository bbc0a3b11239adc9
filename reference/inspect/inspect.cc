#include "reference/inspect/inspect.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "reference/codec/codec.h"
#include "reference/files/file_store.h"
#include "reference/sqlite/sqlite_store.h"

namespace cachelab {
namespace {

constexpr char kUsage[] =
    "usage: cachelab_inspect <list|stats|purge|verify|clear> <directory> [--key-file=PATH] "
    "[--limit=N]\n";

struct Args {
  std::string command;
  std::string directory;
  std::optional<std::string> key_file;
  size_t limit = 1000;
};

absl::StatusOr<Args> Parse(const std::vector<std::string>& raw) {
  Args args;
  std::vector<std::string> positional;
  for (const std::string& arg : raw) {
    if (absl::StartsWith(arg, "--key-file=")) {
      args.key_file = arg.substr(11);
    } else if (absl::StartsWith(arg, "--limit=")) {
      if (!absl::SimpleAtoi(arg.substr(8), &args.limit)) {
        return absl::InvalidArgumentError("--limit takes a number of entries");
      }
    } else if (absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) return absl::InvalidArgumentError("give a command and a directory");
  args.command = positional[0];
  args.directory = positional[1];
  static constexpr absl::string_view kCommands[] = {"list", "stats", "purge", "verify", "clear"};
  if (std::find(std::begin(kCommands), std::end(kCommands), args.command) == std::end(kCommands)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown command \"", args.command, "\""));
  }
  return args;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Opens the store in `args.directory`, recognizing its engine; never creates anything.
absl::StatusOr<std::pair<std::string, std::unique_ptr<ByteStore>>> OpenStore(const Args& args) {
  struct stat st;
  if (stat(args.directory.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(args.directory, " does not exist"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(args.directory, " is a file; give the directory of a cache"));
  }
  if (Exists(args.directory + "/" + SqliteStore::kFileName)) {
    SqliteStoreOptions options;
    options.directory = args.directory;
    auto store = SqliteStore::Open(options);
    if (!store.ok()) return store.status();
    return std::make_pair(std::string("sqlite"), std::unique_ptr<ByteStore>(*std::move(store)));
  }
  if (Exists(args.directory + "/.cachelab-files")) {
    FileStoreOptions options;
    options.directory = args.directory;
    if (args.key_file) {
      std::ifstream in(*args.key_file, std::ios::binary);
      if (!in) return absl::NotFoundError(absl::StrCat("cannot read key file ", *args.key_file));
      options.encryption_key = std::string(std::istreambuf_iterator<char>(in), {});
    }
    auto store = FileStore::Open(options);
    if (!store.ok()) return store.status();
    return std::make_pair(std::string("files"), std::unique_ptr<ByteStore>(*std::move(store)));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      args.directory, " is not a cachelab cache: it has neither ", SqliteStore::kFileName,
      " (sqlite engine) nor .cachelab-files (files engine)"));
}

bool Printable(absl::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// A key made of codec chunks (memoized calls: the function's name, then each argument) as
// ("name", 42, ...): printable chunks quoted, 1-, 4- and 8-byte chunks as little-endian integers.
std::optional<std::string> AsTuple(absl::string_view key) {
  std::vector<std::string> parts;
  while (!key.empty()) {
    absl::string_view chunk;
    if (!codec_internal::TakeChunk(key, chunk)) return std::nullopt;
    const size_t n = chunk.size();
    if (Printable(chunk)) {
      parts.push_back(absl::StrCat("\"", chunk, "\""));
    } else if (n == 1 || n == 4 || n == 8) {
      int64_t value = 0;
      std::memcpy(&value, chunk.data(), n);
      if (n == 4) value = static_cast<int32_t>(value);
      parts.push_back(absl::StrCat(value));
    } else {
      parts.push_back(absl::StrCat("0x", absl::BytesToHexString(chunk)));
    }
  }
  if (parts.size() < 2) return std::nullopt;
  return absl::StrCat("(", absl::StrJoin(parts, ", "), ")");
}

std::string Preview(const std::string& key) {
  std::string shown = Printable(key) ? key : AsTuple(key).value_or(absl::CHexEscape(key));
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  return shown;
}

std::string Deadline(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return "none";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", deadline, absl::UTCTimeZone());
}

uint64_t DirectoryBytes(const std::string& directory) {
  uint64_t total = 0;
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(directory, error)) {
    if (item.is_regular_file(error)) total += item.file_size(error);
  }
  return total;
}

int Run(const Args& args, ByteStore& store, const std::string& engine, std::ostream& out,
        std::ostream& err) {
  auto fail = [&](const absl::Status& status) {
    err << "cachelab_inspect: " << status << "\n";
    return 2;
  };
  if (args.command == "list" || args.command == "stats") {
    auto entries = store.List();
    if (!entries.ok()) return fail(entries.status());
    std::sort(entries->begin(), entries->end(),
              [](const StoredEntry& a, const StoredEntry& b) { return a.key < b.key; });
    if (args.command == "list") {
      out << "key\tbytes\tdeadline\n";
      for (size_t i = 0; i < entries->size() && i < args.limit; ++i) {
        const StoredEntry& e = (*entries)[i];
        out << Preview(e.key) << "\t" << e.stored_bytes << "\t" << Deadline(e.deadline) << "\n";
      }
      if (entries->size() > args.limit) {
        out << "(" << entries->size() - args.limit << " more; --limit=N shows more)\n";
      }
      return 0;
    }
    uint64_t bytes = 0, with_deadline = 0;
    for (const StoredEntry& e : *entries) {
      bytes += e.stored_bytes;
      with_deadline += e.deadline != absl::InfiniteFuture();
    }
    out << "engine: " << engine << "\nentries: " << entries->size() << "\nstored bytes: " << bytes
        << "\nwith a deadline: " << with_deadline
        << "\nfiles on disk: " << DirectoryBytes(args.directory) << " bytes\n";
    return 0;
  }
  if (args.command == "purge") {
    auto purged = store.Purge();
    if (!purged.ok()) return fail(purged.status());
    out << "purged " << *purged << " expired entries\n";
    return 0;
  }
  if (args.command == "clear") {
    auto size = store.Size();
    if (!size.ok()) return fail(size.status());
    if (absl::Status cleared = store.Clear(); !cleared.ok()) return fail(cleared);
    out << "removed " << *size << " entries\n";
    return 0;
  }
  auto report = store.Verify();  // verify
  if (!report.ok()) return fail(report.status());
  out << "checked " << report->checked << " entries: "
      << (report->ok() ? "no damage found" : "DAMAGE FOUND") << "\n";
  for (const std::string& key : report->damaged_keys) out << "damaged: " << Preview(key) << "\n";
  for (const std::string& problem : report->problems) out << "problem: " << problem << "\n";
  return report->ok() ? 0 : 1;
}

}  // namespace

int RunInspect(const std::vector<std::string>& raw, std::ostream& out, std::ostream& err) {
  auto args = Parse(raw);
  if (!args.ok()) {
    err << "cachelab_inspect: " << args.status().message() << "\n" << kUsage;
    return 2;
  }
  auto store = OpenStore(*args);
  if (!store.ok()) {
    err << "cachelab_inspect: " << store.status().message() << "\n";
    return 2;
  }
  return Run(*args, *store->second, store->first, out, err);
}

}  // namespace cachelab
