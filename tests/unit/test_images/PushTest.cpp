// Pushes built content into a real docker-registry and reads it back with curl: digests and
// bytes must survive unchanged. Also pins what Debian's skopeo 1.9.3 refuses (see Push.hpp).
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/oci/MediaTypes.hpp"
#include "tests/support/images/ImageBuilder.hpp"
#include "tests/support/images/Push.hpp"
#include "tests/support/images/ToolRunner.hpp"
#include "tests/unit/test_images/LocalRegistry.hpp"

namespace autonomy::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class RegistryPush : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = LocalRegistry::start();
    ASSERT_TRUE(registry) << registry.error().message;
    registry_ = std::move(registry).value();
    auto layout = OciLayout::open(registry_->workDir() / "layout");
    ASSERT_TRUE(layout) << layout.error().message;
    layout_ = std::make_unique<OciLayout>(std::move(layout).value());
    builder_ = std::make_unique<ImageBuilder>(*layout_);
  }

  std::string host() const { return registry_->host(); }

  // The registry must hand back exactly our bytes, under our digest, with all blobs present.
  void expectStored(const std::string& repo, const std::string& reference, const BuiltManifest& built,
                    const CurlOptions& options = {}) {
    auto got = fetchManifestWithCurl(host(), repo, reference, options);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(got->status, 200) << repo << ":" << reference << " " << got->body;
    EXPECT_EQ(got->header("docker-content-digest"), built.digest.str());
    EXPECT_EQ(got->header("content-type"), built.mediaType);
    EXPECT_EQ(got->body, built.bytes);
    for (const auto& blob : built.blobs) {
      auto bytes = fetchBlobWithCurl(host(), repo, blob.digest, options);
      ASSERT_TRUE(bytes) << bytes.error().message;
      EXPECT_EQ(bytes->size(), blob.size);
    }
    for (const auto& child : built.children) expectStored(repo, child.digest.str(), child, options);
  }

  std::unique_ptr<LocalRegistry> registry_;
  std::unique_ptr<OciLayout> layout_;
  std::unique_ptr<ImageBuilder> builder_;
};

// A cosign-style .sig manifest as the test signer would hand it over: bytes plus blobs.
RawManifest cosignStyleSignature(const BuiltManifest& signedImage) {
  const std::string payload = json{
      {"critical",
       {{"identity", {{"docker-reference", "127.0.0.1/fleet/nav"}}},
        {"image", {{"docker-manifest-digest", signedImage.digest.str()}}},
        {"type", "cosign container image signature"}}},
      {"optional", nullptr}}.dump();
  const std::string config = R"({"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}})";
  const json manifest{{"schemaVersion", 2},
                      {"mediaType", oci::media::kOciManifest},
                      {"config",
                       {{"mediaType", oci::media::kOciConfig},
                        {"size", config.size()},
                        {"digest", oci::Digest::ofBytes(config).str()}}},
                      {"layers",
                       {{{"mediaType", oci::media::kCosignSimpleSigning},
                         {"size", payload.size()},
                         {"digest", oci::Digest::ofBytes(payload).str()},
                         {"annotations", {{"dev.cosignproject.cosign/signature", "MEUCIQDtestsignature=="}}}}}}};
  return RawManifest{manifest.dump(2), std::string(oci::media::kOciManifest), {config, payload}, {}};
}

TEST_F(RegistryPush, SkopeoKeepsTwoLayerImageByteForByte) {
  auto image = builder_->image(ImageSpec({LayerSpec(300000, 1), LayerSpec(5000, 2)}));
  ASSERT_TRUE(image) << image.error().message;
  ASSERT_TRUE(builder_->tag("v1", *image));
  auto pushed = pushWithSkopeo(layout_->dir(), "v1", host() + "/fleet/nav:v1");
  ASSERT_TRUE(pushed) << pushed.error().message;
  expectStored("fleet/nav", "v1", *image);
  expectStored("fleet/nav", image->digest.str(), *image);
}

TEST_F(RegistryPush, SkopeoKeepsTwoPlatformIndexAndItsChildren) {
  auto index =
      builder_->index(multiPlatformSpec({"linux/amd64", "linux/arm64"}, {LayerSpec(20000, 10), LayerSpec(300, 11)}));
  ASSERT_TRUE(index) << index.error().message;
  ASSERT_TRUE(pushImage(*layout_, *index, host(), "fleet/multi", "v2"));
  expectStored("fleet/multi", "v2", *index);
}

TEST_F(RegistryPush, SharedBaseLayerGoesIntoTwoRepos) {
  const LayerSpec base = LayerSpec(50000, 99).named("base.bin");
  auto a = builder_->image(ImageSpec({base, LayerSpec(100, 1)}));
  auto b = builder_->image(ImageSpec({base, LayerSpec(100, 2)}));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->blobs[1].digest, b->blobs[1].digest);
  ASSERT_TRUE(pushImage(*layout_, *a, host(), "fleet/a", "v1"));
  ASSERT_TRUE(pushImage(*layout_, *b, host(), "fleet/b", "v1"));
  expectStored("fleet/a", "v1", *a);
  expectStored("fleet/b", "v1", *b);
}

TEST_F(RegistryPush, SkopeoKeepsArtifactWithEmptyConfigAndSubject) {
  auto image = builder_->image(ImageSpec({LayerSpec(100, 1)}));
  ASSERT_TRUE(image);
  ASSERT_TRUE(pushImage(*layout_, *image, host(), "fleet/nav", "v1"));
  ArtifactSpec spec;
  spec.artifactType = std::string(oci::media::kLockArtifact);
  spec.layers.push_back({std::string(oci::media::kLockArtifact), R"({"images":["fleet/nav:v1"]})", {{"a", "b"}}});
  spec.annotations = {{"org.opencontainers.image.title", "lock"}};
  spec.subject = image->descriptor();
  auto artifact = builder_->artifact(spec);
  ASSERT_TRUE(artifact);
  auto pushed = pushImage(*layout_, *artifact, host(), "fleet/nav", "lock");
  ASSERT_TRUE(pushed) << pushed.error().message;
  expectStored("fleet/nav", "lock", *artifact);
}

TEST_F(RegistryPush, SkopeoKeepsCosignStyleSignature) {
  auto image = builder_->image(ImageSpec({LayerSpec(100, 1)}));
  ASSERT_TRUE(image);
  ASSERT_TRUE(pushImage(*layout_, *image, host(), "fleet/nav", "v1"));
  auto sig = builder_->raw(cosignStyleSignature(*image));
  ASSERT_TRUE(sig) << sig.error().message;
  ASSERT_FALSE(needsCurlPush(*sig));
  ASSERT_EQ(sig->blobs.size(), 2U);
  EXPECT_EQ(sig->blobs[1].mediaType, oci::media::kCosignSimpleSigning);
  const std::string tag = image->digest.attachmentTag(".sig");
  ASSERT_TRUE(builder_->tag(tag, *sig));
  auto pushed = pushWithSkopeo(layout_->dir(), tag, host() + "/fleet/nav:" + tag);
  ASSERT_TRUE(pushed) << pushed.error().message;
  expectStored("fleet/nav", tag, *sig);
  auto got = fetchManifestWithCurl(host(), "fleet/nav", tag);
  ASSERT_TRUE(got);
  const auto doc = json::parse(got->body);
  EXPECT_EQ(doc["layers"][0]["mediaType"], oci::media::kCosignSimpleSigning);
  EXPECT_EQ(doc["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"], "MEUCIQDtestsignature==");
}

TEST_F(RegistryPush, Skopeo193RefusesIndexWhoseEntriesHaveArtifactType) {
  auto version = imagesdetail::runTool({"/usr/bin/skopeo", "--version"});
  if (!version || version->out.find("version 1.9.") == std::string::npos) {
    GTEST_SKIP() << "pins skopeo 1.9.x behaviour; found " << (version ? version->out : "no skopeo");
  }
  auto image = builder_->image(ImageSpec({LayerSpec(100, 1)}));
  ArtifactSpec spec;
  spec.artifactType = "application/vnd.example.sbom";
  spec.layers.push_back({"application/vnd.example.sbom", "sbom", {}});
  spec.subject = image->descriptor();
  auto sbom = builder_->artifact(spec);
  ASSERT_TRUE(image && sbom);
  auto referrers = builder_->referrersIndex({*sbom});
  ASSERT_TRUE(referrers);
  ASSERT_TRUE(builder_->tag("refs", *referrers));
  auto pushed = pushWithSkopeo(layout_->dir(), "refs", host() + "/fleet/nav:refs");
  ASSERT_FALSE(pushed);
  EXPECT_NE(pushed.error().message.find("Instructed to preserve digests"), std::string::npos) << pushed.error().message;
}

TEST_F(RegistryPush, ReferrersFallbackIndexGoesInWithCurl) {
  auto image = builder_->image(ImageSpec({LayerSpec(100, 1)}));
  ASSERT_TRUE(image);
  ASSERT_TRUE(pushImage(*layout_, *image, host(), "fleet/nav", "v1"));
  ArtifactSpec spec;
  spec.artifactType = "application/vnd.example.sbom";
  spec.layers.push_back({"application/vnd.example.sbom", "sbom", {}});
  spec.annotations = {{"org.opencontainers.image.created", "2024-05-01T00:00:00Z"}};
  spec.subject = image->descriptor();
  auto sbom = builder_->artifact(spec);
  ASSERT_TRUE(sbom);
  auto referrers = builder_->referrersIndex({*sbom});
  ASSERT_TRUE(referrers);
  ASSERT_TRUE(needsCurlPush(*referrers));
  const std::string tag = image->digest.attachmentTag();
  auto pushed = pushImage(*layout_, *referrers, host(), "fleet/nav", tag);
  ASSERT_TRUE(pushed) << pushed.error().message;
  expectStored("fleet/nav", tag, *referrers);
}

TEST_F(RegistryPush, PushManifestDirectStoresDockerSchema2Unchanged) {
  const std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  const std::string layer = "not really a layer";
  const json manifest{{"schemaVersion", 2},
                      {"mediaType", oci::media::kDockerManifest},
                      {"config",
                       {{"mediaType", "application/vnd.docker.container.image.v1+json"},
                        {"size", config.size()},
                        {"digest", oci::Digest::ofBytes(config).str()}}},
                      {"layers",
                       {{{"mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip"},
                         {"size", layer.size()},
                         {"digest", oci::Digest::ofBytes(layer).str()}}}}};
  const std::string bytes = manifest.dump(3) + "\n";
  auto pushed = pushManifestDirect(host(), "legacy/app", "v1", bytes, oci::media::kDockerManifest, {config, layer});
  ASSERT_TRUE(pushed) << pushed.error().message;
  auto got = fetchManifestWithCurl(host(), "legacy/app", "v1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->header("docker-content-digest"), oci::Digest::ofBytes(bytes).str());
  EXPECT_EQ(got->header("content-type"), oci::media::kDockerManifest);
  EXPECT_EQ(got->body, bytes);
}

TEST_F(RegistryPush, SkopeoErrorCarriesItsStderr) {
  auto pushed = pushWithSkopeo(layout_->dir(), "no-such-tag", host() + "/fleet/nav:x");
  ASSERT_FALSE(pushed);
  EXPECT_NE(pushed.error().message.find("no-such-tag"), std::string::npos) << pushed.error().message;
  EXPECT_NE(pushed.error().message.find("exit 1"), std::string::npos) << pushed.error().message;
}

TEST(RegistryPushAuth, CredentialsReachSkopeoAndCurl) {
  auto hash = imagesdetail::runTool({"htpasswd", "-Bbn", "robot", "s3cret"});
  if (!hash || hash->exitCode != 0) GTEST_SKIP() << "htpasswd (apache2-utils) not installed";
  std::string line = hash->out;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  auto registry = LocalRegistry::start(LocalRegistry::Options{line});
  ASSERT_TRUE(registry) << registry.error().message;
  const std::string host = (*registry)->host();
  auto layout = OciLayout::open((*registry)->workDir() / "layout");
  ASSERT_TRUE(layout);
  ImageBuilder builder(*layout);
  auto image = builder.image(ImageSpec({LayerSpec(1000, 1)}));
  ASSERT_TRUE(image);
  ASSERT_TRUE(builder.tag("v1", *image));

  auto anonymous = pushWithSkopeo(layout->dir(), "v1", host + "/fleet/nav:v1");
  EXPECT_FALSE(anonymous);
  SkopeoOptions skopeo;
  skopeo.creds = "robot:s3cret";
  auto pushed = pushWithSkopeo(layout->dir(), "v1", host + "/fleet/nav:v1", skopeo);
  ASSERT_TRUE(pushed) << pushed.error().message;

  CurlOptions curl;
  curl.creds = "robot:s3cret";
  auto got = fetchManifestWithCurl(host, "fleet/nav", "v1", curl);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->header("docker-content-digest"), image->digest.str());
  auto denied = fetchManifestWithCurl(host, "fleet/nav", "v1");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  auto referrers = builder.referrersIndex({*image});
  ASSERT_TRUE(referrers);
  auto direct = pushBlobsAndManifestWithCurl(*layout, *referrers, host, "fleet/nav", "refs", curl);
  EXPECT_TRUE(direct) << direct.error().message;
}

}  // namespace
}  // namespace autonomy::testing
