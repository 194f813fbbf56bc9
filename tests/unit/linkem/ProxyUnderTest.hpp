#pragma once
// A LinkProxyThread in front of a TestServer, as the proxy and fault tests set it up.
#include <gtest/gtest.h>

#include <cstdint>

#include "tests/unit/linkem/TestServer.hpp"
#include "tools/linkem/LinkProxyThread.hpp"

namespace autonomy::linkem::testing {

// Options for a link whose upstream is `server`.
inline LinkOptions towards(const TestServer& server) {
  LinkOptions o;
  o.upstreamPort = server.port();
  return o;
}

// Starts the proxy; its port, or 0 with a test failure recorded.
inline std::uint16_t startOrFail(LinkProxyThread& proxy) {
  auto port = proxy.start();
  EXPECT_TRUE(port) << (port ? "" : port.error().message);
  return port ? *port : 0;
}

}  // namespace autonomy::linkem::testing
