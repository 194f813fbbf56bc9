#include "engine/registry/RateLimiter.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <limits>

namespace autonomy::registry {

RateLimiter::RateLimiter(std::uint64_t bytesPerSecond) { setRate(bytesPerSecond); }

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

async::Task<void> RateLimiter::pace(std::uint64_t bytes) {
  TokenBucket::Clock::duration wait{};
  {
    std::lock_guard lock(mutex_);
    paced_ += bytes;
    if (bucket_) wait = bucket_->reserve(bytes, TokenBucket::Clock::now());
  }
  if (wait <= TokenBucket::Clock::duration::zero()) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, wait);
  boost::system::error_code ec;  // a cancelled wait ends early; the transfer's own cancel follows
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace autonomy::registry
