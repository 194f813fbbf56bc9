#include "engine/async/WindowGate.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ctime>

namespace autonomy::async {

namespace {

std::string utcMinute(TransferWindows::Clock::time_point t) {
  const std::time_t s = TransferWindows::Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%MZ", &tm);
  return buf;
}

std::string joined(const std::vector<std::string>& specs) {
  std::string out;
  for (const auto& s : specs) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

class WindowGate::Waiting {
 public:
  explicit Waiting(WindowGate* gate) : gate_(gate) { gate_->enter(); }
  ~Waiting() { gate_->leave(); }
  Waiting(const Waiting&) = delete;
  Waiting& operator=(const Waiting&) = delete;

 private:
  WindowGate* gate_;
};

void WindowGate::set(TransferWindows windows) {
  std::lock_guard lock(mutex_);
  windows_ = std::move(windows);
}

TransferWindows WindowGate::windows() const {
  std::lock_guard lock(mutex_);
  return windows_;
}

bool WindowGate::isOpen() const {
  std::lock_guard lock(mutex_);
  return windows_.isOpen(TransferWindows::Clock::now());
}

std::chrono::milliseconds WindowGate::nextLook() const {
  std::lock_guard lock(mutex_);
  const auto now = TransferWindows::Clock::now();
  const auto until = std::chrono::ceil<std::chrono::milliseconds>(windows_.nextOpen(now) - now);
  return std::clamp(until, std::chrono::milliseconds(1), std::chrono::milliseconds(1000));
}

void WindowGate::enter() {
  std::lock_guard lock(mutex_);
  if (waiters_++ > 0) return;
  pausedSince_ = Steady::now();
  const auto now = TransferWindows::Clock::now();
  spdlog::info("{}: outside its transfer windows ({}): blob transfers pause until {}", label_, joined(windows_.specs()),
               utcMinute(windows_.nextOpen(now)));
}

void WindowGate::leave() {
  std::lock_guard lock(mutex_);
  if (--waiters_ > 0) return;
  const auto waited = Steady::now() - pausedSince_;
  paused_ += waited;
  if (windows_.isOpen(TransferWindows::Clock::now()))  // not when the last waiter gave up
    spdlog::info("{}: transfers resume after {:.1f} s paused", label_, std::chrono::duration<double>(waited).count());
}

Task<bool> WindowGate::waitOpen(std::function<bool()> abandoned) {
  if (isOpen()) co_return true;
  const Waiting counted(this);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  bool open = isOpen();
  while (!open && !(abandoned && abandoned())) {
    timer.expires_after(nextLook());
    boost::system::error_code ec;  // a cancelled timer just looks again
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    open = isOpen();
  }
  co_return open;
}

std::chrono::duration<double> WindowGate::pausedTime() const {
  std::lock_guard lock(mutex_);
  auto total = paused_;
  if (waiters_ > 0) total += Steady::now() - pausedSince_;
  return total;
}

std::size_t WindowGate::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_;
}

}  // namespace autonomy::async
