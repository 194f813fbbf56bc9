#pragma once
// sd_notify(3) for Type=notify: READY=1 once the API listens, STATUS= lines, RELOADING=1 around
// a SIGHUP, STOPPING=1 at shutdown, and WATCHDOG=1 from the io_context itself (so a stuck event
// loop stops the pings and systemd restarts the daemon). Harmless when not run by systemd.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>

namespace autonomy::daemon {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(const boost::asio::any_io_executor& executor);

  void ready(const std::string& status);
  void reloading();
  void status(const std::string& status);
  void stopping();
  // Starts the pings when the unit has WatchdogSec= (WATCHDOG_USEC in the environment).
  void startWatchdog();
  void stopWatchdog();
  std::chrono::microseconds watchdogInterval() const { return interval_; }

 private:
  static boost::asio::awaitable<void> pingLoop(SystemdNotifier* self);

  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_{0};
  bool stopped_ = false;
};

}  // namespace autonomy::daemon
