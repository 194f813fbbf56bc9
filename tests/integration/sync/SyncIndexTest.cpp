// Index shapes real producers make, and hostile ones: an index whose child is an index (allowed
// by the image spec) is copied level by level; a child listed many times is fetched and pushed
// once; a tree past the manifest bounds is refused with nothing written to B.
#include <gtest/gtest.h>

#include "engine/oci/MediaTypes.hpp"
#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/images/CurlRegistry.hpp"

namespace autonomy::testing::syncit {
namespace {

using nlohmann::json;

json entry(const BuiltManifest& m) {
  return {{"mediaType", m.mediaType}, {"digest", m.digest.str()}, {"size", m.size()}};
}

class SyncIndex : public SyncFixture {
 protected:
  // An OCI index listing `children` (entries in that order), pushed with curl: children first.
  BuiltManifest pushIndexOf(const std::vector<BuiltManifest>& children, const std::string& repo,
                            const std::string& tag) {
    json manifests = json::array();
    for (const auto& c : children) manifests.push_back(entry(c));
    const json index{{"schemaVersion", 2}, {"mediaType", std::string(oci::media::kOciIndex)}, {"manifests", manifests}};
    auto built = builder().raw(RawManifest(index.dump(), std::string(oci::media::kOciIndex), {}, children));
    if (!built) throw std::runtime_error(built.error().message);
    if (auto st = pushBlobsAndManifestWithCurl(layout(), *built, a().host(), repo, tag); !st)
      throw std::runtime_error(st.error().message);
    return *built;
  }

  bool atB(const std::string& repo, const oci::Digest& digest) {
    auto r = fetchManifestWithCurl(b().host(), repo, digest.str());
    return r.ok() && r->status == 200;
  }
};

TEST_F(SyncIndex, IndexOfIndexesIsCopiedEveryLevel) {
  const auto inner = buildIndex({"linux/amd64", "linux/arm64"}, {LayerSpec(64 * 1024, 901)});
  const auto image = buildSmallImage(902);
  const auto outer = pushIndexOf({inner, image}, "nested", "v1");

  const auto run = sync({"nested:v1"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(seedJson(run, "nested")["status"], "copied");
  EXPECT_EQ(tagDigest(b(), "nested", "v1"), outer.digest.str());
  EXPECT_TRUE(atB("nested", inner.digest));
  EXPECT_TRUE(atB("nested", image.digest));
  for (const auto& platform : inner.children) {
    EXPECT_TRUE(atB("nested", platform.digest)) << platform.digest.str();
    for (const auto& blob : platform.blobs) EXPECT_TRUE(hasBlob(b(), blob.digest.str())) << blob.digest.str();
  }
  // A re-sync finds every level at B.
  const auto again = sync({"nested:v1"});
  EXPECT_EQ(seedJson(again, "nested")["status"], "up-to-date");
}

TEST_F(SyncIndex, ChildListedManyTimesIsFetchedAndPushedOnce) {
  const auto image = buildSmallImage(903);
  const auto index = pushIndexOf(std::vector<BuiltManifest>(150, image), "crowded", "v1");
  const auto aBefore = mark(a());
  const auto run = sync({"crowded:v1"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(b(), "crowded", "v1"), index.digest.str());
  EXPECT_EQ(requestsFor(b(), "PUT", "/v2/crowded/manifests/").size(), 2u) << "the child once, then the tag";
  EXPECT_LE(requestsSince(a(), aBefore, "GET", "/v2/crowded/manifests/" + image.digest.str()).size(), 1u);
}

TEST_F(SyncIndex, TreePastTheManifestBytesBoundIsRefused) {
  // Five distinct ~3.5 MiB manifests: 17.5 MiB held at once would pass the 16 MiB bound.
  std::vector<BuiltManifest> children;
  for (int i = 0; i < 5; ++i) {
    ArtifactSpec spec;
    spec.artifactType = "application/vnd.example.padding";
    spec.layers.emplace_back("application/json", "{}");
    spec.annotations["padding"] = std::string(3500 * 1024, static_cast<char>('a' + i));
    auto built = builder().artifact(spec);
    ASSERT_TRUE(built) << built.error().message;
    children.push_back(*built);
  }
  pushIndexOf(children, "bloated", "v1");
  const auto run = sync({"bloated:v1"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  const auto seed = seedJson(run, "bloated");
  EXPECT_EQ(seed["status"], "failed");
  EXPECT_TRUE(contains(seed["error"]["message"].get<std::string>(), "MiB of manifests")) << seed.dump(2);
  EXPECT_FALSE(repoExists(b(), "bloated"));
}

}  // namespace
}  // namespace autonomy::testing::syncit
