// TimerWheel: a hierarchical timing wheel (Varghese & Lauck) over intrusive nodes, for
// FastCache's per-entry deadlines. Six levels of 64 buckets; a level-0 bucket spans 2^20 ns
// (about 1 ms), each level 64 times the one below, so level 5 reaches about 2.3 years; later
// deadlines wait in an overflow list.
//
// Schedule and Cancel are O(1). Advance(now) expires every node whose deadline is at or before
// `now`, exactly: elapsed buckets are emptied (each node either expires or cascades to a finer
// level; a node cascades at most six times), and the current level-0 bucket, the only one that
// can hold both expired and live nodes, is scanned. So the cost is O(1) amortized per node plus
// the nodes sharing the current millisecond.
//
// Thread-safety: none; FastCache calls it under its policy lock. Not promised: an order among
// nodes expired by one Advance.
#ifndef CACHELAB_REFERENCE_FAST_INTERNAL_TIMER_WHEEL_H_
#define CACHELAB_REFERENCE_FAST_INTERNAL_TIMER_WHEEL_H_

#include <algorithm>
#include <array>
#include <cstdint>

namespace cachelab::fast_internal {

inline constexpr int64_t kNoDeadline = INT64_MAX;

struct TimerNode {
  TimerNode* timer_prev = nullptr;  // null: not scheduled
  TimerNode* timer_next = nullptr;
  int64_t deadline = kNoDeadline;  // Unix nanoseconds
};

class TimerWheel {
 public:
  static constexpr int kLevels = 6;
  static constexpr int kBuckets = 64;
  static constexpr int kFirstShift = 20;
  static constexpr int kShiftPerLevel = 6;

  explicit TimerWheel(int64_t now) : now_(now) {
    for (auto& level : wheel_) {
      for (TimerNode& head : level) head.timer_prev = head.timer_next = &head;
    }
    overflow_.timer_prev = overflow_.timer_next = &overflow_;
  }
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Schedules `node` by its deadline; does nothing for kNoDeadline.
  void Schedule(TimerNode* node) {
    if (node->deadline == kNoDeadline) return;
    Link(node, BucketFor(node->deadline));
    ++size_;
  }

  // Unschedules `node` if it is scheduled.
  void Cancel(TimerNode* node) {
    if (node->timer_prev == nullptr) return;
    Unlink(node);
    --size_;
  }

  // Calls expire(node) for every scheduled node with deadline <= now, after unscheduling it.
  template <typename Expire>
  void Advance(int64_t now, Expire&& expire) {
    if (size_ == 0) {
      now_ = std::max(now_, now);
      return;
    }
    if (now > now_) {
      const int64_t before = now_;
      now_ = now;  // nodes that cascade are placed relative to the new time
      for (int level = 0; level < kLevels; ++level) {
        const int shift = Shift(level);
        const int64_t from = before >> shift;
        const int64_t to = now >> shift;
        if (from == to) break;  // no coarser level ticked either
        const int64_t ticks = std::min<int64_t>(to - from, kBuckets);
        for (int64_t t = from + 1; t <= from + ticks; ++t) {
          Drain(&wheel_[level][t & (kBuckets - 1)], now, expire);
        }
        if (level == kLevels - 1) Drain(&overflow_, now, expire);
      }
    }
    // The current level-0 bucket may hold nodes due before `now` within this millisecond.
    TimerNode* head = &wheel_[0][(now_ >> kFirstShift) & (kBuckets - 1)];
    for (TimerNode* node = head->timer_next; node != head;) {
      TimerNode* next = node->timer_next;
      if (node->deadline <= now) {
        Unlink(node);
        --size_;
        expire(node);
      }
      node = next;
    }
  }

  size_t size() const { return size_; }

 private:
  static constexpr int Shift(int level) { return kFirstShift + kShiftPerLevel * level; }

  TimerNode* BucketFor(int64_t deadline) {
    for (int level = 0; level < kLevels; ++level) {
      const int shift = Shift(level);
      if ((std::max(deadline, now_) >> shift) - (now_ >> shift) < kBuckets) {
        return &wheel_[level][(std::max(deadline, now_) >> shift) & (kBuckets - 1)];
      }
    }
    return &overflow_;
  }

  // Empties bucket `head`: expired nodes expire, the others are placed again.
  template <typename Expire>
  void Drain(TimerNode* head, int64_t now, Expire& expire) {
    TimerNode* node = head->timer_next;
    head->timer_prev = head->timer_next = head;
    while (node != head) {
      TimerNode* next = node->timer_next;
      node->timer_prev = node->timer_next = nullptr;
      if (node->deadline <= now) {
        --size_;
        expire(node);
      } else {
        Link(node, BucketFor(node->deadline));
      }
      node = next;
    }
  }

  static void Link(TimerNode* node, TimerNode* head) {
    node->timer_prev = head;
    node->timer_next = head->timer_next;
    head->timer_next->timer_prev = node;
    head->timer_next = node;
  }
  static void Unlink(TimerNode* node) {
    node->timer_prev->timer_next = node->timer_next;
    node->timer_next->timer_prev = node->timer_prev;
    node->timer_prev = node->timer_next = nullptr;
  }

  int64_t now_;
  size_t size_ = 0;
  std::array<std::array<TimerNode, kBuckets>, kLevels> wheel_;
  TimerNode overflow_;
};

}  // namespace cachelab::fast_internal

#endif  // CACHELAB_REFERENCE_FAST_INTERNAL_TIMER_WHEEL_H_
