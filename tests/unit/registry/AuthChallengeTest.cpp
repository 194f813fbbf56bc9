#include "engine/registry/AuthChallenge.hpp"

#include <gtest/gtest.h>

using namespace autonomy::registry;

TEST(AuthChallenge, ParsesBearerWithQuotedParams) {
  auto c = parseAuthChallenge(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->param("realm"), "https://auth.example/token");
  EXPECT_EQ(c->param("service"), "registry.example");
  EXPECT_EQ(c->param("scope"), "repository:a/b:pull,push");
}

TEST(AuthChallenge, ParsesBasicAndCaseInsensitiveKeys) {
  auto c = parseAuthChallenge(R"(Basic Realm="edge")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "basic");
  EXPECT_EQ(c->param("realm"), "edge");
}

TEST(AuthChallenge, HandlesSpacesUnquotedValuesAndEscapes) {
  auto c = parseAuthChallenge(R"(Bearer realm="http://h/t", service=svc, error="insufficient_scope", x="a\"b")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->param("service"), "svc");
  EXPECT_EQ(c->param("error"), "insufficient_scope");
  EXPECT_EQ(c->param("x"), "a\"b");
}

TEST(AuthChallenge, EmptyHeaderHasNoChallenge) { EXPECT_FALSE(parseAuthChallenge("")); }
