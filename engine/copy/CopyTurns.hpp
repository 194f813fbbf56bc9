#pragma once
// Copy turns for a fail-fast run: checks run ahead (many repos at once), but repo i starts
// copying only after every earlier repo has started copying or finished, so the first failure
// stops the run in the order the operator gave, whatever order the checks came back in.
// Single-threaded: every call happens on the run's io_context thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <vector>

#include "engine/core/CancelToken.hpp"

namespace autonomy::copy {

class CopyTurns {
 public:
  CopyTurns(boost::asio::any_io_executor executor, std::size_t repos)
      : executor_(std::move(executor)), passed_(repos) {}

  // Waits until every repo before `index` has passed. False when `cancel` fired.
  boost::asio::awaitable<bool> waitTurn(std::size_t index, CancelTokenPtr cancel);
  // Repo `index` started copying or finished; idempotent.
  void pass(std::size_t index);
  // The run stopped: every waiter goes on (and finds the run stopped).
  void openAll();

 private:
  void wakeReady();

  boost::asio::any_io_executor executor_;
  std::vector<bool> passed_;
  std::size_t lowest_ = 0;  // every index below it has passed
  bool open_ = false;
  std::map<std::size_t, std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace autonomy::copy
