// Transfer windows (engine/core/TransferWindows) and the gate that holds transfers outside
// them (engine/async/WindowGate).
#include "engine/core/TransferWindows.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <optional>

#include "engine/async/WindowGate.hpp"

namespace autonomy {
namespace {

using namespace std::chrono;
using Clock = TransferWindows::Clock;

// 2026-12-07 is a Monday.
Clock::time_point at(int day, int hour, int minute, int second = 0) {
  return sys_days{year{2026} / December / (7 + day)} + hours(hour) + minutes(minute) + seconds(second);
}

TransferWindows windows(const std::vector<std::string>& specs) {
  auto w = TransferWindows::parse(specs);
  EXPECT_TRUE(w.ok()) << w.error().message;
  return w.ok() ? *w : TransferWindows{};
}

std::string parseError(const std::vector<std::string>& specs) {
  auto w = TransferWindows::parse(specs);
  return w.ok() ? "" : w.error().message;
}

TEST(TransferWindows, NoneMeansAlwaysOpen) {
  const TransferWindows none;
  EXPECT_TRUE(none.alwaysOpen());
  EXPECT_TRUE(none.isOpen(at(0, 3, 0)));
  EXPECT_EQ(none.nextOpen(at(0, 3, 0)), at(0, 3, 0));
}

TEST(TransferWindows, ADailyWindowIsOpenFromItsStartUntilJustBeforeItsEnd) {
  const auto w = windows({"01:00-05:00"});
  EXPECT_FALSE(w.isOpen(at(2, 0, 59, 59)));
  EXPECT_TRUE(w.isOpen(at(2, 1, 0)));
  EXPECT_TRUE(w.isOpen(at(2, 4, 59, 59)));
  EXPECT_FALSE(w.isOpen(at(2, 5, 0)));
  EXPECT_EQ(w.nextOpen(at(2, 5, 0, 30)), at(3, 1, 0)) << "tomorrow at 01:00";
  EXPECT_EQ(w.nextOpen(at(2, 0, 30, 10)), at(2, 1, 0));
  EXPECT_EQ(w.nextOpen(at(2, 2, 0, 10)), at(2, 2, 0, 10)) << "open: now";
}

TEST(TransferWindows, AnEndBeforeTheStartRunsIntoTheNextMorning) {
  const auto w = windows({"Mon-Fri 22:00-06:00"});
  EXPECT_TRUE(w.isOpen(at(0, 23, 0)));    // Monday night
  EXPECT_TRUE(w.isOpen(at(1, 5, 59)));    // Tuesday morning, from Monday's window
  EXPECT_FALSE(w.isOpen(at(0, 5, 0)));    // Monday morning: Sunday started no window
  EXPECT_TRUE(w.isOpen(at(5, 3, 0)));     // Saturday morning, from Friday's window
  EXPECT_FALSE(w.isOpen(at(5, 22, 30)));  // Saturday night
  EXPECT_EQ(w.nextOpen(at(5, 12, 0)), at(7, 22, 0)) << "Saturday noon: next is Monday 22:00";
}

TEST(TransferWindows, DayListsRangesThatWrapAndAWholeDay) {
  const auto w = windows({"Sat,Sun 00:00-24:00", "fri-mon 12:00-13:00"});
  EXPECT_TRUE(w.isOpen(at(5, 0, 0)));
  EXPECT_TRUE(w.isOpen(at(6, 23, 59, 59)));
  EXPECT_FALSE(w.isOpen(at(7, 0, 0))) << "Monday 00:00: the Sunday window ended";
  EXPECT_TRUE(w.isOpen(at(7, 12, 30))) << "Fri-Mon wraps past Sunday";
  EXPECT_TRUE(w.isOpen(at(4, 12, 30)));
  EXPECT_FALSE(w.isOpen(at(1, 12, 30))) << "Tuesday is not in Fri-Mon";
  EXPECT_EQ(w.specs(), (std::vector<std::string>{"Sat,Sun 00:00-24:00", "fri-mon 12:00-13:00"}));
}

TEST(TransferWindows, BadSpecsSayWhichAndWhy) {
  EXPECT_EQ(parseError({"01:00-05:00", "25:00-06:00"}),
            "[1] \"25:00-06:00\": \"25:00\" is not a time of day (HH:MM, 00:00 to 23:59)");
  EXPECT_EQ(parseError({"01:00-01:00"}),
            "[0] \"01:00-01:00\": starts and ends at the same time; for a whole day write 00:00-24:00");
  EXPECT_EQ(parseError({"Mox 01:00-02:00"}),
            "[0] \"Mox 01:00-02:00\": \"Mox\" is not a day or a range of days (use Mon..Sun, e.g. Mon-Fri or Sat,Sun)");
  EXPECT_EQ(parseError({"nightly"}),
            "[0] \"nightly\": not a window: use [DAYS ]HH:MM-HH:MM, e.g. 01:00-05:00 or "
            "\"Sat,Sun 00:00-24:00\" (in quotes: YAML splits at the comma)");
  EXPECT_EQ(parseError({"22:00 - 06:00"}),
            "[0] \"22:00 - 06:00\": has a space inside its times: write HH:MM-HH:MM without spaces");
  EXPECT_EQ(parseError({"24:00-02:00"}), "[0] \"24:00-02:00\": \"24:00\" is not a time of day (HH:MM, 00:00 to 23:59)");
  EXPECT_EQ(parseError({"01:00-1:30"}), "[0] \"01:00-1:30\": \"1:30\" is not a time of day (HH:MM, 00:00 to 24:00)");
  EXPECT_EQ(TransferWindows::parse({"nightly"}).error().code, ErrorCode::kUsage);
}

std::string hhmm(int minuteOfDay) {
  const auto two = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  return two(minuteOfDay / 60) + ":" + two(minuteOfDay % 60);
}

// One minute a day, twelve hours from now: closed for the whole test (1440 reads as 24:00).
TransferWindows closedNow() {
  const auto later = Clock::now() + hours(12);
  const int start = static_cast<int>(floor<minutes>(later - floor<days>(later)).count());
  return windows({hhmm(start) + "-" + hhmm(start + 1)});
}

boost::asio::awaitable<void> waitOnce(async::WindowGate* gate, std::function<bool()> abandoned,
                                      std::optional<bool>* result) {
  *result = co_await gate->waitOpen(std::move(abandoned));
}

TEST(WindowGate, AClosedGateHoldsUntilTheWindowsChangeAndCountsThePauseOnce) {
  async::WindowGate gate("schedule test");  // before io: waiters left suspended die first
  boost::asio::io_context io;
  gate.set(closedNow());
  ASSERT_FALSE(gate.isOpen());
  std::optional<bool> first;
  std::optional<bool> second;
  const std::function<bool()> never;
  boost::asio::co_spawn(io, waitOnce(&gate, never, &first), boost::asio::detached);
  boost::asio::co_spawn(io, waitOnce(&gate, never, &second), boost::asio::detached);
  io.run_for(milliseconds(300));
  EXPECT_FALSE(first.has_value());
  EXPECT_EQ(gate.waiting(), 2u);
  gate.set(TransferWindows{});  // a reload that drops the windows
  io.run_for(milliseconds(1500));
  ASSERT_TRUE(first.has_value() && second.has_value()) << "waiters look again within a second";
  EXPECT_TRUE(*first && *second);
  EXPECT_EQ(gate.waiting(), 0u);
  const double paused = gate.pausedTime().count();
  EXPECT_GE(paused, 0.3);
  EXPECT_LT(paused, 1.9) << "two waiters over the same second count it once";
}

TEST(WindowGate, AWaiterThatGivesUpGetsFalse) {
  async::WindowGate gate("registry test");
  boost::asio::io_context io;
  gate.set(closedNow());
  bool gaveUp = false;
  std::optional<bool> result;
  const std::function<bool()> abandoned = [&] { return gaveUp; };
  boost::asio::co_spawn(io, waitOnce(&gate, abandoned, &result), boost::asio::detached);
  io.run_for(milliseconds(200));
  EXPECT_FALSE(result.has_value());
  gaveUp = true;
  io.run_for(milliseconds(1500));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(*result);
  EXPECT_EQ(gate.waiting(), 0u);
}

}  // namespace
}  // namespace autonomy
