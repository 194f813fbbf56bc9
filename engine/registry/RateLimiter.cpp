#include "engine/registry/RateLimiter.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <limits>

namespace autonomy::registry {

namespace {

constexpr std::int64_t kRateSeconds = 5;  // currentRate()'s span: long enough to smooth pieces

std::int64_t steadySecond() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

RateLimiter::RateLimiter(std::uint64_t bytesPerSecond, std::string label) : windows_(std::move(label)) {
  setRate(bytesPerSecond);
}

void RateLimiter::setRate(std::uint64_t bytesPerSecond) {
  std::lock_guard lock(mutex_);
  const auto now = TokenBucket::Clock::now();
  if (bytesPerSecond == 0)
    bucket_.reset();
  else if (bucket_)
    bucket_->setRate(bytesPerSecond, now);
  else
    bucket_.emplace(bytesPerSecond, TokenBucket::defaultBurst(bytesPerSecond), now);
}

std::uint64_t RateLimiter::rate() const {
  std::lock_guard lock(mutex_);
  return bucket_ ? bucket_->rate() : 0;
}

std::size_t RateLimiter::piece() const {
  std::lock_guard lock(mutex_);
  return bucket_ ? static_cast<std::size_t>(bucket_->burst()) : std::numeric_limits<std::size_t>::max();
}

std::uint64_t RateLimiter::bytesPaced() const {
  std::lock_guard lock(mutex_);
  return paced_;
}

std::uint64_t RateLimiter::currentRate() const {
  std::lock_guard lock(mutex_);
  const std::int64_t now = steadySecond();
  std::uint64_t sum = 0;
  for (const Second& s : recent_)  // whole seconds only: the current one is still filling
    if (s.at < now && s.at >= now - kRateSeconds) sum += s.bytes;
  return sum / kRateSeconds;
}

async::Task<void> RateLimiter::pace(std::uint64_t bytes) {
  TokenBucket::Clock::duration wait{};
  {
    std::lock_guard lock(mutex_);
    paced_ += bytes;
    const std::int64_t now = steadySecond();
    if (recent_.empty() || recent_.back().at != now) recent_.push_back({now, 0});
    recent_.back().bytes += bytes;
    while (recent_.front().at < now - kRateSeconds) recent_.pop_front();
    if (bucket_) wait = bucket_->reserve(bytes, TokenBucket::Clock::now());
  }
  if (wait <= TokenBucket::Clock::duration::zero()) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, wait);
  boost::system::error_code ec;  // a cancelled wait ends early; the transfer's own cancel follows
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace autonomy::registry
