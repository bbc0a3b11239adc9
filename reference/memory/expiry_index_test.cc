// ExpiryIndex (internal/expiry_index.h): in-order deadlines are queued, others go to the btree,
// and Soonest always names a node with the earliest deadline in the index, whatever the mix.
#include "reference/memory/internal/expiry_index.h"

#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace cachelab::internal {
namespace {

struct TestNode : ExpiryHook {
  explicit TestNode(int64_t seconds) : deadline(absl::UnixEpoch() + absl::Seconds(seconds)) {}
  absl::Time deadline;
  bool Queued() const { return expiry_link.Linked(); }
};

// Soonest() names `order` one after the other as each is removed, then nothing.
void ExpectSoonestInOrder(ExpiryIndex<TestNode>& index, std::vector<TestNode*> order) {
  for (TestNode* node : order) {
    ASSERT_EQ(index.Soonest(), node);
    index.Remove(node);
  }
  EXPECT_EQ(index.Soonest(), nullptr);
}

TEST(ExpiryIndexTest, QueuesDeadlinesThatComeInOrder) {
  TestNode a(10), b(10), c(20);
  ExpiryIndex<TestNode> index;
  EXPECT_EQ(index.Soonest(), nullptr);
  index.Add(&a);
  index.Add(&b);
  index.Add(&c);
  EXPECT_TRUE(a.Queued());
  EXPECT_TRUE(b.Queued());
  EXPECT_TRUE(c.Queued());
  EXPECT_EQ(index.Soonest(), &a);
  index.Remove(&a);
  EXPECT_FALSE(a.Queued());
  index.Remove(&c);  // from the back
  ExpectSoonestInOrder(index, {&b});
}

TEST(ExpiryIndexTest, KeepsAnEarlierDeadlineOutOfTheQueueAndStillNamesItFirst) {
  TestNode late(30), early(5), middle(20);
  ExpiryIndex<TestNode> index;
  index.Add(&late);
  index.Add(&early);   // before the queue's back: the btree
  index.Add(&middle);  // before the queue's back too
  EXPECT_TRUE(late.Queued());
  EXPECT_FALSE(early.Queued());
  EXPECT_FALSE(middle.Queued());
  ExpectSoonestInOrder(index, {&early, &middle, &late});
}

TEST(ExpiryIndexTest, QueuesAfterALaterDeadlineLeavesTheBack) {
  TestNode first(10), second(40), third(25);
  ExpiryIndex<TestNode> index;
  index.Add(&first);
  index.Add(&second);
  index.Remove(&second);
  index.Add(&third);  // after the queue's new back (10)
  EXPECT_TRUE(third.Queued());
  EXPECT_EQ(index.Soonest(), &first);
}

// Random adds and removes, deadlines mostly rising with a clock and sometimes set back or short,
// against a multiset of (deadline, node). Each seed is printed when its run fails.
TEST(ExpiryIndexTest, NamesTheSoonestDeadlineLikeASortedSetUnderRandomCalls) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    std::mt19937_64 rng(seed);
    ExpiryIndex<TestNode> index;
    std::set<std::pair<absl::Time, TestNode*>> model;
    std::vector<std::unique_ptr<TestNode>> live;
    int64_t clock = 0;
    for (int step = 0; step < 3000; ++step) {
      const uint64_t roll = rng() % 10;
      if (roll < 6 || live.empty()) {
        clock += static_cast<int64_t>(rng() % 3);
        int64_t ttl = 100;
        if (roll == 0) ttl = static_cast<int64_t>(rng() % 100);      // a shorter TTL
        if (roll == 1) clock -= static_cast<int64_t>(rng() % 50);    // the clock set back
        live.push_back(std::make_unique<TestNode>(clock + ttl));
        index.Add(live.back().get());
        model.insert({live.back()->deadline, live.back().get()});
      } else {
        const size_t at = rng() % live.size();
        TestNode* node = live[at].get();
        index.Remove(node);
        model.erase({node->deadline, node});
        std::swap(live[at], live.back());
        live.pop_back();
      }
      TestNode* soonest = index.Soonest();
      if (model.empty()) {
        ASSERT_EQ(soonest, nullptr) << "step " << step;
      } else {
        ASSERT_NE(soonest, nullptr) << "step " << step;
        ASSERT_EQ(soonest->deadline, model.begin()->first) << "step " << step;
        ASSERT_EQ(model.count({soonest->deadline, soonest}), 1u) << "step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace cachelab::internal
