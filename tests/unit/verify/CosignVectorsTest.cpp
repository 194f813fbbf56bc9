// The verifier against signatures made by real cosign (README table in ../shared/fixtures/cosign).
#include <gtest/gtest.h>

#include "engine/oci/MediaTypes.hpp"
#include "engine/verify/CosignPayload.hpp"
#include "tests/unit/verify/CosignFixtures.hpp"

using namespace autonomy;
using namespace autonomy::verify;
namespace fx = autonomy::verify::fixtures;

namespace {

Result<VerifiedSignature> verifyDir(const std::string& dir, const std::vector<std::string>& signatures,
                                    const std::string& key) {
  std::vector<SignatureLayer> layers;
  layers.reserve(signatures.size());
  for (const auto& s : signatures) layers.push_back(fx::readDirSignature(fx::containersImage(dir + "/" + s)));
  return verifySignatures(fx::manifestDigest(fx::containersImage(dir)), fx::loadKey(fx::containersImage(key)), layers);
}

void expectFailure(const Result<VerifiedSignature>& r, const oci::Digest& digest, const std::string& reason) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerification);
  EXPECT_NE(r.error().message.find(digest.str()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
}

const std::string kSingleSample = "192.168.64.2:5000/cosign-signed-single-sample";

}  // namespace

TEST(CosignVectors, ValidSignatureVerifiesWithCosignPub) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  auto r = verifyDir("dir-img-cosign-valid", {"signature-1"}, "cosign.pub");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->identity, kSingleSample);
  EXPECT_EQ(r->keyFingerprint, fx::loadKey(fx::containersImage("cosign.pub")).fingerprint());
  EXPECT_EQ(r->keyDescription, "ECDSA P-256");
  EXPECT_EQ(r->signaturesChecked, 1u);
  EXPECT_EQ(r->optionalJson, "null");
  EXPECT_FALSE(r->hasRekorBundle());
}

TEST(CosignVectors, EachOfTwoValidSignaturesVerifies) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  for (const char* sig : {"signature-1", "signature-2"}) {
    auto r = verifyDir("dir-img-cosign-valid-2", {sig}, "cosign.pub");
    ASSERT_TRUE(r.ok()) << sig << ": " << r.error().message;
    EXPECT_EQ(r->identity, kSingleSample);
  }
  auto both = verifyDir("dir-img-cosign-valid-2", {"signature-1", "signature-2"}, "cosign.pub");
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->signaturesChecked, 1u);  // one valid signature suffices
}

TEST(CosignVectors, ContainersImageSignatureWithTagAndOptionalVerifies) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  auto r = verifyDir("dir-img-cosign-valid-with-tag", {"signature-1"}, "cosign.pub");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->identity, "192.168.64.2:5000/skopeo-signed:tag");
  EXPECT_NE(r->optionalJson.find("\"creator\""), std::string::npos) << r->optionalJson;

  const auto layer = fx::readDirSignature(fx::containersImage("dir-img-cosign-valid-with-tag/signature-1"));
  auto payload = parseCosignPayload(layer.payload);
  ASSERT_TRUE(payload.ok()) << payload.error().message;
  EXPECT_EQ(payload->optional.at("creator"), "containers/image 5.21.2-dev");
  EXPECT_EQ(payload->optional.at("timestamp"), "1657296609");
}

TEST(CosignVectors, KeyRekorSignatureVerifiesWithCosign2AndRecordsBundle) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  auto r = verifyDir("dir-img-cosign-key-rekor-valid", {"signature-1"}, "cosign2.pub");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->identity, "192.168.64.2:5000/cosign-signed/key-1");
  ASSERT_TRUE(r->hasRekorBundle());
  EXPECT_NE(r->rekorBundle->find("SignedEntryTimestamp"), std::string::npos);

  const auto digest = fx::manifestDigest(fx::containersImage("dir-img-cosign-key-rekor-valid"));
  expectFailure(verifyDir("dir-img-cosign-key-rekor-valid", {"signature-1"}, "cosign.pub"), digest,
                "does not verify with key");
}

TEST(CosignVectors, SignatureByAnotherKeyFails) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto key = fx::loadKey(fx::containersImage("cosign.pub"));
  const auto digest = fx::manifestDigest(fx::containersImage("dir-img-cosign-valid"));
  auto r = verifySignatures(digest, key, {fx::readDirSignature(fx::containersImage("unknown-cosign-key.signature"))});
  expectFailure(r, digest, "signature does not verify with key " + key.fingerprint());
}

TEST(CosignVectors, ModifiedManifestIsAReplayedSignature) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  // The README pairs the modified manifest with dir-img-cosign-valid's signature.
  const auto key = fx::loadKey(fx::containersImage("cosign.pub"));
  const auto digest = fx::manifestDigest(fx::containersImage("dir-img-cosign-modified-manifest"));
  const auto original = fx::manifestDigest(fx::containersImage("dir-img-cosign-valid"));
  ASSERT_NE(digest, original);
  for (const char* sig : {"dir-img-cosign-valid/signature-1", "dir-img-cosign-modified-manifest/signature-1"}) {
    auto r = verifySignatures(digest, key, {fx::readDirSignature(fx::containersImage(sig))});
    expectFailure(r, digest, "payload names another digest " + original.str());
    EXPECT_NE(r.error().message.find("replayed"), std::string::npos) << r.error().message;
  }
}

TEST(CosignVectors, OtherAttachmentIsIgnored) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto other = fx::readDirSignature(fx::containersImage("dir-img-cosign-other-attachment/signature-1"));
  EXPECT_EQ(other.mediaType, "text/plain");
  const auto key = fx::loadKey(fx::containersImage("cosign.pub"));
  const auto digest = fx::manifestDigest(fx::containersImage("dir-img-cosign-other-attachment"));

  auto alone = verifySignatures(digest, key, {other});
  expectFailure(alone, digest, "no application/vnd.dev.cosign.simplesigning.v1+json layers");
  EXPECT_NE(alone.error().message.find("1 layer(s) of other media types ignored"), std::string::npos);

  // Same image digest as dir-img-cosign-valid: next to a real signature it changes nothing.
  const auto valid = fx::readDirSignature(fx::containersImage("dir-img-cosign-valid/signature-1"));
  auto mixed = verifySignatures(digest, key, {other, valid});
  ASSERT_TRUE(mixed.ok()) << mixed.error().message;
  EXPECT_EQ(mixed->signaturesChecked, 1u);
}

TEST(CosignVectors, KeylessSignaturesFailForEveryKey) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  for (const char* dir : {"dir-img-cosign-fulcio-rekor-valid", "dir-img-cosign-pki-valid"}) {
    const auto digest = fx::manifestDigest(fx::containersImage(dir));
    for (const char* key : {"cosign.pub", "cosign2.pub", "rekor.pub"}) {
      SCOPED_TRACE(std::string(dir) + " with " + key);
      expectFailure(verifyDir(dir, {"signature-1"}, key), digest, "does not verify with key");
    }
  }
}

TEST(CosignVectors, InternalTestdataSignatures) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto key = fx::loadKey(fx::containersImage("internal-testdata/cosign.pub"));
  const auto digest = fx::manifestDigest(fx::containersImage("dir-img-cosign-valid"));
  auto valid =
      verifySignatures(digest, key, {fx::readDirSignature(fx::containersImage("internal-testdata/valid.signature"))});
  ASSERT_TRUE(valid.ok()) << valid.error().message;
  EXPECT_EQ(valid->identity, kSingleSample);

  // The keyless Rekor entry: payload + signature made with a Fulcio certificate's key.
  const std::string payload = fx::readFile(fx::containersImage("internal-testdata/rekor-payload"));
  const std::string sig = fx::readFile(fx::containersImage("internal-testdata/rekor-sig"));
  auto named = parseCosignPayload(payload);
  ASSERT_TRUE(named.ok()) << named.error().message;
  SignatureLayer layer{std::string(oci::media::kCosignSimpleSigning), payload, sig, std::nullopt};
  for (const char* k : {"internal-testdata/cosign.pub", "internal-testdata/cosign2.pub", "internal-testdata/rekor.pub"})
    expectFailure(verifySignatures(named->manifestDigest, fx::loadKey(fx::containersImage(k)), {layer}),
                  named->manifestDigest, "does not verify with key");

  auto cert = PublicKey::fromFile(fx::containersImage("internal-testdata/rekor-cert"));
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.error().code, ErrorCode::kConfig);
  EXPECT_NE(cert.error().message.find("certificate"), std::string::npos) << cert.error().message;
}

TEST(CosignVectors, SigstoreRsKeyNoBundleVerifiesAndWrongKeyFails) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto digest = oci::Digest::parse("sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b");
  ASSERT_TRUE(digest.ok());
  SignatureLayer layer{std::string(oci::media::kCosignSimpleSigning),
                       fx::readFile(fx::sigstoreRs("key-no-bundle/payload")),
                       fx::readFile(fx::sigstoreRs("key-no-bundle/sig.b64")), std::nullopt};
  EXPECT_EQ(base64Decode(layer.signatureBase64), fx::readFile(fx::sigstoreRs("key-no-bundle/sig.der")));

  auto r = verifySignatures(*digest, fx::loadKey(fx::sigstoreRs("key-no-bundle/pub.pem")), {layer});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->identity, "registry-testing.svc.lan/busybox");
  EXPECT_FALSE(r->hasRekorBundle());

  if (std::filesystem::exists(fx::sigstoreRs("key-no-bundle/wrong.pub")))
    expectFailure(verifySignatures(*digest, fx::loadKey(fx::sigstoreRs("key-no-bundle/wrong.pub")), {layer}), *digest,
                  "does not verify with key");
}

TEST(CosignVectors, SigstoreRsKeylessBundleVerifiesOnlyWithTheCertificateKey) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const std::string payload = fx::readFile(fx::sigstoreRs("fulcio-rekord-bundle/payload"));
  auto named = parseCosignPayload(payload);
  ASSERT_TRUE(named.ok()) << named.error().message;
  SignatureLayer layer{std::string(oci::media::kCosignSimpleSigning), payload,
                       fx::readFile(fx::sigstoreRs("fulcio-rekord-bundle/sig.b64")),
                       fx::readFile(fx::sigstoreRs("fulcio-rekord-bundle/bundle.json"))};

  // certkey.pem is the certificate's own key: the signature is real, the bundle is recorded.
  auto r =
      verifySignatures(named->manifestDigest, fx::loadKey(fx::sigstoreRs("fulcio-rekord-bundle/certkey.pem")), {layer});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->hasRekorBundle());

  expectFailure(verifySignatures(named->manifestDigest, fx::loadKey(fx::sigstoreRs("rekor.pub")), {layer}),
                named->manifestDigest, "does not verify with key");
  auto cert = PublicKey::fromFile(fx::sigstoreRs("fulcio-rekord-bundle/cert.pem"));
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.error().code, ErrorCode::kConfig);
}
