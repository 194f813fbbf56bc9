#include "daemon/SystemdNotifier.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::daemon {

SystemdNotifier::SystemdNotifier(const boost::asio::any_io_executor& executor) : timer_(executor) {}

void SystemdNotifier::ready(const std::string& status) { sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }

void SystemdNotifier::reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec =
      static_cast<unsigned long long>(ts.tv_sec) * 1000000ull + static_cast<unsigned long long>(ts.tv_nsec) / 1000ull;
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}

void SystemdNotifier::status(const std::string& status) { sd_notifyf(0, "STATUS=%s", status.c_str()); }

void SystemdNotifier::stopping() { sd_notify(0, "STOPPING=1\nSTATUS=Stopping"); }

void SystemdNotifier::startWatchdog() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  interval_ = std::chrono::microseconds(usec);
  boost::asio::co_spawn(timer_.get_executor(), pingLoop(this), boost::asio::detached);
}

void SystemdNotifier::stopWatchdog() {
  stopped_ = true;
  timer_.cancel();
}

boost::asio::awaitable<void> SystemdNotifier::pingLoop(SystemdNotifier* self) {
  // Twice per interval, as sd_watchdog_enabled(3) recommends.
  const auto period = self->interval_ / 2;
  while (!self->stopped_) {
    sd_notify(0, "WATCHDOG=1");
    self->timer_.expires_after(period);
    co_await self->timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

}  // namespace autonomy::daemon
