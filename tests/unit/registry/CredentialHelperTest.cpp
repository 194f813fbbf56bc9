// Credential helpers run for real: small shell scripts named docker-credential-<name> in a
// scratch PATH entry, speaking the helper protocol (host on stdin, JSON on stdout).
#include "engine/registry/CredentialHelper.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "tests/support/process/TempDir.hpp"
#include "tests/support/process/TextFiles.hpp"

namespace autonomy::registry {
namespace {

namespace fs = std::filesystem;

class CredentialHelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("PATH");
    oldPath_ = path ? path : "";
    ::setenv("PATH", (dir_.path().string() + ":" + oldPath_).c_str(), 1);
  }
  void TearDown() override { ::setenv("PATH", oldPath_.c_str(), 1); }

  // docker-credential-<name> running `body` (sh); every call appends its stdin to calls-<name>.
  void helper(const std::string& name, const std::string& body) {
    const auto file = dir_.path() / ("docker-credential-" + name);
    std::ofstream(file) << "#!/bin/sh\n[ \"$1\" = get ] || exit 9\nread -r host\necho \"$host\" >> " +
                               (dir_.path() / ("calls-" + name)).string() + "\n" + body + "\n";
    ::chmod(file.c_str(), 0755);
  }
  std::string calls(const std::string& name) { return testing::readTextFile(dir_.path() / ("calls-" + name)); }
  fs::path authFile(const std::string& json) {
    auto file = dir_.path() / "auth.json";
    std::ofstream(file) << json;
    return file;
  }

  testing::TempDir dir_{"credhelper"};
  std::string oldPath_;
};

TEST_F(CredentialHelperTest, CredHelpersEntryAnswersForItsHostOnly) {
  helper("fleet", R"(echo '{"ServerURL":"'$host'","Username":"robot","Secret":"s3cret"}')");
  const auto file =
      authFile(R"({"credHelpers":{"Edge-A.local:5000":"fleet"},"auths":{"edge-b.local:5000":{"auth":"dTpw"}}})");
  auto a = findCredentials(file, "edge-a.local:5000");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->username, "robot");
  EXPECT_EQ((*a)->password, "s3cret");
  EXPECT_EQ(calls("fleet"), "edge-a.local:5000\n");
  auto b = findCredentials(file, "edge-b.local:5000");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->username, "u");  // no helper for this host: its auths entry
}

TEST_F(CredentialHelperTest, CredsStoreServesEveryHostAndWinsOverEmptyAuthsEntries) {
  helper("store", R"(echo '{"Username":"user-'$host'","Secret":"pw"}')");
  const auto file = authFile(R"({"credsStore":"store","auths":{"h:1":{}}})");
  auto c = findCredentials(file, "h:1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ((*c)->username, "user-h:1");
}

TEST_F(CredentialHelperTest, TokenUsernameMakesAnIdentityToken) {
  helper("oauth", R"(echo '{"Username":"<token>","Secret":"refresh-123"}')");
  auto c = askCredentialHelper("oauth", "h:1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(*c);
  EXPECT_EQ((*c)->identityToken, "refresh-123");
  EXPECT_TRUE((*c)->username.empty());
}

TEST_F(CredentialHelperTest, NotFoundIsNoCredentials) {
  helper("empty", "echo 'credentials not found in native keychain'; exit 1");
  auto c = findCredentials(authFile(R"({"credsStore":"empty"})"), "h:1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(*c);
}

TEST_F(CredentialHelperTest, MissingHelperIsAConfigErrorNamingItAndTheHost) {
  auto c = findCredentials(authFile(R"({"credHelpers":{"h:1":"nosuch"}})"), "h:1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kConfig);
  EXPECT_NE(c.error().message.find("docker-credential-nosuch"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("h:1"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("not installed"), std::string::npos) << c.error().message;
}

TEST_F(CredentialHelperTest, FailingHelperStderrIsNotCopiedIntoTheError) {
  helper("leaky", "echo 'cannot unlock: password hunter2 rejected' >&2; exit 3");
  auto c = askCredentialHelper("leaky", "h:1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("exit 3"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("echo h:1 | docker-credential-leaky get"), std::string::npos) << c.error().message;
}

TEST_F(CredentialHelperTest, GarbageAnswerIsAnError) {
  helper("garbage", "echo 'Username: robot'");
  auto c = askCredentialHelper("garbage", "h:1");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("Username"), std::string::npos) << c.error().message;
}

TEST_F(CredentialHelperTest, HangingHelperIsStoppedAtTheTimeout) {
  helper("hang", "sleep 30");
  const auto started = std::chrono::steady_clock::now();
  auto c = askCredentialHelper("hang", "h:1", nullptr, ChildLimits{std::chrono::milliseconds(300)});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("did not answer"), std::string::npos) << c.error().message;
  EXPECT_LT(took, std::chrono::seconds(20));  // not the helper's 30 s: it was stopped
}

TEST_F(CredentialHelperTest, FloodingHelperIsStopped) {
  helper("flood", "yes '{}'");
  auto c = askCredentialHelper("flood", "h:1");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("more than"), std::string::npos) << c.error().message;
}

TEST_F(CredentialHelperTest, AnswersAreKeptForTheRun) {
  helper("count", R"(echo '{"Username":"u","Secret":"p"}')");
  const auto file = authFile(R"({"credsStore":"count"})");
  HelperAnswers answers;
  ASSERT_TRUE(findCredentials(file, "h:1", &answers).ok());
  ASSERT_TRUE(findCredentials(file, "h:1", &answers).ok());
  ASSERT_TRUE(findCredentials(file, "h:2", &answers).ok());
  EXPECT_EQ(calls("count"), "h:1\nh:2\n");
}

TEST_F(CredentialHelperTest, HelperNamesThatAreNotProgramNamesAreRefused) {
  auto c = askCredentialHelper("../../bin/sh", "h:1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kConfig);
}

}  // namespace
}  // namespace autonomy::registry
