// Credential helpers named by the auth file (credHelpers, credsStore), run by the real CLI against
// a token-auth registry: a script of the tests' own, an identity token ("<token>") exchanged as an
// OAuth2 refresh token, a missing helper, and Debian's real docker-credential-pass over pass and a
// throwaway GPG key.
#include <sys/stat.h>

#include <fstream>

#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/process/Subprocess.hpp"
#include "tests/support/process/TextFiles.hpp"
#include "tests/support/process/TokenServer.hpp"

namespace autonomy::testing::syncit {
namespace {

class SyncCredentialHelper : public SyncFixture {
 protected:
  // A token server with user edge-b (password token-pass, identity token refresh-edge-b) and B
  // behind it.
  RegistryProcess& startTokenPeer() {
    TokenUser pusher;
    pusher.name = "edge-b";
    pusher.password = "token-pass";
    pusher.refreshToken = "refresh-edge-b";
    pusher.actions = {"pull", "push"};
    TokenServerOptions tokenOptions;
    tokenOptions.users = {pusher};
    tokens_ = std::make_unique<TokenServer>(tokenOptions);
    RegistryOptions peerOptions;
    peerOptions.tokenAuth = tokens_->registryAuth();
    return startB(peerOptions);
  }
  // helpers/docker-credential-<name>: reads the host, appends it to helpers/calls-<name>, runs body.
  void writeHelper(const std::string& name, const std::string& body) {
    const auto dir = work() / "helpers";
    std::filesystem::create_directories(dir);
    const auto file = dir / ("docker-credential-" + name);
    std::ofstream(file) << "#!/bin/sh\n[ \"$1\" = get ] || exit 9\nread -r host\necho \"$host\" >> " +
                               (dir / ("calls-" + name)).string() + "\n" + body + "\n";
    ::chmod(file.c_str(), 0755);
  }
  std::string helperCalls(const std::string& name) { return readTextFile(work() / "helpers" / ("calls-" + name)); }

  std::unique_ptr<TokenServer> tokens_;
};

TEST_F(SyncCredentialHelper, CredHelpersEntrySuppliesTheLoginAndIsAskedOnce) {
  auto& peer = startTokenPeer();
  auto image = buildImage({LayerSpec(kSmallLayer, 711), LayerSpec(kSmallLayer, 712)}, "helper");
  push(a(), image, "fleet/nav", "v1");
  writeHelper("fleet", R"(echo '{"ServerURL":"'$host'","Username":"edge-b","Secret":"token-pass"}')");
  const auto authFile = writeFile("auth.json", R"({"credHelpers":{")" + peer.host() + R"(":"fleet"}})");
  auto run = sync({"fleet/nav:v1"}, {"--skip-verify", "--authfile", authFile.string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(peer, "fleet/nav", "v1"), image.digest.str());
  EXPECT_EQ(helperCalls("fleet"), peer.host() + "\n") << "asked once, for B only (A has no helper)";
  ASSERT_FALSE(tokens_->requests().empty());
  for (const auto& req : tokens_->requests()) EXPECT_EQ(req.user, "edge-b");
  EXPECT_EQ(run.result.stderrText.find("token-pass"), std::string::npos) << run.describe();
}

TEST_F(SyncCredentialHelper, IdentityTokenIsExchangedAsARefreshToken) {
  auto& peer = startTokenPeer();
  auto image = buildImage({LayerSpec(kSmallLayer, 721)}, "identity");
  push(a(), image, "fleet/nav", "v1");
  writeHelper("oauth", R"(echo '{"Username":"<token>","Secret":"refresh-edge-b"}')");
  const auto authFile = writeFile("auth.json", R"({"credsStore":"oauth"})");
  auto run = sync({"fleet/nav:v1"}, {"--skip-verify", "--authfile", authFile.string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(peer, "fleet/nav", "v1"), image.digest.str());
  ASSERT_FALSE(tokens_->requests().empty());
  for (const auto& req : tokens_->requests()) {
    EXPECT_EQ(req.grantType, "refresh_token");
    EXPECT_EQ(req.user, "edge-b");
    EXPECT_EQ(req.status, 200);
  }
}

TEST_F(SyncCredentialHelper, MissingHelperIsAnErrorNamingTheHelperAndTheRegistry) {
  auto& peer = startTokenPeer();
  pushSmallImage(a(), "fleet/nav", "v1", 731);
  const auto authFile = writeFile("auth.json", R"({"credHelpers":{")" + peer.host() + R"(":"absent"}})");
  auto run = sync({"fleet/nav:v1"}, {"--skip-verify", "--authfile", authFile.string()});
  EXPECT_NE(run.exitCode(), 0);
  const auto& err = run.result.stderrText;
  EXPECT_NE(err.find("docker-credential-absent"), std::string::npos) << err;
  EXPECT_NE(err.find(peer.host()), std::string::npos) << err;
  EXPECT_FALSE(b().hasTag("fleet/nav", "v1"));
}

// Debian's docker-credential-pass, with pass and a GPG key made here (no passphrase), in the
// CLI's own HOME: what an operator with `pass` as credsStore has.
TEST_F(SyncCredentialHelper, RealDockerCredentialPass) {
  for (const char* tool : {"/usr/bin/docker-credential-pass", "/usr/bin/pass", "/usr/bin/gpg"})
    if (!std::filesystem::exists(tool))
      GTEST_SKIP() << tool << " is missing (make deps installs golang-docker-credential-helpers, pass, gnupg)";
  auto& peer = startTokenPeer();
  auto image = buildImage({LayerSpec(kSmallLayer, 741)}, "pass");
  push(a(), image, "fleet/nav", "v1");
  const auto home = work() / "home";
  std::filesystem::create_directories(home);
  RunOptions env;
  env.env = cliEnv();
  env.unsetEnv = {"GNUPGHOME", "PASSWORD_STORE_DIR"};
  env.timeout = std::chrono::seconds(60);
  auto step = [&](const std::vector<std::string>& argv, std::optional<std::string> input = std::nullopt) {
    env.stdinText = std::move(input);
    auto r = runCommand(argv, env);
    EXPECT_EQ(r.exitCode, 0) << r.describe();
    return r.exitCode == 0;
  };
  // gpg starts an agent for this HOME; stop it (by its socket dir, not by name) when done.
  struct AgentStop {
    RunOptions env;
    ~AgentStop() { (void)runCommand({"gpgconf", "--kill", "gpg-agent"}, env); }
  } agentStop{env};
  ASSERT_TRUE(step({"gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                    "autonomy-test <test@autonomy.invalid>", "default", "default", "never"}));
  ASSERT_TRUE(step({"pass", "init", "test@autonomy.invalid"}));
  ASSERT_TRUE(step({"docker-credential-pass", "store"},
                   R"({"ServerURL":")" + peer.host() + R"(","Username":"edge-b","Secret":"token-pass"})"));
  const auto authFile = writeFile("auth.json", R"({"credsStore":"pass"})");
  auto run = sync({"fleet/nav:v1"}, {"--skip-verify", "--authfile", authFile.string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(peer, "fleet/nav", "v1"), image.digest.str());
  for (const auto& req : tokens_->requests()) EXPECT_EQ(req.user, "edge-b");
}

}  // namespace
}  // namespace autonomy::testing::syncit
