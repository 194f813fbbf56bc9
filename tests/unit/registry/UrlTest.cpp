#include "engine/registry/Url.hpp"

#include <gtest/gtest.h>

using namespace autonomy::registry;

TEST(Url, ParsesSchemesPortsAndTargets) {
  auto u = Url::parse("http://127.0.0.1:5000/v2/x/blobs/uploads/abc?_state=z");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "5000");
  EXPECT_EQ(u->target, "/v2/x/blobs/uploads/abc?_state=z");
  auto t = Url::parse("https://auth.example/token");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->port, "443");
  EXPECT_EQ(t->authority(), "auth.example");
  EXPECT_FALSE(Url::parse("ftp://x").ok());
}

TEST(Url, ResolvesRelativeLocationsAgainstTheRegistry) {
  auto base = Url::parse("https://edge:5000/v2/");
  auto r = Url::resolve(*base, "/v2/a/blobs/uploads/1?_state=s");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->str(), "https://edge:5000/v2/a/blobs/uploads/1?_state=s");
  EXPECT_FALSE(Url::resolve(*base, "relative/path").ok());
}

TEST(Url, IPv6HostsKeepTheirBrackets) {
  auto u = Url::parse("http://[::1]:5000/v2/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "[::1]");
  EXPECT_EQ(u->port, "5000");
}

TEST(Url, AppendsEncodedQuery) {
  EXPECT_EQ(appendQuery("/t", "scope", "repository:a/b:pull"), "/t?scope=repository%3Aa%2Fb%3Apull");
  EXPECT_EQ(appendQuery("/t?x=1", "digest", "sha256:ab"), "/t?x=1&digest=sha256%3Aab");
}
