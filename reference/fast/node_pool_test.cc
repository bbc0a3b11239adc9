// NodePool (internal/node_pool.h): blocks go round, the pool keeps no more than it may, and
// under AddressSanitizer a pooled block cannot be read.
#include "reference/fast/internal/node_pool.h"

#include <sanitizer/asan_interface.h>

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace cachelab::fast_internal {
namespace {

constexpr size_t kBlock = 192;

TEST(NodePoolTest, HandsBackTheBlocksItWasGivenLastInFirstOut) {
  NodePool pool(kBlock, 4);
  EXPECT_EQ(pool.TryAllocate(), nullptr);
  void* first = NodePool::NewBlock(kBlock);
  void* second = NodePool::NewBlock(kBlock);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % NodePool::kAlignment, 0u);
  pool.Free(first);
  pool.Free(second);
  EXPECT_EQ(pool.pooled(), 2u);
  EXPECT_EQ(pool.TryAllocate(), second);
  EXPECT_EQ(pool.TryAllocate(), first);
  EXPECT_EQ(pool.TryAllocate(), nullptr);
  NodePool::DeleteBlock(first);
  NodePool::DeleteBlock(second);
}

// The blocks beyond the limit go back to the allocator (LeakSanitizer, under --config=asan,
// reports them if they do not; the pool frees the ones it keeps when destroyed).
TEST(NodePoolTest, KeepsAtMostMaxPooledBlocks) {
  NodePool pool(kBlock, 2);
  for (int i = 0; i < 5; ++i) pool.Free(NodePool::NewBlock(kBlock));
  EXPECT_EQ(pool.pooled(), 2u);
}

TEST(NodePoolTest, PooledBlockIsPoisonedUnderAddressSanitizer) {
#if defined(__SANITIZE_ADDRESS__)
  NodePool pool(kBlock, 2);
  auto* block = static_cast<char*>(NodePool::NewBlock(kBlock));
  pool.Free(block);
  EXPECT_TRUE(__asan_address_is_poisoned(block));
  EXPECT_TRUE(__asan_address_is_poisoned(block + kBlock - 1));
  ASSERT_EQ(pool.TryAllocate(), block);
  EXPECT_FALSE(__asan_address_is_poisoned(block));
  EXPECT_FALSE(__asan_address_is_poisoned(block + kBlock - 1));
  NodePool::DeleteBlock(block);
#else
  GTEST_SKIP() << "built without AddressSanitizer (run with --config=asan)";
#endif
}

}  // namespace
}  // namespace cachelab::fast_internal
