// What travels with an image, from what the signature lookup found (pure logic; the registry
// side is covered end to end in tests/integration/verify).
#include <gtest/gtest.h>

#include "engine/copy/Attachments.hpp"
#include "engine/oci/MediaTypes.hpp"

using namespace autonomy;
using namespace autonomy::copy;

namespace {
const oci::Digest kImage = oci::Digest::ofBytes("image");
const oci::Digest kSig = oci::Digest::ofBytes("sig manifest");
const oci::Digest kBundle = oci::Digest::ofBytes("bundle referrer");

std::string referrersList() {
  return nlohmann::json{
      {"schemaVersion", 2},
      {"mediaType", std::string(oci::media::kOciIndex)},
      {"manifests",
       {{{"mediaType", std::string(oci::media::kOciManifest)},
         {"digest", kBundle.str()},
         {"size", 700},
         {"artifactType", "application/vnd.dev.sigstore.bundle.v0.3+json"},
         {"annotations", {{"dev.sigstore.bundle.content", "dsse-envelope"}}}},
        {{"mediaType", std::string(oci::media::kOciManifest)}, {"digest", kBundle.str()}, {"size", 700}}}}}
      .dump();
}
}  // namespace

TEST(AttachmentSet, ApiReferrersAreListedOnceWithHowTheSourceDescribedThem) {
  SignatureSources sources;
  sources.sig = registry::FetchedManifest{{kSig, std::string(oci::media::kOciManifest), 300}, {}};
  sources.referrers = referrersList();
  sources.referrersFromApi = true;
  auto set = attachmentSet(kImage, sources, {}, "app");
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->items.size(), 2u);  // the .sig tag and one referrer (listed twice, copied once)
  EXPECT_EQ(set->items[0].kind, "sig");
  EXPECT_EQ(set->items[0].digest, kSig);
  EXPECT_EQ(set->items[1].kind, "referrer");
  EXPECT_EQ(set->items[1].artifactType, "application/vnd.dev.sigstore.bundle.v0.3+json");
  EXPECT_TRUE(set->referrersFromApi);

  // B's fallback index repeats the artifactType and annotations: cosign filters entries by them.
  const auto entry = fallbackIndexEntry(set->items[1], std::string(oci::media::kOciManifest), 700);
  EXPECT_EQ(entry["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
  EXPECT_EQ(entry["annotations"]["dev.sigstore.bundle.content"], "dsse-envelope");
  EXPECT_EQ(entry["digest"], kBundle.str());
  EXPECT_EQ(entry["size"], 700);
}

TEST(AttachmentSet, WithoutTheApiTheFallbackTagTravelsWhole) {
  SignatureSources sources;
  sources.fallbackTag = oci::Digest::ofBytes("fallback index");
  auto set = attachmentSet(kImage, sources, {{"att", kImage.attachmentTag(".att"), kSig, false}}, "app");
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->items.size(), 2u);
  EXPECT_EQ(set->items[0].kind, "att");
  EXPECT_EQ(set->items[1].kind, "referrers-tag");
  EXPECT_EQ(set->items[1].reference, kImage.attachmentTag());
  EXPECT_FALSE(set->referrersFromApi);
}

TEST(AttachmentSet, UnparsableReferrersListIsAnError) {
  SignatureSources sources;
  sources.referrers = "not an index";
  sources.referrersFromApi = true;
  auto set = attachmentSet(kImage, sources, {}, "app");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().message.find("referrers of app@"), std::string::npos) << set.error().message;
}
