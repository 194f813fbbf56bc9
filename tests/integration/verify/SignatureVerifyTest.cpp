// Fail-closed cosign verification, end to end: the real `autonomy` binary between real
// docker-registry processes. A repo is copied only if a signature for its manifest digest made by
// --pub-key checks out; otherwise it fails and nothing at all is written to the destination.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>

#include "engine/oci/MediaTypes.hpp"
#include "tests/integration/verify/VerifyFixture.hpp"

namespace autonomy::testing {
// Test names and ctest names show "ecdsa-p256", not "4-byte object <00-00 00-00>".
void PrintTo(KeyKind kind, std::ostream* os) { *os << keyKindName(kind); }
}  // namespace autonomy::testing

namespace autonomy::testing::verifyit {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// ---------------------------------------------------------------------------------------------
// 1 + 2. Every supported key kind: A -> B verifies and carries the signature; B -> C re-seeds
// from nothing but what B received.

class verify_SignedSync : public VerifyIntegration, public ::testing::WithParamInterface<KeyKind> {};

TEST_P(verify_SignedSync, VerifiesCopiesSignatureAndNeighbourReseedsFromIt) {
  const CosignSigner signer(GetParam());
  const std::string repo = "fleet/nav-stack";
  PushedSignature sig;
  const auto image = pushSignedImage(a(), repo, "v2", 11, signer, &sig);
  const auto key = writeKey(signer);
  const std::string fingerprint = spkiFingerprint(signer.publicPem());

  const auto ab = sync(a(), b(), {repo + ":v2"}, {"--pub-key", key.string()});
  ASSERT_EQ(ab.exitCode(), 0) << ab.describe();
  const auto seedAb = seedJson(ab, repo);
  EXPECT_EQ(seedAb["status"], "copied") << seedAb.dump(2);
  EXPECT_EQ(seedAb["digest"], image.digest.str());
  const auto& v = seedAb["verification"];
  ASSERT_TRUE(v.is_object()) << seedAb.dump(2);
  EXPECT_EQ(v["key_fingerprint"], fingerprint);
  EXPECT_EQ(v["identity"], identityFor(a(), repo));
  EXPECT_EQ(v["signature_digest"], sig.manifestDigest.str());
  EXPECT_GE(v["signatures_checked"].get<int>(), 1);
  EXPECT_EQ(catalogJson(ab)["result"], "ok");

  // B holds the image tag and the signature tag, byte-identical to A's.
  EXPECT_EQ(tagDigest(b(), repo, "v2"), image.digest.str());
  EXPECT_EQ(tagDigest(b(), repo, sig.tag), sig.manifestDigest.str());
  for (const auto& blob : image.allBlobs()) EXPECT_TRUE(hasBlob(b(), blob.digest)) << blob.digest.str();

  // B re-seeds its neighbour C with the same key, using only what B received.
  const auto bc = sync(b(), c(), {repo + ":v2"}, {"--pub-key", key.string()});
  ASSERT_EQ(bc.exitCode(), 0) << bc.describe();
  const auto seedBc = seedJson(bc, repo);
  EXPECT_EQ(seedBc["status"], "copied") << seedBc.dump(2);
  ASSERT_TRUE(seedBc["verification"].is_object()) << seedBc.dump(2);
  EXPECT_EQ(seedBc["verification"]["key_fingerprint"], fingerprint);
  EXPECT_EQ(seedBc["verification"]["signature_digest"], sig.manifestDigest.str());
  EXPECT_EQ(seedBc["verification"]["identity"], identityFor(a(), repo)) << "the signature travels unchanged";
  EXPECT_EQ(tagDigest(c(), repo, "v2"), image.digest.str());
  EXPECT_EQ(tagDigest(c(), repo, sig.tag), sig.manifestDigest.str());
}

std::string keyKindTestName(const ::testing::TestParamInfo<KeyKind>& info) {
  std::string name(keyKindName(info.param));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(KeyKinds, verify_SignedSync,
                         ::testing::Values(KeyKind::kEcdsaP256, KeyKind::kEcdsaP384, KeyKind::kRsa2048Pkcs1,
                                           KeyKind::kRsa2048Pss, KeyKind::kEd25519),
                         keyKindTestName);

// ---------------------------------------------------------------------------------------------
// 3. Wrong key.

TEST_F(verify_Cli, WrongKeyFailsAndWritesNothingToDestination) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const CosignSigner other(KeyKind::kEcdsaP256);
  const std::string repo = "robot-behavior";
  const auto image = pushSignedImage(a(), repo, "v1", 21, signer);
  const auto wrongKey = writeKey(other, "other.pub");

  const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", wrongKey.string()});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  const auto s = seedJson(run, repo);
  EXPECT_EQ(s["status"], "failed") << s.dump(2);
  ASSERT_TRUE(s["error"].is_object()) << s.dump(2);
  const std::string message = s["error"]["message"];
  EXPECT_THAT(message, HasSubstr(repo));
  EXPECT_THAT(message, HasSubstr(image.digest.str()));
  EXPECT_THAT(message, HasSubstr("does not verify"));
  EXPECT_THAT(run.result.stderrText, HasSubstr(image.digest.str()));
  EXPECT_THAT(run.result.stderrText, HasSubstr(repo));
  EXPECT_EQ(catalogJson(run)["result"], "failed");
  expectUntouched(b(), repo);
  expectNoBlobs(b());

  // A key of another algorithm fails the same way.
  const CosignSigner ed(KeyKind::kEd25519);
  const auto edKey = writeKey(ed, "ed.pub");
  const auto run2 = sync(a(), b(), {repo + ":v1"}, {"--pub-key", edKey.string()});
  EXPECT_EQ(run2.exitCode(), 1) << run2.describe();
  EXPECT_EQ(seedJson(run2, repo)["status"], "failed");
  expectUntouched(b(), repo);
  expectNoBlobs(b());
}

TEST_F(verify_Cli, SeedCommandWithWrongKeyFailsAndWritesNothing) {
  const CosignSigner signer(KeyKind::kEcdsaP384);
  const CosignSigner other(KeyKind::kEcdsaP384);
  const std::string repo = "fleet/planner";
  const auto image = pushSignedImage(a(), repo, "v3", 22, signer);

  const auto bad = seed(a(), repo + ":v3", b(), repo, {"--pub-key", writeKey(other, "other.pub").string()});
  EXPECT_EQ(bad.exitCode(), 1) << bad.describe();
  EXPECT_EQ(seedJson(bad, repo)["status"], "failed");
  EXPECT_THAT(seedJson(bad, repo)["error"].dump(), HasSubstr(image.digest.str()));
  expectUntouched(b(), repo);
  expectNoBlobs(b());

  const auto good = seed(a(), repo + ":v3", b(), repo, {"--pub-key", writeKey(signer).string()});
  ASSERT_EQ(good.exitCode(), 0) << good.describe();
  EXPECT_EQ(tagDigest(b(), repo, "v3"), image.digest.str());
  EXPECT_TRUE(b().hasTag(repo, image.digest.attachmentTag(".sig")));
}

// Verification comes before the delta check: a destination that already holds the image does
// not turn a bad key into "up-to-date".
TEST_F(verify_Cli, WrongKeyFailsEvenWhenDestinationIsAlreadyUpToDate) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const CosignSigner other(KeyKind::kEcdsaP256);
  const std::string repo = "robot-behavior";
  const auto image = pushSignedImage(a(), repo, "v1", 23, signer);

  const auto first = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(signer).string()});
  ASSERT_EQ(first.exitCode(), 0) << first.describe();
  const auto again = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(signer).string()});
  ASSERT_EQ(again.exitCode(), 0) << again.describe();
  EXPECT_EQ(seedJson(again, repo)["status"], "up-to-date");
  EXPECT_TRUE(seedJson(again, repo)["verification"].is_object()) << "an up-to-date repo is still verified";

  const auto tagsBefore = b().tags(repo);
  const auto wrong = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(other, "other.pub").string()});
  EXPECT_EQ(wrong.exitCode(), 1) << wrong.describe();
  EXPECT_EQ(seedJson(wrong, repo)["status"], "failed");
  EXPECT_EQ(b().tags(repo), tagsBefore);
}

// ---------------------------------------------------------------------------------------------
// 4. Bad signatures, each: exit 1, the reason in the error, B untouched.

class verify_BadSignature : public VerifyIntegration {
 protected:
  const std::string repo = "fleet/arm-control";
  const CosignSigner signer{KeyKind::kEcdsaP256};

  BuiltManifest pushImageOnly(std::uint64_t seed) {
    auto image = buildImage(seed);
    push(a(), image, repo, "v1");
    return image;
  }

  void expectRejected(const BuiltManifest& image, const std::vector<std::string>& reasons) {
    const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(signer).string()});
    EXPECT_EQ(run.exitCode(), 1) << run.describe();
    const auto s = seedJson(run, repo);
    EXPECT_EQ(s["status"], "failed") << s.dump(2);
    EXPECT_EQ(s["digest"], image.digest.str());
    ASSERT_TRUE(s["error"].is_object()) << s.dump(2);
    EXPECT_EQ(s["error"]["code"], "verification") << s.dump(2);
    const std::string message = s["error"]["message"];
    EXPECT_THAT(message, HasSubstr(repo));
    EXPECT_THAT(message, HasSubstr(image.digest.str()));
    for (const auto& reason : reasons) {
      EXPECT_THAT(message, HasSubstr(reason));
      EXPECT_THAT(run.result.stderrText, HasSubstr(reason));
    }
    expectUntouched(b(), repo);
    expectNoBlobs(b());
  }
};

TEST_F(verify_BadSignature, MissingSignatureIsRejected) {
  const auto image = pushImageOnly(31);
  expectRejected(image, {"no signature", image.digest.attachmentTag(".sig")});
}

TEST_F(verify_BadSignature, TamperedPayloadIsRejected) {
  const auto image = pushImageOnly(32);
  // Signed over the genuine payload; the payload is then changed (a valid cosign payload naming
  // the same digest, with another identity) and the old signature kept.
  auto signedPayload = signer.signImage(image.digest, identityFor(a(), repo));
  const std::string genuine = signedPayload.payload;
  signedPayload.payload = cosignPayload(image.digest, "evil.example/" + repo);
  ASSERT_NE(signedPayload.payload, genuine);
  pushSignature(a(), repo, image.digest, {signedPayload});
  expectRejected(image, {"does not verify"});
}

TEST_F(verify_BadSignature, ReplayedSignatureOfAnotherImageIsRejected) {
  const auto image = pushImageOnly(33);
  const auto other = buildImage(34);
  push(a(), other, repo, "v0");
  // A genuine signature by the right key, but over the other image's digest, pushed at this
  // image's .sig tag.
  pushSignature(a(), repo, image.digest, {signer.signImage(other.digest, identityFor(a(), repo))});
  expectRejected(image, {"another digest", other.digest.str()});
}

TEST_F(verify_BadSignature, UnparsablePayloadIsRejectedEvenWhenSigned) {
  const auto image = pushImageOnly(35);
  const std::string payload = "this is not JSON, but it is signed";
  pushSignature(a(), repo, image.digest, {SignedPayload{payload, signer.signBase64(payload), std::nullopt}});
  expectRejected(image, {"not JSON"});
}

TEST_F(verify_BadSignature, WrongPayloadTypeIsRejectedEvenWhenSigned) {
  const auto image = pushImageOnly(36);
  auto j = json::parse(cosignPayload(image.digest, identityFor(a(), repo)));
  j["critical"]["type"] = "atomic container signature";
  const std::string payload = j.dump();
  pushSignature(a(), repo, image.digest, {SignedPayload{payload, signer.signBase64(payload), std::nullopt}});
  expectRejected(image, {"critical.type"});
}

TEST_F(verify_BadSignature, SignatureAnnotationNotBase64IsRejected) {
  const auto image = pushImageOnly(37);
  const std::string payload = cosignPayload(image.digest, identityFor(a(), repo));
  pushSignature(a(), repo, image.digest, {SignedPayload{payload, "%%% not base64 %%%", std::nullopt}});
  expectRejected(image, {"base64"});
}

TEST_F(verify_BadSignature, SigTagWithoutSimpleSigningLayersIsRejected) {
  const auto image = pushImageOnly(38);
  ArtifactSpec spec;
  spec.artifactType = "application/vnd.example.not-a-signature";
  spec.layers.emplace_back("text/plain", "hello");
  auto built = builder().artifact(spec);
  ASSERT_TRUE(built) << built.error().message;
  push(a(), *built, repo, image.digest.attachmentTag(".sig"));
  expectRejected(image, {std::string(oci::media::kCosignSimpleSigning)});
}

// seed.json must not say "skipped" for a repo whose verification was attempted and failed:
// "skipped" is what --skip-verify records, and an operator reading the catalog would take it so.
TEST_F(verify_BadSignature, FailedVerificationIsNotRecordedAsSkipped) {
  const auto image = pushImageOnly(40);
  const CosignSigner stranger(KeyKind::kEcdsaP256);
  pushSignature(a(), repo, image.digest, {stranger.signImage(image.digest, identityFor(a(), repo))});
  const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(signer).string()});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  const auto s = seedJson(run, repo);
  EXPECT_EQ(s["status"], "failed");
  EXPECT_NE(s["verification"], "skipped") << s.dump(2);
  EXPECT_NE(catalogJson(run)["repos"][0]["verification"], "skipped");
}

// One valid signature from the key suffices, even after an invalid one.
TEST_F(verify_BadSignature, OneValidSignatureAmongInvalidOnesSuffices) {
  const auto image = pushImageOnly(39);
  const CosignSigner stranger(KeyKind::kEcdsaP256);
  auto sig = pushSignature(a(), repo, image.digest,
                           {stranger.signImage(image.digest, "stranger.example/" + repo),
                            signer.signImage(image.digest, identityFor(a(), repo))});
  const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(signer).string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  const auto s = seedJson(run, repo);
  ASSERT_TRUE(s["verification"].is_object()) << s.dump(2);
  EXPECT_EQ(s["verification"]["identity"], identityFor(a(), repo)) << "the identity of the signature that verified";
  EXPECT_EQ(s["verification"]["signature_digest"], sig.manifestDigest.str());
  EXPECT_EQ(s["verification"]["signatures_checked"], 2);
  EXPECT_EQ(tagDigest(b(), repo, "v1"), image.digest.str());
  EXPECT_EQ(tagDigest(b(), repo, sig.tag), sig.manifestDigest.str());
}

// SPEC §3: containers/image writes "repo:tag" as the identity and `optional` may be an object;
// a layer of another media type in the .sig manifest is ignored; a Rekor bundle is recorded.
TEST_F(verify_Cli, ProducerVariationsInTheSigManifestVerify) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const std::string repo = "fleet/localizer";
  const auto image = buildImage(64);
  push(a(), image, repo, "v1");

  auto j = json::parse(cosignPayload(image.digest, identityFor(a(), repo) + ":v1"));
  j["optional"] = {{"creator", "containers/image"}, {"timestamp", 1700000000}};
  const std::string payload = j.dump(2) + "\n";  // not compact, not cosign's byte layout
  const SignedPayload signedPayload{payload, signer.signBase64(payload),
                                    std::string(R"({"SignedEntryTimestamp":"AA==","Payload":{"logIndex":1}})")};
  auto sig = buildSignatureManifest(image.digest, {signedPayload});
  // Append a layer of a foreign media type: it must be ignored, not fail the check.
  auto manifest = json::parse(sig.manifest);
  const std::string foreign = "foreign layer";
  manifest["layers"].insert(manifest["layers"].begin(), json{{"mediaType", "application/vnd.example.other"},
                                                             {"digest", oci::Digest::ofBytes(foreign).str()},
                                                             {"size", foreign.size()}});
  std::vector<std::string> blobs{foreign};
  for (const auto& [d, bytes] : sig.blobs) blobs.push_back(bytes);
  auto built = builder().raw(RawManifest(manifest.dump(), std::string(oci::media::kOciManifest), blobs));
  ASSERT_TRUE(built) << built.error().message;
  push(a(), *built, repo, sig.tag);

  const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(signer).string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  const auto s = seedJson(run, repo);
  ASSERT_TRUE(s["verification"].is_object()) << s.dump(2);
  EXPECT_EQ(s["verification"]["identity"], identityFor(a(), repo) + ":v1");
  EXPECT_EQ(s["verification"]["signature_digest"], built->digest.str());
  EXPECT_EQ(s["verification"]["rekor_bundle"], true);
  EXPECT_EQ(tagDigest(b(), repo, sig.tag), built->digest.str()) << "the .sig manifest travels byte-for-byte";
  EXPECT_TRUE(hasBlob(b(), oci::Digest::ofBytes(foreign)));
}

// ---------------------------------------------------------------------------------------------
// 5. An unsigned repo among signed ones.

class verify_MixedRepos : public VerifyIntegration {
 protected:
  const CosignSigner signer{KeyKind::kEd25519};
  const std::string unsignedRepo = "aa/unsigned";
  const std::vector<std::string> signedRepos{"bb/signed-one", "cc/signed-two"};
  std::vector<BuiltManifest> signedImages;

  void SetUp() override {
    VerifyIntegration::SetUp();
    push(a(), buildImage(41), unsignedRepo, "v1");
    std::uint64_t seed = 42;
    for (const auto& repo : signedRepos) signedImages.push_back(pushSignedImage(a(), repo, "v1", seed++, signer));
  }

  // `sequential`: checks run one repo at a time too, so later repos may not even be looked at.
  void expectStoppedAfterFirstFailure(const std::vector<std::string>& flags, bool sequential);

  std::vector<std::string> repoList() const {
    std::vector<std::string> out{unsignedRepo + ":v1"};
    for (const auto& r : signedRepos) out.push_back(r + ":v1");
    return out;
  }
};

// SPEC §4: without --keep-going the first failed repo stops the run. With one repo at a time and
// the unsigned repo first, nothing else may reach B.
TEST_F(verify_MixedRepos, FirstFailureStopsTheRunWithoutKeepGoing) {
  expectStoppedAfterFirstFailure({"--concurrency", "1"}, false);
}

// The same with the checks made sequential too (--check-concurrency 1).
TEST_F(verify_MixedRepos, FirstFailureStopsTheRunWithSequentialChecks) {
  expectStoppedAfterFirstFailure({"--concurrency", "1", "--check-concurrency", "1"}, true);
}

void verify_MixedRepos::expectStoppedAfterFirstFailure(const std::vector<std::string>& flags, bool sequential) {
  std::vector<std::string> args{"--pub-key", writeKey(signer).string()};
  args.insert(args.end(), flags.begin(), flags.end());
  const auto run = sync(a(), b(), repoList(), args);
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  const auto failed = seedJson(run, unsignedRepo);
  EXPECT_EQ(failed["status"], "failed") << failed.dump(2);
  EXPECT_THAT(failed["error"].dump(), HasSubstr("no signature"));
  for (const auto& repo : signedRepos) {
    EXPECT_EQ(seedJson(run, repo)["status"], "not-attempted") << repo;
    expectUntouched(b(), repo);
    if (sequential) {
      EXPECT_TRUE(anyRequests(b(), repo).empty()) << repo << " was not to be attempted at all";
    }
  }
  const auto cat = catalogJson(run);
  EXPECT_EQ(cat["result"], "failed") << cat.dump(2);
  ASSERT_EQ(cat["repos"].size(), 3u);
  expectUntouched(b(), unsignedRepo);
  expectNoBlobs(b());
}

TEST_F(verify_MixedRepos, KeepGoingCopiesTheSignedOnesAndReportsPartial) {
  const auto run =
      sync(a(), b(), repoList(), {"--pub-key", writeKey(signer).string(), "--concurrency", "1", "--keep-going"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  EXPECT_EQ(seedJson(run, unsignedRepo)["status"], "failed");
  for (std::size_t i = 0; i < signedRepos.size(); ++i) {
    const auto s = seedJson(run, signedRepos[i]);
    EXPECT_EQ(s["status"], "copied") << s.dump(2);
    EXPECT_TRUE(s["verification"].is_object()) << s.dump(2);
    EXPECT_EQ(tagDigest(b(), signedRepos[i], "v1"), signedImages[i].digest.str());
    EXPECT_TRUE(b().hasTag(signedRepos[i], signedImages[i].digest.attachmentTag(".sig")));
  }
  const auto cat = catalogJson(run);
  EXPECT_EQ(cat["result"], "partial") << cat.dump(2);
  expectUntouched(b(), unsignedRepo);

  // seed-catalog over the same directory reaches the same verdict.
  const auto rollup = runCli({"registry", "seed-catalog"}, run.out);
  EXPECT_EQ(rollup.result.exitCode, 1) << rollup.describe();
}

// ---------------------------------------------------------------------------------------------
// 6. Indexes: the signature is over the index digest; the index and every child arrive.

TEST_F(verify_Cli, SignedIndexArrivesWithAllChildren) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const std::string repo = "fleet/multi-arch";
  auto index = builder().index(multiPlatformSpec({"linux/amd64", "linux/arm64/v8"}, {LayerSpec(kLayerBytes, 61)}));
  ASSERT_TRUE(index) << index.error().message;
  ASSERT_EQ(index->children.size(), 2u);
  push(a(), *index, repo, "v1");
  const auto sig = pushSignature(a(), repo, index->digest, {signer.signImage(index->digest, identityFor(a(), repo))});

  const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(signer).string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  const auto s = seedJson(run, repo);
  EXPECT_EQ(s["status"], "copied") << s.dump(2);
  EXPECT_EQ(s["digest"], index->digest.str());
  EXPECT_EQ(s["media_type"], std::string(oci::media::kOciIndex));
  ASSERT_TRUE(s["verification"].is_object()) << s.dump(2);
  EXPECT_EQ(s["verification"]["signature_digest"], sig.manifestDigest.str());

  EXPECT_EQ(tagDigest(b(), repo, "v1"), index->digest.str());
  EXPECT_EQ(tagDigest(b(), repo, sig.tag), sig.manifestDigest.str());
  const auto links = b().manifestLinks(repo);
  EXPECT_TRUE(contains(links, index->digest.str()));
  for (const auto& child : index->children) EXPECT_TRUE(contains(links, child.digest.str())) << child.digest.str();
  for (const auto& blob : index->allBlobs()) EXPECT_TRUE(hasBlob(b(), blob.digest)) << blob.digest.str();
}

// cosign signs the index; a signature over one platform's manifest does not vouch for the index.
TEST_F(verify_Cli, IndexSignedOnlyThroughAChildIsRejected) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const std::string repo = "fleet/multi-arch";
  auto index = builder().index(multiPlatformSpec({"linux/amd64", "linux/arm64/v8"}, {LayerSpec(kLayerBytes, 62)}));
  ASSERT_TRUE(index) << index.error().message;
  push(a(), *index, repo, "v1");
  const auto& child = index->children.front();
  pushSignature(a(), repo, child.digest, {signer.signImage(child.digest, identityFor(a(), repo))});

  const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(signer).string()});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  EXPECT_THAT(seedJson(run, repo)["error"].dump(), HasSubstr(index->digest.str()));
  expectUntouched(b(), repo);
  expectNoBlobs(b());
}

// By digest: the signature of that digest is what counts.
TEST_F(verify_Cli, ByDigestReferenceIsVerified) {
  const CosignSigner signer(KeyKind::kRsa2048Pkcs1);
  const std::string repo = "robot-behavior";
  PushedSignature sig;
  const auto image = pushSignedImage(a(), repo, "v1", 63, signer, &sig);
  const auto run = sync(a(), b(), {repo + "@" + image.digest.str()}, {"--pub-key", writeKey(signer).string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_TRUE(seedJson(run, repo)["verification"].is_object());
  EXPECT_TRUE(contains(b().manifestLinks(repo), image.digest.str()));
  EXPECT_EQ(tagDigest(b(), repo, sig.tag), sig.manifestDigest.str());
}

}  // namespace
}  // namespace autonomy::testing::verifyit
