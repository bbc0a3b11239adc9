// NodePool: recycles FastCache's nodes, blocks of one size on 64-byte boundaries.
//
// Why: glibc 2.36 serves every aligned allocation through _int_memalign, which bypasses its
// per-thread cache and splits a larger chunk; freeing retired nodes a batch at a time then
// consolidates the pieces. With 8-byte entries that was about a third of an evicting insert
// (perf: unlink_chunk, _int_malloc, _int_free, malloc_consolidate, _int_memalign). A cache that
// evicts frees a node for each one it adds, so its nodes can go round instead.
//
// Holds at most `max_pooled` free blocks (more are returned to the allocator), so a cache that
// shrank keeps only that much. Under AddressSanitizer a pooled block is poisoned: a read of a
// freed node is reported as it would be after a real free.
//
// Thread-safety: none; the owner serializes (FastCache calls it under its lock).
// Complexity: O(1) per call.
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_NODE_POOL_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_NODE_POOL_H_

#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <new>
#include <vector>

namespace cachelab::fast_internal {

class NodePool {
 public:
  static constexpr size_t kAlignment = 64;

  // Precondition: block_size > 0.
  NodePool(size_t block_size, size_t max_pooled)
      : block_size_(block_size), max_pooled_(max_pooled) {}
  ~NodePool() {
    for (void* block : free_) {
      ASAN_UNPOISON_MEMORY_REGION(block, block_size_);
      DeleteBlock(block);
    }
  }
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  // A new block from the allocator (for callers outside the owner's lock).
  static void* NewBlock(size_t size) { return ::operator new(size, std::align_val_t{kAlignment}); }
  static void DeleteBlock(void* block) { ::operator delete(block, std::align_val_t{kAlignment}); }

  // A pooled block (uninitialized), or null if none is pooled.
  void* TryAllocate() {
    if (free_.empty()) return nullptr;
    void* block = free_.back();
    free_.pop_back();
    ASAN_UNPOISON_MEMORY_REGION(block, block_size_);
    return block;
  }

  // Takes back a block from NewBlock(block_size) or TryAllocate, its object already destroyed.
  void Free(void* block) {
    if (free_.size() >= max_pooled_) {
      DeleteBlock(block);
      return;
    }
    ASAN_POISON_MEMORY_REGION(block, block_size_);
    free_.push_back(block);
  }

  size_t pooled() const { return free_.size(); }

 private:
  const size_t block_size_;
  const size_t max_pooled_;
  std::vector<void*> free_;
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_NODE_POOL_H_
