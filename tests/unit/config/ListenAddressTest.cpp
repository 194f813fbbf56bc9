#include <gtest/gtest.h>

#include "config/DaemonConfig.hpp"

using namespace autonomy::config;

namespace {
ListenAddress parsed(std::string_view text, const std::filesystem::path& base = {}) {
  auto a = ListenAddress::parse(text, base);
  EXPECT_TRUE(a.ok()) << text << ": " << (a.ok() ? "" : a.error().message);
  return a.ok() ? *a : ListenAddress{};
}
}  // namespace

TEST(ListenAddress, ParsesIpv4HostAndPort) {
  const auto a = parsed("127.0.0.1:7480");
  EXPECT_EQ(a.kind, ListenAddress::Kind::kTcp);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 7480);
  EXPECT_EQ(a.str(), "127.0.0.1:7480");
  EXPECT_TRUE(a.isLocalOnly());
}

TEST(ListenAddress, ParsesBracketedIpv6AndKeepsTheHostBare) {
  const auto a = parsed("[::1]:7480");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.str(), "[::1]:7480");
  EXPECT_TRUE(a.isLocalOnly());
}

TEST(ListenAddress, ParsesUnixSocketsAndResolvesRelativePaths) {
  const auto a = parsed("unix:/run/autonomy-syncd/api.sock");
  EXPECT_EQ(a.kind, ListenAddress::Kind::kUnix);
  EXPECT_EQ(a.unixPath, "/run/autonomy-syncd/api.sock");
  EXPECT_EQ(a.str(), "unix:/run/autonomy-syncd/api.sock");
  EXPECT_TRUE(a.isLocalOnly());
  EXPECT_EQ(parsed("unix:run/../api.sock", "/etc/autonomy").unixPath, "/etc/autonomy/api.sock");
}

TEST(ListenAddress, PortZeroLetsTheKernelChoose) { EXPECT_EQ(parsed("127.0.0.1:0").port, 0); }

TEST(ListenAddress, KnowsWhichAddressesAreLoopback) {
  for (const char* local : {"127.0.0.1:1", "127.4.5.6:80", "localhost:7480", "LOCALHOST:7480", "[::1]:1",
                            "[0:0:0:0:0:0:0:1]:1", "[::ffff:127.0.0.1]:80"}) {
    EXPECT_TRUE(parsed(local).isLocalOnly()) << local;
  }
  for (const char* remote : {"0.0.0.0:7480", "10.0.0.5:7480", "128.0.0.1:1", "edge-a.local:7480", "[::]:7480",
                             "[fe80::1]:7480", "[::ffff:10.0.0.1]:80", "localhost.example.com:80"}) {
    EXPECT_FALSE(parsed(remote).isLocalOnly()) << remote;
  }
}

TEST(ListenAddress, RejectsMalformedAddresses) {
  for (const char* bad :
       {"", "127.0.0.1", "127.0.0.1:", ":7480", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:123456", "::1:7480",
        "[::1:7480", "[zz]:80", "[]:80", "unix:", "http://127.0.0.1:7480", "a b:80", "127.0.0.1:-1", "host/path:80"}) {
    auto a = ListenAddress::parse(bad);
    EXPECT_FALSE(a.ok()) << "'" << bad << "'";
    if (!a.ok()) {
      EXPECT_NE(a.error().message.find("is not a listen address"), std::string::npos);
    }
  }
}

TEST(ListenAddress, AsksForBracketsAroundIpv6) {
  auto a = ListenAddress::parse("::1:7480");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("brackets"), std::string::npos) << a.error().message;
}
