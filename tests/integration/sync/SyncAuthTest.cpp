// Registries as they are deployed: Basic auth, the Bearer token flow, TLS with a private CA from a
// certs.d directory (and mutual TLS), and plain HTTP only when the operator allows it.
#include <chrono>

#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/process/TestCa.hpp"
#include "tests/support/process/TokenServer.hpp"

namespace autonomy::testing::syncit {
namespace {

using SyncAuth = SyncFixture;

RegistryOptions basicAuth(const std::string& user, const std::string& password) {
  RegistryOptions options;
  options.htpasswdUsers.push_back(RegistryUser{user, password});
  return options;
}

SkopeoOptions withCreds(const std::string& creds) {
  SkopeoOptions options;
  options.creds = creds;
  return options;
}

TEST_F(SyncAuth, BasicAuthSourceWithAuthFile) {
  auto& source = startA(basicAuth("robot", "s3cret-pass"));
  auto image = buildSmallImage(301);
  push(source, image, "fleet/nav", "v2", withCreds("robot:s3cret-pass"));

  const auto authFile = writeAuthFile("auth.json", {{source.host(), "robot:s3cret-pass"}});
  auto run = sync({"fleet/nav:v2"}, {"--skip-verify", "--authfile", authFile.string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(b(), "fleet/nav", "v2"), image.digest.str());
  EXPECT_EQ(seedJson(run, "fleet/nav")["status"], "copied");
  // Secrets never appear in output or records.
  for (const auto& text :
       {run.result.stdoutText, run.result.stderrText, seedJson(run, "fleet/nav").dump(), catalogJson(run).dump()})
    EXPECT_FALSE(contains(text, "s3cret-pass")) << text;
}

TEST_F(SyncAuth, RegistryAuthFileEnvironmentIsHonoured) {
  auto& source = startA(basicAuth("robot", "env-pass"));
  auto image = buildSmallImage(302);
  push(source, image, "demo", "v1", withCreds("robot:env-pass"));
  const auto authFile = writeAuthFile("env-auth.json", {{source.host(), "robot:env-pass"}});

  auto argv = cliPrefix();
  const std::vector<std::string> args{"registry",      "sync",          "--from-registry",
                                      source.host(),   "--to-registry", b().host(),
                                      "--repos",       "demo:v1",       "--allow-insecure-registry",
                                      "--skip-verify", "--out",         (work() / "out-env").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.env = cliEnv();
  options.env["REGISTRY_AUTH_FILE"] = authFile.string();
  options.unsetEnv = {"DOCKER_CONFIG", "XDG_RUNTIME_DIR"};
  auto result = runCommand(argv, options);
  ASSERT_EQ(result.exitCode, 0) << result.describe();
  EXPECT_EQ(tagDigest(b(), "demo", "v1"), image.digest.str());
}

TEST_F(SyncAuth, WrongPasswordIsAnAuthError) {
  auto& source = startA(basicAuth("robot", "right-pass"));
  push(source, buildSmallImage(303), "fleet/nav", "v2", withCreds("robot:right-pass"));

  const auto authFile = writeAuthFile("auth.json", {{source.host(), "robot:wrong-pass"}});
  auto run = sync({"fleet/nav:v2"}, {"--skip-verify", "--authfile", authFile.string()});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  auto seed = seedJson(run, "fleet/nav");
  EXPECT_EQ(seed["status"], "failed") << seed.dump(2);
  ASSERT_TRUE(seed["error"].is_object()) << seed.dump(2);
  EXPECT_EQ(seed["error"]["code"], "auth") << seed.dump(2);
  const auto message = seed["error"]["message"].get<std::string>();
  EXPECT_TRUE(contains(message, source.host())) << message;
  EXPECT_TRUE(contains(lower(message), "credential") || contains(message, "401")) << message;
  EXPECT_FALSE(contains(message, "wrong-pass")) << message;
  EXPECT_FALSE(contains(run.result.stderrText, "wrong-pass")) << run.describe();
  EXPECT_FALSE(repoExists(b(), "fleet/nav"));

  // No credentials at all is an auth error too, and says so.
  auto anonymous = sync({"fleet/nav:v2"}, {"--skip-verify"});
  EXPECT_EQ(anonymous.exitCode(), 1) << anonymous.describe();
  EXPECT_EQ(seedJson(anonymous, "fleet/nav")["error"]["code"], "auth") << seedJson(anonymous, "fleet/nav").dump(2);
}

TEST_F(SyncAuth, TokenAuthPeerReusesTokens) {
  TokenUser pusher;
  pusher.name = "edge-b";
  pusher.password = "token-pass";
  pusher.actions = {"pull", "push"};
  TokenServerOptions tokenOptions;
  tokenOptions.users = {pusher};
  TokenServer tokens(tokenOptions);
  RegistryOptions peerOptions;
  peerOptions.tokenAuth = tokens.registryAuth();
  auto& peer = startB(peerOptions);

  auto image =
      buildImage({LayerSpec(kSmallLayer, 311), LayerSpec(kSmallLayer, 312), LayerSpec(kSmallLayer, 313)}, "token");
  push(a(), image, "fleet/nav-stack", "v2");
  tokens.clearRequests();

  const auto authFile = writeAuthFile("auth.json", {{peer.host(), "edge-b:token-pass"}});
  auto run = sync({"fleet/nav-stack:v2"}, {"--skip-verify", "--authfile", authFile.string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(peer, "fleet/nav-stack", "v2"), image.digest.str());
  for (const auto& blob : image.blobs) EXPECT_TRUE(hasBlob(peer, blob.digest.str())) << blob.digest.str();
  EXPECT_EQ(seedJson(run, "fleet/nav-stack")["status"], "copied");

  // 4 blobs + manifest + HEADs with one token: a token per request would be > 10.
  EXPECT_GE(tokens.requestCount(), 1u);
  EXPECT_LT(tokens.requestCount(), 10u) << "tokens are not reused";
  for (const auto& req : tokens.requests()) {
    EXPECT_EQ(req.user, "edge-b");
    EXPECT_EQ(req.status, 200);
  }
}

// Cross-repo mounts need a token scoped to both repos (pull on the source, push on the target): a
// token for the target alone makes the registry decline the mount and the layer is uploaded again.
TEST_F(SyncAuth, TokenAuthPeerMountsSharedLayers) {
  TokenUser pusher;
  pusher.name = "edge-b";
  pusher.password = "token-pass";
  pusher.actions = {"pull", "push"};
  TokenServerOptions tokenOptions;
  tokenOptions.users = {pusher};
  TokenServer tokens(tokenOptions);
  RegistryOptions peerOptions;
  peerOptions.tokenAuth = tokens.registryAuth();
  auto& peer = startB(peerOptions);

  const LayerSpec base(1 * kMiB, 3100);
  auto first = buildImage({base, LayerSpec(kSmallLayer, 3101)}, "mount-0");
  auto second = buildImage({base, LayerSpec(kSmallLayer, 3102)}, "mount-1");
  push(a(), first, "fleet/app-0", "v1");
  push(a(), second, "fleet/app-1", "v1");
  const BlobRef baseBlob = first.blobs.at(1);

  const auto authFile = writeAuthFile("auth.json", {{peer.host(), "edge-b:token-pass"}});
  auto run = sync({"fleet/app-0:v1", "fleet/app-1:v1"}, {"--skip-verify", "--authfile", authFile.string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(peer, "fleet/app-0", "v1"), first.digest.str());
  EXPECT_EQ(tagDigest(peer, "fleet/app-1", "v1"), second.digest.str());
  for (const auto* repo : {"fleet/app-0", "fleet/app-1"})
    EXPECT_TRUE(repoHasLayerLink(peer, repo, baseBlob.digest.str())) << repo;

  std::size_t baseUploads = 0;
  for (const auto& r : requestsFor(peer, "PUT", "/blobs/uploads/"))
    if (contains(r, baseBlob.digest.hex())) ++baseUploads;
  EXPECT_EQ(baseUploads, 1u) << "the shared base was uploaded " << baseUploads << " times through token auth";
  auto s0 = seedJson(run, "fleet/app-0");
  auto s1 = seedJson(run, "fleet/app-1");
  EXPECT_LT(s0["bytes_sent"].get<std::uint64_t>() + s1["bytes_sent"].get<std::uint64_t>(), 2 * baseBlob.size)
      << s0.dump(2) << s1.dump(2);
  EXPECT_LT(tokens.requestCount(), 16u);
}

TEST_F(SyncAuth, TokenServerOutageFailsPromptlyWithAClearError) {
  TokenUser pusher;
  pusher.name = "edge-b";
  pusher.password = "token-pass";
  pusher.actions = {"pull", "push"};
  TokenServerOptions tokenOptions;
  tokenOptions.users = {pusher};
  TokenServer tokens(tokenOptions);
  RegistryOptions peerOptions;
  peerOptions.tokenAuth = tokens.registryAuth();
  auto& peer = startB(peerOptions);
  push(a(), buildSmallImage(3201), "demo", "v1");
  tokens.setFailureStatus(503);

  const auto authFile = writeAuthFile("auth.json", {{peer.host(), "edge-b:token-pass"}});
  const auto started = std::chrono::steady_clock::now();
  auto run = sync({"demo:v1"}, {"--skip-verify", "--authfile", authFile.string()});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  EXPECT_LT(took, std::chrono::seconds(30)) << "retries should be capped";
  auto seed = seedJson(run, "demo");
  EXPECT_EQ(seed["status"], "failed") << seed.dump(2);
  ASSERT_TRUE(seed["error"].is_object()) << seed.dump(2);
  const auto message = seed["error"]["message"].get<std::string>();
  EXPECT_TRUE(contains(message, "token")) << message;
  EXPECT_TRUE(contains(message, "503")) << message;
  EXPECT_FALSE(peer.hasTag("demo", "v1"));
  EXPECT_GE(tokens.requestCount(), 1u);
}

TEST_F(SyncAuth, TokenAuthWithoutPushGrantFailsCleanly) {
  TokenUser reader;
  reader.name = "reader";
  reader.password = "read-only";
  reader.actions = {"pull"};
  TokenServerOptions tokenOptions;
  tokenOptions.users = {reader};
  TokenServer tokens(tokenOptions);
  RegistryOptions peerOptions;
  peerOptions.tokenAuth = tokens.registryAuth();
  auto& peer = startB(peerOptions);
  push(a(), buildSmallImage(321), "demo", "v1");

  const auto authFile = writeAuthFile("auth.json", {{peer.host(), "reader:read-only"}});
  auto run = sync({"demo:v1"}, {"--skip-verify", "--authfile", authFile.string()});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  auto seed = seedJson(run, "demo");
  EXPECT_EQ(seed["status"], "failed") << seed.dump(2);
  EXPECT_EQ(seed["error"]["code"], "auth") << seed.dump(2);
  EXPECT_FALSE(peer.hasTag("demo", "v1"));
  EXPECT_LT(tokens.requestCount(), 20u) << "token requests should not loop";
}

class SyncTls : public SyncFixture {
 protected:
  // A and B serve TLS with certificates from one private CA; skopeo pushes to A trusting it.
  void startTlsRegistries(bool mutual = false) {
    RegistryOptions options;
    options.tls = ca_.registryTls(mutual);
    startA(options);
    startB(options);
    pushCerts_ = work() / "push-certs";
    SkopeoOptions push;
    push.certDir = ca_.writeCertsDir(pushCerts_, a().host(), mutual);
    image_ = buildSmallImage(331);
    this->push(a(), image_, "fleet/nav", "v2", push);
  }

  TestCa ca_;
  std::filesystem::path pushCerts_;
  BuiltManifest image_;
};

TEST_F(SyncTls, PrivateCaFromCertsDirWithoutInsecure) {
  startTlsRegistries();
  const auto certsRoot = work() / "certs.d";
  ca_.writeCertsDir(certsRoot, a().host());
  ca_.writeCertsDir(certsRoot, b().host());

  auto run = sync(a().host(), b().host(), {"fleet/nav:v2"}, {"--skip-verify", "--certs-dir", certsRoot.string()},
                  /*insecure=*/false);
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(b(), "fleet/nav", "v2"), image_.digest.str());
  EXPECT_EQ(seedJson(run, "fleet/nav")["status"], "copied");
}

TEST_F(SyncTls, UntrustedCertificateFailsAndPointsAtCertsD) {
  startTlsRegistries();
  const auto bBefore = mark(b());
  auto run = sync(a().host(), b().host(), {"fleet/nav:v2"}, {"--skip-verify"}, /*insecure=*/false);
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  auto seed = seedJson(run, "fleet/nav");
  EXPECT_EQ(seed["status"], "failed") << seed.dump(2);
  ASSERT_TRUE(seed["error"].is_object()) << seed.dump(2);
  const auto message = seed["error"]["message"].get<std::string>();
  EXPECT_TRUE(contains(message, "certs.d")) << message;
  EXPECT_TRUE(contains(message, a().host())) << message;
  EXPECT_TRUE(contains(lower(message), "tls") || contains(lower(message), "certificate")) << message;
  EXPECT_FALSE(b().hasTag("fleet/nav", "v2"));
  for (const char* method : {"POST", "PUT", "PATCH"}) EXPECT_TRUE(requestsSince(b(), bBefore, method).empty());
}

TEST_F(SyncTls, MutualTlsUsesClientCertificateFromCertsDir) {
  startTlsRegistries(/*mutual=*/true);
  const auto certsRoot = work() / "certs.d";
  ca_.writeCertsDir(certsRoot, a().host(), /*withClientCert=*/true);
  ca_.writeCertsDir(certsRoot, b().host(), /*withClientCert=*/true);
  auto run = sync(a().host(), b().host(), {"fleet/nav:v2"}, {"--skip-verify", "--certs-dir", certsRoot.string()},
                  /*insecure=*/false);
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(b(), "fleet/nav", "v2"), image_.digest.str());
}

TEST_F(SyncAuth, PlainHttpRegistryNeedsAllowInsecure) {
  push(a(), buildSmallImage(341), "demo", "v1");
  auto run = sync(a().host(), b().host(), {"demo:v1"}, {"--skip-verify"}, /*insecure=*/false);
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  auto seed = seedJson(run, "demo");
  EXPECT_EQ(seed["status"], "failed") << seed.dump(2);
  EXPECT_TRUE(contains(seed["error"]["message"].get<std::string>(), "--allow-insecure-registry")) << seed.dump(2);
  EXPECT_FALSE(repoExists(b(), "demo"));
}

}  // namespace
}  // namespace autonomy::testing::syncit

namespace autonomy::testing::syncit {
namespace {

// An HTTPS registry whose token realm is plain HTTP would have our Basic credentials sent in
// clear: refused, unless the operator allowed clear text for that registry.
TEST_F(SyncTls, PlainHttpTokenRealmOfAnHttpsRegistryIsRefusedUnlessInsecureIsAllowed) {
  TokenUser user;
  user.name = "robot";
  user.password = "s3cret";
  user.actions = {"pull", "push"};
  TokenServerOptions tokenOptions;
  tokenOptions.users = {user};
  TokenServer tokens(tokenOptions);
  RegistryOptions secured;
  secured.tls = ca_.registryTls(false);
  startA(secured);
  secured.tokenAuth = tokens.registryAuth();  // realm http://127.0.0.1:<port>/token
  startB(secured);
  SkopeoOptions pushOptions;
  pushOptions.certDir = ca_.writeCertsDir(work() / "push-certs", a().host());
  push(a(), buildSmallImage(351), "demo", "v1", pushOptions);
  const auto certsRoot = work() / "certs.d";
  ca_.writeCertsDir(certsRoot, a().host());
  ca_.writeCertsDir(certsRoot, b().host());
  const auto authFile = writeAuthFile("auth.json", {{b().host(), "robot:s3cret"}});
  const std::vector<std::string> flags{"--skip-verify", "--authfile", authFile.string(), "--certs-dir",
                                       certsRoot.string()};

  auto refused = sync(a().host(), b().host(), {"demo:v1"}, flags, /*insecure=*/false);
  EXPECT_EQ(refused.exitCode(), 1) << refused.describe();
  const auto seed = seedJson(refused, "demo");
  EXPECT_EQ(seed["error"]["code"], "auth") << seed.dump(2);
  const auto message = seed["error"]["message"].get<std::string>();
  EXPECT_TRUE(contains(message, "token realm at plain-HTTP")) << message;
  EXPECT_TRUE(contains(message, "refusing to send credentials")) << message;
  EXPECT_EQ(tokens.requestCount(), 0u) << "credentials went to the plain-HTTP realm";
  EXPECT_FALSE(b().hasTag("demo", "v1"));

  // The operator's explicit choice: clear text allowed for these registries.
  auto allowed = sync(a().host(), b().host(), {"demo:v1"}, flags, /*insecure=*/true);
  ASSERT_EQ(allowed.exitCode(), 0) << allowed.describe();
  EXPECT_GE(tokens.requestCount(), 1u);
  EXPECT_TRUE(b().hasTag("demo", "v1"));
}

}  // namespace
}  // namespace autonomy::testing::syncit
