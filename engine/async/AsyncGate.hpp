#pragma once
// A counting gate for coroutines on one strand: at most N holders at once, FIFO waiters.
// Bounded concurrency is explicit (DESIGN.md): repos in flight, connections per host.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>

#include "engine/core/CancelToken.hpp"

namespace autonomy::async {

class AsyncGate {
 public:
  AsyncGate(boost::asio::any_io_executor executor, std::size_t limit) : executor_(std::move(executor)), free_(limit) {}

  // Waits for a free place. Returns false if the gate was closed or `cancel` fired.
  boost::asio::awaitable<bool> acquire(CancelTokenPtr cancel = nullptr);
  void release();
  // Wakes every waiter with false; later acquires fail at once.
  void close();
  std::size_t waiting() const { return waiters_.size(); }
  std::size_t available() const { return free_; }

 private:
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    bool granted = false;
  };
  boost::asio::any_io_executor executor_;
  std::size_t free_;
  bool closed_ = false;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

// Holds one place of a gate for a scope.
class GatePass {
 public:
  GatePass() = default;
  explicit GatePass(AsyncGate* gate) : gate_(gate) {}
  GatePass(GatePass&& o) noexcept : gate_(std::exchange(o.gate_, nullptr)) {}
  // release() could throw only if a steady_timer's cancel() failed, which the reactor never does.
  GatePass& operator=(GatePass&& o) noexcept {  // NOLINT(bugprone-exception-escape)
    reset();
    gate_ = std::exchange(o.gate_, nullptr);
    return *this;
  }
  ~GatePass() { reset(); }  // NOLINT(bugprone-exception-escape): as operator=
  void reset() {
    if (gate_) std::exchange(gate_, nullptr)->release();
  }

 private:
  AsyncGate* gate_ = nullptr;
};

}  // namespace autonomy::async
