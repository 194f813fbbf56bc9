// Copy turns: in a fail-fast run, repo i starts copying only after every earlier repo did.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <vector>

#include "engine/copy/CopyTurns.hpp"

namespace autonomy::copy {
namespace {

boost::asio::awaitable<void> waitFor(CopyTurns* turns, std::size_t i, CancelTokenPtr cancel,
                                     std::vector<std::pair<std::size_t, bool>>* log) {
  const bool ok = co_await turns->waitTurn(i, cancel);
  log->emplace_back(i, ok);
}

TEST(CopyTurns, ARepoGoesOnlyWhenEveryEarlierOneHasPassed) {
  boost::asio::io_context io;
  CopyTurns turns(io.get_executor(), 4);
  std::vector<std::pair<std::size_t, bool>> log;
  for (std::size_t i : {3u, 1u, 0u, 2u})
    boost::asio::co_spawn(io, waitFor(&turns, i, nullptr, &log), boost::asio::detached);
  io.poll();
  ASSERT_EQ(log.size(), 1u);  // only repo 0 has no one before it
  EXPECT_EQ(log[0].first, 0u);
  turns.pass(2);  // out of order: nobody new may go yet
  io.restart();
  io.poll();
  EXPECT_EQ(log.size(), 1u);
  turns.pass(0);  // 1 may go; 2 and 3 still wait for 1
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].first, 1u);
  turns.pass(1);  // 0, 1 and 2 have passed: 2 and 3 go
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 4u);
  for (const auto& [i, ok] : log) EXPECT_TRUE(ok) << i;
}

TEST(CopyTurns, PassingInOrderReleasesEachInTurnAndOpenAllReleasesEveryone) {
  boost::asio::io_context io;
  CopyTurns turns(io.get_executor(), 5);
  auto cancel = std::make_shared<CancelToken>();
  std::vector<std::pair<std::size_t, bool>> log;
  for (std::size_t i = 1; i < 5; ++i)
    boost::asio::co_spawn(io, waitFor(&turns, i, i == 4 ? cancel : nullptr, &log), boost::asio::detached);
  io.poll();
  EXPECT_TRUE(log.empty());
  turns.pass(0);
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], std::make_pair(std::size_t{1}, true));
  cancel->cancel();  // repo 4's wait ends, refused
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1], std::make_pair(std::size_t{4}, false));
  turns.openAll();  // the run stopped: 2 and 3 go on (and find it stopped)
  io.restart();
  io.poll();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_TRUE(log[2].second);
  EXPECT_TRUE(log[3].second);
}

}  // namespace
}  // namespace autonomy::copy
