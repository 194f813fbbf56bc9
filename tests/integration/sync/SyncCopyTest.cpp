// What a sync copies: images and indexes land at B byte-for-byte, under the same repo path and
// tag, with seed.json/catalog.json describing it; `registry seed` renames, `seed-catalog` rolls up.
#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "engine/oci/MediaTypes.hpp"
#include "tests/integration/sync/SyncFixture.hpp"

namespace autonomy::testing::syncit {
namespace {

using SyncCopy = SyncFixture;

TEST_F(SyncCopy, SingleImageLandsAtPeerByteForByte) {
  auto image = buildImage({LayerSpec(256 * kKiB, 11), LayerSpec(kSmallLayer, 12)}, "single");
  push(a(), image, "robot-behavior", "v1");

  auto run = sync({"robot-behavior:v1"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();

  // Registry state: tag present, pointing at the same digest, manifest bytes identical.
  EXPECT_TRUE(b().hasTag("robot-behavior", "v1"));
  EXPECT_EQ(tagDigest(b(), "robot-behavior", "v1"), image.digest.str());
  EXPECT_EQ(tagDigest(a(), "robot-behavior", "v1"), tagDigest(b(), "robot-behavior", "v1"));
  ASSERT_TRUE(hasBlob(b(), image.digest.str()));
  EXPECT_EQ(blobBytes(b(), image.digest.str()), blobBytes(a(), image.digest.str()));
  EXPECT_EQ(sha256Of(blobBytes(b(), image.digest.str())), image.digest.str());
  for (const auto& blob : image.blobs) {
    ASSERT_TRUE(hasBlob(b(), blob.digest.str())) << blob.digest.str();
    EXPECT_TRUE(repoHasLayerLink(b(), "robot-behavior", blob.digest.str())) << blob.digest.str();
    EXPECT_EQ(sha256Of(blobBytes(b(), blob.digest.str())), blob.digest.str());
  }

  // seed.json
  auto seed = seedJson(run, "robot-behavior");
  EXPECT_EQ(seed["status"], "copied") << seed.dump(2);
  EXPECT_EQ(seed["repo"], "robot-behavior");
  EXPECT_EQ(seed["tag"], "v1");
  EXPECT_EQ(seed["digest"], image.digest.str());
  EXPECT_EQ(seed["media_type"], image.mediaType);
  EXPECT_EQ(seed["source"], a().host() + "/robot-behavior:v1");
  EXPECT_EQ(seed["destination"], b().host() + "/robot-behavior:v1");
  EXPECT_EQ(seed["verification"], "skipped");
  EXPECT_EQ(seed["blobs"]["copied"].get<int>(), static_cast<int>(image.blobs.size())) << seed.dump(2);
  EXPECT_EQ(seed["blobs"]["mounted"].get<int>(), 0);
  EXPECT_EQ(seed["blobs"]["present"].get<int>(), 0);
  std::uint64_t total = 0;
  for (const auto& blob : image.blobs) total += blob.size;
  EXPECT_EQ(seed["bytes_sent"].get<std::uint64_t>(), total) << "every blob's bytes, once";
  EXPECT_EQ(seed["manifests_pushed"].get<int>(), 1) << seed.dump(2);
  EXPECT_TRUE(seed["error"].is_null());
  EXPECT_FALSE(seed["started_at"].get<std::string>().empty());
  EXPECT_FALSE(seed["finished_at"].get<std::string>().empty());

  // catalog.json
  auto catalog = catalogJson(run);
  EXPECT_EQ(catalog["result"], "ok") << catalog.dump(2);
  EXPECT_EQ(catalog["from"], a().host());
  EXPECT_EQ(catalog["to"], b().host());
  ASSERT_EQ(catalog["repos"].size(), 1u);
  EXPECT_EQ(catalogLine(catalog, "robot-behavior")["status"], "copied");

  // Fail-open is loud.
  EXPECT_TRUE(contains(run.result.stderrText, "--skip-verify")) << run.describe();
  EXPECT_TRUE(contains(run.result.stderrText, "WARNING") || contains(lower(run.result.stderrText), "not verified") ||
              contains(lower(run.result.stderrText), "not checked"))
      << run.describe();
}

TEST_F(SyncCopy, TagDefaultsToLatest) {
  auto image = pushSmallImage(a(), "demo", "latest", 21);
  auto run = sync({"demo"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(b(), "demo", "latest"), image.digest.str());
  EXPECT_EQ(seedJson(run, "demo")["tag"], "latest");
}

TEST_F(SyncCopy, MultiPlatformIndexCopiesEveryPlatform) {
  auto index = buildIndex({"linux/amd64", "linux/arm64/v8"}, {LayerSpec(kSmallLayer, 31), LayerSpec(96 * kKiB, 32)});
  ASSERT_EQ(index.children.size(), 2u);
  push(a(), index, "multi-arch", "v3");

  auto run = sync({"multi-arch:v3"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();

  EXPECT_EQ(tagDigest(b(), "multi-arch", "v3"), index.digest.str());
  EXPECT_EQ(blobBytes(b(), index.digest.str()), index.bytes);
  const auto links = b().manifestLinks("multi-arch");
  for (const auto& child : index.children) {
    EXPECT_NE(std::find(links.begin(), links.end(), child.digest.str()), links.end())
        << "child " << child.digest.str() << " not linked at B: " << ::testing::PrintToString(links);
    ASSERT_TRUE(hasBlob(b(), child.digest.str()));
    EXPECT_EQ(blobBytes(b(), child.digest.str()), child.bytes);
  }
  EXPECT_NE(std::find(links.begin(), links.end(), index.digest.str()), links.end());
  for (const auto& blob : index.allBlobs()) {
    EXPECT_TRUE(hasBlob(b(), blob.digest.str())) << blob.digest.str();
    EXPECT_TRUE(repoHasLayerLink(b(), "multi-arch", blob.digest.str())) << blob.digest.str();
  }

  auto seed = seedJson(run, "multi-arch");
  EXPECT_EQ(seed["status"], "copied");
  EXPECT_EQ(seed["digest"], index.digest.str());
  EXPECT_EQ(seed["media_type"], std::string(oci::media::kOciIndex));
  const auto platforms = seed["platforms"].get<std::vector<std::string>>();
  EXPECT_EQ(platforms.size(), 2u) << seed.dump(2);
  auto hasPlatform = [&](const std::string& p) {
    return std::any_of(platforms.begin(), platforms.end(), [&](const std::string& s) { return contains(s, p); });
  };
  EXPECT_TRUE(hasPlatform("linux/amd64")) << seed.dump(2);
  EXPECT_TRUE(hasPlatform("linux/arm64")) << seed.dump(2);
  EXPECT_EQ(seed["blobs"]["copied"].get<std::size_t>(), index.allBlobs().size()) << seed.dump(2);
}

TEST_F(SyncCopy, NestedRepoPathKeepsNamespaceAndNestsSeedJson) {
  auto image = pushSmallImage(a(), "fleet/nav-stack", "v2", 41);
  auto run = sync({"fleet/nav-stack:v2"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();

  EXPECT_TRUE(b().hasTag("fleet/nav-stack", "v2"));
  EXPECT_EQ(tagDigest(b(), "fleet/nav-stack", "v2"), image.digest.str());
  EXPECT_FALSE(repoExists(b(), "nav-stack")) << "namespace dropped at B";
  ASSERT_TRUE(std::filesystem::is_regular_file(run.out / "fleet" / "nav-stack" / "seed.json")) << run.describe();
  auto seed = seedJson(run, "fleet/nav-stack");
  EXPECT_EQ(seed["repo"], "fleet/nav-stack");
  EXPECT_EQ(seed["status"], "copied");
  auto line = catalogLine(catalogJson(run), "fleet/nav-stack");
  EXPECT_EQ(line["status"], "copied");
}

TEST_F(SyncCopy, SeedCopiesToAnotherRepoNameAndSeedCatalogRollsUp) {
  auto first = pushSmallImage(a(), "robot-behavior", "v1", 51);
  auto second = pushSmallImage(a(), "fleet/nav", "v2", 52);
  const auto out = work() / "seeds";

  auto one = runCli({"registry", "seed", "--from", a().host() + "/robot-behavior:v1", "--to",
                     b().host() + "/robot-behavior-copy", "--allow-insecure-registry", "--skip-verify"},
                    out);
  ASSERT_EQ(one.exitCode(), 0) << one.describe();
  EXPECT_TRUE(b().hasTag("robot-behavior-copy", "v1")) << "the tag defaults to the source's";
  EXPECT_EQ(tagDigest(b(), "robot-behavior-copy", "v1"), first.digest.str());
  EXPECT_FALSE(repoExists(b(), "robot-behavior")) << "seed wrote to the source repo name at B";
  auto seed = seedJson(one, "robot-behavior-copy");
  EXPECT_EQ(seed["status"], "copied");
  EXPECT_EQ(seed["digest"], first.digest.str());
  EXPECT_EQ(seed["destination"], b().host() + "/robot-behavior-copy:v1");
  EXPECT_FALSE(std::filesystem::exists(out / "robot-behavior" / "seed.json"));

  auto two = runCli({"registry", "seed", "--from", a().host() + "/fleet/nav:v2", "--to",
                     b().host() + "/mirror/nav:stable", "--allow-insecure-registry", "--skip-verify"},
                    out);
  ASSERT_EQ(two.exitCode(), 0) << two.describe();
  EXPECT_EQ(tagDigest(b(), "mirror/nav", "stable"), second.digest.str());
  EXPECT_EQ(seedJson(two, "mirror/nav")["status"], "copied");

  auto roll = runCli({"registry", "seed-catalog"}, out);
  ASSERT_EQ(roll.exitCode(), 0) << roll.describe();
  auto catalog = catalogJson(roll);
  EXPECT_EQ(catalog["result"], "ok") << catalog.dump(2);
  ASSERT_EQ(catalog["repos"].size(), 2u) << catalog.dump(2);
  EXPECT_EQ(catalogLine(catalog, "robot-behavior-copy")["digest"], first.digest.str());
  EXPECT_EQ(catalogLine(catalog, "mirror/nav")["digest"], second.digest.str());
  EXPECT_EQ(catalog["from"], a().host());
  EXPECT_EQ(catalog["to"], b().host());
}

TEST_F(SyncCopy, CopyByDigest) {
  auto image = pushSmallImage(a(), "pinned", "v1", 61);
  auto run = runCli({"registry", "seed", "--from", a().host() + "/pinned@" + image.digest.str(), "--to",
                     b().host() + "/pinned", "--allow-insecure-registry", "--skip-verify"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  const auto links = b().manifestLinks("pinned");
  EXPECT_NE(std::find(links.begin(), links.end(), image.digest.str()), links.end()) << ::testing::PrintToString(links);
  EXPECT_EQ(blobBytes(b(), image.digest.str()), image.bytes);
  EXPECT_EQ(seedJson(run, "pinned")["status"], "copied");
}

// Docker schema2 content goes through unconverted: a manifest with non-canonical JSON (3-space
// indent) and a manifest list keep their media types, bytes and digests.
BuiltManifest dockerImage(ImageBuilder& builder, std::uint64_t seed, const std::string& arch) {
  const std::string layer = seededBytes(16 * kKiB, seed);
  const auto layerDigest = oci::Digest::ofBytes(layer);
  const std::string config = R"({"architecture":")" + arch +
                             R"(","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[")" +
                             layerDigest.str() + R"("]}})";
  const auto configDigest = oci::Digest::ofBytes(config);
  const std::string manifest =
      "{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"" + std::string(oci::media::kDockerManifest) +
      "\",\n   \"config\": {\n      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n"
      "      \"size\": " +
      std::to_string(config.size()) + ",\n      \"digest\": \"" + configDigest.str() +
      "\"\n   },\n   \"layers\": [\n      {\n         \"mediaType\": "
      "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n         \"size\": " +
      std::to_string(layer.size()) + ",\n         \"digest\": \"" + layerDigest.str() + "\"\n      }\n   ]\n}";
  auto built = builder.raw(RawManifest(manifest, std::string(oci::media::kDockerManifest), {config, layer}));
  if (!built) throw std::runtime_error("docker manifest: " + built.error().message);
  return *built;
}

TEST_F(SyncCopy, DockerSchema2ManifestAndListAreCopiedUnconverted) {
  auto single = dockerImage(builder(), 141, "amd64");
  push(a(), single, "legacy/app", "v1");
  auto amd = dockerImage(builder(), 142, "amd64");
  auto arm = dockerImage(builder(), 143, "arm64");
  const std::string list = R"({"schemaVersion":2,"mediaType":")" + std::string(oci::media::kDockerManifestList) +
                           R"(","manifests":[{"mediaType":")" + std::string(oci::media::kDockerManifest) +
                           R"(","size":)" + std::to_string(amd.size()) + R"(,"digest":")" + amd.digest.str() +
                           R"(","platform":{"architecture":"amd64","os":"linux"}},{"mediaType":")" +
                           std::string(oci::media::kDockerManifest) + R"(","size":)" + std::to_string(arm.size()) +
                           R"(,"digest":")" + arm.digest.str() +
                           R"(","platform":{"architecture":"arm64","os":"linux"}}]})";
  auto builtList = builder().raw(RawManifest(list, std::string(oci::media::kDockerManifestList), {}, {amd, arm}));
  ASSERT_TRUE(builtList) << builtList.error().message;
  push(a(), *builtList, "legacy/multi", "v1");

  auto run = sync({"legacy/app:v1", "legacy/multi:v1"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();

  EXPECT_EQ(tagDigest(b(), "legacy/app", "v1"), single.digest.str());
  EXPECT_EQ(blobBytes(b(), single.digest.str()), single.bytes);
  auto seed = seedJson(run, "legacy/app");
  EXPECT_EQ(seed["media_type"], std::string(oci::media::kDockerManifest)) << seed.dump(2);
  for (const auto& blob : single.blobs) EXPECT_TRUE(repoHasLayerLink(b(), "legacy/app", blob.digest.str()));

  EXPECT_EQ(tagDigest(b(), "legacy/multi", "v1"), builtList->digest.str());
  EXPECT_EQ(blobBytes(b(), builtList->digest.str()), list);
  const auto links = b().manifestLinks("legacy/multi");
  for (const auto* child : {&amd, &arm}) {
    EXPECT_NE(std::find(links.begin(), links.end(), child->digest.str()), links.end()) << child->digest.str();
    EXPECT_EQ(blobBytes(b(), child->digest.str()), child->bytes);
    for (const auto& blob : child->blobs) EXPECT_TRUE(repoHasLayerLink(b(), "legacy/multi", blob.digest.str()));
  }
  auto multi = seedJson(run, "legacy/multi");
  EXPECT_EQ(multi["media_type"], std::string(oci::media::kDockerManifestList)) << multi.dump(2);
  EXPECT_EQ(multi["platforms"].size(), 2u) << multi.dump(2);
}

TEST_F(SyncCopy, TagMovedAtSourceIsMovedAtPeer) {
  auto first = pushSmallImage(a(), "robot-behavior", "stable", 151);
  auto initial = sync({"robot-behavior:stable"});
  ASSERT_EQ(initial.exitCode(), 0) << initial.describe();
  ASSERT_EQ(tagDigest(b(), "robot-behavior", "stable"), first.digest.str());

  auto second = pushSmallImage(a(), "robot-behavior", "stable", 152);
  ASSERT_NE(first.digest, second.digest);
  auto moved = sync({"robot-behavior:stable"});
  ASSERT_EQ(moved.exitCode(), 0) << moved.describe();
  EXPECT_EQ(tagDigest(b(), "robot-behavior", "stable"), second.digest.str());
  auto seed = seedJson(moved, "robot-behavior");
  EXPECT_EQ(seed["status"], "copied") << seed.dump(2);
  EXPECT_EQ(seed["digest"], second.digest.str());
}

TEST_F(SyncCopy, SeedWithinOneRegistryToAnotherRepo) {
  auto image = buildImage({LayerSpec(256 * kKiB, 161)}, "same-host");
  push(a(), image, "fleet/nav", "v2");
  auto run = runCli({"registry", "seed", "--from", a().host() + "/fleet/nav:v2", "--to", a().host() + "/backup/nav",
                     "--allow-insecure-registry", "--skip-verify"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(a(), "backup/nav", "v2"), image.digest.str());
  EXPECT_EQ(tagDigest(a(), "fleet/nav", "v2"), image.digest.str());
  for (const auto& blob : image.blobs) EXPECT_TRUE(repoHasLayerLink(a(), "backup/nav", blob.digest.str()));
  EXPECT_EQ(seedJson(run, "backup/nav")["status"], "copied");
}

// Two tags of one repo in one run: both reach B, each has its own record (seed@<tag>.json, so
// neither overwrites the other), the shared base layer crosses once, and seed-catalog rolls both.
TEST_F(SyncCopy, TwoTagsOfOneRepoInOneRunEachHaveARecord) {
  const auto blobTotal = [](const BuiltManifest& m) {
    std::uint64_t total = 0;
    for (const auto& blob : m.blobs) total += blob.size;
    return total;
  };
  const LayerSpec base(256 * kKiB, 171);
  auto v1 = buildImage({base, LayerSpec(kSmallLayer, 172)}, "v1");
  auto v2 = buildImage({base, LayerSpec(kSmallLayer, 173)}, "v2");
  push(a(), v1, "robot-behavior", "v1");
  push(a(), v2, "robot-behavior", "v2");
  pushSmallImage(a(), "other", "v1", 174);

  auto run = sync({"robot-behavior:v1", "robot-behavior:v2", "other:v1"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(b(), "robot-behavior", "v1"), v1.digest.str());
  EXPECT_EQ(tagDigest(b(), "robot-behavior", "v2"), v2.digest.str());

  std::uint64_t shared = 0;  // the base layer, as stored
  for (const auto& x : v1.blobs)
    for (const auto& y : v2.blobs)
      if (x.digest == y.digest) shared += x.size;
  EXPECT_GT(shared, 0u);
  const auto dir = run.out / "robot-behavior";
  EXPECT_FALSE(std::filesystem::exists(dir / "seed.json")) << "a repo with several tags has one file per tag";
  const auto first = readJson(dir / "seed@v1.json");
  const auto second = readJson(dir / "seed@v2.json");
  EXPECT_EQ(first["tag"], "v1");
  EXPECT_EQ(first["digest"], v1.digest.str());
  EXPECT_EQ(second["tag"], "v2");
  EXPECT_EQ(second["digest"], v2.digest.str());
  EXPECT_EQ(first["bytes_sent"].get<std::uint64_t>() + second["bytes_sent"].get<std::uint64_t>(),
            blobTotal(v1) + blobTotal(v2) - shared)
      << "the shared base crosses once";
  EXPECT_EQ(seedJson(run, "other")["status"], "copied") << "a repo with one tag keeps seed.json";

  const auto catalog = catalogJson(run);
  ASSERT_EQ(catalog["repos"].size(), 3u);
  std::set<std::string> seeds;
  for (const auto& line : catalog["repos"]) seeds.insert(line["seed"].get<std::string>());
  EXPECT_EQ(seeds,
            (std::set<std::string>{"robot-behavior/seed@v1.json", "robot-behavior/seed@v2.json", "other/seed.json"}));

  std::filesystem::remove(run.out / "catalog.json");
  auto rolled = runCli({"registry", "seed-catalog"}, run.out);
  ASSERT_EQ(rolled.exitCode(), 0) << rolled.describe();
  EXPECT_EQ(catalogJson(run)["repos"].size(), 3u);
}

// --limit-rate caps each registry host's blob bytes: 6 MiB at 2 MiB/s cannot arrive in less
// than about 3 s (loopback alone does it in a few tens of milliseconds). A lower bound only: how
// close to the cap a run comes is bench/'s business.
TEST_F(SyncCopy, LimitRateCapsTheTransfer) {
  auto image = buildImage({LayerSpec(6 * kMiB, 181).uncompressed()}, "capped");
  push(a(), image, "capped/app", "v1");
  const auto start = std::chrono::steady_clock::now();
  auto run = sync({"capped/app:v1"}, {"--skip-verify", "--limit-rate", "2MiB/s"});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(tagDigest(b(), "capped/app", "v1"), image.digest.str());
  EXPECT_GE(took, std::chrono::milliseconds(2500)) << "6 MiB went faster than 2 MiB/s allows";
}

}  // namespace
}  // namespace autonomy::testing::syncit
