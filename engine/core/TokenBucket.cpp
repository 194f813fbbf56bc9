#include "engine/core/TokenBucket.hpp"

#include <algorithm>

namespace autonomy {

TokenBucket::TokenBucket(std::uint64_t bytesPerSecond, std::uint64_t burstBytes, Clock::time_point now)
    : rate_(std::max<std::uint64_t>(bytesPerSecond, 1)),
      burst_(std::max<std::uint64_t>(burstBytes, 1)),
      tokens_(static_cast<double>(burst_)),
      last_(now) {}

TokenBucket::Clock::duration TokenBucket::reserve(std::uint64_t bytes, Clock::time_point now) {
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * static_cast<double>(rate_));
    last_ = now;
  }
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ >= 0) return Clock::duration::zero();
  const std::chrono::duration<double> wait(-tokens_ / static_cast<double>(rate_));
  return std::chrono::ceil<Clock::duration>(wait);
}

void TokenBucket::setRate(std::uint64_t bytesPerSecond, Clock::time_point now) {
  reserve(0, now);  // bank what the old rate earned so far
  rate_ = std::max<std::uint64_t>(bytesPerSecond, 1);
  burst_ = defaultBurst(rate_);
  tokens_ = std::min(tokens_, static_cast<double>(burst_));
}

std::uint64_t TokenBucket::defaultBurst(std::uint64_t bytesPerSecond) {
  return std::max<std::uint64_t>(bytesPerSecond / 50, std::uint64_t{16} << 10);
}

}  // namespace autonomy
