#include "reference/fast/internal/epoch.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mutex>

namespace cachelab::fast_internal {
namespace {

struct Slots {
  std::mutex mu;
  std::atomic<int> high_water{0};
  bool used[kMaxThreads] = {};
  EpochRecord records[kMaxThreads];
};

Slots& TheSlots() {
  static auto* slots = new Slots();  // never destroyed: threads may exit after main returns
  return *slots;
}

// Takes a slot when a thread first reads a cache and gives it back when the thread exits.
class SlotOwner {
 public:
  SlotOwner() {
    Slots& slots = TheSlots();
    std::lock_guard<std::mutex> lock(slots.mu);
    for (int i = 0; i < kMaxThreads; ++i) {
      if (!slots.used[i]) {
        slots.used[i] = true;
        slot_ = i;
        if (i + 1 > slots.high_water.load(std::memory_order_relaxed)) {
          slots.high_water.store(i + 1, std::memory_order_release);
        }
        return;
      }
    }
  }
  ~SlotOwner() {
    if (slot_ == kNoSlot) return;
    Slots& slots = TheSlots();
    std::lock_guard<std::mutex> lock(slots.mu);
    slots.used[slot_] = false;
  }
  int slot() const { return slot_; }

 private:
  int slot_ = kNoSlot;
};

bool RegisterMembarrier() {
#if defined(__SANITIZE_THREAD__)
  return false;
#else
  const long supported = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0);
  if (supported < 0 || !(supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
  return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0;
#endif
}

const bool kAsymmetric = RegisterMembarrier();

}  // namespace

bool AsymmetricFences() { return kAsymmetric; }

int ThreadSlot() {
  // A plain thread_local int is read without the initialization check that guards `owner`.
  thread_local int slot = -2;
  if (slot == -2) {
    thread_local SlotOwner owner;
    slot = owner.slot();
  }
  return slot;
}

int SlotHighWater() { return TheSlots().high_water.load(std::memory_order_acquire); }

std::atomic<uint64_t>& GlobalEpoch() {
  static std::atomic<uint64_t> epoch{1};
  return epoch;
}

EpochRecord& RecordOf(int slot) { return TheSlots().records[slot]; }

uint64_t TryAdvanceEpoch() {
  // Every running reader executes a full barrier: its announcement is visible to the scan
  // below, and its later loads see what this thread unlinked before.
  if (AsymmetricFences()) syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0);
  std::atomic<uint64_t>& global = GlobalEpoch();
  uint64_t current = global.load(std::memory_order_seq_cst);
  const int slots = SlotHighWater();
  for (int i = 0; i < slots; ++i) {
    const uint64_t announced = RecordOf(i).epoch.load(std::memory_order_seq_cst);
    if (announced != 0 && announced != current) return current;  // a reader lags behind
  }
  global.compare_exchange_strong(current, current + 1, std::memory_order_seq_cst);
  return global.load(std::memory_order_seq_cst);
}

}  // namespace cachelab::fast_internal
