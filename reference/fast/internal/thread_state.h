// ThreadState: what one thread keeps in one FastCache: its hit and miss counters and its read
// buffer, a bounded single-producer ring of the nodes it found (the producer is the thread, the
// consumer whoever holds the policy lock). A full buffer drops new reads until it is drained:
// the policy then misses a few uses, never correctness.
//
// Thread-safety: Push, CountHit and CountMiss from the owning thread (the slot's thread);
// Drain and the counter reads from the policy lock's holder.
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_THREAD_STATE_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_THREAD_STATE_H_

#include <atomic>
#include <cstdint>

#include "reference/fast/internal/policy.h"

namespace cachelab::fast_internal {

struct alignas(64) ThreadState {
  static constexpr uint32_t kCapacity = 16;
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
  // Calls first(node), then second(node), for every buffered read, then f(node) for each,
  // oldest first, and empties the buffer. The passes let the memory loads of a whole batch
  // overlap (prefetching) before the work that needs them. Returns how many reads it applied.
  template <typename First, typename Second, typename F>
  uint32_t Drain(First&& first, Second&& second, F&& f) {
    const uint32_t tail = tail_.load(std::memory_order_acquire);
    const uint32_t head = head_.load(std::memory_order_relaxed);
    for (uint32_t i = head; i != tail; ++i) first(Slot(i));
    for (uint32_t i = head; i != tail; ++i) second(Slot(i));
    for (uint32_t i = head; i != tail; ++i) f(Slot(i));
    head_.store(tail, std::memory_order_release);
    return tail - head;
  }

  PolicyNode* Slot(uint32_t i) const { return ring_[i % kCapacity].load(std::memory_order_relaxed); }

  // Single writer (the owner), so a load and a store, not a locked add.
  void CountHit() { hits_.store(hits_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  void CountMiss() {
    misses_.store(misses_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

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
