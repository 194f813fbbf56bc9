#include <gtest/gtest.h>

#include <chrono>

#include "engine/core/TokenBucket.hpp"
#include "tools/linkem/LinkOptions.hpp"
#include "tools/linkem/LinkStats.hpp"

using namespace autonomy::linkem;
using autonomy::TokenBucket;
using namespace std::chrono_literals;

TEST(ParseByteSize, AcceptsDecimalAndBinaryUnits) {
  EXPECT_EQ(*parseByteSize("4096"), 4096u);
  EXPECT_EQ(*parseByteSize("64k"), 64000u);
  EXPECT_EQ(*parseByteSize("64KiB"), 65536u);
  EXPECT_EQ(*parseByteSize("1.5MB"), 1500000u);
  EXPECT_EQ(*parseByteSize("10MiB"), 10u * 1024 * 1024);
  EXPECT_EQ(*parseByteSize("2gib"), 2ull * 1024 * 1024 * 1024);
  EXPECT_EQ(*parseByteSize("7B"), 7u);
}

TEST(ParseByteSize, RejectsGarbageWithAUsageError) {
  for (const char* bad : {"", "MiB", "10XB", "1..5k", "-3"}) {
    auto r = parseByteSize(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, autonomy::ErrorCode::kUsage);
  }
}

TEST(ParseRate, AllowsPerSecondSuffix) {
  EXPECT_EQ(*parseRate("10MiB/s"), 10u * 1024 * 1024);
  EXPECT_EQ(*parseRate("512KiB"), 512u * 1024);
  EXPECT_FALSE(parseRate("/s"));
}

TEST(ParseHostPort, SplitsHostAndPort) {
  auto v4 = parseHostPort("127.0.0.1:0");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 0);
  auto v6 = parseHostPort("[::1]:5000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 5000);
  for (const char* bad : {"127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:65536", "h:8x", "[::1:80"}) {
    EXPECT_FALSE(parseHostPort(bad)) << bad;
  }
}

TEST(LinkOptionsValidate, RequiresAnUpstreamPort) {
  LinkOptions o;
  EXPECT_FALSE(validate(o));
  o.upstreamPort = 5000;
  EXPECT_TRUE(validate(o));
  o.setLatency(-1ms);
  EXPECT_FALSE(validate(o));
}

TEST(TokenBucket, FullBucketSendsBurstWithoutWaiting) {
  const auto t0 = TokenBucket::Clock::now();
  TokenBucket bucket(1000, 500, t0);
  EXPECT_EQ(bucket.reserve(500, t0), TokenBucket::Clock::duration::zero());
}

TEST(TokenBucket, DebtTurnsIntoWaitAtTheConfiguredRate) {
  const auto t0 = TokenBucket::Clock::now();
  TokenBucket bucket(1000, 100, t0);
  EXPECT_EQ(bucket.reserve(100, t0), TokenBucket::Clock::duration::zero());
  // 500 more bytes at 1000 B/s: half a second; a second sender queues behind the first.
  EXPECT_EQ(std::chrono::round<std::chrono::milliseconds>(bucket.reserve(500, t0)), 500ms);
  EXPECT_EQ(std::chrono::round<std::chrono::milliseconds>(bucket.reserve(500, t0)), 1000ms);
}

TEST(TokenBucket, RefillsWithTimeButNeverBeyondItsDepth) {
  const auto t0 = TokenBucket::Clock::now();
  TokenBucket bucket(1000, 100, t0);
  EXPECT_EQ(bucket.reserve(100, t0), TokenBucket::Clock::duration::zero());
  EXPECT_EQ(bucket.reserve(50, t0 + 50ms), TokenBucket::Clock::duration::zero());
  // An idle hour refills only the depth (100), so 300 bytes still wait 200 ms.
  EXPECT_EQ(std::chrono::round<std::chrono::milliseconds>(bucket.reserve(300, t0 + 1h)), 200ms);
}

TEST(TokenBucket, DefaultDepthIsTwentyMillisecondsButAtLeastSixteenKiB) {
  EXPECT_EQ(TokenBucket::defaultBurst(1000), 16u * 1024);
  EXPECT_EQ(TokenBucket::defaultBurst(100u * 1000 * 1000), 2u * 1000 * 1000);
}

TEST(LinkStats, PrintsOneJsonObject) {
  LinkStats s;
  s.bytesUp = 3;
  s.connectionsAccepted = 1;
  const std::string json = toJson(s);
  EXPECT_NE(json.find("\"bytes_up\":3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"connections_accepted\":1"), std::string::npos) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos);
}
