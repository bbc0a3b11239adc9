// Table: FastCache's hash table: open addressing with linear probing over atomic node pointers,
// so readers find a node with plain loads and no lock, while one writer at a time (holding
// FastCache's policy lock) inserts, replaces and erases.
//
// A slot is empty (0), a tombstone (an erased entry a probe may still need to pass; see Erase)
// or a node pointer whose top 16 bits, unused by x86-64 and AArch64 user-space addresses, carry
// the top 16 bits of the node's hash: a probe passes a slot of another key without loading that
// key's node, so a lookup touches one line of the table and, with a matching tag, one node
// (65,535 in 65,536 other keys are told apart by the tag alone). Slot stores and loads are
// sequentially consistent (a plain load on x86), which orders them with the epoch
// announcements of epoch.h.
// When live entries plus tombstones would pass half the slots, the writer builds a new array
// (live entries only) and publishes it; the old array is handed to the caller to retire, since
// readers may still be probing it.
//
// Node requirements: `hash` (uint64_t, read by the writer only) and `key` (compared with ==,
// by readers). Node addresses must fit in 48 bits (checked; true of every Linux process that
// does not map memory above 2^47 on purpose).
// Thread-safety: Find from any thread inside an EpochGuard; everything else from the one writer.
// Complexity: O(1) expected per operation; a rebuild O(live entries), amortized.
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_TABLE_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_TABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/base/internal/raw_logging.h"

namespace cachelab::fast_internal {

template <typename Node, typename Key>
class Table {
 public:
  struct Array {
    explicit Array(size_t size) : mask(size - 1), slots(new std::atomic<uint64_t>[size]) {
      for (size_t i = 0; i < size; ++i) slots[i].store(kEmpty, std::memory_order_relaxed);
    }
    const size_t mask;
    const std::unique_ptr<std::atomic<uint64_t>[]> slots;
  };

  // Sized for `expected` entries without a rebuild.
  explicit Table(size_t expected) : array_(new Array(SizeFor(expected))) {}
  ~Table() { delete array_.load(std::memory_order_relaxed); }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // Returns the node for `key`, or null. Any thread, inside an EpochGuard.
  Node* Find(uint64_t hash, const Key& key) const {
    const Array* array = array_.load(std::memory_order_seq_cst);
    const uint64_t tag = Tag(hash);
    for (size_t i = hash & array->mask;; i = (i + 1) & array->mask) {
      const uint64_t slot = array->slots[i].load(std::memory_order_seq_cst);
      if (slot == kEmpty) return nullptr;
      if ((slot & kTagMask) == tag && slot != kTombstone) {
        Node* node = PointerOf(slot);
        if (node->key == key) return node;
      }
    }
  }

  // Adds `node` (whose key is absent). Returns the array it replaced, to retire, or null.
  Array* Insert(Node* node) {
    Array* retired = nullptr;
    if (used_ + 1 > (array_.load(std::memory_order_relaxed)->mask + 1) / 2) retired = Rebuild();
    Array* array = array_.load(std::memory_order_relaxed);
    size_t i = node->hash & array->mask;
    while (true) {
      const uint64_t slot = array->slots[i].load(std::memory_order_relaxed);
      if (slot == kEmpty) {
        ++used_;
        break;
      }
      if (slot == kTombstone) break;  // reuse
      i = (i + 1) & array->mask;
    }
    array->slots[i].store(Encode(node), std::memory_order_seq_cst);
    ++live_;
    return retired;
  }

  // Puts `replacement` (same key) in `node`'s slot.
  void Replace(Node* node, Node* replacement) {
    SlotOf(node).store(Encode(replacement), std::memory_order_seq_cst);
  }

  // A probe stops at the first empty slot, so an erased slot followed by an empty one is on no
  // probe's way to a key beyond it: it becomes empty instead of a tombstone, and so do the
  // tombstones right before it. With the table at most half full most erasures leave no
  // tombstone, and rebuilds (a pass over every slot) come rarely when entries churn.
  void Erase(Node* node) {
    Array* array = array_.load(std::memory_order_relaxed);
    size_t i = IndexOf(*array, node);
    --live_;
    if (array->slots[(i + 1) & array->mask].load(std::memory_order_relaxed) != kEmpty) {
      array->slots[i].store(kTombstone, std::memory_order_seq_cst);
      return;
    }
    do {
      array->slots[i].store(kEmpty, std::memory_order_seq_cst);
      --used_;
      i = (i - 1) & array->mask;
    } while (array->slots[i].load(std::memory_order_relaxed) == kTombstone);
  }

  // Visits every node (writer only; f must not change the table).
  template <typename F>
  void ForEach(F&& f) const {
    const Array* array = array_.load(std::memory_order_relaxed);
    for (size_t i = 0; i <= array->mask; ++i) {
      const uint64_t slot = array->slots[i].load(std::memory_order_relaxed);
      if (HoldsNode(slot)) f(PointerOf(slot));
    }
  }

  size_t size() const { return live_; }
  // Live entries plus tombstones (tests: what decides when the table rebuilds).
  size_t used() const { return used_; }
  size_t slots() const { return array_.load(std::memory_order_relaxed)->mask + 1; }

 private:
  static constexpr uint64_t kEmpty = 0;
  static constexpr uint64_t kTombstone = 1;  // no node is at address 1; its tag is 0
  static constexpr int kTagShift = 48;
  static constexpr uint64_t kTagMask = ~uint64_t{0} << kTagShift;

  static bool HoldsNode(uint64_t slot) { return slot > kTombstone; }  // neither empty nor erased
  static uint64_t Tag(uint64_t hash) { return hash & kTagMask; }
  static Node* PointerOf(uint64_t slot) { return reinterpret_cast<Node*>(slot & ~kTagMask); }
  static uint64_t Encode(Node* node) {
    const auto address = reinterpret_cast<uint64_t>(node);
    ABSL_RAW_CHECK((address & kTagMask) == 0, "Table: a node address above 2^48");
    return address | Tag(node->hash);
  }
  static size_t SizeFor(size_t entries) {
    size_t size = 16;
    while (size < 3 * entries) size <<= 1;
    return size;
  }

  std::atomic<uint64_t>& SlotOf(Node* node) {
    Array* array = array_.load(std::memory_order_relaxed);
    return array->slots[IndexOf(*array, node)];
  }
  static size_t IndexOf(const Array& array, Node* node) {
    const uint64_t encoded = Encode(node);
    size_t i = node->hash & array.mask;
    while (array.slots[i].load(std::memory_order_relaxed) != encoded) i = (i + 1) & array.mask;
    return i;
  }

  // Copies the live nodes into a fresh array (dropping tombstones) and publishes it.
  Array* Rebuild() {
    Array* old = array_.load(std::memory_order_relaxed);
    auto* fresh = new Array(SizeFor(live_ + 1));
    for (size_t i = 0; i <= old->mask; ++i) {
      const uint64_t slot = old->slots[i].load(std::memory_order_relaxed);
      if (!HoldsNode(slot)) continue;
      size_t j = PointerOf(slot)->hash & fresh->mask;
      while (fresh->slots[j].load(std::memory_order_relaxed) != kEmpty) j = (j + 1) & fresh->mask;
      fresh->slots[j].store(slot, std::memory_order_relaxed);
    }
    used_ = live_;
    array_.store(fresh, std::memory_order_seq_cst);
    return old;
  }

  std::atomic<Array*> array_;
  size_t live_ = 0;
  size_t used_ = 0;  // live slots plus tombstones
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_TABLE_H_
