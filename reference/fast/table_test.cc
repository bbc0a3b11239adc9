// Table (internal/table.h) against a model: lookups after every insert and erase, with hashes
// that collide heavily so that probes run long and cross erased slots, and the reclaiming of
// erased slots that decides how often the table rebuilds.
#include "reference/fast/internal/table.h"

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace cachelab::fast_internal {
namespace {

struct Node {
  uint64_t hash;
  int key;
};
using IntTable = Table<Node, int>;

// Inserts and erases at random over 64 keys whose hashes fall on 8 home slots (long clusters),
// and after each step finds every key exactly where the model says.
TEST(TableTest, FindsEveryKeyAfterEachInsertAndEraseAmongCollidingHashes) {
  IntTable table(16);
  std::map<int, std::unique_ptr<Node>> model;
  std::vector<std::unique_ptr<IntTable::Array>> retired;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    const int key = static_cast<int>(rng() % 64);
    const uint64_t hash = (uint64_t{0x9E37} << 48) * (key % 5) + (key % 8) * 3;
    if (auto it = model.find(key); it != model.end()) {
      table.Erase(it->second.get());
      model.erase(it);
    } else {
      auto node = std::make_unique<Node>(Node{hash, key});
      if (IntTable::Array* old = table.Insert(node.get())) retired.emplace_back(old);
      model.emplace(key, std::move(node));
    }
    ASSERT_EQ(table.size(), model.size());
    for (int k = 0; k < 64; ++k) {
      const uint64_t h = (uint64_t{0x9E37} << 48) * (k % 5) + (k % 8) * 3;
      const auto it = model.find(k);
      ASSERT_EQ(table.Find(h, k), it == model.end() ? nullptr : it->second.get())
          << "key " << k << " after step " << step;
    }
  }
}

// An entry erased with nothing after it on its probe leaves no tombstone: a cache whose entries
// churn (one in, one out) does not fill its table with tombstones and rebuild over and over.
TEST(TableTest, ChurnLeavesNoTombstonesWhereNoProbeNeedsThem) {
  IntTable table(100);
  std::vector<std::unique_ptr<Node>> live;
  for (int key = 0; key < 100; ++key) {
    live.push_back(std::make_unique<Node>(Node{uint64_t{1000} * key, key}));
    ASSERT_EQ(table.Insert(live.back().get()), nullptr);
  }
  const size_t slots = table.slots();
  for (int key = 100; key < 100000; ++key) {  // each new key on its own home slot
    auto node = std::make_unique<Node>(Node{uint64_t{1000} * key + 1, key});
    ASSERT_EQ(table.Insert(node.get()), nullptr) << "rebuilt at key " << key;
    table.Erase(node.get());
  }
  EXPECT_EQ(table.used(), 100u) << "erasures left tombstones no probe needs";
  EXPECT_EQ(table.slots(), slots);
  for (const auto& node : live) EXPECT_EQ(table.Find(node->hash, node->key), node.get());
}

// An erased entry that a later key's probe passes must stay a tombstone, or that key is lost.
TEST(TableTest, ErasingTheMiddleOfAClusterKeepsTheKeysAfterIt) {
  IntTable table(16);
  Node a{5, 1}, b{5, 2}, c{5, 3};  // one home slot: a, b, c in a row
  table.Insert(&a);
  table.Insert(&b);
  table.Insert(&c);
  table.Erase(&b);
  EXPECT_EQ(table.used(), 3u) << "b's slot is on c's probe: it must stay a tombstone";
  EXPECT_EQ(table.Find(5, 3), &c);
  table.Erase(&c);  // now b's tombstone and c's slot are on no probe's way
  EXPECT_EQ(table.used(), 1u);
  EXPECT_EQ(table.Find(5, 1), &a);
  EXPECT_EQ(table.Find(5, 2), nullptr);
}

}  // namespace
}  // namespace cachelab::fast_internal
