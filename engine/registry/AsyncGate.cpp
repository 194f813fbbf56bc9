#include "engine/registry/AsyncGate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::registry {

boost::asio::awaitable<bool> AsyncGate::acquire() {
  if (closed_) co_return false;
  if (free_ > 0 && waiters_.empty()) {
    --free_;
    co_return true;
  }
  auto w = std::make_shared<Waiter>(executor_);
  w->timer.expires_at(boost::asio::steady_timer::time_point::max());
  waiters_.push_back(w);
  co_await w->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  if (!w->granted) {
    std::erase(waiters_, w);
    co_return false;
  }
  co_return true;
}

void AsyncGate::release() {
  while (!waiters_.empty()) {
    auto w = waiters_.front();
    waiters_.pop_front();
    w->granted = true;
    w->timer.cancel();
    return;
  }
  ++free_;
}

void AsyncGate::close() {
  closed_ = true;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w->timer.cancel();
}

}  // namespace autonomy::registry
