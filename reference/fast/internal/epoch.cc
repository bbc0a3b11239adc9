#include "reference/fast/internal/epoch.h"

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

}  // namespace

int ThreadSlot() {
  thread_local SlotOwner owner;
  return owner.slot();
}

int SlotHighWater() { return TheSlots().high_water.load(std::memory_order_acquire); }

std::atomic<uint64_t>& GlobalEpoch() {
  static std::atomic<uint64_t> epoch{1};
  return epoch;
}

EpochRecord& RecordOf(int slot) { return TheSlots().records[slot]; }

uint64_t TryAdvanceEpoch() {
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
