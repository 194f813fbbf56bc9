// The wake-everyone signal behind a fanned-out blob read.
#include "engine/async/AsyncSignal.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <vector>

namespace autonomy::async {
namespace {

boost::asio::awaitable<void> waitOnce(AsyncSignal* s, CancelTokenPtr cancel, std::vector<bool>* log) {
  log->push_back(co_await s->wait(cancel));
}

TEST(AsyncSignal, NotifyWakesEveryWaiterAndCancelOnlyItsOwn) {
  boost::asio::io_context io;
  AsyncSignal signal(io.get_executor());
  std::vector<bool> log;
  auto cancel = std::make_shared<CancelToken>();
  for (int i = 0; i < 3; ++i) boost::asio::co_spawn(io, waitOnce(&signal, nullptr, &log), boost::asio::detached);
  boost::asio::co_spawn(io, waitOnce(&signal, cancel, &log), boost::asio::detached);
  io.poll();
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(signal.waiting(), 4u);
  cancel->cancel();
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_FALSE(log[0]);
  EXPECT_EQ(signal.waiting(), 3u);
  signal.notifyAll();
  io.restart();
  io.poll();
  EXPECT_EQ(log, (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(signal.waiting(), 0u);
}

}  // namespace
}  // namespace autonomy::async
