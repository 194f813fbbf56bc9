// Cosign 3's default signature format, end to end: images signed by sigstore-js the way
// `cosign sign --key` (v3) signs them, a Sigstore bundle stored as an OCI 1.1 referrer, found
// through the sha256-<hex> fallback index docker-registry 2.8 needs. Verified A -> B -> C from
// what each hop holds; every refusal leaves nothing of the repo at B.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/Base64.hpp"
#include "engine/oci/MediaTypes.hpp"
#include "engine/verify/SigstoreBundle.hpp"
#include "tests/integration/verify/BundleFixture.hpp"

namespace autonomy::testing::verifyit {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSignPredicate = "https://sigstore.dev/cosign/sign/v1";

struct KeyAndStyle {
  KeyKind kind;
  IndexStyle style;
};

class verify_BundleKeys : public BundleIntegration, public ::testing::WithParamInterface<KeyAndStyle> {};

TEST_P(verify_BundleKeys, VerifiesCopiesBundleAndNeighbourReseedsFromIt) {
  const CosignSigner signer(GetParam().kind);
  const std::string repo = "fleet/perception";
  BuiltManifest referrer;
  const auto image = pushBundleSignedImage(a(), repo, "v3", 31, signer, GetParam().style, &referrer);
  const std::string fallbackTag = image.digest.attachmentTag();
  const std::string indexAtA = tagDigest(a(), repo, fallbackTag);
  ASSERT_FALSE(indexAtA.empty());
  const auto key = writeKey(signer);

  const auto ab = sync(a(), b(), {repo + ":v3"}, {"--pub-key", key.string()});
  ASSERT_EQ(ab.exitCode(), 0) << ab.describe();
  const auto record = seedJson(ab, repo);
  EXPECT_EQ(record["status"], "copied") << record.dump(2);
  const auto& v = record["verification"];
  ASSERT_TRUE(v.is_object()) << record.dump(2);
  EXPECT_EQ(v["format"], "sigstore-bundle");
  EXPECT_EQ(v["signature_digest"], referrer.digest.str());
  EXPECT_EQ(v["predicate_type"], kSignPredicate);
  EXPECT_EQ(v["key_fingerprint"], spkiFingerprint(signer.publicPem()));
  EXPECT_EQ(v["tlog_entries"], false);
  EXPECT_EQ(v["tlog_verified"], false);

  // The bundle travels byte-identical: the referrer by digest, the fallback index at its tag.
  EXPECT_EQ(tagDigest(b(), repo, "v3"), image.digest.str());
  EXPECT_EQ(tagDigest(b(), repo, fallbackTag), indexAtA);
  for (const auto& blob : referrer.blobs) EXPECT_TRUE(hasBlob(b(), blob.digest)) << blob.digest.str();
  auto atB = fetchManifestWithCurl(b().host(), repo, referrer.digest.str());
  ASSERT_TRUE(atB.ok()) << atB.error().message;
  EXPECT_EQ(atB->status, 200);
  EXPECT_EQ(atB->body, referrer.bytes);

  // C is re-seeded from B alone, verified with the same key.
  const auto bc = sync(b(), c(), {repo + ":v3"}, {"--pub-key", key.string()});
  ASSERT_EQ(bc.exitCode(), 0) << bc.describe();
  EXPECT_EQ(seedJson(bc, repo)["verification"]["format"], "sigstore-bundle");
  EXPECT_EQ(tagDigest(c(), repo, "v3"), image.digest.str());
  EXPECT_EQ(tagDigest(c(), repo, fallbackTag), indexAtA);

  // A re-sync changes nothing and still verifies.
  const auto again = sync(a(), b(), {repo + ":v3"}, {"--pub-key", key.string()});
  ASSERT_EQ(again.exitCode(), 0) << again.describe();
  EXPECT_EQ(seedJson(again, repo)["status"], "up-to-date");
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, verify_BundleKeys,
                         ::testing::Values(KeyAndStyle{KeyKind::kEcdsaP256, IndexStyle::kCosign30},
                                           KeyAndStyle{KeyKind::kEcdsaP256, IndexStyle::kFixed},
                                           KeyAndStyle{KeyKind::kEcdsaP384, IndexStyle::kFixed},
                                           KeyAndStyle{KeyKind::kRsa2048Pkcs1, IndexStyle::kCosign30},
                                           KeyAndStyle{KeyKind::kRsa2048Pss, IndexStyle::kFixed},
                                           KeyAndStyle{KeyKind::kEd25519, IndexStyle::kCosign30}),
                         [](const auto& p) {
                           return std::string(keyKindName(p.param.kind)) +
                                  (p.param.style == IndexStyle::kCosign30 ? "_cosign30_index" : "_fixed_index");
                         });

TEST_F(verify_Bundle, WrongKeyIsRefused) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const CosignSigner other(KeyKind::kEcdsaP256);
  pushBundleSignedImage(a(), "app", "v1", 41, signer);
  const auto run = sync(a(), b(), {"app:v1"}, {"--pub-key", writeKey(other).string()});
  expectRefused(run, b(), "app", {"does not verify", "Sigstore bundle"});
}

TEST_F(verify_Bundle, TamperedPayloadIsRefused) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  auto image = buildImage(42);
  push(a(), image, "app", "v1");
  auto bundle = json::parse(sigstoreJsBundle(signer, image.digest));
  auto statement = json::parse(*base64Decode(bundle["dsseEnvelope"]["payload"].get<std::string>()));
  statement["predicate"]["tampered"] = true;
  bundle["dsseEnvelope"]["payload"] = base64Encode(statement.dump());
  pushReferrers(a(), "app", image, {bundleReferrer(image, bundle.dump())}, IndexStyle::kFixed);
  const auto run = sync(a(), b(), {"app:v1"}, {"--pub-key", writeKey(signer).string()});
  expectRefused(run, b(), "app", {"does not verify"});
}

TEST_F(verify_Bundle, AttestationIsNotASignature) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  pushBundleSignedImage(a(), "app", "v1", 43, signer, IndexStyle::kFixed, nullptr,
                        {"--predicate-type", "https://slsa.dev/provenance/v1"});
  const auto run = sync(a(), b(), {"app:v1"}, {"--pub-key", writeKey(signer).string()});
  expectRefused(run, b(), "app", {"an attestation is not an image signature"});
}

TEST_F(verify_Bundle, StatementNamingAnotherDigestIsAReplay) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const auto decoy = buildImage(44);
  pushBundleSignedImage(a(), "app", "v1", 45, signer, IndexStyle::kFixed, nullptr,
                        {"--subject-digest", decoy.digest.str()});
  const auto run = sync(a(), b(), {"app:v1"}, {"--pub-key", writeKey(signer).string()});
  expectRefused(run, b(), "app", {"replayed", decoy.digest.str()});
}

TEST_F(verify_Bundle, BundleOfAnotherImageListedHereIsRefused) {
  // A referrer whose subject is another image, listed in this image's fallback index.
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const auto image = buildImage(46);
  const auto other = buildImage(47);
  push(a(), image, "app", "v1");
  push(a(), other, "app", "other");
  const auto foreign = bundleReferrer(other, sigstoreJsBundle(signer, other.digest));
  pushReferrers(a(), "app", image, {foreign}, IndexStyle::kFixed);
  const auto run = sync(a(), b(), {"app:v1"}, {"--pub-key", writeKey(signer).string()});
  expectRefused(run, b(), "app", {"has another subject"});
}

TEST_F(verify_Bundle, UnsignedImageMessageNamesBothPlaces) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const auto image = buildImage(48);
  push(a(), image, "app", "v1");
  const auto run = sync(a(), b(), {"app:v1"}, {"--pub-key", writeKey(signer).string()});
  expectRefused(run, b(), "app",
                {"no signature " + image.digest.attachmentTag(".sig"), "no Sigstore bundle referrer",
                 "tag " + image.digest.attachmentTag()});
}

TEST_F(verify_Bundle, LegacyAndBundleOnOneImageEitherSuffices) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const CosignSigner stranger(KeyKind::kEcdsaP256);
  BuiltManifest referrer;
  const auto image = pushBundleSignedImage(a(), "both", "v1", 49, signer, IndexStyle::kFixed, &referrer);
  // A legacy signature too, but by another key: the bundle is what verifies.
  const auto sig =
      pushSignature(a(), "both", image.digest, {stranger.signImage(image.digest, identityFor(a(), "both"))});
  const auto run = sync(a(), b(), {"both:v1"}, {"--pub-key", writeKey(signer).string()});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(seedJson(run, "both")["verification"]["format"], "sigstore-bundle");
  EXPECT_EQ(seedJson(run, "both")["verification"]["signature_digest"], referrer.digest.str());
  // Both signatures travel.
  EXPECT_EQ(tagDigest(b(), "both", sig.tag), sig.manifestDigest.str());
  EXPECT_EQ(tagDigest(b(), "both", image.digest.attachmentTag()), tagDigest(a(), "both", image.digest.attachmentTag()));

  // With the legacy signer's key, the legacy signature is the one accepted.
  const auto legacy = sync(a(), c(), {"both:v1"}, {"--pub-key", writeKey(stranger, "stranger.pub").string()});
  ASSERT_EQ(legacy.exitCode(), 0) << legacy.describe();
  EXPECT_EQ(seedJson(legacy, "both")["verification"]["format"], "simple-signing");
  EXPECT_EQ(seedJson(legacy, "both")["verification"]["signature_digest"], sig.manifestDigest.str());
}

TEST_F(verify_Bundle, UnsignedAmongSignedFailsAloneWithKeepGoing) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  pushBundleSignedImage(a(), "first", "v1", 50, signer);
  push(a(), buildImage(51), "unsigned", "v1");
  pushBundleSignedImage(a(), "last", "v1", 52, signer);
  const auto key = writeKey(signer).string();

  const auto keepGoing = sync(a(), b(), {"first:v1", "unsigned:v1", "last:v1"}, {"--pub-key", key, "--keep-going"});
  EXPECT_EQ(keepGoing.exitCode(), 1) << keepGoing.describe();
  EXPECT_EQ(seedJson(keepGoing, "first")["status"], "copied");
  EXPECT_EQ(seedJson(keepGoing, "unsigned")["status"], "failed");
  EXPECT_EQ(seedJson(keepGoing, "last")["status"], "copied");
  EXPECT_EQ(catalogJson(keepGoing)["result"], "partial");
  expectUntouched(b(), "unsigned");

  // Fail-fast into a fresh peer: the unsigned repo stops the run; the one after it is not copied.
  const auto failFast = sync(a(), c(), {"first:v1", "unsigned:v1", "last:v1"}, {"--pub-key", key});
  EXPECT_EQ(failFast.exitCode(), 1) << failFast.describe();
  EXPECT_EQ(seedJson(failFast, "unsigned")["status"], "failed");
  EXPECT_EQ(seedJson(failFast, "last")["status"], "not-attempted");
  expectUntouched(c(), "unsigned");
  expectUntouched(c(), "last");
}

TEST_F(verify_Bundle, ManyReferrersAreExaminedUpToTheCap) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const auto image = buildImage(53);
  push(a(), image, "crowded", "v1");
  // 40 referrers holding bundles by another key: the verifier stops after 32, says so, writes nothing.
  const CosignSigner other(KeyKind::kEcdsaP256);
  const std::string bundle = sigstoreJsBundle(other, image.digest);
  std::vector<BuiltManifest> referrers;
  for (int i = 0; i < 40; ++i) {
    ArtifactSpec spec;  // distinct manifests, same bundle blob
    spec.artifactType = std::string(verify::kBundleMediaTypeV03);
    spec.layers.emplace_back(std::string(verify::kBundleMediaTypeV03), bundle);
    spec.annotations["n"] = std::to_string(i);
    spec.subject = image.descriptor();
    auto built = builder().artifact(spec);
    ASSERT_TRUE(built) << built.error().message;
    referrers.push_back(*built);
  }
  pushReferrers(a(), "crowded", image, referrers, IndexStyle::kFixed);
  const auto run = sync(a(), b(), {"crowded:v1"}, {"--pub-key", writeKey(signer).string()});
  expectRefused(run, b(), "crowded", {"stopped after 32 referrers"});
}

TEST_F(verify_Bundle, RekorKeyMakesAVerifiedLogEntryMandatory) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const CosignSigner rekor(KeyKind::kEcdsaP256);
  const auto rekorPriv = writeFile("rekor.pem", rekor.privatePem());
  const auto rekorPub = writeFile("rekor.pub", rekor.publicPem());
  const auto key = writeKey(signer).string();

  pushBundleSignedImage(a(), "logged", "v1", 54, signer, IndexStyle::kFixed, nullptr,
                        {"--rekor-key", rekorPriv.string()});
  pushBundleSignedImage(a(), "unlogged", "v1", 55, signer);
  const auto otherKey = writeFile("someone.pub", CosignSigner(KeyKind::kEcdsaP256).publicPem());
  pushBundleSignedImage(a(), "misnamed", "v1", 56, signer, IndexStyle::kFixed, nullptr,
                        {"--rekor-key", rekorPriv.string(), "--tlog-names-other-key", otherKey.string()});

  const auto run = sync(a(), b(), {"logged:v1", "unlogged:v1", "misnamed:v1"},
                        {"--pub-key", key, "--rekor-pub-key", rekorPub.string(), "--keep-going"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  const auto logged = seedJson(run, "logged");
  EXPECT_EQ(logged["status"], "copied") << logged.dump(2);
  EXPECT_EQ(logged["verification"]["tlog_entries"], true);
  EXPECT_EQ(logged["verification"]["tlog_verified"], true);
  expectRefused(run, b(), "unlogged", {"has no tlog entries"});
  EXPECT_THAT(seedJson(run, "misnamed")["error"]["message"].get<std::string>(),
              HasSubstr("names another signature or key"));
  expectUntouched(b(), "misnamed");

  // Without --rekor-pub-key the log entry is recorded but not required.
  const auto relaxed = sync(a(), c(), {"unlogged:v1", "logged:v1"}, {"--pub-key", key});
  ASSERT_EQ(relaxed.exitCode(), 0) << relaxed.describe();
  EXPECT_EQ(seedJson(relaxed, "logged")["verification"]["tlog_entries"], true);
  EXPECT_EQ(seedJson(relaxed, "logged")["verification"]["tlog_verified"], false);
}

TEST_F(verify_Bundle, RekorKeyWithSkipVerifyIsAUsageError) {
  const CosignSigner rekor(KeyKind::kEcdsaP256);
  const auto run =
      sync(a(), b(), {"app:v1"}, {"--skip-verify", "--rekor-pub-key", writeFile("r.pub", rekor.publicPem()).string()});
  EXPECT_EQ(run.exitCode(), 2) << run.describe();
  EXPECT_THAT(run.result.stderrText, HasSubstr("--rekor-pub-key and --skip-verify"));
}

// Air-gapped, with what cosign 3 and a fleet push today: a bundle-signed image, a bundle-signed
// two-platform index and a lock sidecar go A -> OCI archive -> B, and every tag at B names what
// it names at A (bundle referrers travel in the fallback index; the archive has no referrers API).
TEST_F(verify_Bundle, BundlesIndexesAndSidecarsCrossAnArchiveUnchanged) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const auto key = writeKey(signer);
  const auto image = pushBundleSignedImage(a(), "fleet/app", "v1", 61, signer);
  auto index = builder().index(multiPlatformSpec({"linux/amd64", "linux/arm64"}, {LayerSpec(kLayerBytes, 62)}));
  ASSERT_TRUE(index) << index.error().message;
  push(a(), *index, "fleet/multi", "v1");
  pushReferrers(a(), "fleet/multi", *index, {bundleReferrer(*index, sigstoreJsBundle(signer, index->digest))},
                IndexStyle::kCosign30);
  const auto lock = writeFile("lock.json", R"({"pins":{"fleet/app":"v1"}})");
  auto put =
      runCommand({std::string(AUTONOMY_BIN_DIR) + "/autonomy", "registry", "sidecar", "put", "--registry", a().host(),
                  "--repo", "fleet/app", "--kind", "lock", "--file", lock.string(), "--allow-insecure-registry"});
  ASSERT_EQ(put.exitCode, 0) << put.describe();

  const auto file = work() / "fleet.tar";
  const std::vector<std::string> common{"--repos",       "fleet/app:v1,fleet/multi:v1", "--pub-key", key.string(),
                                        "--copy-policy", "--allow-insecure-registry"};
  std::vector<std::string> out{"registry", "sync", "--from-registry", a().host(), "--to-archive", file.string()};
  out.insert(out.end(), common.begin(), common.end());
  const auto exported = runCli(out);
  ASSERT_EQ(exported.exitCode(), 0) << exported.describe();
  std::vector<std::string> in{"registry", "sync", "--from-archive", file.string(), "--to-registry", b().host()};
  in.insert(in.end(), common.begin(), common.end());
  const auto imported = runCli(in);
  ASSERT_EQ(imported.exitCode(), 0) << imported.describe();
  EXPECT_EQ(seedJson(imported, "fleet/app")["verification"]["format"], "sigstore-bundle");
  EXPECT_EQ(seedJson(imported, "fleet/multi")["verification"]["format"], "sigstore-bundle");
  EXPECT_EQ(seedJson(imported, "fleet/multi")["platforms"].size(), 2u);

  for (const auto& [repo, tags] : std::map<std::string, std::vector<std::string>>{
           {"fleet/app", {"v1", image.digest.attachmentTag(), "autonomy.lock"}},
           {"fleet/multi", {"v1", index->digest.attachmentTag()}}}) {
    for (const auto& tag : tags) {
      const auto atA = tagDigest(a(), repo, tag);
      ASSERT_NE(atA, "") << repo << ":" << tag << " at A";
      EXPECT_EQ(tagDigest(b(), repo, tag), atA) << repo << ":" << tag;
    }
  }
  for (const auto& child : index->children)
    for (const auto& blob : child.blobs) EXPECT_TRUE(hasBlob(b(), blob.digest)) << blob.digest.str();
}

}  // namespace
}  // namespace autonomy::testing::verifyit
