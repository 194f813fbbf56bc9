#include "engine/async/AsyncGate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::async {

boost::asio::awaitable<bool> AsyncGate::acquire(CancelTokenPtr cancel) {
  if (closed_ || (cancel && cancel->cancelled())) co_return false;
  if (free_ > 0 && waiters_.empty()) {
    --free_;
    co_return true;
  }
  auto w = std::make_shared<Waiter>(executor_);
  w->timer.expires_at(boost::asio::steady_timer::time_point::max());
  waiters_.push_back(w);
  CancelToken::Id id = 0;
  if (cancel) {
    std::weak_ptr<Waiter> weak = w;
    // Runs on the canceller's thread; the daemon and CLI cancel on the io thread itself.
    id = cancel->subscribe([weak] {
      if (auto alive = weak.lock()) alive->timer.cancel();
    });
  }
  co_await w->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  if (cancel && id) cancel->unsubscribe(id);
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

}  // namespace autonomy::async
