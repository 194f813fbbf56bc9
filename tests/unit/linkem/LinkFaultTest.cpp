#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/unit/linkem/ProxyUnderTest.hpp"
#include "tests/unit/linkem/TestClient.hpp"
#include "tests/unit/linkem/TestServer.hpp"
#include "tools/linkem/LinkProxyThread.hpp"

using namespace autonomy::linkem;
using namespace autonomy::linkem::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(LinkFaults, DropAfterResetsBothSidesAndLaterConnectionsPass) {
  constexpr std::size_t kDropAfter = 100'000;
  TestServer sink(TestServer::Mode::kSink);
  LinkOptions o = towards(sink);
  o.dropAfterBytes = kDropAfter;
  o.dropConnections = 1;
  LinkProxyThread proxy(o);
  const std::uint16_t port = startOrFail(proxy);

  const std::string payload = patternBytes(1u << 20, 17);
  {
    TestClient first(port);
    first.sendAll(payload);  // may fail part-way: the reset can come while we are still sending
    first.read(1, 3s);
    EXPECT_TRUE(first.sawReset()) << "errno " << first.lastError() << " eof " << first.sawEof();
    ASSERT_TRUE(sink.waitForEnd(0, 3s));
    const ConnectionRecord r = sink.record(0);
    EXPECT_TRUE(r.reset);
    EXPECT_GT(r.received.size(), 0u);
    EXPECT_LE(r.received.size(), kDropAfter);
    EXPECT_TRUE(r.received == payload.substr(0, r.received.size()));
  }
  {
    TestClient second(port);  // beyond K = 1: passes untouched
    ASSERT_TRUE(second.sendAll(payload));
    second.shutdownWrite();
    ASSERT_TRUE(sink.waitForEnd(1, 3s));
    const ConnectionRecord r = sink.record(1);
    EXPECT_FALSE(r.reset);
    EXPECT_TRUE(r.received == payload);
  }
  EXPECT_EQ(proxy.stats().connectionsDropped, 1u);
  EXPECT_EQ(proxy.stats().connectionsAccepted, 2u);
}

TEST(LinkFaults, DropCountsBothDirectionsByDefault) {
  TestServer echo(TestServer::Mode::kEcho);
  LinkOptions o = towards(echo);
  o.dropAfterBytes = 10'000;  // every connection
  LinkProxyThread proxy(o);
  const std::uint16_t port = startOrFail(proxy);
  for (int i = 0; i < 2; ++i) {
    TestClient client(port);
    // 8000 bytes up leave 2000 for the echo coming down.
    ASSERT_TRUE(client.sendAll(patternBytes(8000, 19)));
    const std::string back = client.read(8000, 3s);
    EXPECT_LE(back.size(), 2000u);
    EXPECT_TRUE(client.sawReset()) << "errno " << client.lastError();
  }
  EXPECT_EQ(proxy.stats().connectionsDropped, 2u);
}

TEST(LinkFaults, DropCanCountOneDirectionOnly) {
  TestServer echo(TestServer::Mode::kEcho);
  LinkOptions o = towards(echo);
  o.dropAfterBytes = 5000;
  o.faultCounting = FaultCounting::kDown;
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  const std::string payload = patternBytes(8000, 23);
  ASSERT_TRUE(client.sendAll(payload));
  const std::string back = client.read(payload.size(), 3s);
  EXPECT_LE(back.size(), 5000u);
  EXPECT_TRUE(back == payload.substr(0, back.size()));
  EXPECT_TRUE(client.sawReset());
  ASSERT_TRUE(echo.waitForEnd(0, 3s));
  EXPECT_EQ(echo.record(0).received.size(), payload.size());  // all 8000 went up
}

TEST(LinkFaults, StallHoldsBytesForItsDurationThenResumes) {
  TestServer sink(TestServer::Mode::kSink);
  LinkOptions o = towards(sink);
  o.stallAfterBytes = 1000;
  o.stallFor = 400ms;
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  const std::string payload = patternBytes(5000, 29);
  const auto t0 = Clock::now();
  ASSERT_TRUE(client.sendAll(payload));
  ASSERT_TRUE(sink.waitForBytes(0, 1000, 2s));
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(sink.record(0).received.size(), 1000u);
  ASSERT_TRUE(sink.waitForBytes(0, payload.size(), 3s));
  EXPECT_GE(Clock::now() - t0, 400ms);
  EXPECT_TRUE(sink.record(0).received == payload);
  EXPECT_EQ(proxy.stats().connectionsStalled, 1u);
}

TEST(LinkFaults, StallForeverKeepsTheSocketOpenAndOnlyHitsTheFirstK) {
  TestServer sink(TestServer::Mode::kSink);
  LinkOptions o = towards(sink);
  o.stallAfterBytes = 1000;
  o.stallConnections = 1;
  LinkProxyThread proxy(o);
  const std::uint16_t port = startOrFail(proxy);
  TestClient stalled(port);
  ASSERT_TRUE(stalled.sendAll(patternBytes(5000, 31)));
  ASSERT_TRUE(sink.waitForBytes(0, 1000, 2s));

  TestClient passing(port);
  const std::string payload = patternBytes(5000, 37);
  ASSERT_TRUE(passing.sendAll(payload));
  ASSERT_TRUE(sink.waitForBytes(1, payload.size(), 2s));

  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(sink.record(0).received.size(), 1000u);
  EXPECT_FALSE(sink.record(0).ended);
  ASSERT_TRUE(stalled.sendAll("more"));  // still open: no reset, nothing comes back
  stalled.read(1, 100ms);
  EXPECT_TRUE(stalled.timedOut());
  EXPECT_EQ(stalled.lastError(), 0);
  EXPECT_EQ(proxy.stats().connectionsStalled, 1u);
}
