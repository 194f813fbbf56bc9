#pragma once
// Bandwidth cap as a token bucket that may go into debt: a sender reserves its bytes and is told
// how long to wait. Reservations queue up in order, so several senders sharing one bucket get
// the configured rate between them without polling. The engine paces registry transfers with
// it (engine/registry/RateLimiter), and linkem emulates slow links with it.
#include <chrono>
#include <cstdint>

namespace autonomy {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts full: the first burstBytes go out at once, as on an idle link.
  TokenBucket(std::uint64_t bytesPerSecond, std::uint64_t burstBytes, Clock::time_point now);

  // Takes `bytes` from the bucket and returns how long from `now` the caller must wait before
  // sending them (zero when the bucket held enough).
  Clock::duration reserve(std::uint64_t bytes, Clock::time_point now);

  // A new rate (and its default burst) from now on; debt already taken is paid at the new rate.
  void setRate(std::uint64_t bytesPerSecond, Clock::time_point now);

  std::uint64_t rate() const { return rate_; }
  std::uint64_t burst() const { return burst_; }

  // The depth used when the options leave it at 0: 20 ms of traffic, at least 16 KiB.
  static std::uint64_t defaultBurst(std::uint64_t bytesPerSecond);

 private:
  std::uint64_t rate_;
  std::uint64_t burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace autonomy
