// Offline checks of the content the images library writes: reproducible digests, real tar+gzip
// layers (checked with GNU tar and gzip), configs, indexes, artifacts and the layout's index.json.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "engine/oci/MediaTypes.hpp"
#include "tests/support/images/ImageBuilder.hpp"
#include "tests/support/images/Push.hpp"
#include "tests/support/images/ToolRunner.hpp"

namespace autonomy::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "autonomy-images-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  OciLayout openLayout(const std::string& name) {
    auto layout = OciLayout::open(root_ / name);
    EXPECT_TRUE(layout.ok()) << layout.error().message;
    return std::move(layout).value();
  }
  fs::path root_;
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_F(TempLayout, SameSeedGivesSameLayerDigestInAnyLayout) {
  OciLayout a = openLayout("a");
  OciLayout b = openLayout("b");
  auto first = writeLayer(a, LayerSpec(200000, 7));
  auto second = writeLayer(b, LayerSpec(200000, 7));
  auto other = writeLayer(b, LayerSpec(200000, 8));
  ASSERT_TRUE(first && second && other);
  EXPECT_EQ(first->blob.digest, second->blob.digest);
  EXPECT_EQ(first->diffId, second->diffId);
  EXPECT_NE(first->blob.digest, other->blob.digest);
  EXPECT_EQ(first->blob.size, fs::file_size(a.blobPath(first->blob.digest)));
  EXPECT_EQ(first->blob.mediaType, kOciLayerGzip);
}

TEST_F(TempLayout, LayerIsAGzippedTarHoldingTheSeededFile) {
  OciLayout layout = openLayout("l");
  const LayerSpec spec = LayerSpec(70001, 42).named("payload/blob.bin");
  auto layer = writeLayer(layout, spec);
  ASSERT_TRUE(layer) << layer.error().message;
  const std::string blobPath = layout.blobPath(layer->blob.digest).string();

  auto tarBytes = imagesdetail::runTool({"gzip", "-dc", blobPath});
  ASSERT_TRUE(tarBytes && tarBytes->exitCode == 0) << (tarBytes ? tarBytes->err : tarBytes.error().message);
  EXPECT_EQ(oci::Digest::ofBytes(tarBytes->out), layer->diffId);

  const fs::path out = root_ / "extract";
  fs::create_directories(out);
  auto untar = imagesdetail::runTool({"tar", "-xzf", blobPath, "-C", out.string()});
  ASSERT_TRUE(untar && untar->exitCode == 0) << (untar ? untar->err : untar.error().message);
  EXPECT_EQ(readFile(out / "payload/blob.bin"), seededBytes(spec.size, spec.seed));
}

TEST_F(TempLayout, CompressionLevelChangesBlobButNotDiffId) {
  OciLayout layout = openLayout("l");
  const LayerSpec stored = LayerSpec(100000, 4).named("f.bin");
  const LayerSpec squeezed = LayerSpec(stored).level(6);
  auto a = writeLayer(layout, stored);
  auto b = writeLayer(layout, squeezed);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->blob.digest, b->blob.digest);
  EXPECT_EQ(a->diffId, b->diffId);
  auto tarBytes = imagesdetail::runTool({"gzip", "-dc", layout.blobPath(b->blob.digest).string()});
  ASSERT_TRUE(tarBytes && tarBytes->exitCode == 0);
  EXPECT_EQ(oci::Digest::ofBytes(tarBytes->out), b->diffId);
  EXPECT_FALSE(writeLayer(layout, LayerSpec(stored).level(11)).ok());
}

TEST_F(TempLayout, UncompressedLayerDigestIsItsDiffId) {
  OciLayout layout = openLayout("l");
  auto layer = writeLayer(layout, LayerSpec(512, 3).uncompressed());
  ASSERT_TRUE(layer);
  EXPECT_EQ(layer->blob.digest, layer->diffId);
  EXPECT_EQ(layer->blob.size, 512U * 4);  // header, one data block, two end blocks
  EXPECT_EQ(layer->blob.mediaType, kOciLayerTar);
}

TEST_F(TempLayout, ImageConfigListsDiffIdsAndPlatform) {
  OciLayout layout = openLayout("l");
  ImageBuilder builder(layout);
  ImageSpec spec({LayerSpec(1000, 1), LayerSpec(2000, 2)}, Platform::parse("linux/arm64/v8"));
  spec.labels = {{"team", "nav"}};
  spec.annotations = {{"note", "x"}};
  auto image = builder.image(spec);
  ASSERT_TRUE(image) << image.error().message;
  ASSERT_EQ(image->blobs.size(), 3U);
  const auto manifest = json::parse(image->bytes);
  EXPECT_EQ(manifest["mediaType"], oci::media::kOciManifest);
  EXPECT_EQ(manifest["config"]["digest"], image->blobs[0].digest.str());
  EXPECT_EQ(manifest["layers"].size(), 2U);
  EXPECT_EQ(manifest["annotations"]["note"], "x");
  const auto config = json::parse(*layout.readBlob(image->blobs[0].digest));
  EXPECT_EQ(config["architecture"], "arm64");
  EXPECT_EQ(config["os"], "linux");
  EXPECT_EQ(config["variant"], "v8");
  EXPECT_EQ(config["config"]["Labels"]["team"], "nav");
  ASSERT_EQ(config["rootfs"]["diff_ids"].size(), 2U);
  EXPECT_EQ(config["rootfs"]["diff_ids"][1], image->diffIds[1].str());
  EXPECT_EQ(*layout.readBlob(image->digest), image->bytes);
}

TEST_F(TempLayout, MultiPlatformIndexHasDistinctImagePerPlatform) {
  OciLayout layout = openLayout("l");
  ImageBuilder builder(layout);
  auto index = builder.index(multiPlatformSpec({"linux/amd64", "linux/arm64"}, {LayerSpec(4096, 5)}));
  ASSERT_TRUE(index) << index.error().message;
  const auto doc = json::parse(index->bytes);
  ASSERT_EQ(doc["manifests"].size(), 2U);
  EXPECT_EQ(doc["manifests"][1]["platform"]["architecture"], "arm64");
  ASSERT_EQ(index->children.size(), 2U);
  EXPECT_EQ(doc["manifests"][0]["digest"], index->children[0].digest.str());
  EXPECT_NE(index->children[0].blobs[1].digest, index->children[1].blobs[1].digest);
  EXPECT_EQ(index->allBlobs().size(), 4U);  // two configs, two layers
}

TEST_F(TempLayout, ArtifactHasEmptyConfigTypeAnnotationsAndSubject) {
  OciLayout layout = openLayout("l");
  ImageBuilder builder(layout);
  auto image = builder.image(ImageSpec({LayerSpec(100, 1)}));
  ASSERT_TRUE(image);
  ArtifactSpec spec;
  spec.artifactType = std::string(oci::media::kLockArtifact);
  spec.layers.push_back({std::string(oci::media::kLockArtifact), R"({"lock":1})", {{"k", "v"}}});
  spec.annotations = {{"org.opencontainers.image.created", "2024-01-01T00:00:00Z"}};
  spec.subject = image->descriptor();
  auto artifact = builder.artifact(spec);
  ASSERT_TRUE(artifact) << artifact.error().message;
  const auto doc = json::parse(artifact->bytes);
  EXPECT_EQ(doc["artifactType"], oci::media::kLockArtifact);
  EXPECT_EQ(doc["config"]["mediaType"], oci::media::kOciEmptyConfig);
  EXPECT_EQ(doc["config"]["size"], 2);
  EXPECT_EQ(doc["subject"]["digest"], image->digest.str());
  EXPECT_EQ(doc["layers"][0]["annotations"]["k"], "v");
  EXPECT_EQ(*layout.readBlob(artifact->blobs[0].digest), "{}");
  EXPECT_EQ(artifact->artifactType, oci::media::kLockArtifact);
}

TEST_F(TempLayout, IndexJsonNamesEachTagAndSurvivesReopen) {
  {
    OciLayout layout = openLayout("l");
    ImageBuilder builder(layout);
    auto one = builder.image(ImageSpec({LayerSpec(100, 1)}));
    auto two = builder.image(ImageSpec({LayerSpec(100, 2)}));
    ASSERT_TRUE(one && two);
    ASSERT_TRUE(builder.tag("v1", *one));
    ASSERT_TRUE(builder.tag("v2", *one));
    ASSERT_TRUE(builder.tag("v2", *two));  // moves the tag
  }
  EXPECT_EQ(readFile(root_ / "l" / "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  const auto index = json::parse(readFile(root_ / "l" / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 2U);
  EXPECT_EQ(index["manifests"][1]["annotations"][std::string(kRefNameAnnotation)], "v2");
  OciLayout reopened = openLayout("l");
  ASSERT_EQ(reopened.entries().size(), 2U);
  EXPECT_EQ(reopened.entries()[1].digest.str(), index["manifests"][1]["digest"]);
}

TEST_F(TempLayout, OnlyDockerTypesAndReferrersIndexesNeedCurl) {
  OciLayout layout = openLayout("l");
  ImageBuilder builder(layout);
  auto image = builder.image(ImageSpec({LayerSpec(100, 1)}));
  auto index = builder.index(multiPlatformSpec({"linux/amd64", "linux/arm64"}, {LayerSpec(100, 1)}));
  ArtifactSpec sigSpec;
  sigSpec.artifactType = "application/vnd.example.sig";
  sigSpec.layers.push_back({"application/vnd.example.sig", "sig", {}});
  sigSpec.subject = image->descriptor();
  auto sig = builder.artifact(sigSpec);
  ASSERT_TRUE(image && index && sig);
  auto referrers = builder.referrersIndex({*sig});
  auto docker = builder.raw(RawManifest{R"({"schemaVersion":2})", std::string(oci::media::kDockerManifest), {}, {}});
  ASSERT_TRUE(referrers && docker);
  EXPECT_FALSE(needsCurlPush(*image));
  EXPECT_FALSE(needsCurlPush(*index));
  EXPECT_FALSE(needsCurlPush(*sig));
  EXPECT_TRUE(needsCurlPush(*referrers));
  EXPECT_TRUE(needsCurlPush(*docker));
}

}  // namespace
}  // namespace autonomy::testing
