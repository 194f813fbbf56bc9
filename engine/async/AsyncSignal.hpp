#pragma once
// Wakes every coroutine waiting on it: "something you wait for may have changed, look again".
// For coroutines on one strand that share state (a blob read fanned out to several writers).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "engine/core/CancelToken.hpp"

namespace autonomy::async {

class AsyncSignal {
 public:
  explicit AsyncSignal(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Waits for the next notifyAll(); false when `cancel` fired instead.
  boost::asio::awaitable<bool> wait(CancelTokenPtr cancel = nullptr);
  void notifyAll();
  std::size_t waiting() const { return waiters_.size(); }

 private:
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    bool notified = false;
  };
  boost::asio::any_io_executor executor_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace autonomy::async
