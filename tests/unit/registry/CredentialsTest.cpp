#include "engine/registry/Credentials.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace autonomy::registry;

TEST(AuthFile, DecodesAuthAndUsernamePasswordEntries) {
  auto f = AuthFile::parse(R"({"auths":{"edge-a:5000":{"auth":"dXNlcjpwYTpzcw=="},
    "https://edge-b:5000/v1/":{"username":"bob","password":"pw"}}})",
                           "test");
  ASSERT_TRUE(f.ok()) << f.error().message;
  auto a = f->lookup("edge-a:5000");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->username, "user");
  EXPECT_EQ(a->password, "pa:ss");  // only the first ':' separates
  auto b = f->lookup("edge-b:5000");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->username, "bob");
  EXPECT_FALSE(f->lookup("edge-c:5000"));
}

TEST(AuthFile, NamespaceScopedEntryWinsForItsRepos) {
  auto f = AuthFile::parse(R"({"auths":{"h:5000":{"auth":"YTpi"},"h:5000/fleet":{"auth":"Yzpk"}}})", "test");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->lookup("h:5000", "fleet/nav")->username, "c");
  EXPECT_EQ(f->lookup("h:5000", "other")->username, "a");
  EXPECT_EQ(f->lookup("h:5000")->username, "a");
}

TEST(AuthFile, RejectsBrokenJsonAndBadAuthValues) {
  EXPECT_FALSE(AuthFile::parse("{", "x").ok());
  EXPECT_FALSE(AuthFile::parse(R"({"auths":{"h":{"auth":"!!!"}}})", "x").ok());
  EXPECT_FALSE(AuthFile::parse(R"({"auths":{"h":{"auth":"bm9jb2xvbg=="}}})", "x").ok());  // "nocolon"
  auto err = AuthFile::parse("{", "/etc/x.json");
  EXPECT_NE(err.error().message.find("/etc/x.json"), std::string::npos);
}

TEST(FindCredentials, ExplicitMissingFileIsAnErrorAndEnvFileIsUsed) {
  EXPECT_FALSE(findCredentials(std::filesystem::path("/nonexistent/auth.json"), "h").ok());
  const auto path = std::filesystem::temp_directory_path() / ("auth-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << R"({"auths":{"h:1":{"auth":"dTpw"}}})";
  ::setenv("REGISTRY_AUTH_FILE", path.c_str(), 1);
  auto c = findCredentials(std::nullopt, "h:1");
  ::unsetenv("REGISTRY_AUTH_FILE");
  std::filesystem::remove(path);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(*c);
  EXPECT_EQ((*c)->username, "u");
}

TEST(AuthFile, HostNamesMatchWithoutCase) {
  auto f = autonomy::registry::AuthFile::parse(R"({"auths":{"Edge-A.Local:5000":{"auth":"dXNlcjpwYXNz"}}})", "test");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_TRUE(f->lookup("edge-a.local:5000"));
}
