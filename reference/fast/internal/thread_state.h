// ThreadState: what one thread keeps in one FastCache: its hit and miss counters and its read
// buffer, a bounded single-producer ring of the nodes it found (the producer is the thread, the
// consumer whoever holds the policy lock). A full buffer drops new reads until it is drained:
// the policy then misses a few uses, never correctness.
//
// Thread-safety: Push, CountHit, CountMiss and spare_node from the owning thread (the slot's
// thread); Drain and the counter reads from the policy lock's holder.
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_THREAD_STATE_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_THREAD_STATE_H_

#include <atomic>
#include <cstdint>

#include "reference/fast/internal/policy.h"

namespace cachelab::fast_internal {

struct alignas(64) ThreadState {
  static constexpr uint32_t kCapacity = 64;
  static constexpr uint32_t kSampleUnderContention = 4;  // a power of two

  // Records a read; returns false if the buffer is full (the read is dropped).
  bool Push(PolicyNode* node) {
    const uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_.load(std::memory_order_acquire) >= kCapacity) return false;
    ring_[tail % kCapacity].store(node, std::memory_order_relaxed);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }
  // True once in every kSampleUnderContention calls (the owner's reads while sampling).
  bool SampleTick() { return (++sample_counter_ & (kSampleUnderContention - 1)) == 0; }
  bool Full() const {
    return tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_acquire) >=
           kCapacity;
  }
  // Calls f(node) for every buffered read, oldest first, and empties the buffer. Reads ahead as
  // a pipeline: first(node) kAhead reads before f(node), second(node) kAhead / 2 reads before,
  // so that the memory loads of a batch overlap (prefetching) with the work that needs them
  // without issuing more at once than the core can keep in flight. Returns how many it applied.
  template <typename First, typename Second, typename F>
  uint32_t Drain(First&& first, Second&& second, F&& f) {
    constexpr uint32_t kAhead = 8;
    const uint32_t tail = tail_.load(std::memory_order_acquire);
    const uint32_t head = head_.load(std::memory_order_relaxed);
    const uint32_t n = tail - head;
    for (uint32_t i = 0; i < n && i < kAhead; ++i) first(Slot(head + i));
    for (uint32_t i = 0; i < n && i < kAhead / 2; ++i) second(Slot(head + i));
    for (uint32_t i = 0; i < n; ++i) {
      if (i + kAhead < n) first(Slot(head + i + kAhead));
      if (i + kAhead / 2 < n) second(Slot(head + i + kAhead / 2));
      f(Slot(head + i));
    }
    head_.store(tail, std::memory_order_release);
    return n;
  }

  PolicyNode* Slot(uint32_t i) const { return ring_[i % kCapacity].load(std::memory_order_relaxed); }

  // Single writer (the owner), so a load and a store, not a locked add.
  void CountHit() { hits_.store(hits_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  void CountMiss() {
    misses_.store(misses_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

  // The owner's next node's memory (uninitialized), taken from the cache's NodePool while the
  // owner held the cache's lock, so that building a node outside the lock needs no allocation.
  // Only the owner reads or writes it (and the cache's destructor, which frees it).
  void* spare_node = nullptr;

 private:
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint32_t> tail_{0};
  uint32_t sample_counter_ = 0;  // the owner's only
  alignas(64) std::atomic<uint32_t> head_{0};
  std::atomic<PolicyNode*> ring_[kCapacity] = {};
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_THREAD_STATE_H_
