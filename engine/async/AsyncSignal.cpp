#include "engine/async/AsyncSignal.hpp"

#include "engine/async/WakeableWait.hpp"

namespace autonomy::async {

boost::asio::awaitable<bool> AsyncSignal::wait(CancelTokenPtr cancel) {
  if (cancel && cancel->cancelled()) co_return false;
  auto w = std::make_shared<Waiter>(executor_);
  waiters_.push_back(w);
  co_await waitToBeWoken(w, std::move(cancel));
  std::erase(waiters_, w);  // a cancelled waiter is still listed; a notified one no longer is
  co_return w->notified;
}

void AsyncSignal::notifyAll() {
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) {
    w->notified = true;
    w->timer.cancel();
  }
}

}  // namespace autonomy::async
