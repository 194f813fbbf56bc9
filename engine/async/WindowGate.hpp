#pragma once
// Holds blob bytes back outside a set of transfer windows (engine/core/TransferWindows): one
// per registry host (under its RateLimiter) and one per daemon schedule. The windows can be
// replaced while transfers wait (SIGHUP); a waiter looks again at least once a second.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/async/Task.hpp"
#include "engine/core/TransferWindows.hpp"

namespace autonomy::async {

class WindowGate {
 public:
  // `label` names what is paused in the log: "registry edge-b.local:5000", "schedule nightly".
  explicit WindowGate(std::string label) : label_(std::move(label)) {}

  void set(TransferWindows windows);
  TransferWindows windows() const;
  bool isOpen() const;

  // At once when open; else waits until a window opens (true) or `abandoned` says the caller
  // gave up (false), looking at both at least once a second.
  Task<bool> waitOpen(std::function<bool()> abandoned);

  // Wall time during which at least one transfer waited here (not once per waiter).
  std::chrono::duration<double> pausedTime() const;
  std::size_t waiting() const;

 private:
  using Steady = std::chrono::steady_clock;
  class Waiting;  // counts one waiter in and out, also when its coroutine is destroyed
  std::chrono::milliseconds nextLook() const;
  void enter();
  void leave();

  std::string label_;
  mutable std::mutex mutex_;
  TransferWindows windows_;
  std::size_t waiters_ = 0;
  Steady::time_point pausedSince_{};
  Steady::duration paused_{};
};

using WindowGatePtr = std::shared_ptr<WindowGate>;

}  // namespace autonomy::async
