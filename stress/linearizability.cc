#include "stress/linearizability.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cachelab::stress {
namespace {

constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

bool Live(const KeyState& state, int64_t clock) { return state.present && state.deadline > clock; }

KeyState Normalize(KeyState state, int64_t clock) {
  if (!Live(state, clock)) return KeyState{};
  return state;
}

// The state after `call` from `state` (normalized), or nullopt if the call's result is
// impossible there.
std::optional<KeyState> Apply(const Call& call, const KeyState& state, int64_t clock) {
  const bool live = Live(state, clock);
  switch (call.kind) {
    case Call::kLookup:
      if (call.hit) {
        if (!live || state.value != call.value) return std::nullopt;
        return state;
      }
      if (live) return std::nullopt;
      return KeyState{};
    case Call::kInsert:
    case Call::kInsertWithTtl: {
      if (call.ttl_ns == 0) return KeyState{};
      KeyState next;
      next.present = true;
      next.value = call.value;
      next.deadline = call.ttl_ns == kNone || call.ttl_ns > kNone - clock ? kNone : clock + call.ttl_ns;
      return next;
    }
    case Call::kErase:
      if (call.hit != live) return std::nullopt;
      return KeyState{};
  }
  return std::nullopt;
}

// Wing & Gong's search over one key's calls, remembering (linearized set, state) pairs already
// explored (Lowe). Collects every state a complete linearization ends in.
class KeySearch {
 public:
  KeySearch(std::vector<Call> calls, const CheckOptions& options)
      : calls_(std::move(calls)), options_(options) {
    std::stable_sort(calls_.begin(), calls_.end(),
                     [](const Call& a, const Call& b) { return a.invoked < b.invoked; });
    done_.assign((calls_.size() + 63) / 64, 0);
  }

  enum Outcome { kFound, kNotFound, kOutOfBudget };

  Outcome Run(const std::set<KeyState>& starts, std::set<KeyState>& ends) {
    for (const KeyState& start : starts) {
      const KeyState s = Normalize(start, options_.clock);
      if (!Search(s, 0, ends)) return kOutOfBudget;
    }
    return ends.empty() ? kNotFound : kFound;
  }
  int64_t steps() const { return steps_; }

 private:
  // Returns false if the budget ran out.
  bool Search(const KeyState& state, size_t linearized, std::set<KeyState>& ends) {
    if (++steps_ > options_.budget) return false;
    std::string memo(reinterpret_cast<const char*>(done_.data()), done_.size() * 8);
    absl::StrAppend(&memo, state.present ? "1" : "0", state.value, "|", state.deadline);
    if (!seen_.insert(std::move(memo)).second) return true;
    if (linearized == calls_.size()) {
      ends.insert(state);
      if (options_.may_evict) ends.insert(KeyState{});
      return true;
    }
    // Candidates: calls not yet linearized invoked before every pending call's response.
    int64_t first_response = kNone;
    for (size_t i = 0; i < calls_.size(); ++i) {
      if (!Done(i)) first_response = std::min(first_response, calls_[i].responded);
    }
    for (size_t i = 0; i < calls_.size() && calls_[i].invoked <= first_response; ++i) {
      if (Done(i)) continue;
      for (int vanish = 0; vanish < (options_.may_evict && state.present ? 2 : 1); ++vanish) {
        auto next = Apply(calls_[i], vanish ? KeyState{} : state, options_.clock);
        if (!next.has_value()) continue;
        SetDone(i, true);
        const bool within_budget = Search(*next, linearized + 1, ends);
        SetDone(i, false);
        if (!within_budget) return false;
      }
    }
    return true;
  }

  bool Done(size_t i) const { return (done_[i / 64] >> (i % 64)) & 1; }
  void SetDone(size_t i, bool value) {
    if (value) {
      done_[i / 64] |= uint64_t{1} << (i % 64);
    } else {
      done_[i / 64] &= ~(uint64_t{1} << (i % 64));
    }
  }

  std::vector<Call> calls_;
  const CheckOptions options_;
  std::vector<uint64_t> done_;
  absl::flat_hash_set<std::string> seen_;
  int64_t steps_ = 0;
};

// A locally smallest sub-history that is still not linearizable. Calls are dropped one at a
// time while the rest stays non-linearizable, except writes that explain what is kept: a write
// whose value a kept lookup read, a write overlapping a kept lookup or erase in time (the bug is
// often in the overlap), and the last change (write or erase) before a kept lookup or erase. Dropping those
// would leave a trivial contradiction ("read a value never written") instead of the one found.
bool ChangesState(const Call& c) {
  return c.kind == Call::kInsert || c.kind == Call::kInsertWithTtl ||
         (c.kind == Call::kErase && c.hit);
}

bool Explains(const Call& write, const std::vector<Call>& calls) {
  if (!ChangesState(write)) return false;
  for (const Call& c : calls) {
    if (&c == &write) continue;
    if (c.kind == Call::kLookup && c.hit && c.value == write.value) return true;
    const bool observes = c.kind == Call::kLookup || c.kind == Call::kErase;
    if (!observes) continue;
    if (c.invoked <= write.responded && write.invoked <= c.responded) {
      return true;  // a write overlapping an observation may explain it
    }
    if (write.responded < c.invoked) {  // the last change before an observation explains it
      const bool last_before = std::none_of(calls.begin(), calls.end(), [&](const Call& other) {
        return &other != &write && &other != &c && ChangesState(other) &&
               other.invoked > write.responded && other.responded < c.invoked;
      });
      if (last_before) return true;
    }
  }
  return false;
}

std::vector<Call> Shrink(std::vector<Call> calls, const std::set<KeyState>& starts,
                         const CheckOptions& options) {
  bool shrunk = true;
  while (shrunk) {
    shrunk = false;
    for (size_t i = 0; i < calls.size(); ++i) {
      if (Explains(calls[i], calls)) continue;
      std::vector<Call> fewer = calls;
      fewer.erase(fewer.begin() + i);
      std::set<KeyState> ends;
      if (KeySearch(fewer, options).Run(starts, ends) == KeySearch::kNotFound) {
        calls = std::move(fewer);
        shrunk = true;
        break;
      }
    }
  }
  return calls;
}

}  // namespace

std::string Call::ToString() const {
  switch (kind) {
    case kLookup:
      return absl::StrCat("Lookup(", key, ") -> ",
                          hit ? absl::StrCat("\"", absl::CEscape(value), "\"") : "miss");
    case kInsert:
      return absl::StrCat("Insert(", key, ", \"", absl::CEscape(value), "\")");
    case kInsertWithTtl:
      return absl::StrCat("InsertWithTtl(", key, ", \"", absl::CEscape(value), "\", ",
                          ttl_ns == kNone ? "inf" : absl::StrCat(ttl_ns, "ns"), ")");
    case kErase:
      return absl::StrCat("Erase(", key, ") -> ", hit ? "true" : "false");
  }
  return "?";
}

std::string Timeline(const std::vector<Call>& calls) {
  if (calls.empty()) return "";
  int64_t begin = kNone, end = 0;
  for (const Call& c : calls) {
    begin = std::min(begin, c.invoked);
    end = std::max(end, c.responded);
  }
  constexpr int kWidth = 48;
  const double scale = end > begin ? static_cast<double>(kWidth - 1) / (end - begin) : 0;
  std::vector<const Call*> sorted;
  for (const Call& c : calls) sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Call* a, const Call* b) { return a->invoked < b->invoked; });
  std::string out = absl::StrFormat("  %-8s %-44s %s\n", "thread", "call",
                                    absl::StrCat("time: 0 .. ", end - begin, " ns"));
  for (const Call* c : sorted) {
    const int from = static_cast<int>((c->invoked - begin) * scale);
    const int to = std::max(from, static_cast<int>((c->responded - begin) * scale));
    std::string bar(kWidth, ' ');
    for (int x = from; x <= to; ++x) bar[x] = '=';
    bar[from] = '[';
    bar[to] = ']';
    absl::StrAppendFormat(&out, "  T%-7d %-44s |%s|\n", c->thread, c->ToString(), bar);
  }
  return out;
}

std::string CheckResult::Describe() const {
  switch (verdict) {
    case kPass:
      return absl::StrCat("linearizable (", steps, " search steps)");
    case kUnknown:
      return absl::StrCat("UNKNOWN: the search for key ", key, " ran out of its budget after ",
                          steps, " steps (not a pass)");
    case kFail:
      return absl::StrCat("NOT LINEARIZABLE: key ", key, "; a smallest history no order of "
                          "the calls explains (", counterexample.size(), " calls):\n", timeline);
  }
  return "";
}

CheckResult Check(const std::vector<Call>& history,
                  const std::map<std::string, std::set<KeyState>>& start,
                  const CheckOptions& options) {
  std::map<std::string, std::vector<Call>> by_key;
  for (const Call& call : history) by_key[call.key].push_back(call);
  CheckResult result;
  result.end_states = start;
  for (auto& [key, calls] : by_key) {
    std::set<KeyState> starts{KeyState{}};
    if (auto it = start.find(key); it != start.end() && !it->second.empty()) starts = it->second;
    KeySearch search(calls, options);
    std::set<KeyState> ends;
    const auto outcome = search.Run(starts, ends);
    result.steps += search.steps();
    if (outcome == KeySearch::kOutOfBudget) {
      result.verdict = CheckResult::kUnknown;
      result.key = key;
      return result;
    }
    if (outcome == KeySearch::kNotFound) {
      result.verdict = CheckResult::kFail;
      result.key = key;
      result.counterexample = Shrink(calls, starts, options);
      result.timeline = Timeline(result.counterexample);
      return result;
    }
    result.end_states[key] = std::move(ends);
  }
  return result;
}

}  // namespace cachelab::stress
