#include "engine/oci/Manifest.hpp"

#include <gtest/gtest.h>

#include "engine/oci/MediaTypes.hpp"

using namespace autonomy::oci;

namespace {
std::string digestOf(char c) { return "sha256:" + std::string(64, c); }
}  // namespace

TEST(Manifest, ParsesOciImageManifest) {
  const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                           digestOf('a') + R"(","size":10},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
                           digestOf('b') + R"(","size":20}]})";
  auto m = parseManifest(body, "");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_FALSE(m->isIndex);
  ASSERT_EQ(m->blobs().size(), 2u);
  EXPECT_EQ(m->blobs()[0].digest.str(), digestOf('a'));
  EXPECT_EQ(m->blobs()[1].size, 20u);
}

TEST(Manifest, MediaTypeFromContentTypeWhenJsonHasNone) {
  const std::string body = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "digest":")" + digestOf('c') +
                           R"(","size":5,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";
  auto m = parseManifest(body, "application/vnd.oci.image.index.v1+json; charset=utf-8");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->isIndex);
  EXPECT_EQ(m->mediaType, media::kOciIndex);
  ASSERT_EQ(m->manifests.size(), 1u);
  EXPECT_EQ(m->manifests[0].platform, "linux/arm64/v8");
}

TEST(Manifest, ParsesSubjectAndArtifactType) {
  const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "artifactType":"application/vnd.autonomy.lock.v1+json",
    "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" +
                           digestOf('a') + R"(","size":2},
    "layers":[], "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                           digestOf('d') + R"(","size":3}})";
  auto m = parseManifest(body, "");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->artifactType, media::kLockArtifact);
  ASSERT_TRUE(m->subject);
  EXPECT_EQ(m->subject->digest.str(), digestOf('d'));
}

TEST(Manifest, RejectsGarbageSchema1AndBadDescriptors) {
  EXPECT_FALSE(parseManifest("not json", "").ok());
  EXPECT_FALSE(parseManifest(R"({"schemaVersion":1,"fsLayers":[]})", "").ok());
  EXPECT_FALSE(
      parseManifest(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})", "").ok());
  EXPECT_FALSE(parseManifest(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"digest":"sha256:zz","size":1}})",
                             "")
                   .ok());
  EXPECT_FALSE(parseManifest(R"({"schemaVersion":2,"mediaType":"text/plain","config":{}})", "").ok());
}

// Found by fuzz_manifest: members of the wrong type are errors, never exceptions.
TEST(Manifest, MembersOfTheWrongTypeAreRefusedNotThrown) {
  for (const char* bytes :
       {R"({"schemaVersion":{"a":1},"mediaType":"application/vnd.oci.image.manifest.v1+json"})",
        R"({"schemaVersion":[2],"config":{}})", R"({"schemaVersion":"2"})", R"({"schemaVersion":2.5})"}) {
    auto m = autonomy::oci::parseManifest(bytes, "");
    EXPECT_FALSE(m.ok()) << bytes;
  }
  auto index = autonomy::oci::parseManifest(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1,"platform":{"os":7,"architecture":["x"]}}]})",
      "");
  ASSERT_TRUE(index.ok()) << index.error().message;
  EXPECT_EQ(index->manifests[0].platform, "/");
  EXPECT_FALSE(autonomy::oci::parseManifest(std::string(100, '[') + std::string(100, ']'), "").ok());
}
