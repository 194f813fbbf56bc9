#include "engine/registry/RetryPolicy.hpp"

#include <gtest/gtest.h>

using namespace autonomy::registry;
using std::chrono::milliseconds;

TEST(RetryPolicy, TransientStatusesOnly) {
  for (unsigned s : {408u, 429u, 500u, 502u, 503u, 504u}) EXPECT_TRUE(RetryPolicy::isRetryableStatus(s)) << s;
  for (unsigned s : {200u, 400u, 401u, 403u, 404u, 409u, 501u}) EXPECT_FALSE(RetryPolicy::isRetryableStatus(s)) << s;
}

TEST(RetryPolicy, BackoffGrowsWithJitterAndIsCapped) {
  RetryPolicy p;
  p.baseDelay = milliseconds(100);
  p.maxDelay = milliseconds(1000);
  std::mt19937 rng(7);
  for (int attempt = 1; attempt <= 10; ++attempt) {
    const auto d = p.delayFor(attempt, std::nullopt, rng);
    const auto ceiling = std::min<long long>(1000, 100LL << (attempt - 1));
    EXPECT_GE(d.count(), ceiling / 2) << attempt;
    EXPECT_LE(d.count(), ceiling) << attempt;
  }
}

TEST(RetryPolicy, RetryAfterRaisesTheDelayButStaysBounded) {
  RetryPolicy p;
  std::mt19937 rng(1);
  EXPECT_GE(p.delayFor(1, std::chrono::seconds(3), rng), milliseconds(3000));
  EXPECT_LE(p.delayFor(1, std::chrono::seconds(100000), rng), milliseconds(60000));
}

TEST(RetryPolicy, ParsesRetryAfterSeconds) {
  EXPECT_EQ(RetryPolicy::parseRetryAfter("7"), std::chrono::seconds(7));
  EXPECT_EQ(RetryPolicy::parseRetryAfter(" 2"), std::chrono::seconds(2));
  EXPECT_FALSE(RetryPolicy::parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_FALSE(RetryPolicy::parseRetryAfter("-1"));
}
