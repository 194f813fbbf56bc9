// Sidecars (SPEC §1 step 7): autonomy.lock / autonomy.policy travel only with --copy-policy; a
// missing sidecar is reported, not an error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/oci/MediaTypes.hpp"
#include "tests/integration/verify/VerifyFixture.hpp"

namespace autonomy::testing::verifyit {
namespace {

using nlohmann::json;

class verify_Sidecars : public VerifyIntegration {
 protected:
  const CosignSigner signer{KeyKind::kEcdsaP256};
  const std::string withSidecars = "robot-behavior";
  const std::string without = "fleet/plain";
  BuiltManifest lock;
  BuiltManifest policy;
  std::filesystem::path key;

  BuiltManifest sidecar(std::string_view artifactType, const std::string& doc) {
    ArtifactSpec spec;
    spec.artifactType = std::string(artifactType);
    spec.layers.emplace_back("application/json", doc);
    auto built = builder().artifact(spec);
    if (!built) throw std::runtime_error("build sidecar: " + built.error().message);
    return *built;
  }

  void SetUp() override {
    VerifyIntegration::SetUp();
    pushSignedImage(a(), withSidecars, "v1", 81, signer);
    lock = sidecar(oci::media::kLockArtifact, R"({"lock":{"repo":"robot-behavior","pinned":true}})");
    policy = sidecar(oci::media::kPolicyArtifact, R"({"policy":{"require_signature":true}})");
    push(a(), lock, withSidecars, "autonomy.lock");
    push(a(), policy, withSidecars, "autonomy.policy");
    pushSignedImage(a(), without, "v1", 82, signer);
    key = writeKey(signer);
  }

  static json sidecarOfKind(const json& seed, const std::string& kind) {
    for (const auto& s : seed["sidecars"])
      if (s["kind"] == kind) return s;
    return json();
  }
};

TEST_F(verify_Sidecars, NeverCopiedWithoutCopyPolicy) {
  const auto run = sync(a(), b(), {withSidecars + ":v1"}, {"--pub-key", key.string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_TRUE(b().hasTag(withSidecars, "v1"));
  EXPECT_FALSE(b().hasTag(withSidecars, "autonomy.lock"));
  EXPECT_FALSE(b().hasTag(withSidecars, "autonomy.policy"));
  EXPECT_FALSE(hasBlob(b(), lock.blobs.back().digest));
  EXPECT_TRUE(seedJson(run, withSidecars)["sidecars"].empty()) << seedJson(run, withSidecars).dump(2);
}

TEST_F(verify_Sidecars, CopiedWithCopyPolicyAndListedInSeedRecord) {
  const auto run = sync(a(), b(), {withSidecars + ":v1"}, {"--pub-key", key.string(), "--copy-policy"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(b(), withSidecars, "autonomy.lock"), lock.digest.str());
  EXPECT_EQ(tagDigest(b(), withSidecars, "autonomy.policy"), policy.digest.str());
  const auto s = seedJson(run, withSidecars);
  EXPECT_EQ(s["status"], "copied") << s.dump(2);
  for (const auto& [kind, m] : {std::pair{"lock", &lock}, std::pair{"policy", &policy}}) {
    const auto entry = sidecarOfKind(s, kind);
    ASSERT_TRUE(entry.is_object()) << kind << " missing from " << s["sidecars"].dump(2);
    EXPECT_EQ(entry["status"], "copied") << kind;
    EXPECT_EQ(entry["digest"], m->digest.str()) << kind;
  }
}

// The operator adds --copy-policy to a sync that already ran: the sidecars follow.
TEST_F(verify_Sidecars, CopyPolicyLaterBringsSidecarsToAnAlreadySeededPeer) {
  const auto first = sync(a(), b(), {withSidecars + ":v1"}, {"--pub-key", key.string()});
  ASSERT_EQ(first.exitCode(), 0) << first.describe();
  ASSERT_FALSE(b().hasTag(withSidecars, "autonomy.lock"));
  const auto second = sync(a(), b(), {withSidecars + ":v1"}, {"--pub-key", key.string(), "--copy-policy"});
  ASSERT_EQ(second.exitCode(), 0) << second.describe();
  EXPECT_EQ(tagDigest(b(), withSidecars, "autonomy.lock"), lock.digest.str());
  EXPECT_EQ(tagDigest(b(), withSidecars, "autonomy.policy"), policy.digest.str());
  const auto s = seedJson(second, withSidecars);
  EXPECT_EQ(sidecarOfKind(s, "lock")["status"], "copied") << s.dump(2);
  EXPECT_EQ(sidecarOfKind(s, "policy")["status"], "copied") << s.dump(2);
}

TEST_F(verify_Sidecars, MissingSidecarsAreReportedNotAnError) {
  const auto run = sync(a(), b(), {without + ":v1"}, {"--pub-key", key.string(), "--copy-policy"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  const auto s = seedJson(run, without);
  EXPECT_EQ(s["status"], "copied") << s.dump(2);
  EXPECT_TRUE(b().hasTag(without, "v1"));
  EXPECT_FALSE(b().hasTag(without, "autonomy.lock"));
  EXPECT_FALSE(b().hasTag(without, "autonomy.policy"));
  EXPECT_EQ(sidecarOfKind(s, "lock")["status"], "missing") << s.dump(2);
  EXPECT_EQ(sidecarOfKind(s, "policy")["status"], "missing") << s.dump(2);
  EXPECT_EQ(catalogJson(run)["result"], "ok");
}

// Sidecars of a repo that fails verification do not travel either.
TEST_F(verify_Sidecars, NotCopiedWhenVerificationFails) {
  const CosignSigner other(KeyKind::kEcdsaP256);
  const auto run =
      sync(a(), b(), {withSidecars + ":v1"}, {"--pub-key", writeKey(other, "other.pub").string(), "--copy-policy"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  expectUntouched(b(), withSidecars);
  expectNoBlobs(b());
}

TEST_F(verify_Sidecars, PutThenGetRoundTripsAndInvalidJsonIsRefused) {
  const std::string bin = std::string(AUTONOMY_BIN_DIR) + "/autonomy";
  const std::string doc = R"({"lock":{"images":{"nav":"sha256:00"}}})";
  RunOptions opts;
  opts.stdinText = doc;
  auto put = runCommand({bin, "registry", "sidecar", "put", "--registry", a().host(), "--repo", "fleet/roundtrip",
                         "--kind", "lock", "--allow-insecure-registry"},
                        opts);
  ASSERT_EQ(put.exitCode, 0) << put.describe();
  EXPECT_TRUE(a().hasTag("fleet/roundtrip", "autonomy.lock"));

  auto get = runCommand({bin, "registry", "sidecar", "get", "--registry", a().host(), "--repo", "fleet/roundtrip",
                         "--kind", "lock", "--allow-insecure-registry"});
  ASSERT_EQ(get.exitCode, 0) << get.describe();
  EXPECT_EQ(get.stdoutText, doc + "\n");

  auto missing = runCommand({bin, "registry", "sidecar", "get", "--registry", a().host(), "--repo", "fleet/roundtrip",
                             "--kind", "policy", "--allow-insecure-registry"});
  EXPECT_EQ(missing.exitCode, 1) << missing.describe();
  EXPECT_NE(missing.stderrText.find("no policy sidecar"), std::string::npos) << missing.describe();

  RunOptions bad;
  bad.stdinText = "{ not json";
  auto refused = runCommand({bin, "registry", "sidecar", "put", "--registry", a().host(), "--repo", "fleet/roundtrip",
                             "--kind", "policy", "--allow-insecure-registry"},
                            bad);
  EXPECT_EQ(refused.exitCode, 2) << refused.describe();
  EXPECT_FALSE(a().hasTag("fleet/roundtrip", "autonomy.policy"));
}

}  // namespace
}  // namespace autonomy::testing::verifyit
