#pragma once
// Waits for a set of spawned coroutines (a fixed set of workers; never one per item).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace autonomy::async {

class TaskGroup {
 public:
  explicit TaskGroup(const boost::asio::any_io_executor& executor) : executor_(executor), timer_(executor) {
    timer_.expires_at(boost::asio::steady_timer::time_point::max());
  }

  void spawn(boost::asio::awaitable<void> task) {
    ++pending_;
    boost::asio::co_spawn(executor_, std::move(task), [this](const std::exception_ptr& e) {
      if (e && !error_) error_ = e;
      if (--pending_ == 0) timer_.cancel();
    });
  }

  // Returns when every spawned task has finished; rethrows the first exception.
  boost::asio::awaitable<void> wait() {
    while (pending_ > 0) co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (error_) std::rethrow_exception(error_);
  }

 private:
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer timer_;
  std::size_t pending_ = 0;
  std::exception_ptr error_;
};

}  // namespace autonomy::async
