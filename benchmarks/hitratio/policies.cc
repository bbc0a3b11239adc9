#include "benchmarks/hitratio/policies.h"

#include <bit>
#include <queue>

namespace cachelab::hitratio {
namespace {

// A set of integers in [0, n) with O(log64 n) insert, erase and maximum: a 64-ary tree of
// bit words, each bit of a level saying whether the word below it has any bit set.
class MaxBitSet {
 public:
  explicit MaxBitSet(size_t n) {
    size_t words = n / 64 + 1;
    while (true) {
      levels_.emplace_back(words, 0);
      if (words == 1) break;
      words = words / 64 + 1;
    }
  }
  void Insert(uint32_t i) {
    for (auto& level : levels_) {
      const bool was_empty = level[i / 64] == 0;
      level[i / 64] |= uint64_t{1} << (i % 64);
      if (!was_empty) return;
      i /= 64;
    }
  }
  void Erase(uint32_t i) {
    for (auto& level : levels_) {
      level[i / 64] &= ~(uint64_t{1} << (i % 64));
      if (level[i / 64] != 0) return;
      i /= 64;
    }
  }
  // The largest member. Precondition: not empty.
  uint32_t Max() const {
    uint64_t i = 0;
    for (size_t l = levels_.size(); l-- > 0;) {
      i = i * 64 + (63 - std::countl_zero(levels_[l][i]));
    }
    return static_cast<uint32_t>(i);
  }
  bool Empty() const { return levels_.back()[0] == 0; }

 private:
  std::vector<std::vector<uint64_t>> levels_;  // levels_[0] holds the members
};

uint64_t ReplayOptImpl(const Trace& trace, const std::vector<uint32_t>& next_uses,
                       size_t capacity, bool admission) {
  const std::vector<uint32_t>& requests = trace.requests;
  // A cached key is keyed by the index of its next request; cached keys never requested again
  // wait in `dead`, the first victims (any of them is as good as another).
  MaxBitSet future(requests.size());
  std::vector<uint32_t> dead;
  std::vector<bool> cached(trace.distinct, false);
  size_t size = 0;
  uint64_t hits = 0;
  auto keep = [&](uint32_t id, uint32_t next) {
    if (next == kNever) {
      dead.push_back(id);
    } else {
      future.Insert(next);
    }
  };
  for (uint32_t i = 0; i < requests.size(); ++i) {
    const uint32_t id = requests[i];
    const uint32_t next = next_uses[i];
    if (cached[id]) {  // keyed by i until now
      ++hits;
      future.Erase(i);
      keep(id, next);
      continue;
    }
    if (size == capacity) {
      if (admission && next == kNever) continue;  // never used again: not worth a slot
      uint32_t victim;
      if (!dead.empty()) {
        victim = dead.back();
        dead.pop_back();
      } else {
        const uint32_t farthest = future.Max();
        if (admission && next > farthest) continue;  // the new key is the worst to keep
        victim = requests[farthest];
        future.Erase(farthest);
      }
      cached[victim] = false;
      --size;
    }
    cached[id] = true;
    ++size;
    keep(id, next);
  }
  return hits;
}

}  // namespace

std::vector<uint32_t> NextUses(const Trace& trace) {
  std::vector<uint32_t> next(trace.requests.size(), kNever);
  std::vector<uint32_t> later(trace.distinct, kNever);
  for (size_t i = trace.requests.size(); i-- > 0;) {
    next[i] = later[trace.requests[i]];
    later[trace.requests[i]] = static_cast<uint32_t>(i);
  }
  return next;
}

uint64_t ReplayLru(const Trace& trace, size_t capacity) {
  // A doubly linked list over ids in two arrays; `head` is a sentinel (most recent after it).
  const uint32_t head = trace.distinct;
  std::vector<uint32_t> prev(trace.distinct + 1, kNever), next(trace.distinct + 1, kNever);
  prev[head] = next[head] = head;
  auto unlink = [&](uint32_t id) {
    next[prev[id]] = next[id];
    prev[next[id]] = prev[id];
  };
  auto push_front = [&](uint32_t id) {
    prev[id] = head;
    next[id] = next[head];
    prev[next[head]] = id;
    next[head] = id;
  };
  size_t size = 0;
  uint64_t hits = 0;
  for (const uint32_t id : trace.requests) {
    if (prev[id] != kNever) {
      ++hits;
      unlink(id);
    } else if (size == capacity) {
      const uint32_t victim = prev[head];
      unlink(victim);
      prev[victim] = kNever;
    } else {
      ++size;
    }
    push_front(id);
  }
  return hits;
}

uint64_t ReplayOpt(const Trace& trace, const std::vector<uint32_t>& next_uses, size_t capacity) {
  return ReplayOptImpl(trace, next_uses, capacity, /*admission=*/true);
}

uint64_t ReplayOptDemand(const Trace& trace, const std::vector<uint32_t>& next_uses,
                         size_t capacity) {
  return ReplayOptImpl(trace, next_uses, capacity, /*admission=*/false);
}

uint64_t ReplayPerfectLfu(const Trace& trace, size_t capacity) {
  std::vector<uint32_t> count(trace.distinct, 0);
  std::vector<bool> cached(trace.distinct, false);
  // The cached keys by (count, time of that count): a min-heap in which a key's entry is
  // current only while it is cached and its count has not moved on; older ones are skipped.
  struct Item {
    uint32_t count;
    uint32_t time;
    uint32_t id;
  };
  auto after = [](const Item& a, const Item& b) {
    return a.count != b.count ? a.count > b.count : a.time > b.time;
  };
  std::priority_queue<Item, std::vector<Item>, decltype(after)> heap(after);
  size_t size = 0;
  uint64_t hits = 0;
  for (uint32_t t = 0; t < trace.requests.size(); ++t) {
    const uint32_t id = trace.requests[t];
    const uint32_t uses = ++count[id];
    if (cached[id]) {
      ++hits;
    } else if (size < capacity) {
      cached[id] = true;
      ++size;
    } else {
      while (!cached[heap.top().id] || count[heap.top().id] != heap.top().count) heap.pop();
      if (uses <= heap.top().count) continue;  // not more popular than the least: not cached
      cached[heap.top().id] = false;
      heap.pop();
      cached[id] = true;
    }
    heap.push(Item{uses, t, id});
  }
  return hits;
}

}  // namespace cachelab::hitratio
