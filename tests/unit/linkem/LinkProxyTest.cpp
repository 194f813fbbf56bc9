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

namespace {

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 2s) {
  const auto deadline = Clock::now() + timeout;
  while (!predicate()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

}  // namespace

TEST(LinkProxy, PassesBytesUnchangedBothDirections) {
  TestServer echo(TestServer::Mode::kEcho);
  LinkProxyThread proxy(towards(echo));
  TestClient client(startOrFail(proxy));
  ASSERT_TRUE(client.ok());

  const std::string payload = patternBytes(1 << 20, 7);
  std::thread writer([&] { client.sendAll(payload); });
  const std::string back = client.read(payload.size(), 5s);
  writer.join();
  ASSERT_EQ(back.size(), payload.size());
  EXPECT_TRUE(back == payload) << "echoed bytes differ";
  EXPECT_TRUE(eventually([&] { return proxy.stats().bytesDown == payload.size(); }));
  const LinkStats stats = proxy.stats();
  EXPECT_EQ(stats.bytesUp, payload.size());
  EXPECT_EQ(stats.connectionsAccepted, 1u);
  EXPECT_EQ(stats.connectionsActive, 1u);
}

TEST(LinkProxy, HalfCloseReachesUpstreamAfterTheData) {
  TestServer sink(TestServer::Mode::kSink);
  LinkOptions o = towards(sink);
  o.setLatency(20ms);
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  const std::string payload = patternBytes(100'000, 3);
  ASSERT_TRUE(client.sendAll(payload));
  client.shutdownWrite();
  ASSERT_TRUE(sink.waitForEnd(0, 3s));
  const ConnectionRecord r = sink.record(0);
  EXPECT_FALSE(r.reset);
  EXPECT_TRUE(r.received == payload);
  // The sink closes after our FIN; that FIN comes back through the proxy as EOF.
  client.read(1, 2s);
  EXPECT_TRUE(client.sawEof());
  EXPECT_TRUE(eventually([&] { return proxy.stats().connectionsActive == 0; }));
}

TEST(LinkProxy, LatencyDelaysEachDirection) {
  TestServer echo(TestServer::Mode::kEcho);
  LinkOptions o = towards(echo);
  o.setLatency(100ms);
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  const auto t0 = Clock::now();
  ASSERT_TRUE(client.sendAll("ping"));
  EXPECT_EQ(client.read(4, 3s), "ping");
  EXPECT_GE(Clock::now() - t0, 200ms);
}

TEST(LinkProxy, LatencyIsADelayLineNotStopAndWait) {
  TestServer echo(TestServer::Mode::kEcho);
  LinkOptions o = towards(echo);
  o.setLatency(100ms);
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  // Ten messages 20 ms apart: in flight together they come back ~380 ms after the first was
  // sent; one per round trip would take 2 s. The bound is loose on purpose.
  const auto t0 = Clock::now();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client.sendAll("0123456789"));
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(client.read(100, 5s).size(), 100u);
  const auto elapsed = Clock::now() - t0;
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST(LinkProxy, RateCapSlowsAnUpload) {
  TestServer sink(TestServer::Mode::kSink);
  LinkOptions o = towards(sink);
  o.setRate(4u << 20);
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  const std::string payload = patternBytes(2u << 20, 11);
  const auto t0 = Clock::now();
  ASSERT_TRUE(client.sendAll(payload));
  ASSERT_TRUE(sink.waitForBytes(0, payload.size(), 5s));
  // 2 MiB at 4 MiB/s is 0.5 s; the bucket's initial depth (84 KB) may go out at once.
  EXPECT_GE(Clock::now() - t0, 400ms);
  EXPECT_TRUE(sink.record(0).received == payload);
}

TEST(LinkProxy, RateCapSlowsADownloadOnly) {
  TestServer echo(TestServer::Mode::kEcho);
  LinkOptions o = towards(echo);
  o.down.rateBytesPerSecond = 4u << 20;
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  const std::string payload = patternBytes(1u << 20, 5);
  const auto t0 = Clock::now();
  std::thread writer([&] { client.sendAll(payload); });
  const std::string back = client.read(payload.size(), 5s);
  writer.join();
  EXPECT_EQ(back.size(), payload.size());
  EXPECT_GE(Clock::now() - t0, 200ms);
}

TEST(LinkProxy, SharedRateCapIsSplitAcrossConnections) {
  TestServer sink(TestServer::Mode::kSink);
  LinkOptions o = towards(sink);
  o.setRate(4u << 20);
  o.rateScope = RateScope::kShared;
  LinkProxyThread proxy(o);
  const std::uint16_t port = startOrFail(proxy);
  TestClient a(port);
  TestClient b(port);
  const std::string payload = patternBytes(1u << 20, 13);
  const auto t0 = Clock::now();
  std::thread other([&] { b.sendAll(payload); });
  ASSERT_TRUE(a.sendAll(payload));
  other.join();
  ASSERT_TRUE(sink.waitForBytes(0, payload.size(), 5s));
  ASSERT_TRUE(sink.waitForBytes(1, payload.size(), 5s));
  EXPECT_GE(Clock::now() - t0, 400ms);  // 2 MiB in total through one 4 MiB/s link
}

TEST(LinkProxyThread, StopResetsLiveConnectionsAndReturns) {
  TestServer echo(TestServer::Mode::kEcho);
  LinkOptions o = towards(echo);
  o.stallAfterBytes = 0;  // nothing moves: stop() must still end promptly
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  ASSERT_TRUE(client.sendAll("held"));
  ASSERT_TRUE(eventually([&] { return proxy.stats().connectionsStalled == 1; }));
  proxy.stop();
  client.read(1, 2s);
  EXPECT_TRUE(client.sawReset() || client.sawEof());
  EXPECT_EQ(proxy.stats().connectionsActive, 0u);
  TestClient refused(proxy.port());
  EXPECT_FALSE(refused.ok());
}

TEST(LinkProxy, UpstreamRefusalResetsTheClient) {
  std::uint16_t deadPort = 0;
  {
    TestServer gone(TestServer::Mode::kSink);
    deadPort = gone.port();
  }
  LinkOptions o;
  o.upstreamPort = deadPort;
  LinkProxyThread proxy(o);
  TestClient client(startOrFail(proxy));
  client.read(1, 2s);
  EXPECT_TRUE(client.sawReset() || client.sawEof());
  EXPECT_TRUE(eventually([&] { return proxy.stats().upstreamConnectFailures == 1; }));
}
