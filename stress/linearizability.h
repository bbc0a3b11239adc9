// A linearizability checker for cache histories (Wing & Gong's search with Lowe's memoization,
// partitioned per key as Porcupine does: calls on different keys commute, so a history is
// linearizable iff each key's sub-history is).
//
// A history is every call's invocation and response (on one monotonic clock, across threads or
// processes) with its arguments and result. The sequential model of one key is the contract:
// a live entry holds the last value written; Lookup answers it (or misses if there is none, or
// it expired at the call's clock); Insert / InsertWithTtl write (ttl 0 removes); Erase answers
// whether it removed a live entry. When the cache can be full (more keys than capacity), an
// entry may also vanish at any moment (eviction is not modelled per key); Size, Clear and the
// capacity bound couple keys and are checked elsewhere.
//
// The engine's clock must be constant while a history is recorded (a test advances it only
// between histories); `clock` is its value. A history may start from several possible states of
// a key (what earlier histories may have left), and the checker returns the states it may end
// in, for the next one.
//
// Thread-safety: Check is a pure function. Complexity: exponential in the worst case; the
// search gives up after `budget` steps per key and then reports kUnknown, never kPass.
#ifndef CACHELAB_STRESS_LINEARIZABILITY_H_
#define CACHELAB_STRESS_LINEARIZABILITY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace cachelab::stress {

struct Call {
  enum Kind { kLookup, kInsert, kInsertWithTtl, kErase } kind;
  std::string key;
  std::string value;     // written (Insert*), or returned (a Lookup hit)
  int64_t ttl_ns = 0;    // InsertWithTtl; INT64_MAX: none
  bool hit = false;      // Lookup: found a value; Erase: returned true
  int thread = 0;        // or process
  int64_t invoked = 0;   // monotonic nanoseconds
  int64_t responded = 0;
  std::string ToString() const;
};

// What one key may hold: nothing, or a value with a deadline (Unix ns at the engine's clock;
// INT64_MAX: none).
struct KeyState {
  bool present = false;
  std::string value;
  int64_t deadline = INT64_MAX;
  friend bool operator<(const KeyState& a, const KeyState& b) {
    return std::tie(a.present, a.value, a.deadline) < std::tie(b.present, b.value, b.deadline);
  }
  friend bool operator==(const KeyState& a, const KeyState& b) = default;
};

struct CheckOptions {
  int64_t clock = 0;           // the engine's clock during the history (Unix ns)
  bool may_evict = false;      // entries may vanish at any moment
  int64_t budget = 2'000'000;  // search steps per key before giving up
};

struct CheckResult {
  enum Verdict { kPass, kFail, kUnknown } verdict = kPass;
  std::string key;                 // the offending key (kFail, kUnknown)
  std::vector<Call> counterexample;  // kFail: a smallest non-linearizable sub-history
  std::string timeline;            // kFail: the counterexample drawn as a timeline
  // kPass: every state each key may end in (keys never touched keep their start states).
  std::map<std::string, std::set<KeyState>> end_states;
  int64_t steps = 0;
  std::string Describe() const;
};

// Checks `history`, each key starting from any of `start` (a key absent from `start` starts
// absent).
CheckResult Check(const std::vector<Call>& history,
                  const std::map<std::string, std::set<KeyState>>& start,
                  const CheckOptions& options);

// Draws calls as one line each: thread, the call, and a bar over its [invoked, responded].
std::string Timeline(const std::vector<Call>& calls);

}  // namespace cachelab::stress

#endif  // CACHELAB_STRESS_LINEARIZABILITY_H_
