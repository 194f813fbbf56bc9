// A no-op re-sync asks A for less (one tags/list instead of a request per attachment tag that
// might exist; the referrers API asked once per registry when it has none) and must still find
// every kind of change: a new signature, a new attachment tag, a new referrer, a new sidecar, a
// moved tag. Each change is made at A alone, then one sync must bring exactly it to B.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/oci/MediaTypes.hpp"
#include "tests/integration/verify/VerifyFixture.hpp"

namespace autonomy::testing::verifyit {
namespace {

using nlohmann::json;

class verify_NoopChanges : public VerifyIntegration {
 protected:
  const std::string repo = "fleet/nav";
  const std::string other = "fleet/map";
  const CosignSigner signer{KeyKind::kEcdsaP256};
  BuiltManifest image;
  std::filesystem::path key;

  void SetUp() override {
    VerifyIntegration::SetUp();
    image = pushSignedImage(a(), repo, "v1", 91, signer);
    pushSignedImage(a(), other, "v1", 92, signer);
    key = writeKey(signer);
  }

  BuiltManifest artifact(const std::string& type, const std::string& body,
                         std::optional<BlobRef> subject = std::nullopt) {
    ArtifactSpec spec;
    spec.artifactType = type;
    spec.layers.emplace_back("application/json", body);
    spec.subject = std::move(subject);
    auto built = builder().artifact(spec);
    if (!built) throw std::runtime_error("build artifact: " + built.error().message);
    return *built;
  }

  CliRun syncBoth(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags{"--pub-key", key.string()};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return sync(a(), b(), {repo + ":v1", other + ":v1"}, flags);
  }

  // A sync that must find nothing to do, for either repo.
  void expectNoop(const std::vector<std::string>& extra = {}) {
    const auto run = syncBoth(extra);
    ASSERT_EQ(run.exitCode(), 0) << run.describe();
    for (const auto& r : {repo, other}) EXPECT_EQ(seedJson(run, r)["status"], "up-to-date") << seedJson(run, r).dump(2);
  }

  // A sync that copies `repo` again (and leaves `other` alone).
  json expectCopied(const std::vector<std::string>& extra = {}) {
    const auto run = syncBoth(extra);
    EXPECT_EQ(run.exitCode(), 0) << run.describe();
    EXPECT_EQ(seedJson(run, other)["status"], "up-to-date") << seedJson(run, other).dump(2);
    auto s = seedJson(run, repo);
    EXPECT_EQ(s["status"], "copied") << s.dump(2);
    return s;
  }

  static std::string statusOf(const json& seed, const std::string& kind) {
    for (const auto& a : seed["attachments"])
      if (a["kind"] == kind) return a["status"];
    return "absent";
  }
};

TEST_F(verify_NoopChanges, EveryKindOfChangeIsFoundAfterNoopRuns) {
  const auto first = syncBoth();
  ASSERT_EQ(first.exitCode(), 0) << first.describe();
  expectNoop();

  // The no-op did not ask A for attachment tags its tags/list did not name. One repo checked
  // at a time, so the second repo's check starts after the first one's referrers answer.
  const auto seenBefore = anyRequests(a(), repo).size();
  const auto otherBefore = anyRequests(a(), other).size();
  expectNoop({"--check-concurrency", "1", "--concurrency", "1"});
  auto noopAtA = anyRequests(a(), repo);
  noopAtA.erase(noopAtA.begin(), noopAtA.begin() + static_cast<std::ptrdiff_t>(seenBefore));
  auto otherAtA = anyRequests(a(), other);
  otherAtA.erase(otherAtA.begin(), otherAtA.begin() + static_cast<std::ptrdiff_t>(otherBefore));
  const auto asked = [](const std::vector<std::string>& lines, const std::string& what) {
    return std::count_if(lines.begin(), lines.end(),
                         [&](const std::string& line) { return line.find(what) != std::string::npos; });
  };
  const auto all = ::testing::PrintToString(noopAtA);
  EXPECT_EQ(asked(noopAtA, "/tags/list"), 1) << all;
  EXPECT_EQ(asked(noopAtA, image.digest.attachmentTag(".sig")), 1) << all;
  EXPECT_EQ(asked(noopAtA, image.digest.attachmentTag(".att")), 0) << all;
  EXPECT_EQ(asked(noopAtA, image.digest.attachmentTag(".sbom")), 0) << all;
  EXPECT_EQ(asked(noopAtA, "/manifests/" + image.digest.attachmentTag() + " "), 0) << all;
  // docker-registry 2.8 has no referrers API: its 404 is remembered, so only the first repo asks.
  EXPECT_EQ(asked(noopAtA, "/referrers/") + asked(otherAtA, "/referrers/"), 1)
      << all << ::testing::PrintToString(otherAtA);

  // 1. A second signature is added to the .sig manifest.
  const auto resigned =
      pushSignature(a(), repo, image.digest,
                    {signer.signImage(image.digest, identityFor(a(), repo)),
                     CosignSigner(KeyKind::kEcdsaP256).signImage(image.digest, identityFor(a(), repo))});
  auto s = expectCopied();
  EXPECT_EQ(statusOf(s, "sig"), "copied") << s.dump(2);
  EXPECT_EQ(tagDigest(b(), repo, resigned.tag), resigned.manifestDigest.str());
  expectNoop();

  // 2. A new cosign attachment tag (.att).
  const auto att = artifact("application/vnd.dsse.envelope.v1+json", R"({"payloadType":"x","payload":"e30="})");
  push(a(), att, repo, image.digest.attachmentTag(".att"));
  s = expectCopied();
  EXPECT_EQ(statusOf(s, "att"), "copied") << s.dump(2);
  EXPECT_EQ(tagDigest(b(), repo, image.digest.attachmentTag(".att")), att.digest.str());
  expectNoop();

  // 3. A new referrer, recorded in the fallback tag (this registry has no referrers API).
  const auto report = artifact("application/vnd.example.scan-report.v1+json", R"({"high":0})", image.descriptor());
  auto index = builder().referrersIndex({report});
  ASSERT_TRUE(index) << index.error().message;
  push(a(), *index, repo, image.digest.attachmentTag());
  s = expectCopied();
  EXPECT_EQ(statusOf(s, "referrers-tag"), "copied") << s.dump(2);
  EXPECT_EQ(tagDigest(b(), repo, image.digest.attachmentTag()), index->digest.str());
  expectNoop();

  // 4. A new sidecar (with --copy-policy).
  expectNoop({"--copy-policy"});  // no sidecars yet: reported missing, nothing to copy
  const auto lock = artifact(std::string(oci::media::kLockArtifact), R"({"lock":{"pinned":true}})");
  push(a(), lock, repo, "autonomy.lock");
  s = expectCopied({"--copy-policy"});
  EXPECT_EQ(tagDigest(b(), repo, "autonomy.lock"), lock.digest.str());
  expectNoop({"--copy-policy"});

  // 5. The tag moves to a new, signed image.
  const auto moved = pushSignedImage(a(), repo, "v1", 93, signer);
  s = expectCopied();
  EXPECT_EQ(s["digest"], moved.digest.str()) << s.dump(2);
  EXPECT_EQ(tagDigest(b(), repo, "v1"), moved.digest.str());
  EXPECT_EQ(tagDigest(b(), repo, moved.digest.attachmentTag(".sig")),
            tagDigest(a(), repo, moved.digest.attachmentTag(".sig")));
  expectNoop();
}

// A moved tag whose new image is unsigned is refused on the re-sync: B keeps the old image.
TEST_F(verify_NoopChanges, TagMovedToAnUnsignedImageIsRefusedAndBKeepsTheOld) {
  const auto first = syncBoth();
  ASSERT_EQ(first.exitCode(), 0) << first.describe();
  const auto unsigned_ = buildImage(94);
  push(a(), unsigned_, repo, "v1");
  const auto run = syncBoth({"--keep-going"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  EXPECT_EQ(seedJson(run, repo)["status"], "failed") << seedJson(run, repo).dump(2);
  EXPECT_EQ(tagDigest(b(), repo, "v1"), image.digest.str());
}

}  // namespace
}  // namespace autonomy::testing::verifyit
