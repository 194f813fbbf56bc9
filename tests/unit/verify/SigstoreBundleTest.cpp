// Bundle verification: DSSE over PAE, the in-toto statement, and what is refused. Real vectors
// from ../shared/fixtures/sigstore-bundles prove we read what cosign 3 and sigstore write; the
// test signer covers every key type and each way a bundle can be wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/verify/SigstoreBundle.hpp"
#include "tests/support/signer/BundleSigner.hpp"
#include "tests/unit/verify/SigstoreFixtures.hpp"

using namespace autonomy;
using namespace autonomy::verify;
using autonomy::testing::CosignSigner;
using autonomy::testing::KeyKind;
using ::testing::HasSubstr;
namespace sfx = autonomy::verify::sigstore_fixtures;
namespace ts = autonomy::testing;

namespace {

const oci::Digest kImage = oci::Digest::ofBytes("an image manifest");
const oci::Digest kOther = oci::Digest::ofBytes("another image manifest");

TrustPolicy trustOf(const CosignSigner& signer) { return TrustPolicy{sfx::keyFromPem(signer.publicPem(), "key"), {}}; }

std::string signedBundle(const CosignSigner& signer, const oci::Digest& subject = kImage,
                         std::string_view predicate = kCosignSignPredicate) {
  return ts::dsseBundle(signer, ts::cosignStatement(subject, predicate));
}

void expectRefused(const Result<VerifiedBundle>& r, const std::string& reason) {
  ASSERT_FALSE(r.ok()) << "accepted, expected: " << reason;
  EXPECT_EQ(r.error().code, ErrorCode::kVerification);
  EXPECT_THAT(r.error().message, HasSubstr(reason));
}

}  // namespace

TEST(SigstoreBundle, PaeIsTheDsseV1Encoding) {
  // The example in the DSSE specification (protocol.md).
  EXPECT_EQ(dssePae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(dssePae("", ""), "DSSEv1 0  0 ");
}

class SigstoreBundleKeys : public ::testing::TestWithParam<KeyKind> {};

TEST_P(SigstoreBundleKeys, CosignSignatureVerifiesWithItsKey) {
  const CosignSigner signer(GetParam());
  auto r = verifyImageSignatureBundle(kImage, trustOf(signer), signedBundle(signer));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->predicateType, kCosignSignPredicate);
  EXPECT_EQ(r->statementType, kStatementV1);
  EXPECT_EQ(r->signaturesChecked, 1u);
  EXPECT_FALSE(r->hasTlog);
  EXPECT_FALSE(r->tlogVerified);
}

TEST_P(SigstoreBundleKeys, AnotherKeyIsRefused) {
  const CosignSigner signer(GetParam());
  const CosignSigner other(GetParam());
  expectRefused(verifyImageSignatureBundle(kImage, trustOf(other), signedBundle(signer)), "does not verify");
}

INSTANTIATE_TEST_SUITE_P(AllKeyTypes, SigstoreBundleKeys,
                         ::testing::Values(KeyKind::kEcdsaP256, KeyKind::kEcdsaP384, KeyKind::kRsa2048Pkcs1,
                                           KeyKind::kRsa2048Pss, KeyKind::kEd25519),
                         [](const auto& p) { return std::string(ts::keyKindName(p.param)); });

TEST(SigstoreBundle, SignatureOverTheBarePayloadIsRefused) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const std::string statement = ts::cosignStatement(kImage);
  auto j = nlohmann::json::parse(ts::dsseBundle(signer, statement));
  j["dsseEnvelope"]["signatures"][0]["sig"] = signer.signBase64(statement);  // not over the PAE
  expectRefused(verifyImageSignatureBundle(kImage, trustOf(signer), j.dump()), "does not verify");
}

TEST(SigstoreBundle, TamperedPayloadIsRefused) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  auto j = nlohmann::json::parse(signedBundle(signer));
  j["dsseEnvelope"]["payload"] = base64Encode(ts::cosignStatement(kOther));
  expectRefused(verifyImageSignatureBundle(kImage, trustOf(signer), j.dump()), "does not verify");
}

TEST(SigstoreBundle, StatementForAnotherDigestIsAReplay) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  expectRefused(verifyImageSignatureBundle(kImage, trustOf(signer), signedBundle(signer, kOther)), "replayed");
}

TEST(SigstoreBundle, AttestationIsNotASignature) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  expectRefused(verifyImageSignatureBundle(kImage, trustOf(signer),
                                           signedBundle(signer, kImage, "https://slsa.dev/provenance/v1")),
                "an attestation is not an image signature");
}

TEST(SigstoreBundle, StatementV01IsAccepted) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const auto bundle = ts::dsseBundle(signer, ts::cosignStatement(kImage, kCosignSignPredicate, kStatementV01));
  auto r = verifyImageSignatureBundle(kImage, trustOf(signer), bundle);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->statementType, kStatementV01);
}

TEST(SigstoreBundle, OtherPayloadTypeIsRefused) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const auto bundle = ts::dsseBundle(signer, ts::cosignStatement(kImage), "application/json");
  expectRefused(verifyImageSignatureBundle(kImage, trustOf(signer), bundle), "payloadType 'application/json'");
}

TEST(SigstoreBundle, MalformedBundlesAreRefusedWithAReason) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  const auto trust = trustOf(signer);
  expectRefused(verifyImageSignatureBundle(kImage, trust, "not json"), "bundle is not JSON");
  expectRefused(verifyImageSignatureBundle(kImage, trust, "[]"), "not a JSON object");
  expectRefused(verifyImageSignatureBundle(kImage, trust, R"({"mediaType":"application/json"})"),
                "no Sigstore bundle mediaType");
  expectRefused(verifyImageSignatureBundle(kImage, trust, std::string(100000, '[') + std::string(100000, ']')),
                "nests deeper than");
  expectRefused(verifyImageSignatureBundle(kImage, trust, std::string(kMaxBundleBytes + 1, ' ')), "bytes, more than");
  auto j = nlohmann::json::parse(signedBundle(signer));
  j["dsseEnvelope"]["signatures"] = nlohmann::json::array();
  expectRefused(verifyImageSignatureBundle(kImage, trust, j.dump()), "no signatures");
  j["dsseEnvelope"]["signatures"] = nlohmann::json::array({{{"sig", "***"}}});
  expectRefused(verifyImageSignatureBundle(kImage, trust, j.dump()), "not base64");
  j["dsseEnvelope"].erase("signatures");
  expectRefused(verifyImageSignatureBundle(kImage, trust, j.dump()), "lacks payloadType, payload or signatures");
}

TEST(SigstoreBundle, ManyEnvelopeSignaturesAreRefusedUnread) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  auto j = nlohmann::json::parse(signedBundle(signer));
  for (std::size_t i = 0; i < kMaxEnvelopeSignatures; ++i) j["dsseEnvelope"]["signatures"].push_back({{"sig", "AAAA"}});
  expectRefused(verifyImageSignatureBundle(kImage, trustOf(signer), j.dump()), "signatures, more than");
}

TEST(SigstoreBundle, ValidSignatureAfterABadOneIsFound) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  auto j = nlohmann::json::parse(signedBundle(signer));
  auto& sigs = j["dsseEnvelope"]["signatures"];
  sigs.insert(sigs.begin(), nlohmann::json{{"sig", CosignSigner(KeyKind::kEcdsaP256).signBase64("other")}});
  auto r = verifyImageSignatureBundle(kImage, trustOf(signer), j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->signaturesChecked, 2u);
}

TEST(SigstoreBundleVectors, MessageSignatureBundleIsNotAnImageSignature) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  const auto key = sfx::keyFromPem(sfx::read(sfx::conformance("managed-key-happy-path/key.pub")), "key.pub");
  auto parsed = parseSigstoreBundle(sfx::read(sfx::conformance("managed-key-happy-path/bundle.sigstore.json")));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_FALSE(parsed->isDsse);
  EXPECT_EQ(parsed->tlogEntries.size(), 1u);
  EXPECT_EQ(parsed->timestamps, 1u);
  expectRefused(verifyImageSignatureBundle(kImage, TrustPolicy{key, {}},
                                           sfx::read(sfx::conformance("managed-key-happy-path/bundle.sigstore.json"))),
                "messageSignature");
}

TEST(SigstoreBundleVectors, WrongKeyCaseFailsAtKeyParsing) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  auto key = PublicKey::fromPem(sfx::read(sfx::conformance("managed-key-wrong-key_fail/key.pub")), "key.pub");
  EXPECT_FALSE(key.ok()) << "a point off the curve was accepted";
}

// The real cosign v3 signature of kubewarden-controller:v1.34.0 (keyless; its certificate's key
// stands in for a fleet key): proves PAE and statement parsing on real cosign output.
TEST(SigstoreBundleVectors, RealCosignV3SignatureVerifiesOverPae) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  const auto path = sfx::sigstoreRs("tests/data/bundle_v03.json");
  const auto key = sfx::certificateKey(sfx::readJson(path));
  auto digest = oci::Digest::parse("sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172");
  ASSERT_TRUE(digest.ok());
  auto r = verifyImageSignatureBundle(*digest, TrustPolicy{key, {}}, sfx::read(path));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->predicateType, kCosignSignPredicate);
  EXPECT_EQ(r->statementType, kStatementV1);
  EXPECT_TRUE(r->hasTlog);
  EXPECT_TRUE(r->hasTimestamps);
  expectRefused(verifyImageSignatureBundle(kOther, TrustPolicy{key, {}}, sfx::read(path)), "replayed");
  const CosignSigner stranger(KeyKind::kEcdsaP256);
  expectRefused(verifyImageSignatureBundle(*digest, trustOf(stranger), sfx::read(path)), "certificate");
}

// sigstore-go's key-signed DSSE bundle (v0.1, npm provenance): the signature checks out over the
// PAE with the npm key, and is then refused for what it states (not an image signature).
TEST(SigstoreBundleVectors, KeySignedDsseFromSigstoreGoVerifiesThenIsRefusedAsNotAnImage) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  const auto key = sfx::keyFromPem(sfx::read(sfx::sigstoreGo("examples/publish_key.pub")), "publish_key.pub");
  const auto bundle = sfx::read(sfx::sigstoreGo("examples/bundle-publish.json"));
  auto r = verifyImageSignatureBundle(kImage, TrustPolicy{key, {}}, bundle);
  expectRefused(r, "predicateType 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1'");
  EXPECT_THAT(r.error().message, ::testing::Not(HasSubstr("does not verify")));
  const CosignSigner stranger(KeyKind::kEcdsaP256);
  expectRefused(verifyImageSignatureBundle(kImage, trustOf(stranger), bundle), "does not verify");
}

TEST(SigstoreBundleVectors, CosignAttestationIsRefusedAsAnAttestation) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  const auto path = sfx::cosignRepo("pkg/cosign/testdata/oci-attestation.sigstore.json");
  const auto key = sfx::certificateKey(sfx::readJson(path));
  auto digest = oci::Digest::parse("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4");
  ASSERT_TRUE(digest.ok());
  expectRefused(verifyImageSignatureBundle(*digest, TrustPolicy{key, {}}, sfx::read(path)),
                "an attestation is not an image signature");
}

TEST(SigstoreBundle, MediaTypePrefixIsNotEnough) {
  EXPECT_TRUE(isBundleMediaType("application/vnd.dev.sigstore.bundle.v0.3+json"));
  EXPECT_TRUE(isBundleMediaType("application/vnd.dev.sigstore.bundle+json;version=0.1"));
  EXPECT_FALSE(isBundleMediaType("application/vnd.dev.sigstore.bundleXYZ"));
  EXPECT_FALSE(isBundleMediaType("application/vnd.dev.sigstore.bundle"));
}
