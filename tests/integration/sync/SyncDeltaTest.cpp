// Only what B lacks crosses the wire: shared layers once per run, a new version's changed
// layers only, and nothing at all when B is already up to date.
#include "tests/integration/sync/SyncFixture.hpp"

namespace autonomy::testing::syncit {
namespace {

using SyncDelta = SyncFixture;

// Upload requests (POST/PATCH/PUT on blobs/uploads) at `reg` since `from` that carry blob `digest`'s hex
// (the completing PUT names it; a mount POST names it too).
std::vector<std::string> uploadsOf(const RegistryProcess& reg, LogMark from, const BlobRef& blob) {
  std::vector<std::string> out;
  for (const auto& r : SyncFixture::requestsSince(reg, from, "", "/blobs/uploads/"))
    if (contains(r, blob.digest.hex())) out.push_back(r);
  return out;
}

TEST_F(SyncDelta, SharedBaseLayerCrossesTheWireOnce) {
  const LayerSpec base(2 * kMiB, 1000);
  auto first = buildImage({base, LayerSpec(kSmallLayer, 71)}, "app-0");
  auto second = buildImage({base, LayerSpec(kSmallLayer, 72)}, "app-1");
  push(a(), first, "fleet/app-0", "v1");
  push(a(), second, "fleet/app-1", "v1");
  const BlobRef baseBlob = first.blobs.at(1);  // config first, then layers
  ASSERT_EQ(baseBlob.digest, second.blobs.at(1).digest);
  ASSERT_GE(baseBlob.size, 2 * kMiB);

  const auto before = mark(b());
  auto run = sync({"fleet/app-0:v1", "fleet/app-1:v1"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();

  for (const auto* image : {&first, &second}) {
    const std::string repo = image == &first ? "fleet/app-0" : "fleet/app-1";
    EXPECT_EQ(tagDigest(b(), repo, "v1"), image->digest.str()) << repo;
    for (const auto& blob : image->blobs)
      EXPECT_TRUE(repoHasLayerLink(b(), repo, blob.digest.str())) << repo << " lacks " << blob.digest.str();
  }
  EXPECT_EQ(sha256Of(blobBytes(b(), baseBlob.digest.str())), baseBlob.digest.str());

  auto s0 = seedJson(run, "fleet/app-0");
  auto s1 = seedJson(run, "fleet/app-1");
  const auto copied = s0["blobs"]["copied"].get<std::uint64_t>() + s1["blobs"]["copied"].get<std::uint64_t>();
  const auto reused = s0["blobs"]["mounted"].get<std::uint64_t>() + s1["blobs"]["mounted"].get<std::uint64_t>() +
                      s0["blobs"]["present"].get<std::uint64_t>() + s1["blobs"]["present"].get<std::uint64_t>();
  EXPECT_EQ(copied, 5u) << "2 configs + 2 unique layers + the base once\n" << s0.dump(2) << s1.dump(2);
  EXPECT_GE(reused, 1u) << "the second repo's base should be mounted or present\n" << s0.dump(2) << s1.dump(2);

  const auto bytes = s0["bytes_sent"].get<std::uint64_t>() + s1["bytes_sent"].get<std::uint64_t>();
  EXPECT_LT(bytes, 2 * baseBlob.size) << "the base crossed the wire twice";
  EXPECT_GE(bytes, baseBlob.size + 2 * kSmallLayer);
  EXPECT_EQ(catalogJson(run)["bytes_sent"].get<std::uint64_t>(), bytes);

  // B's own account: the base was uploaded (PUT ...?digest=) once; any other reference is a mount.
  std::size_t basePuts = 0;
  for (const auto& r : uploadsOf(b(), before, baseBlob))
    if (r.rfind("PUT ", 0) == 0) ++basePuts;
  EXPECT_EQ(basePuts, 1u) << ::testing::PrintToString(uploadsOf(b(), before, baseBlob));
  EXPECT_LE(requestsSince(a(), LogMark{}, "GET", "/blobs/" + baseBlob.digest.str()).size(), 1u)
      << ::testing::PrintToString(requestsSince(a(), LogMark{}, "GET", "/blobs/"));
}

TEST_F(SyncDelta, RerunIsUpToDateAndTransfersNothing) {
  auto first = buildImage({LayerSpec(512 * kKiB, 81), LayerSpec(kSmallLayer, 82)}, "rerun-0");
  auto index = buildIndex({"linux/amd64", "linux/arm64"}, {LayerSpec(kSmallLayer, 83)});
  push(a(), first, "robot-behavior", "v1");
  push(a(), index, "fleet/nav-stack", "v2");
  const std::vector<std::string> repos{"robot-behavior:v1", "fleet/nav-stack:v2"};

  auto initial = sync(repos);
  ASSERT_EQ(initial.exitCode(), 0) << initial.describe();

  const auto aBefore = mark(a());
  const auto bBefore = mark(b());
  auto rerun = sync(repos);
  ASSERT_EQ(rerun.exitCode(), 0) << rerun.describe();

  for (const auto* repo : {"robot-behavior", "fleet/nav-stack"}) {
    auto seed = seedJson(rerun, repo);
    EXPECT_EQ(seed["status"], "up-to-date") << seed.dump(2);
    EXPECT_EQ(seed["bytes_sent"].get<std::uint64_t>(), 0u) << seed.dump(2);
    EXPECT_EQ(seed["blobs"]["copied"].get<std::uint64_t>(), 0u) << seed.dump(2);
    EXPECT_EQ(seed["blobs"]["mounted"].get<std::uint64_t>(), 0u) << seed.dump(2);
  }
  auto catalog = catalogJson(rerun);
  EXPECT_EQ(catalog["result"], "ok");
  EXPECT_EQ(catalog["bytes_sent"].get<std::uint64_t>(), 0u);

  // The registries' own logs: no write at B, no blob read at A.
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    const auto writes = requestsSince(b(), bBefore, method);
    EXPECT_TRUE(writes.empty()) << method << " at B on a re-run: " << ::testing::PrintToString(writes);
  }
  const auto blobReads = requestsSince(a(), aBefore, "GET", "/blobs/");
  EXPECT_TRUE(blobReads.empty()) << "blob GETs at A on a re-run: " << ::testing::PrintToString(blobReads);
  const auto manifestGets = requestsSince(a(), aBefore, "GET", "/manifests/");
  EXPECT_TRUE(manifestGets.empty()) << "manifest GETs at A on a re-run: " << ::testing::PrintToString(manifestGets);
  // The run did look (so the assertions above are not vacuous).
  EXPECT_FALSE(requestsSince(a(), aBefore, "HEAD").empty()) << a().logText();
}

TEST_F(SyncDelta, NewVersionSendsOnlyTheChangedLayer) {
  const LayerSpec base(1 * kMiB, 2000);
  auto v1 = buildImage({base, LayerSpec(kSmallLayer, 91)}, "v1");
  auto v2 = buildImage({base, LayerSpec(kSmallLayer, 92)}, "v2");
  push(a(), v1, "robot-behavior", "v1");
  push(a(), v2, "robot-behavior", "v2");

  auto first = sync({"robot-behavior:v1"});
  ASSERT_EQ(first.exitCode(), 0) << first.describe();

  const BlobRef baseBlob = v1.blobs.at(1);
  const auto aBefore = mark(a());
  const auto bBefore = mark(b());
  auto second = sync({"robot-behavior:v2"});
  ASSERT_EQ(second.exitCode(), 0) << second.describe();
  EXPECT_EQ(tagDigest(b(), "robot-behavior", "v2"), v2.digest.str());
  EXPECT_EQ(tagDigest(b(), "robot-behavior", "v1"), v1.digest.str()) << "v1 must stay";

  auto seed = seedJson(second, "robot-behavior");
  EXPECT_EQ(seed["status"], "copied") << seed.dump(2);
  EXPECT_EQ(seed["blobs"]["copied"].get<std::uint64_t>(), 2u) << "config + changed layer\n" << seed.dump(2);
  EXPECT_EQ(seed["blobs"]["present"].get<std::uint64_t>(), 1u) << "the base\n" << seed.dump(2);
  EXPECT_LT(seed["bytes_sent"].get<std::uint64_t>(), baseBlob.size) << seed.dump(2);
  EXPECT_TRUE(uploadsOf(b(), bBefore, baseBlob).empty()) << ::testing::PrintToString(uploadsOf(b(), bBefore, baseBlob));
  EXPECT_TRUE(requestsSince(a(), aBefore, "GET", "/blobs/" + baseBlob.digest.str()).empty());
}

}  // namespace
}  // namespace autonomy::testing::syncit
