#include "engine/registry/RateLimiter.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "engine/core/ByteRate.hpp"
#include "engine/registry/ConnectionPool.hpp"

namespace autonomy::registry {
namespace {

using Clock = TokenBucket::Clock;

TEST(RateLimiter, NoCapMeansOnePieceOfAnySizeAndNoWait) {
  RateLimiter none;
  EXPECT_EQ(none.rate(), 0u);
  EXPECT_EQ(none.piece(), std::numeric_limits<std::size_t>::max());
  boost::asio::io_context io;
  bool done = false;
  boost::asio::co_spawn(
      io,
      [&]() -> async::Task<void> {
        co_await none.pace(std::uint64_t{1} << 40);
        done = true;
      },
      boost::asio::detached);
  io.run_one();  // no timer in between: one handler runs it to the end
  EXPECT_TRUE(done);
  EXPECT_EQ(none.bytesPaced(), std::uint64_t{1} << 40);
}

TEST(RateLimiter, PiecesAreTwentyMillisecondsOfTrafficAndFollowTheRate) {
  RateLimiter cap(10 * 1024 * 1024);
  EXPECT_EQ(cap.rate(), 10u * 1024 * 1024);
  EXPECT_EQ(cap.piece(), 10u * 1024 * 1024 / 50);
  cap.setRate(100 * 1024);  // slower: a piece is never below 16 KiB
  EXPECT_EQ(cap.piece(), 16u * 1024);
  cap.setRate(0);
  EXPECT_EQ(cap.rate(), 0u);
  EXPECT_EQ(cap.piece(), std::numeric_limits<std::size_t>::max());
}

TEST(TokenBucket, ANewRateChargesTheDebtAtTheNewRate) {
  const auto t0 = Clock::now();
  TokenBucket bucket(1000, 100, t0);
  EXPECT_EQ(bucket.reserve(1100, t0), std::chrono::seconds(1));  // 1,000 bytes of debt at 1,000 B/s
  bucket.setRate(2000, t0);
  EXPECT_EQ(bucket.rate(), 2000u);
  EXPECT_EQ(bucket.reserve(0, t0), std::chrono::milliseconds(500)) << "the same debt, paid twice as fast";
}

TEST(ConnectionPool, OneCapPerHostSharedByEveryClient) {
  boost::asio::io_context io;
  ConnectionPool pool(io.get_executor());
  auto a = pool.rateFor("edge-a:5000");
  EXPECT_EQ(a, pool.rateFor("edge-a:5000"));
  EXPECT_NE(a, pool.rateFor("edge-b:5000"));
  a->setRate(*parseRate("2MiB/s"));
  EXPECT_EQ(pool.rateFor("edge-a:5000")->rate(), 2u * 1024 * 1024);
  EXPECT_EQ(pool.rates().size(), 2u);
}

TEST(ByteRate, FormatsForPeople) {
  EXPECT_EQ(formatRate(10 * 1024 * 1024), "10 MiB/s");
  EXPECT_EQ(formatRate(1536 * 1024), "1.5 MiB/s");
  EXPECT_EQ(formatRate(512 * 1024), "512 KiB/s");
  EXPECT_EQ(formatRate(900), "900 B/s");
}

}  // namespace
}  // namespace autonomy::registry
