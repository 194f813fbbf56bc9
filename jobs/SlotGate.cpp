#include "jobs/SlotGate.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::jobs {

boost::asio::awaitable<bool> SlotGate::acquire(CancelTokenPtr cancel) {
  if (closed_ || (cancel && cancel->cancelled())) co_return false;
  if (free_ > 0 && waiters_.empty()) {
    --free_;
    co_return true;
  }
  auto w = std::make_shared<Waiter>(executor_);
  w->timer.expires_at(boost::asio::steady_timer::time_point::max());
  waiters_.push_back(w);
  CancelToken::Id subscription = 0;
  if (cancel) {
    std::weak_ptr<Waiter> weak = w;
    subscription = cancel->subscribe([weak] {
      if (auto waiter = weak.lock()) waiter->timer.cancel();
    });
  }
  co_await w->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  if (cancel && subscription) cancel->unsubscribe(subscription);
  if (!w->granted) drop(w);
  co_return w->granted;
}

void SlotGate::drop(const std::shared_ptr<Waiter>& w) {
  auto it = std::find(waiters_.begin(), waiters_.end(), w);
  if (it != waiters_.end()) waiters_.erase(it);
}

void SlotGate::release() {
  if (!waiters_.empty()) {
    auto w = waiters_.front();
    waiters_.pop_front();
    w->granted = true;
    w->timer.cancel();
    return;
  }
  ++free_;
}

void SlotGate::close() {
  closed_ = true;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w->timer.cancel();
}

}  // namespace autonomy::jobs
