// Attachments travel with the image (SPEC §1 step 6): cosign .sig/.att/.sbom tags and the OCI
// referrers fallback tag reach B byte-for-byte, and B hands them on to C.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/verify/VerifyFixture.hpp"

namespace autonomy::testing::verifyit {
namespace {

using nlohmann::json;

class verify_Attachments : public VerifyIntegration {
 protected:
  const std::string repo = "fleet/perception";
  const CosignSigner signer{KeyKind::kEcdsaP256};
  BuiltManifest image;
  PushedSignature sig;
  BuiltManifest att;
  BuiltManifest sbom;
  BuiltManifest referrer;
  BuiltManifest referrersTag;

  BuiltManifest artifact(ArtifactSpec spec) {
    auto built = builder().artifact(spec);
    if (!built) throw std::runtime_error("build artifact: " + built.error().message);
    return *built;
  }

  void SetUp() override {
    VerifyIntegration::SetUp();
    image = pushSignedImage(a(), repo, "v1", 71, signer, &sig);

    ArtifactSpec attSpec;
    attSpec.artifactType = "application/vnd.dsse.envelope.v1+json";
    attSpec.layers.emplace_back("application/vnd.dsse.envelope.v1+json",
                                R"({"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]})",
                                Annotations{{"predicateType", "https://slsa.dev/provenance/v0.2"}});
    att = artifact(attSpec);
    push(a(), att, repo, image.digest.attachmentTag(".att"));

    ArtifactSpec sbomSpec;
    sbomSpec.artifactType = "text/spdx+json";
    sbomSpec.layers.emplace_back("text/spdx+json", R"({"spdxVersion":"SPDX-2.3","name":"perception"})");
    sbom = artifact(sbomSpec);
    push(a(), sbom, repo, image.digest.attachmentTag(".sbom"));

    ArtifactSpec refSpec;
    refSpec.artifactType = "application/vnd.example.scan-report.v1+json";
    refSpec.layers.emplace_back("application/json", R"({"critical":0,"high":0})");
    refSpec.annotations["org.opencontainers.image.created"] = "2024-01-01T00:00:00Z";
    refSpec.subject = image.descriptor();
    referrer = artifact(refSpec);
    auto index = builder().referrersIndex({referrer});
    ASSERT_TRUE(index) << index.error().message;
    referrersTag = *index;
    ASSERT_TRUE(needsCurlPush(referrersTag));
    push(a(), referrersTag, repo, image.digest.attachmentTag());  // curl: the referrer, then the index

    // Sanity: A holds exactly what was built.
    ASSERT_EQ(tagDigest(a(), repo, image.digest.attachmentTag(".att")), att.digest.str());
    ASSERT_EQ(tagDigest(a(), repo, image.digest.attachmentTag(".sbom")), sbom.digest.str());
    ASSERT_EQ(tagDigest(a(), repo, image.digest.attachmentTag()), referrersTag.digest.str());
  }

  // Every attachment tag at `reg` points at the same digest as at A, and the referrer is there.
  void expectAttachmentsAt(const RegistryProcess& reg) {
    SCOPED_TRACE("at " + reg.host());
    EXPECT_EQ(tagDigest(reg, repo, "v1"), image.digest.str());
    EXPECT_EQ(tagDigest(reg, repo, sig.tag), sig.manifestDigest.str());
    EXPECT_EQ(tagDigest(reg, repo, image.digest.attachmentTag(".att")), att.digest.str());
    EXPECT_EQ(tagDigest(reg, repo, image.digest.attachmentTag(".sbom")), sbom.digest.str());
    EXPECT_EQ(tagDigest(reg, repo, image.digest.attachmentTag()), referrersTag.digest.str());
    const auto links = reg.manifestLinks(repo);
    EXPECT_NE(std::find(links.begin(), links.end(), referrer.digest.str()), links.end())
        << "the referrer the fallback tag lists";
    for (const auto* m : {&att, &sbom, &referrer})
      for (const auto& blob : m->blobs) EXPECT_TRUE(hasBlob(reg, blob.digest)) << blob.digest.str();
  }

  static json attachmentOfKind(const json& seed, const std::string& kind) {
    for (const auto& a : seed["attachments"])
      if (a["kind"] == kind) return a;
    return json();
  }
};

TEST_F(verify_Attachments, CosignTagsAndReferrersFallbackTravelToPeerAndOnToItsNeighbour) {
  const auto key = writeKey(signer);
  const auto ab = sync(a(), b(), {repo + ":v1"}, {"--pub-key", key.string()});
  ASSERT_EQ(ab.exitCode(), 0) << ab.describe();
  expectAttachmentsAt(b());

  const auto s = seedJson(ab, repo);
  EXPECT_EQ(s["status"], "copied") << s.dump(2);
  const std::pair<std::string, std::string> expected[] = {{"sig", sig.manifestDigest.str()},
                                                          {"att", att.digest.str()},
                                                          {"sbom", sbom.digest.str()},
                                                          {"referrers-tag", referrersTag.digest.str()}};
  for (const auto& [kind, digest] : expected) {
    const auto entry = attachmentOfKind(s, kind);
    ASSERT_TRUE(entry.is_object()) << kind << " missing from " << s["attachments"].dump(2);
    EXPECT_EQ(entry["digest"], digest) << kind;
    EXPECT_EQ(entry["status"], "copied") << kind;
  }

  // B -> C: everything B received is handed on.
  const auto bc = sync(b(), c(), {repo + ":v1"}, {"--pub-key", key.string()});
  ASSERT_EQ(bc.exitCode(), 0) << bc.describe();
  expectAttachmentsAt(c());

  // Nothing left to do A -> B: up-to-date including attachments.
  const auto again = sync(a(), b(), {repo + ":v1"}, {"--pub-key", key.string()});
  ASSERT_EQ(again.exitCode(), 0) << again.describe();
  EXPECT_EQ(seedJson(again, repo)["status"], "up-to-date") << seedJson(again, repo).dump(2);
}

// A repo that fails verification sends none of its attachments either.
TEST_F(verify_Attachments, NoAttachmentTravelsWhenVerificationFails) {
  const CosignSigner other(KeyKind::kEcdsaP256);
  const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(other, "other.pub").string()});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  expectUntouched(b(), repo);
  expectNoBlobs(b());
}

}  // namespace
}  // namespace autonomy::testing::verifyit
