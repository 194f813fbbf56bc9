#include "engine/async/AsyncGate.hpp"

#include "engine/async/WakeableWait.hpp"

namespace autonomy::async {

boost::asio::awaitable<bool> AsyncGate::acquire(CancelTokenPtr cancel) {
  if (closed_ || (cancel && cancel->cancelled())) co_return false;
  if (free_ > 0 && waiters_.empty()) {
    --free_;
    co_return true;
  }
  auto w = std::make_shared<Waiter>(executor_);
  waiters_.push_back(w);
  co_await waitToBeWoken(w, std::move(cancel));
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
