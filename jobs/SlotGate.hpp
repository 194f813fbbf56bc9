#pragma once
// A counting gate whose waits end early when a job is cancelled. The engine's AsyncGate only
// wakes on close(); a job waiting for a repo slot or a destination lock must instead give up
// at once when its own CancelToken fires, without disturbing other jobs' waits.
// Single-threaded: every call happens on the daemon's io_context thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>

#include "engine/core/CancelToken.hpp"

namespace autonomy::jobs {

class SlotGate {
 public:
  SlotGate(boost::asio::any_io_executor executor, std::size_t limit) : executor_(std::move(executor)), free_(limit) {}

  // FIFO. False when `cancel` fired (before or during the wait) or the gate was closed.
  boost::asio::awaitable<bool> acquire(CancelTokenPtr cancel);
  void release();
  // Wakes every waiter with false; later acquires fail at once.
  void close();

  std::size_t waiting() const { return waiters_.size(); }
  std::size_t available() const { return free_; }

 private:
  struct Waiter {
    explicit Waiter(boost::asio::any_io_executor ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    bool granted = false;
  };
  void drop(const std::shared_ptr<Waiter>& w);

  boost::asio::any_io_executor executor_;
  std::size_t free_;
  bool closed_ = false;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

// Holds one place of a SlotGate for a scope.
class SlotPass {
 public:
  SlotPass() = default;
  explicit SlotPass(std::shared_ptr<SlotGate> gate) : gate_(std::move(gate)) {}
  SlotPass(SlotPass&& o) noexcept = default;
  SlotPass& operator=(SlotPass&& o) noexcept {
    reset();
    gate_ = std::move(o.gate_);
    return *this;
  }
  SlotPass(const SlotPass&) = delete;
  SlotPass& operator=(const SlotPass&) = delete;
  ~SlotPass() { reset(); }
  void reset() {
    if (gate_) std::exchange(gate_, nullptr)->release();
  }

 private:
  std::shared_ptr<SlotGate> gate_;
};

}  // namespace autonomy::jobs
