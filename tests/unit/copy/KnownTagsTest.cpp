// What the no-op check may skip (pure logic): tags a complete listing lacks, and verdicts on
// signature bytes already judged under the same policy.
#include <gtest/gtest.h>

#include "engine/copy/KnownTags.hpp"
#include "engine/copy/VerificationCache.hpp"
#include "tests/support/signer/CosignSigner.hpp"

using namespace autonomy;
using namespace autonomy::copy;

namespace {
const oci::Digest kImage = oci::Digest::ofBytes("image");

TEST(KnownTags, CompleteListingAnswersForEveryTag) {
  auto known = KnownTags::fromListing({{"v1", kImage.attachmentTag(".sig")}, true});
  EXPECT_TRUE(known->listed());
  EXPECT_TRUE(known->mayExist("v1"));
  EXPECT_TRUE(known->mayExist(kImage.attachmentTag(".sig")));
  EXPECT_FALSE(known->mayExist(kImage.attachmentTag(".att")));
  EXPECT_FALSE(known->mayExist(kImage.attachmentTag()));
}

TEST(KnownTags, IncompleteOrNoListingAsksForEverything) {
  auto partial = KnownTags::fromListing({{"v1"}, false});
  EXPECT_FALSE(partial->listed());
  EXPECT_TRUE(partial->mayExist(kImage.attachmentTag(".sig")));
  EXPECT_TRUE(KnownTags::unknown()->mayExist("anything"));
}

SignatureSources legacySources(const std::string& sigBytes) {
  SignatureSources s;
  s.sig = registry::FetchedManifest{
      {oci::Digest::ofBytes(sigBytes), "application/vnd.oci.image.manifest.v1+json", sigBytes.size()}, sigBytes};
  return s;
}

verify::TrustPolicy policyOf(const autonomy::testing::CosignSigner& signer) {
  auto key = verify::PublicKey::fromPem(signer.publicPem(), "test key");
  EXPECT_TRUE(key.ok());
  return verify::TrustPolicy{*key, {}};
}

TEST(VerificationCache, KeyChangesWithEveryInputOfTheVerdict) {
  const autonomy::testing::CosignSigner signer(autonomy::testing::KeyKind::kEcdsaP256);
  const autonomy::testing::CosignSigner other(autonomy::testing::KeyKind::kEcdsaP256);
  const auto trust = policyOf(signer);
  const auto base = VerificationCache::keyFor(kImage, legacySources("sig v1"), trust);
  EXPECT_EQ(base, VerificationCache::keyFor(kImage, legacySources("sig v1"), trust));
  // Another image, another signature manifest (a signature added), another key, a tlog key.
  EXPECT_NE(base, VerificationCache::keyFor(oci::Digest::ofBytes("other image"), legacySources("sig v1"), trust));
  EXPECT_NE(base, VerificationCache::keyFor(kImage, legacySources("sig v2"), trust));
  EXPECT_NE(base, VerificationCache::keyFor(kImage, legacySources("sig v1"), policyOf(other)));
  auto withTlog = trust;
  withTlog.rekorKeys.push_back(policyOf(other).key);
  EXPECT_NE(base, VerificationCache::keyFor(kImage, legacySources("sig v1"), withTlog));
  // A referrers index appearing or changing changes the key too.
  auto withReferrers = legacySources("sig v1");
  withReferrers.referrers = std::string("{\"manifests\":[]}");
  const auto r1 = VerificationCache::keyFor(kImage, withReferrers, trust);
  EXPECT_NE(base, r1);
  withReferrers.referrers = std::string("{\"manifests\":[1]}");
  EXPECT_NE(r1, VerificationCache::keyFor(kImage, withReferrers, trust));
}

TEST(VerificationCache, KeepsTheNewestUpToItsCapacity) {
  VerificationCache cache(2);
  catalog::Verification v;
  v.skipped = false;
  v.signatureDigest = "sha256:1";
  cache.remember("a", v);
  cache.remember("b", v);
  cache.remember("b", v);  // again: still one entry
  EXPECT_EQ(cache.size(), 2u);
  cache.remember("c", v);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.find("a"));
  ASSERT_TRUE(cache.find("c"));
  EXPECT_EQ(cache.find("c")->signatureDigest, "sha256:1");
}
}  // namespace
