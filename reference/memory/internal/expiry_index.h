// ExpiryIndex: the deadlines of PolicyCache's entries, soonest first.
//
// Deadlines mostly arrive in order: a default TTL (or a constant per-entry one) over a clock
// that does not go back gives every new deadline at or after the latest one. Such an entry joins
// the back of an intrusive queue in O(1), and leaves it in O(1) from anywhere. Any other deadline
// (a shorter TTL than the last one, a clock set back) goes into a btree, O(log n). The soonest
// deadline is the earlier of the two fronts. Why: with a btree alone, a TTL cache that evicts on
// every insert paid an insert and an erase in the btree per call, 1.6x a textbook LRU's whole
// get-or-insert on a Zipf workload.
//
// Intrusive: a Node derives from ExpiryHook and has a member `absl::Time deadline` that does not
// change while the node is in the index. The index does not own nodes.
// Thread-safety: none; PolicyCache holds its lock.
// Memory: 16 bytes per node (the hook), plus a btree entry for each out-of-order deadline.
#ifndef CACHELAB_REFERENCE_MEMORY_INTERNAL_EXPIRY_INDEX_H_
#define CACHELAB_REFERENCE_MEMORY_INTERNAL_EXPIRY_INDEX_H_

#include <utility>

#include "absl/container/btree_set.h"
#include "absl/time/time.h"
#include "reference/memory/internal/orders.h"

namespace cachelab::internal {

// A node's place in the queue; unlinked (pointing at itself) while the node is not queued.
struct ExpiryHook {
  Link expiry_link;
};

template <typename Node>
class ExpiryIndex {
 public:
  ExpiryIndex() = default;
  ExpiryIndex(const ExpiryIndex&) = delete;
  ExpiryIndex& operator=(const ExpiryIndex&) = delete;

  // Precondition: `node` is not in the index and its deadline is finite.
  void Add(Node* node) {
    if (!queue_.Linked() || OfLink(queue_.prev)->deadline <= node->deadline) {
      node->expiry_link.InsertBefore(&queue_);
    } else {
      rest_.insert({node->deadline, node});
    }
  }

  // Precondition: `node` is in the index, with the deadline it was added with.
  void Remove(Node* node) {
    Link& link = node->expiry_link;
    if (link.Linked()) {
      link.Unlink();
      link.prev = link.next = &link;
    } else {
      rest_.erase({node->deadline, node});
    }
  }

  // The node with the soonest deadline (either of two with equal deadlines), or null if none.
  Node* Soonest() const {
    Node* queued = queue_.Linked() ? OfLink(queue_.next) : nullptr;
    if (rest_.empty()) return queued;
    Node* other = rest_.begin()->second;
    return queued != nullptr && queued->deadline <= other->deadline ? queued : other;
  }

 private:
  static Node* OfLink(Link* link) {
    // expiry_link is ExpiryHook's first and only member: the two addresses are the same.
    return static_cast<Node*>(reinterpret_cast<ExpiryHook*>(link));
  }

  Link queue_;  // sentinel; deadlines non-decreasing from next (soonest) to prev (latest)
  absl::btree_set<std::pair<absl::Time, Node*>> rest_;
};

}  // namespace cachelab::internal

#endif  // CACHELAB_REFERENCE_MEMORY_INTERNAL_EXPIRY_INDEX_H_
