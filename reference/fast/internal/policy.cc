#include "reference/fast/internal/policy.h"

#include <algorithm>
#include <array>

namespace cachelab::fast_internal {
namespace {

constexpr double kProtectedShare = 0.8;
constexpr double kLearningRate = 0.45;  // LeCaR's
constexpr int kAdmitAboveFrequency = 5;  // a rejected candidate this popular is admitted 1/128
constexpr std::array<double, 5> kWindowShares = {0.01, 0.10, 0.25, 0.50, 1.0};
constexpr double kStartShare = 0.20;
constexpr uint64_t kShadowSize = 256;  // entries of a miniature copy (keys sampled to fit)
constexpr uint64_t kPeriodPerCapacity = 4;
constexpr uint64_t kMinPeriod = 1000;
constexpr uint64_t kWarmUpPerCapacity = 20;
constexpr double kScoreDecay = 0.9;
constexpr double kHysteresis = 0.005;
constexpr double kMaxStepShare = 0.05;

uint64_t Share(uint64_t capacity, double share) {
  return std::min<uint64_t>(capacity, static_cast<uint64_t>(std::llround(capacity * share)));
}

}  // namespace

// ---- LfuOrder ---------------------------------------------------------------------------

LfuOrder::~LfuOrder() {
  for (LfuBucket* b = sentinel_.next; b != &sentinel_;) {
    LfuBucket* next = b->next;
    delete b;
    b = next;
  }
  for (LfuBucket* b : free_) delete b;
}

LfuBucket* LfuOrder::BucketAfter(LfuBucket* before, uint32_t count) {
  if (before->next != &sentinel_ && before->next->count == count) return before->next;
  LfuBucket* bucket;
  if (free_.empty()) {
    bucket = new LfuBucket;
  } else {
    bucket = free_.back();
    free_.pop_back();
  }
  bucket->count = count;
  bucket->head.lfu_prev = bucket->head.lfu_next = &bucket->head;
  bucket->prev = before;
  bucket->next = before->next;
  before->next->prev = bucket;
  before->next = bucket;
  return bucket;
}

void LfuOrder::Release(LfuBucket* bucket) {
  if (bucket->head.lfu_next != &bucket->head) return;  // not empty
  bucket->prev->next = bucket->next;
  bucket->next->prev = bucket->prev;
  free_.push_back(bucket);
}

void LfuOrder::Add(PolicyNode* n, uint32_t count) {
  LfuBucket* before = &sentinel_;
  while (before->next != &sentinel_ && before->next->count < count) before = before->next;
  LfuBucket* bucket = BucketAfter(before, count);
  n->count = count;
  n->bucket = bucket;
  n->lfu_prev = bucket->head.lfu_prev;  // append: most recent at the back
  n->lfu_next = &bucket->head;
  bucket->head.lfu_prev->lfu_next = n;
  bucket->head.lfu_prev = n;
}

void LfuOrder::Remove(PolicyNode* n) {
  n->lfu_prev->lfu_next = n->lfu_next;
  n->lfu_next->lfu_prev = n->lfu_prev;
  LfuBucket* bucket = n->bucket;
  n->bucket = nullptr;
  n->lfu_prev = n->lfu_next = nullptr;
  Release(bucket);
}

void LfuOrder::Use(PolicyNode* n) {
  LfuBucket* from = n->bucket;
  const uint32_t count = n->count + 1;
  n->lfu_prev->lfu_next = n->lfu_next;
  n->lfu_next->lfu_prev = n->lfu_prev;
  LfuBucket* to = BucketAfter(from, count);
  n->count = count;
  n->bucket = to;
  n->lfu_prev = to->head.lfu_prev;
  n->lfu_next = &to->head;
  to->head.lfu_prev->lfu_next = n;
  to->head.lfu_prev = n;
  Release(from);
}

PolicyNode* LfuOrder::Min(const PolicyNode* except) const {
  for (const LfuBucket* b = sentinel_.next; b != &sentinel_; b = b->next) {
    for (PolicyNode* n = b->head.lfu_next; n != &b->head; n = n->lfu_next) {
      if (n != except) return n;
    }
  }
  return nullptr;
}

// ---- GhostList ----------------------------------------------------------------------------

void GhostList::Add(uint64_t hash, uint64_t time, uint32_t count, uint64_t limit) {
  const uint64_t sequence = next_sequence_++;
  live_[hash] = {sequence, Entry{time, count}};
  order_.push_back(Record{hash, sequence});
  while (live_.size() > limit || order_.size() > 2 * limit + 16) {
    const Record oldest = order_.front();
    order_.pop_front();
    auto it = live_.find(oldest.hash);
    if (it != live_.end() && it->second.first == oldest.sequence) live_.erase(it);
  }
}

std::optional<GhostList::Entry> GhostList::Take(uint64_t hash) {
  auto it = live_.find(hash);
  if (it == live_.end()) return std::nullopt;
  const Entry entry = it->second.second;
  live_.erase(it);
  return entry;
}

void GhostList::Clear() {
  order_.clear();
  live_.clear();
}

// ---- WindowController -----------------------------------------------------------------------

// Miniature copies of the policy at fixed window shares, fed a hashed sample of the keys
// (spatial sampling sized so each copy holds about kShadowSize entries), sharing the frequency
// sketch. Every period it scores each copy by its decayed hits and moves the real window
// toward the best share, a bounded step at a time.
class Policy::WindowController {
 public:
  WindowController(Policy& policy, uint64_t capacity, uint64_t seed) : policy_(policy) {
    const double rate = std::min(1.0, static_cast<double>(kShadowSize) / capacity);
    threshold_ = static_cast<uint64_t>(rate * 4294967296.0);
    const uint64_t shadow_capacity =
        std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(capacity * rate)));
    for (size_t i = 0; i < kShares; ++i) {
      owners_[i] = Owner{this, i};
      shadows_[i] = std::make_unique<Policy>(shadow_capacity, shadow_capacity, seed + 1,
                                             kWindowShares[i], /*adaptive=*/false,
                                             policy.sketch_, &Evicted, &owners_[i]);
    }
    period_ = until_decision_ = std::max(kMinPeriod, kPeriodPerCapacity * capacity);
    warm_up_ = kWarmUpPerCapacity * capacity;
  }

  ~WindowController() {
    for (auto& [hash, nodes] : nodes_) {
      for (PolicyNode* node : nodes) delete node;
    }
  }

  // Feeds one event to the sampled copies. Returns the window limit to move to, if any.
  std::optional<uint64_t> Observe(uint64_t hash) {
    if ((hash >> 32) < threshold_) Access(hash);  // the hash is mixed: its top bits sample
    ++events_;
    if (--until_decision_ != 0) return std::nullopt;
    until_decision_ = period_;
    return Decide();
  }

  void Clear() {
    for (auto& shadow : shadows_) shadow->Clear();
  }

 private:
  static constexpr size_t kShares = kWindowShares.size();
  struct Owner {
    WindowController* controller;
    size_t index;
  };

  // One lookup finds the key's node in every copy.
  void Access(uint64_t hash) {
    auto it = nodes_.try_emplace(hash).first;
    for (size_t i = 0; i < kShares; ++i) {
      PolicyNode*& node = it->second[i];
      if (node != nullptr) {
        ++hits_[i];
        shadows_[i]->OnUse(node);
      } else {
        node = new PolicyNode;
        node->hash = hash;
        shadows_[i]->OnAdd(node);  // evicts other keys only: `it` stays valid
      }
    }
  }

  static void Evicted(void* owner, PolicyNode* node) {
    const auto& [controller, index] = *static_cast<Owner*>(owner);
    auto it = controller->nodes_.find(node->hash);
    it->second[index] = nullptr;
    delete node;
    for (PolicyNode* other : it->second) {
      if (other != nullptr) return;
    }
    controller->nodes_.erase(it);
  }

  std::optional<uint64_t> Decide() {
    const bool warm = events_ > warm_up_;
    size_t best = 0;
    for (size_t i = 0; i < kShares; ++i) {
      if (warm) scores_[i] = scores_[i] * kScoreDecay + static_cast<double>(hits_[i]);
      hits_[i] = 0;
      if (scores_[i] > scores_[best]) best = i;
    }
    if (!warm) return std::nullopt;
    if (current_.has_value() && scores_[best] < scores_[*current_] * (1 + kHysteresis)) {
      best = *current_;
    }
    current_ = best;
    const double capacity = static_cast<double>(policy_.capacity_);
    const double target = capacity * kWindowShares[best];
    const double now = static_cast<double>(policy_.max_window_);
    const double step = kMaxStepShare * capacity;
    const auto next = static_cast<uint64_t>(std::llround(now + std::clamp(target - now, -step, step)));
    if (next == policy_.max_window_) return std::nullopt;
    return next;
  }

  Policy& policy_;
  std::array<std::unique_ptr<Policy>, kShares> shadows_;
  std::array<Owner, kShares> owners_;
  absl::flat_hash_map<uint64_t, std::array<PolicyNode*, kShares>> nodes_;  // owned
  std::array<uint64_t, kShares> hits_{};
  std::array<double, kShares> scores_{};
  std::optional<size_t> current_;
  uint64_t threshold_ = 0;
  uint64_t period_ = 0;
  uint64_t until_decision_ = 0;
  uint64_t warm_up_ = 0;
  uint64_t events_ = 0;
};

// ---- Policy -------------------------------------------------------------------------------

Policy::Policy(uint64_t capacity, uint64_t max_entries, uint64_t seed, double window_share,
               bool adaptive, FrequencySketch* sketch, EvictFn evict, void* owner)
    : capacity_(capacity),
      max_entries_(max_entries),
      own_sketch_(sketch == nullptr ? std::make_unique<FrequencySketch>(capacity) : nullptr),
      sketch_(sketch == nullptr ? own_sketch_.get() : sketch),
      evict_(evict),
      owner_(owner),
      random_(seed),
      discount_(std::pow(0.005, 1.0 / std::max<double>(1, capacity))) {
  max_window_ = std::max<uint64_t>(1, Share(capacity, adaptive ? kStartShare : window_share));
  SetMainLimits();
  if (adaptive) controller_ = std::make_unique<WindowController>(*this, capacity, seed);
}

Policy::~Policy() = default;

void Policy::SetMainLimits() {
  max_main_ = capacity_ - std::min(max_window_, capacity_);
  max_protected_ = static_cast<uint64_t>(max_main_ * kProtectedShare);
}

void Policy::Tick(const PolicyNode* node) {
  if (!controller_) return;
  if (auto window = controller_->Observe(node->hash)) SetWindow(*window, node);
}

void Policy::OnUse(PolicyNode* node) {
  if (own_sketch_) sketch_->Increment(node->hash);
  ++time_;
  switch (node->region) {
    case Region::kWindow:
      NodeList::Unlink(node);
      window_.PushFront(node);
      window_lfu_.Use(node);
      break;
    case Region::kProbation:
      NodeList::Unlink(node);
      probation_weight_ -= node->weight;
      node->region = Region::kProtected;
      protected_.PushFront(node);
      protected_weight_ += node->weight;
      DemoteProtected();
      break;
    case Region::kProtected:
      NodeList::Unlink(node);
      protected_.PushFront(node);
      break;
    case Region::kNone:
      break;
  }
  Tick(node);
}

void Policy::AddToWindow(PolicyNode* node, uint32_t count) {
  node->region = Region::kWindow;
  window_.PushFront(node);
  window_lfu_.Add(node, count);
  window_weight_ += node->weight;
  ++entries_;
}

void Policy::OnAdd(PolicyNode* node) {
  if (own_sketch_) sketch_->Increment(node->hash);
  ++time_;
  uint32_t count = 1;
  // LeCaR's regret: a key evicted lately by one rule is back, so that rule was wrong.
  for (auto [ghost, weight] : {std::pair{&ghost_lru_, &weight_lru_}, {&ghost_lfu_, &weight_lfu_}}) {
    if (auto entry = ghost->Take(node->hash)) {
      *weight *= std::exp(-kLearningRate * std::pow(discount_, double(time_ - entry->time)));
      count = entry->count + 1;
      break;
    }
  }
  AddToWindow(node, count);
  EvictFromWindow(node);
  EvictOverweight(node);
  Tick(node);
}

void Policy::LeaveRegion(PolicyNode* node) {
  NodeList::Unlink(node);
  switch (node->region) {
    case Region::kWindow:
      window_lfu_.Remove(node);
      window_weight_ -= node->weight;
      break;
    case Region::kProbation:
      probation_weight_ -= node->weight;
      break;
    case Region::kProtected:
      protected_weight_ -= node->weight;
      break;
    case Region::kNone:
      break;
  }
  node->region = Region::kNone;
  --entries_;
}

void Policy::Remove(PolicyNode* node) { LeaveRegion(node); }

void Policy::Evict(PolicyNode* node) {
  LeaveRegion(node);
  evict_(owner_, node);
}

void Policy::Replace(PolicyNode* node, PolicyNode* replacement) {
  replacement->region = node->region;
  NodeList::ReplaceWith(node, replacement);
  if (node->region == Region::kWindow) {
    // Take over the LFU position and count.
    const uint32_t count = node->count;
    window_lfu_.Remove(node);
    window_lfu_.Add(replacement, count);
  }
  const int64_t delta = static_cast<int64_t>(replacement->weight) - static_cast<int64_t>(node->weight);
  switch (node->region) {
    case Region::kWindow:
      window_weight_ += delta;
      break;
    case Region::kProbation:
      probation_weight_ += delta;
      break;
    case Region::kProtected:
      protected_weight_ += delta;
      break;
    case Region::kNone:
      break;
  }
  node->region = Region::kNone;
  OnUse(replacement);
  if (delta > 0) {
    EvictFromWindow(replacement);
    EvictOverweight(replacement);
  }
}

bool Policy::Admit(const PolicyNode* candidate, const PolicyNode* victim) {
  const int victim_frequency = sketch_->Frequency(victim->hash);
  const int candidate_frequency = sketch_->Frequency(candidate->hash);
  if (candidate_frequency > victim_frequency) return true;
  if (candidate_frequency <= kAdmitAboveFrequency) return false;
  return (random_.Next() & 127) == 0;  // so that a flood of equal counts cannot pin main
}

void Policy::DemoteProtected() {
  while (protected_weight_ > max_protected_ && !protected_.empty()) {
    PolicyNode* node = protected_.back();
    NodeList::Unlink(node);
    protected_weight_ -= node->weight;
    node->region = Region::kProbation;
    probation_.PushFront(node);
    probation_weight_ += node->weight;
  }
}

void Policy::EvictFromWindow(const PolicyNode* newest) {
  while (window_weight_ > max_window_) {
    // LeCaR: the least recent or the least frequent window entry, by learned weights.
    const double total = weight_lru_ + weight_lfu_;
    weight_lru_ /= total;
    weight_lfu_ /= total;
    const bool by_recency = random_.Uniform() < weight_lru_;
    PolicyNode* candidate = by_recency ? window_.back() : window_lfu_.Min(newest);
    if (candidate == nullptr || candidate == newest) return;  // only the newest is left
    const uint32_t count = candidate->count;
    LeaveRegion(candidate);
    ++entries_;  // still resident until decided
    if (probation_weight_ + protected_weight_ + candidate->weight <= max_main_) {
      candidate->region = Region::kProbation;
      probation_.PushFront(candidate);
      probation_weight_ += candidate->weight;
      continue;
    }
    PolicyNode* victim = !probation_.empty() ? probation_.back() : protected_.back();
    if (victim != nullptr && Admit(candidate, victim)) {
      Evict(victim);
      candidate->region = Region::kProbation;
      probation_.PushFront(candidate);
      probation_weight_ += candidate->weight;
      continue;
    }
    GhostList& ghost = by_recency ? ghost_lru_ : ghost_lfu_;
    ghost.Add(candidate->hash, time_, count, std::max<uint64_t>(entries_, 16));
    --entries_;
    evict_(owner_, candidate);
  }
}

void Policy::EvictOverweight(const PolicyNode* newest) {
  // Weighted entries can leave the total over capacity after the window settled (or too many
  // light entries over the entry bound): main's least valuable entries go first, then the
  // window's oldest (never the newest entry).
  while (weight() > capacity_ || entries_ > max_entries_) {
    PolicyNode* victim = !probation_.empty()   ? probation_.back()
                         : !protected_.empty() ? protected_.back()
                                               : window_.back();
    if (victim == newest) victim = victim->prev;
    if (victim == nullptr || victim == newest || victim->region == Region::kNone) return;
    Evict(victim);
  }
}

void Policy::SetWindow(uint64_t max_window, const PolicyNode* newest) {
  max_window_ = std::max<uint64_t>(1, std::min(max_window, capacity_));
  SetMainLimits();
  // Main gives its least valuable entries back to the window's least recent end.
  while (probation_weight_ + protected_weight_ > max_main_) {
    PolicyNode* node = !probation_.empty() ? probation_.back() : protected_.back();
    LeaveRegion(node);
    node->region = Region::kWindow;
    window_.PushBack(node);
    window_lfu_.Add(node, 1);
    window_weight_ += node->weight;
    ++entries_;
  }
  EvictFromWindow(newest);
  DemoteProtected();
}

void Policy::Clear() {
  std::vector<PolicyNode*> nodes;
  ForEach([&](PolicyNode* n) { nodes.push_back(n); });
  for (PolicyNode* n : nodes) {
    LeaveRegion(n);
    evict_(owner_, n);
  }
  ghost_lru_.Clear();
  ghost_lfu_.Clear();
  if (controller_) controller_->Clear();
}

}  // namespace cachelab::fast_internal
