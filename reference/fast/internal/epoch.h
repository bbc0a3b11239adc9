// Epoch-based reclamation and per-thread slots for FastCache's lock-free read path.
//
// Every thread that reads a FastCache gets a slot (an index below kMaxThreads, reused after the
// thread exits) with an epoch record. A reader announces the global epoch in its record for the
// duration of a read (EpochGuard); a writer that unlinks a node retires it with the current
// epoch, and frees it once the global epoch is two ahead: every reader that could still hold
// the node has left by then. The epoch only advances when every announced record has caught up.
//
// Thread-safety: all functions may be called from any thread. Slots and records live for the
// whole process. Not promised: a slot for more than kMaxThreads threads at once (ThreadSlot()
// then returns kNoSlot, and callers take their locked path).
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_EPOCH_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_EPOCH_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cachelab::fast_internal {

inline constexpr int kMaxThreads = 128;
inline constexpr int kNoSlot = -1;

struct alignas(64) EpochRecord {
  // 0: outside a read; otherwise the global epoch the reader saw when it entered.
  std::atomic<uint64_t> epoch{0};
};

// The calling thread's slot in [0, kMaxThreads), or kNoSlot if every slot is taken.
int ThreadSlot();

// One more than the highest slot ever handed out: slots at or above it were never used.
int SlotHighWater();

// The process-wide epoch (starts at 1) and records.
std::atomic<uint64_t>& GlobalEpoch();
EpochRecord& RecordOf(int slot);

// Advances the global epoch if every reader inside a read has announced the current one.
// Returns the global epoch after the attempt.
uint64_t TryAdvanceEpoch();

// True if readers may announce with a plain store: the writer side then makes every running
// thread execute a full barrier (Linux membarrier, private expedited) before it scans the
// records, which orders the announcements as a seq_cst store would, at no cost to readers.
// Under ThreadSanitizer, which cannot see membarrier, readers always use seq_cst stores.
bool AsymmetricFences();

// Marks the calling thread inside a read for its lifetime. Precondition: slot != kNoSlot.
// Not reentrant: a thread must not nest guards (FastCache never does).
class EpochGuard {
 public:
  explicit EpochGuard(int slot) : record_(RecordOf(slot)) {
    // The announcement must be ordered before every load of shared pointers that follows, and
    // against the writer's scan in TryAdvanceEpoch: by a seq_cst store, or by the writer's
    // membarrier (then a compiler barrier is enough here).
    const uint64_t epoch = GlobalEpoch().load(std::memory_order_relaxed);
    if (AsymmetricFences()) {
      record_.epoch.store(epoch, std::memory_order_relaxed);
      std::atomic_signal_fence(std::memory_order_seq_cst);
    } else {
      record_.epoch.store(epoch, std::memory_order_seq_cst);
    }
  }
  ~EpochGuard() { record_.epoch.store(0, std::memory_order_release); }
  EpochGuard(const EpochGuard&) = delete;
  EpochGuard& operator=(const EpochGuard&) = delete;

 private:
  EpochRecord& record_;
};

// What a writer unlinked from a structure that readers search without a lock, held until no
// reader can still reach it. Thread-safety: none; the owner calls it under its writers' lock.
// Frees whatever is left when destroyed (no reader may be running then).
class RetireList {
 public:
  RetireList() = default;
  RetireList(const RetireList&) = delete;
  RetireList& operator=(const RetireList&) = delete;
  ~RetireList() {
    for (const Retired& retired : retired_) retired.free(retired.context, retired.pointer);
  }

  // Takes ownership of `pointer` (allocated with new), stamped with the current epoch.
  template <typename T>
  void Retire(T* pointer) {
    Retire(pointer, [](void*, void* p) { delete static_cast<T*>(p); }, nullptr);
  }
  // The same for a pointer that free(context, pointer) releases.
  void Retire(void* pointer, void (*free)(void* context, void* pointer), void* context) {
    retired_.push_back(
        Retired{pointer, free, context, GlobalEpoch().load(std::memory_order_seq_cst)});
  }

  // Once `batch` things wait (each epoch advance interrupts every core: batches amortize it),
  // advances the epoch if every reader allows and frees what was retired two epochs ago, after
  // calling before_free() (to drop any other reference to them) if it frees anything.
  template <typename F>
  void MaybeReclaim(size_t batch, F&& before_free) {
    if (retired_.size() < batch) return;
    const uint64_t epoch = TryAdvanceEpoch();
    if (retired_.front().epoch + 2 > epoch) return;  // a reader holds the epoch back
    before_free();
    size_t kept = 0;
    for (const Retired& retired : retired_) {
      if (retired.epoch + 2 <= epoch) {
        retired.free(retired.context, retired.pointer);
      } else {
        retired_[kept++] = retired;
      }
    }
    retired_.resize(kept);
  }

 private:
  struct Retired {
    void* pointer;
    void (*free)(void* context, void* pointer);
    void* context;
    uint64_t epoch;
  };
  std::vector<Retired> retired_;
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_EPOCH_H_
