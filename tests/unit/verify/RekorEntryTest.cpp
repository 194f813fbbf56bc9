// The offline transparency-log check (--rekor-pub-key): signed entry timestamps and entry bodies
// from real Rekor entries (legacy cosign bundle annotations, bundle tlogEntries of every body kind
// we check), with the Rekor keys of the trusted roots beside them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/Sha256.hpp"
#include "engine/verify/RekorEntry.hpp"
#include "engine/verify/SigstoreBundle.hpp"
#include "tests/support/signer/BundleSigner.hpp"
#include "tests/unit/verify/CosignFixtures.hpp"
#include "tests/unit/verify/SigstoreFixtures.hpp"

using namespace autonomy;
using namespace autonomy::verify;
using ::testing::HasSubstr;
namespace fx = autonomy::verify::fixtures;
namespace sfx = autonomy::verify::sigstore_fixtures;
namespace ts = autonomy::testing;

namespace {

std::vector<PublicKey> publicGoodRekor() {
  return sfx::rekorKeys(sfx::sigstoreGo("examples/trusted-root-public-good.json"));
}

// A messageSignature bundle's first tlog entry and what it must vouch for.
struct MessageCase {
  TlogEntry entry;
  std::string signature;
  PublicKey key;
  std::string artifactSha256;
};

MessageCase messageCase(const std::string& dir) {
  const auto bundle = sfx::readJson(sfx::conformance(dir + "/bundle.sigstore.json"));
  auto entry = tlogEntryFromBundle(bundle.at("verificationMaterial").at("tlogEntries").at(0));
  if (!entry) throw std::runtime_error(entry.error().message);
  const auto sig = base64Decode(bundle.at("messageSignature").at("signature").get<std::string>());
  return MessageCase{*entry, *sig, sfx::keyFromPem(sfx::read(sfx::conformance(dir + "/key.pub")), "key.pub"),
                     Sha256::hex(sfx::read(sfx::conformance("a.txt")))};
}

Status check(const MessageCase& c, const std::vector<PublicKey>& rekor) {
  return verifyTlogEntry(c.entry, rekor, TlogSubject{c.signature, &c.key, c.artifactSha256});
}

}  // namespace

TEST(RekorEntry, LegacyCosignBundleAnnotationVerifiesWithRekorPub) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto dir = fx::containersImage("dir-img-cosign-key-rekor-valid");
  const auto layer = fx::readDirSignature(dir / "signature-1");
  const TrustPolicy trust{fx::loadKey(fx::containersImage("cosign2.pub")),
                          {fx::loadKey(fx::containersImage("rekor.pub"))}};
  auto r = verifySignatures(fx::manifestDigest(dir), trust, {layer});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->tlogVerified);
  EXPECT_TRUE(r->hasRekorBundle());
}

TEST(RekorEntry, LegacyBundleFromAnotherLogIsRefused) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto dir = fx::containersImage("dir-img-cosign-key-rekor-valid");
  const TrustPolicy trust{fx::loadKey(fx::containersImage("cosign2.pub")),
                          {fx::loadKey(fx::containersImage("cosign.pub"))}};
  auto r = verifySignatures(fx::manifestDigest(dir), trust, {fx::readDirSignature(dir / "signature-1")});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("not one of the --rekor-pub-key logs"));
}

TEST(RekorEntry, LegacyTamperedSetIsRefused) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto dir = fx::containersImage("dir-img-cosign-key-rekor-valid");
  auto layer = fx::readDirSignature(dir / "signature-1");
  auto annotation = nlohmann::json::parse(*layer.bundle);
  annotation["Payload"]["integratedTime"] = annotation["Payload"]["integratedTime"].get<std::int64_t>() + 1;
  layer.bundle = annotation.dump();
  const TrustPolicy trust{fx::loadKey(fx::containersImage("cosign2.pub")),
                          {fx::loadKey(fx::containersImage("rekor.pub"))}};
  auto r = verifySignatures(fx::manifestDigest(dir), trust, {layer});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("signed entry timestamp does not verify"));
}

TEST(RekorEntry, LegacySignatureWithoutABundleIsRefusedWhenTheLogIsRequired) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto dir = fx::containersImage("dir-img-cosign-valid");
  const TrustPolicy trust{fx::loadKey(fx::containersImage("cosign.pub")),
                          {fx::loadKey(fx::containersImage("rekor.pub"))}};
  auto r = verifySignatures(fx::manifestDigest(dir), trust, {fx::readDirSignature(dir / "signature-1")});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("--rekor-pub-key makes a verified log entry mandatory"));
  // Without a Rekor key the same signature is fine.
  EXPECT_TRUE(verifySignatures(fx::manifestDigest(dir), fx::loadKey(fx::containersImage("cosign.pub")),
                               {fx::readDirSignature(dir / "signature-1")})
                  .ok());
}

TEST(RekorEntry, HashedRekordOnStagingVerifiesWithItsTrustedRoot) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  const auto c = messageCase("managed-key-and-trusted-root");
  const auto rekor = sfx::rekorKeys(sfx::conformance("managed-key-and-trusted-root/trusted_root.json"));
  auto st = check(c, rekor);
  EXPECT_TRUE(st.ok()) << st.error().message;
  // The public-good log did not sign it.
  auto other = check(c, publicGoodRekor());
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.error().message, HasSubstr("not one of the --rekor-pub-key logs"));
}

TEST(RekorEntry, HashedRekordOnPublicGoodVerifies) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  auto st = check(messageCase("managed-key-happy-path"), publicGoodRekor());
  EXPECT_TRUE(st.ok()) << st.error().message;
}

TEST(RekorEntry, BodyMustNameTheSameSignatureKeyAndHash) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  const auto rekor = publicGoodRekor();
  auto c = messageCase("managed-key-happy-path");
  auto otherSig = c;
  otherSig.signature = "not the signature";
  EXPECT_THAT(check(otherSig, rekor).error().message, HasSubstr("names another signature"));
  auto otherHash = c;
  otherHash.artifactSha256 = Sha256::hex("other bytes");
  EXPECT_THAT(check(otherHash, rekor).error().message, HasSubstr("is not the sha256 of what was signed"));
  if (fx::present()) {
    auto otherKey = c;
    otherKey.key = fx::loadKey(fx::containersImage("cosign.pub"));
    EXPECT_THAT(check(otherKey, rekor).error().message, HasSubstr("names another key"));
  }
  auto noSet = c;
  noSet.entry.setBase64.clear();
  EXPECT_THAT(check(noSet, rekor).error().message, HasSubstr("no signed entry timestamp"));
  auto moved = c;
  moved.entry.logIndex += 1;
  EXPECT_THAT(check(moved, rekor).error().message, HasSubstr("does not verify"));
}

TEST(RekorEntry, DsseEntryOfRealCosignV3SignatureVerifies) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  const auto path = sfx::sigstoreRs("tests/data/bundle_v03.json");
  const TrustPolicy trust{sfx::certificateKey(sfx::readJson(path)), publicGoodRekor()};
  auto digest = oci::Digest::parse("sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172");
  ASSERT_TRUE(digest.ok());
  auto r = verifyImageSignatureBundle(*digest, trust, sfx::read(path));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->tlogVerified);
  // Required, but from a log we do not trust: refused.
  const TrustPolicy staging{trust.key,
                            sfx::rekorKeys(sfx::conformance("managed-key-and-trusted-root/trusted_root.json"))};
  auto refused = verifyImageSignatureBundle(*digest, staging, sfx::read(path));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("not one of the --rekor-pub-key logs"));
}

TEST(RekorEntry, InTotoEntryOfSigstoreGoBundleVerifies) {
  SKIP_WITHOUT_BUNDLE_FIXTURES();
  const auto bundle = sfx::read(sfx::sigstoreGo("examples/bundle-publish.json"));
  auto parsed = parseSigstoreBundle(bundle);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->tlogEntries.size(), 1u);
  ASSERT_EQ(parsed->signatures.size(), 1u);
  const auto key = sfx::keyFromPem(sfx::read(sfx::sigstoreGo("examples/publish_key.pub")), "publish_key.pub");
  auto st = verifyTlogEntry(parsed->tlogEntries[0], publicGoodRekor(),
                            TlogSubject{parsed->signatures[0], &key, Sha256::hex(parsed->payload)});
  EXPECT_TRUE(st.ok()) << st.error().message;
}

TEST(RekorEntry, BundleWithoutTlogEntriesIsRefusedWhenTheLogIsRequired) {
  const ts::CosignSigner signer(ts::KeyKind::kEcdsaP256);
  const auto image = oci::Digest::ofBytes("image");
  const auto bundle = ts::dsseBundle(signer, ts::cosignStatement(image));
  const auto key = sfx::keyFromPem(signer.publicPem(), "key");
  ASSERT_TRUE(verifyImageSignatureBundle(image, TrustPolicy{key, {}}, bundle).ok());
  const TrustPolicy required{key, {sfx::keyFromPem(ts::CosignSigner(ts::KeyKind::kEcdsaP256).publicPem(), "rekor")}};
  auto r = verifyImageSignatureBundle(image, required, bundle);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("has no tlog entries"));
}

TEST(RekorEntry, MalformedEntriesAreRefused) {
  EXPECT_FALSE(parseLegacyRekorBundle("not json").ok());
  EXPECT_FALSE(parseLegacyRekorBundle(R"({"SignedEntryTimestamp":"AA=="})").ok());
  EXPECT_FALSE(
      parseLegacyRekorBundle(R"({"Payload":{"logIndex":"x1","integratedTime":1,"logID":"ab","body":"e30="}})").ok());
  EXPECT_FALSE(tlogEntryFromBundle(nlohmann::json::parse(R"({"logIndex":"1","integratedTime":"2"})")).ok());
  auto ok = tlogEntryFromBundle(nlohmann::json::parse(
      R"({"logIndex":"7","integratedTime":"9","logId":{"keyId":"AAEC"},"kindVersion":{"kind":"dsse"},"canonicalizedBody":"e30="})"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->logIdHex, "000102");
  EXPECT_EQ(ok->logIndex, 7);
  EXPECT_EQ(ok->kind, "dsse");
}

TEST(RekorEntry, IntegersOutOfRangeAreRefusedNotThrown) {
  const auto entry = [](const std::string& index) {
    return nlohmann::json::parse(R"({"logIndex":")" + index +
                                 R"(","logId":{"keyId":"AAEC"},"canonicalizedBody":"e30="})");
  };
  EXPECT_FALSE(tlogEntryFromBundle(entry("9999999999999999999")).ok());
  EXPECT_FALSE(tlogEntryFromBundle(entry("-1")).ok());
  EXPECT_FALSE(tlogEntryFromBundle(entry("12abc")).ok());
  // Protobuf's JSON leaves zero values out: no integratedTime is 0, not an error.
  auto zero = tlogEntryFromBundle(entry("0"));
  ASSERT_TRUE(zero.ok()) << zero.error().message;
  EXPECT_EQ(zero->integratedTime, 0);
}

TEST(RekorEntry, UnreadableLogEntryMattersOnlyWhenTheLogIsRequired) {
  const ts::CosignSigner signer(ts::KeyKind::kEcdsaP256);
  const auto image = oci::Digest::ofBytes("image");
  auto bundle = nlohmann::json::parse(ts::dsseBundle(signer, ts::cosignStatement(image)));
  bundle["verificationMaterial"]["tlogEntries"] = nlohmann::json::array({{{"logIndex", "99999999999999999999"}}});
  const auto key = sfx::keyFromPem(signer.publicPem(), "key");
  auto relaxed = verifyImageSignatureBundle(image, TrustPolicy{key, {}}, bundle.dump());
  ASSERT_TRUE(relaxed.ok()) << relaxed.error().message;
  EXPECT_TRUE(relaxed->hasTlog);
  const TrustPolicy required{key, {sfx::keyFromPem(ts::CosignSigner(ts::KeyKind::kEcdsaP256).publicPem(), "rekor")}};
  auto strict = verifyImageSignatureBundle(image, required, bundle.dump());
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(strict.error().message, HasSubstr("malformed \"logIndex\""));
}
