// The counting gate behind connection limits, transfer slots, repo slots and destination locks.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <vector>

#include "engine/async/AsyncGate.hpp"

namespace autonomy::async {
namespace {

// Each waiter records its number when it gets in (true) or is turned away (false).
boost::asio::awaitable<void> enter(AsyncGate* gate, int n, CancelTokenPtr cancel,
                                   std::vector<std::pair<int, bool>>* log) {
  const bool in = co_await gate->acquire(cancel);
  log->emplace_back(n, in);
}

TEST(AsyncGate, AdmitsUpToTheLimitThenFirstComeFirstServed) {
  boost::asio::io_context io;
  AsyncGate gate(io.get_executor(), 2);
  std::vector<std::pair<int, bool>> log;
  for (int i = 0; i < 5; ++i) boost::asio::co_spawn(io, enter(&gate, i, nullptr, &log), boost::asio::detached);
  io.poll();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(gate.waiting(), 3u);
  EXPECT_EQ(gate.available(), 0u);
  gate.release();
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2], std::make_pair(2, true));
  gate.release();
  gate.release();
  gate.release();
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[3].first, 3);
  EXPECT_EQ(log[4].first, 4);
  EXPECT_EQ(gate.available(), 1u);
}

TEST(AsyncGate, ACancelledWaiterLeavesAtOnceAndOthersKeepTheirPlace) {
  boost::asio::io_context io;
  AsyncGate gate(io.get_executor(), 1);
  auto cancel = std::make_shared<CancelToken>();
  std::vector<std::pair<int, bool>> log;
  boost::asio::co_spawn(io, enter(&gate, 0, nullptr, &log), boost::asio::detached);
  boost::asio::co_spawn(io, enter(&gate, 1, cancel, &log), boost::asio::detached);
  boost::asio::co_spawn(io, enter(&gate, 2, nullptr, &log), boost::asio::detached);
  io.poll();
  ASSERT_EQ(log.size(), 1u);
  cancel->cancel();
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1], std::make_pair(1, false));
  EXPECT_EQ(gate.waiting(), 1u);
  gate.release();
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2], std::make_pair(2, true));
  // A token cancelled before the call never waits.
  boost::asio::co_spawn(io, enter(&gate, 3, cancel, &log), boost::asio::detached);
  io.restart();
  io.poll();
  EXPECT_EQ(log.back(), std::make_pair(3, false));
}

TEST(AsyncGate, CloseTurnsEveryWaiterAwayAndLaterCallsToo) {
  boost::asio::io_context io;
  AsyncGate gate(io.get_executor(), 1);
  std::vector<std::pair<int, bool>> log;
  for (int i = 0; i < 3; ++i) boost::asio::co_spawn(io, enter(&gate, i, nullptr, &log), boost::asio::detached);
  io.poll();
  gate.close();
  boost::asio::co_spawn(io, enter(&gate, 3, nullptr, &log), boost::asio::detached);
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0], std::make_pair(0, true));
  for (std::size_t i = 1; i < 4; ++i) EXPECT_FALSE(log[i].second) << i;
}

}  // namespace
}  // namespace autonomy::async
