#pragma once
// Which failures are worth another try, and how long to wait before it.
#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace autonomy::registry {

struct RetryPolicy {
  int maxAttempts = 5;
  std::chrono::milliseconds baseDelay{200};
  std::chrono::milliseconds maxDelay{10'000};

  // Capped exponential backoff with full jitter; a server's Retry-After wins when larger
  // (still capped, so a hostile header cannot park us for hours).
  std::chrono::milliseconds delayFor(int attempt, std::optional<std::chrono::seconds> retryAfter,
                                     std::mt19937& rng) const;

  // 5xx (but 501), 408 and 429 are transient; every other status is final.
  static bool isRetryableStatus(unsigned status);
  // Retry-After as delta-seconds (HTTP-dates are treated as absent).
  static std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value);
};

}  // namespace autonomy::registry
