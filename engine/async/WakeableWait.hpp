#pragma once
// The wait under AsyncGate and AsyncSignal: a waiter's timer set to expire never, so the wait
// ends when someone cancels the timer to wake it, or when `cancel` fires.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "engine/core/CancelToken.hpp"

namespace autonomy::async {

// `Waiter` has a `boost::asio::steady_timer timer`.
template <typename Waiter>
boost::asio::awaitable<void> waitToBeWoken(std::shared_ptr<Waiter> w, CancelTokenPtr cancel) {
  w->timer.expires_at(boost::asio::steady_timer::time_point::max());
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
}

}  // namespace autonomy::async
