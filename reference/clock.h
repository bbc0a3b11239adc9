// Clocks: the only source of time for every engine, so expiry is testable without sleeping.
//
// Thread-safety: both clocks may be read and (ManualClock) moved from any number of threads.
// Complexity: O(1). Not promised: a ManualClock never moves by itself, and RealClock may jump
// when the system time is set; engines treat time as "now", never as a duration source.
#ifndef CACHELAB_REFERENCE_CLOCK_H_
#define CACHELAB_REFERENCE_CLOCK_H_

#include <atomic>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cachelab {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time. Never fails.
  virtual absl::Time Now() const = 0;
};

// Reads absl::Now().
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that moves only when told to. Starts at the Unix epoch unless given a start.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::UnixEpoch())
      : nanos_(absl::ToUnixNanos(start)) {}

  absl::Time Now() const override {
    return absl::FromUnixNanos(nanos_.load(std::memory_order_acquire));
  }
  // Moves the clock forward by `d`. Precondition: d >= 0 (time never runs backwards).
  void Advance(absl::Duration d) {
    nanos_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_acq_rel);
  }

 private:
  std::atomic<int64_t> nanos_;
};

// The process-wide real clock, for options that leave the clock unset.
inline std::shared_ptr<const Clock> DefaultClock() {
  static const auto* const clock = new std::shared_ptr<const Clock>(new RealClock);
  return *clock;
}

}  // namespace cachelab

#endif  // CACHELAB_REFERENCE_CLOCK_H_
