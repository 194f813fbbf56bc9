#include "engine/registry/RetryPolicy.hpp"

#include <algorithm>
#include <charconv>

namespace autonomy::registry {

std::chrono::milliseconds RetryPolicy::delayFor(int attempt, std::optional<std::chrono::seconds> retryAfter,
                                                std::mt19937& rng) const {
  const int shift = std::clamp(attempt - 1, 0, 20);
  const auto exp = std::min<long long>(maxDelay.count(), baseDelay.count() * (1LL << shift));
  std::uniform_int_distribution<long long> jitter(exp / 2, exp);
  auto delay = std::chrono::milliseconds(jitter(rng));
  if (retryAfter) delay = std::max<std::chrono::milliseconds>(delay, *retryAfter);
  return std::min(delay, std::max(maxDelay, std::chrono::milliseconds(60'000)));
}

bool RetryPolicy::isRetryableStatus(unsigned status) {
  return status == 408 || status == 429 || (status >= 500 && status != 501);
}

std::optional<std::chrono::seconds> RetryPolicy::parseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  long long secs = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec != std::errc() || secs < 0 || ptr != value.data() + value.size()) return std::nullopt;
  return std::chrono::seconds(secs);
}

}  // namespace autonomy::registry
