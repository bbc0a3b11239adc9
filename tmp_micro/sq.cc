#include <chrono>
#include <cstdio>
#include <string>
#include "absl/strings/str_cat.h"
#include "reference/sqlite/sqlite_cache.h"
using namespace cachelab;
int main(int argc, char** argv) {
  CacheOptions o; o.capacity = 1000; o.location = argv[1];
  SqliteOptions so; so.synchronous_full = argc > 2;
  auto c = *SqliteCache<std::string, std::string>::Open(o, so);
  std::string v(100, 'v');
  for (int i = 0; i < 1000; ++i) (void)c->Insert(absl::StrCat("k", i), v);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3000; ++i) (void)c->Insert(absl::StrCat("n", i), v);
  auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 30000; ++i) (void)c->Lookup(absl::StrCat("k", i % 1000));
  auto t2 = std::chrono::steady_clock::now();
  printf("insert %.1f us, lookup %.2f us\n", std::chrono::duration<double, std::micro>(t1 - t0).count() / 3000, std::chrono::duration<double, std::micro>(t2 - t1).count() / 30000);
}
