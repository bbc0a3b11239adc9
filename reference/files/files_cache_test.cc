// What the battery cannot check generically about the files engine: keys that try to escape
// the directory, torn and corrupted entries, compression, and encryption keys.
#include "reference/files/files_cache.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cachelab {
namespace {

using StringCache = Cache<std::string, std::string>;
using Files = FilesCache<std::string, std::string>;

std::vector<std::string> EntryFiles(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = opendir(dir.c_str());
  while (dirent* item = d ? readdir(d) : nullptr) {
    const std::string name = item->d_name;
    if (name.size() > 6 && name.substr(name.size() - 6) == ".entry") files.push_back(dir + "/" + name);
  }
  if (d) closedir(d);
  return files;
}

class FilesCacheTest : public ::testing::Test {
 protected:
  FilesCacheTest() {
    std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/files-XXXXXX";
    parent_ = mkdtemp(dir.data());
    options_.capacity = 100;
    options_.location = parent_ + "/cache";
  }
  std::unique_ptr<StringCache> Open(FilesOptions files = {}) {
    files.fsync = false;
    auto cache = Files::Open(options_, files);
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? *std::move(cache) : nullptr;
  }
  std::string parent_;
  CacheOptions options_;
};

TEST_F(FilesCacheTest, NoKeyCanEscapeTheDirectory) {
  auto cache = Open();
  const std::vector<std::string> keys = {"../../x", "/etc/passwd", std::string("a\0b", 3),
                                         std::string(10'000, 'k'), "..", "."};
  for (const auto& key : keys) ASSERT_TRUE(cache->Insert(key, "v").ok());
  for (const auto& key : keys) EXPECT_EQ(*cache->Lookup(key), "v");
  EXPECT_EQ(EntryFiles(options_.location).size(), keys.size());
  DIR* d = opendir(parent_.c_str());
  int outside = 0;
  while (dirent* item = readdir(d)) outside += std::string(item->d_name) != "." &&
                                               std::string(item->d_name) != ".." &&
                                               std::string(item->d_name) != "cache";
  closedir(d);
  EXPECT_EQ(outside, 0) << "something was written beside the cache directory";
}

TEST_F(FilesCacheTest, TornAndCorruptedEntriesAreMissesAndCounted) {
  auto cache = Open();
  ASSERT_TRUE(cache->Insert("torn", std::string(1000, 't')).ok());
  ASSERT_TRUE(cache->Insert("flipped", std::string(1000, 'f')).ok());
  ASSERT_TRUE(cache->Insert("fine", "ok").ok());
  for (const std::string& file : EntryFiles(options_.location)) {
    std::string bytes;
    {
      std::ifstream in(file, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    if (bytes.find(std::string(1000, 't')) != std::string::npos) {
      ASSERT_EQ(truncate(file.c_str(), bytes.size() / 2), 0);
    } else if (bytes.find(std::string(1000, 'f')) != std::string::npos) {
      bytes[bytes.size() / 2] ^= 0x01;
      std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    }
  }
  EXPECT_EQ(*cache->Lookup("torn"), std::nullopt);
  EXPECT_EQ(*cache->Lookup("flipped"), std::nullopt);
  EXPECT_EQ(*cache->Lookup("fine"), "ok");
  EXPECT_EQ(cache->Stats().corrupt, 2u);
  EXPECT_EQ(EntryFiles(options_.location).size(), 1u) << "damaged files are removed";
}

TEST_F(FilesCacheTest, CompressionShrinksWhatItStores) {
  FilesOptions files;
  files.compress = true;
  auto cache = Open(files);
  ASSERT_TRUE(cache->Insert("k", std::string(100'000, 'z')).ok());
  struct stat info;
  ASSERT_EQ(stat(EntryFiles(options_.location).front().c_str(), &info), 0);
  EXPECT_LT(info.st_size, 1000) << "100 KB of one byte should compress to almost nothing";
  EXPECT_EQ(*cache->Lookup("k"), std::string(100'000, 'z'));
}

TEST_F(FilesCacheTest, EncryptedValuesAreNotStoredInTheClear) {
  FilesOptions files;
  files.encryption_key = std::string(32, 's');
  auto cache = Open(files);
  ASSERT_TRUE(cache->Insert("k", "the secret plan").ok());
  std::ifstream in(EntryFiles(options_.location).front(), std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(bytes.find("the secret plan"), std::string::npos);
  EXPECT_EQ(*cache->Lookup("k"), "the secret plan");
}

TEST_F(FilesCacheTest, AWrongOrMissingKeyIsRefusedAtOpen) {
  FilesOptions right;
  right.encryption_key = std::string(32, 'r');
  {
    auto cache = Open(right);
    ASSERT_TRUE(cache->Insert("k", "v").ok());
  }
  FilesOptions wrong;
  wrong.encryption_key = std::string(32, 'w');
  auto with_wrong = Files::Open(options_, wrong);
  EXPECT_EQ(with_wrong.status().code(), absl::StatusCode::kPermissionDenied) << with_wrong.status();
  auto without = Files::Open(options_, FilesOptions{});
  EXPECT_EQ(without.status().code(), absl::StatusCode::kFailedPrecondition) << without.status();
  FilesOptions short_key;
  short_key.encryption_key = "short";
  EXPECT_EQ(Files::Open(options_, short_key).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*Open(right)->Lookup("k"), "v");
}

}  // namespace
}  // namespace cachelab
