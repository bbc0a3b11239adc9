// The README's front-end examples, compiled and run. Each block between "README:begin" and
// "README:end" appears verbatim in README.md (readme_examples_match_test checks it).
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "reference/memoize/front_ends.h"

namespace {

absl::StatusOr<double> LookUpPrice(const std::string& sku) {
  if (sku.empty()) return absl::NotFoundError("no sku");
  return 9.5;
}

std::string Render(int64_t page) { return "<p>" + std::to_string(page) + "</p>"; }

std::string TempDir(const char* name) { return std::string(getenv("TEST_TMPDIR")) + "/" + name; }

TEST(ReadmeExamples, Mcache) {
  // README:begin mcache
  auto price = cachelab::Mcache(
      [](std::string sku) { return LookUpPrice(sku); },
      {.name = "price", .maxsize = 1000, .ttl = absl::Minutes(10)});
  absl::StatusOr<double> p = (**price)("A-100");  // runs LookUpPrice once
  p = (**price)("A-100");                         // a hit
  // README:end
  EXPECT_EQ(*p, 9.5);
  EXPECT_EQ((*price)->Stats().hits, 1u);
}

TEST(ReadmeExamples, Bcache) {
  const std::string dir = TempDir("pages");
  // README:begin bcache
  auto page = cachelab::Bcache(&Render, {.name = "page", .maxsize = 100000, .location = dir});
  std::string html = *(**page)(42);  // kept in dir/cache.db across runs and processes
  // README:end
  EXPECT_EQ(html, "<p>42</p>");
}

TEST(ReadmeExamples, Fcache) {
  const std::string dir = TempDir("renders");
  const std::string key(32, 'k');
  // README:begin fcache
  auto render = cachelab::Fcache(&Render, {.name = "render", .location = dir, .compress = true,
                                           .encryption_key = key});  // 32 bytes
  std::string html = *(**render)(7);  // one zstd-compressed, encrypted file per result
  // README:end
  EXPECT_EQ(html, "<p>7</p>");
}

TEST(ReadmeExamples, Acache) {
  // README:begin acache
  auto slow = cachelab::Acache([](int64_t n) { return n * n; }, {.name = "squares"});
  std::future<absl::StatusOr<int64_t>> a = (*slow)->Call(12), b = (*slow)->Call(12);
  int64_t sum = *a.get() + *b.get();  // one run: the two calls shared it
  // README:end
  EXPECT_EQ(sum, 288);
}

TEST(ReadmeExamples, Ucache) {
  const std::string dir = TempDir("universal");
  // README:begin ucache
  auto cached = cachelab::Ucache(&Render, {.name = "universal", .location = dir},
                                 {.persistent = true, .values = cachelab::ValueSize::kLarge});
  std::string html = *(**cached)(1);  // files, else sqlite, else memory: whichever works here
  // README:end
  EXPECT_EQ(html, "<p>1</p>");
}

}  // namespace
