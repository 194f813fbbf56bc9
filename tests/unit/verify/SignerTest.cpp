// The test signer round-trips through engine_verify for every key type, and the verifier's
// failure reasons on inputs the real vectors do not cover.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "engine/core/Base64.hpp"
#include "engine/oci/MediaTypes.hpp"
#include "engine/verify/SignatureVerifier.hpp"
#include "tests/support/signer/CosignSigner.hpp"

using namespace autonomy;
using namespace autonomy::verify;
using autonomy::testing::CosignSigner;
using autonomy::testing::KeyKind;

namespace {

const oci::Digest kImage = oci::Digest::ofBytes("an image manifest");
constexpr const char* kIdentity = "edge-a:5000/fleet/nav";

PublicKey keyOf(const CosignSigner& signer) { return *PublicKey::fromPem(signer.publicPem()); }

SignatureLayer layerOf(const autonomy::testing::SignedPayload& s) {
  return {std::string(oci::media::kCosignSimpleSigning), s.payload, s.signatureBase64, s.bundle};
}

void expectFailure(const Result<VerifiedSignature>& r, const std::string& reason) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerification);
  EXPECT_NE(r.error().message.find(kImage.str()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
}

class SignerRoundTrip : public ::testing::TestWithParam<KeyKind> {};

}  // namespace

TEST_P(SignerRoundTrip, GoodSignatureVerifies) {
  const CosignSigner signer(GetParam());
  const PublicKey key = keyOf(signer);
  auto r = verifySignatures(kImage, key, {layerOf(signer.signImage(kImage, kIdentity))});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->identity, kIdentity);
  EXPECT_EQ(r->keyFingerprint, key.fingerprint());
  EXPECT_EQ(r->signaturesChecked, 1u);
}

TEST_P(SignerRoundTrip, WrongKeyFails) {
  const CosignSigner signer(GetParam());
  const CosignSigner other(GetParam());
  const PublicKey wrong = keyOf(other);
  expectFailure(verifySignatures(kImage, wrong, {layerOf(signer.signImage(kImage, kIdentity))}),
                "signature does not verify with key " + wrong.fingerprint());
}

TEST_P(SignerRoundTrip, TamperedPayloadFails) {
  const CosignSigner signer(GetParam());
  auto signed_ = signer.signImage(kImage, kIdentity);
  signed_.payload.replace(signed_.payload.find("fleet/nav"), 9, "fleet/nax");
  expectFailure(verifySignatures(kImage, keyOf(signer), {layerOf(signed_)}), "does not verify with key");
}

INSTANTIATE_TEST_SUITE_P(AllKeyKinds, SignerRoundTrip,
                         ::testing::Values(KeyKind::kEcdsaP256, KeyKind::kEcdsaP384, KeyKind::kRsa2048Pkcs1,
                                           KeyKind::kRsa2048Pss, KeyKind::kEd25519),
                         [](const auto& p) { return std::string(autonomy::testing::keyKindName(p.param)); });

TEST(CosignSigner, PayloadIsCosignsCompactLayout) {
  EXPECT_EQ(
      autonomy::testing::cosignPayload(kImage, kIdentity),
      R"({"critical":{"identity":{"docker-reference":"edge-a:5000/fleet/nav"},"image":{"docker-manifest-digest":")" +
          kImage.str() + R"("},"type":"cosign container image signature"},"optional":null})");
}

TEST(CosignSigner, SignatureManifestListsLayersAndBlobs) {
  const CosignSigner a(KeyKind::kEcdsaP256);
  const CosignSigner b(KeyKind::kEd25519);
  auto second = b.signImage(kImage, kIdentity);
  second.bundle = R"({"SignedEntryTimestamp":"x"})";
  const auto artifact = autonomy::testing::buildSignatureManifest(kImage, {a.signImage(kImage, kIdentity), second});
  EXPECT_EQ(artifact.tag, "sha256-" + kImage.hex() + ".sig");
  EXPECT_EQ(artifact.manifestDigest, oci::Digest::ofBytes(artifact.manifest));
  // Both keys signed the same payload bytes, so both layers share one blob (as with cosign).
  EXPECT_EQ(artifact.blobs.size(), 2u);

  auto manifest = oci::parseManifest(artifact.manifest, "");
  ASSERT_TRUE(manifest.ok()) << manifest.error().message;
  EXPECT_EQ(manifest->mediaType, oci::media::kOciManifest);
  ASSERT_TRUE(manifest->config);
  EXPECT_EQ(manifest->config->mediaType, oci::media::kOciConfig);
  EXPECT_EQ(artifact.blobs.at(manifest->config->digest).size(), manifest->config->size);

  auto listed = signatureLayersToFetch(artifact.manifest);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  std::vector<SignatureLayer> layers;
  for (const auto& d : *listed) {
    const std::string& blob = artifact.blobs.at(d.digest);
    EXPECT_EQ(oci::Digest::ofBytes(blob), d.digest);
    EXPECT_EQ(blob.size(), d.size);
    layers.push_back(signatureLayer(d, blob));
  }
  EXPECT_FALSE(layers[0].bundle);
  ASSERT_TRUE(layers[1].bundle);

  auto byB = verifySignatures(kImage, keyOf(b), layers);
  ASSERT_TRUE(byB.ok()) << byB.error().message;
  EXPECT_EQ(byB->signaturesChecked, 2u);  // a's layer was tried first
  EXPECT_TRUE(byB->hasRekorBundle());
  auto byA = verifySignatures(kImage, keyOf(a), layers);
  ASSERT_TRUE(byA.ok()) << byA.error().message;
  EXPECT_FALSE(byA->hasRekorBundle());
}

TEST(SignatureVerifier, ListsOnlySimpleSigningLayers) {
  const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
                           std::string(64, 'a') +
                           R"(","size":2},"layers":[
    {"mediaType":"text/plain","digest":"sha256:)" +
                           std::string(64, 'b') + R"(","size":3},
    {"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"sha256:)" +
                           std::string(64, 'c') +
                           R"(","size":4,"annotations":{"dev.cosignproject.cosign/signature":"c2ln"}}]})";
  auto listed = signatureLayersToFetch(body);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(signatureLayer((*listed)[0], "blob").signatureBase64, "c2ln");

  auto garbage = signatureLayersToFetch("<html>");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, ErrorCode::kVerification);
  auto index = signatureLayersToFetch(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
    "manifests":[]})");
  ASSERT_FALSE(index.ok());
  EXPECT_NE(index.error().message.find("is an index"), std::string::npos);
}

TEST(SignatureVerifier, ExplainsEachBrokenLayer) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const PublicKey key = keyOf(signer);

  expectFailure(verifySignatures(kImage, key, {}), "has no application/vnd.dev.cosign.simplesigning.v1+json layers");

  auto noAnnotation = layerOf(signer.signImage(kImage, kIdentity));
  noAnnotation.signatureBase64.clear();
  expectFailure(verifySignatures(kImage, key, {noAnnotation}), "no dev.cosignproject.cosign/signature annotation");

  auto badBase64 = layerOf(signer.signImage(kImage, kIdentity));
  badBase64.signatureBase64 = "not*base64";
  expectFailure(verifySignatures(kImage, key, {badBase64}), "annotation is not valid base64");

  const std::string notJson = "signed, but not JSON";
  expectFailure(verifySignatures(kImage, key,
                                 {{std::string(oci::media::kCosignSimpleSigning), notJson, signer.signBase64(notJson),
                                   std::nullopt}}),
                "payload is not JSON");

  const oci::Digest elsewhere = oci::Digest::ofBytes("another image");
  expectFailure(verifySignatures(kImage, key, {layerOf(signer.signImage(elsewhere, kIdentity))}),
                "payload names another digest " + elsewhere.str());

  // Several bad layers: every reason is reported, numbered.
  auto r = verifySignatures(kImage, key, {badBase64, layerOf(signer.signImage(elsewhere, kIdentity))});
  expectFailure(r, "layer 1: dev.cosignproject.cosign/signature annotation is not valid base64; layer 2: payload");
}

TEST(SignatureVerifier, RejectsTruncatedAndEmptySignatures) {
  const CosignSigner signer(KeyKind::kRsa2048Pkcs1);
  const PublicKey key = keyOf(signer);
  const std::string payload = autonomy::testing::cosignPayload(kImage, kIdentity);
  const std::string sig = signer.sign(payload);
  EXPECT_TRUE(verifySignatureBytes(key, payload, sig));
  EXPECT_FALSE(verifySignatureBytes(key, payload, sig.substr(0, sig.size() - 1)));
  EXPECT_FALSE(verifySignatureBytes(key, payload, ""));
}

TEST(SignatureVerifier, EcdsaP384AlsoAcceptsSha256AsCosignDefaultsTo) {
  const CosignSigner signer(KeyKind::kEcdsaP384);
  const std::string pem = signer.privatePem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* priv = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(priv, nullptr);
  const std::string payload = autonomy::testing::cosignPayload(kImage, kIdentity);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(256, '\0');
  std::size_t len = sig.size();
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, priv), 1);
  ASSERT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(payload.data()), payload.size()),
            1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(priv);
  EXPECT_TRUE(verifySignatureBytes(keyOf(signer), payload, sig));
  EXPECT_TRUE(verifySignatureBytes(keyOf(signer), payload, signer.sign(payload)));  // SHA-384
}
