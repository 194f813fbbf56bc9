// Fan-out: one sync to several peers (`--to-registry B,C --to-registry D`). A serves each blob
// once (read from its access log, not from our account), every peer holds what A holds byte for
// byte, each peer gets its own records under <out>/<peer>/, and a peer that cannot be reached
// fails only its own records when --keep-going is given.
#include <set>

#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/process/Ports.hpp"

namespace autonomy::testing::syncit {
namespace {

class SyncFanOut : public SyncFixture {
 protected:
  RegistryProcess& c() {
    if (!c_) c_ = std::make_unique<RegistryProcess>();
    return *c_;
  }
  RegistryProcess& d() {
    if (!d_) d_ = std::make_unique<RegistryProcess>();
    return *d_;
  }
  // Blob GETs A served since `from`, per digest.
  static std::map<std::string, int> blobReads(const RegistryProcess& reg, LogMark from) {
    std::map<std::string, int> reads;
    for (const auto& line : requestsSince(reg, from, "GET", "/blobs/sha256:"))
      ++reads[line.substr(line.find("sha256:"))];
    return reads;
  }
  static void expectHolds(const RegistryProcess& peer, const std::string& repo, const std::string& tag,
                          const BuiltManifest& image) {
    EXPECT_EQ(tagDigest(peer, repo, tag), image.digest.str()) << peer.host();
    for (const auto& blob : image.allBlobs()) {
      ASSERT_TRUE(hasBlob(peer, blob.digest.str())) << peer.host() << " " << blob.digest.str();
      EXPECT_EQ(sha256Of(blobBytes(peer, blob.digest.str())), blob.digest.str());
    }
  }

 private:
  std::unique_ptr<RegistryProcess> c_;
  std::unique_ptr<RegistryProcess> d_;
};

TEST_F(SyncFanOut, EachBlobIsReadFromTheSourceOnceAndEveryPeerHoldsItAll) {
  const auto image = buildImage({LayerSpec(512 * kKiB, 41), LayerSpec(kSmallLayer, 42)}, "fan-image");
  push(a(), image, "fleet/nav", "v1");
  const auto index = buildIndex({"linux/amd64", "linux/arm64"}, {LayerSpec(256 * kKiB, 43)});
  push(a(), index, "fleet/perception", "v2");
  const auto before = mark(a());

  auto run = runCli({"registry", "sync", "--from-registry", a().host(), "--to-registry", b().host() + "," + c().host(),
                     "--to-registry", d().host(), "--repos", "fleet/nav:v1,fleet/perception:v2",
                     "--allow-insecure-registry", "--skip-verify"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();

  for (const auto* peer : {&b(), &c(), &d()}) {
    expectHolds(*peer, "fleet/nav", "v1", image);
    expectHolds(*peer, "fleet/perception", "v2", index);
  }
  // A served every blob once, for all three peers.
  std::set<std::string> wanted;
  for (const auto& blob : image.allBlobs()) wanted.insert(blob.digest.str());
  for (const auto& blob : index.allBlobs()) wanted.insert(blob.digest.str());
  const auto reads = blobReads(a(), before);
  for (const auto& digest : wanted) EXPECT_EQ(reads.count(digest) ? reads.at(digest) : 0, 1) << digest;

  // Records: one folder per peer, each with its own seed.json files and catalog; the roll-up
  // at <out> covers all peers.
  std::uint64_t imageBytes = 0;
  for (const auto& blob : image.allBlobs()) imageBytes += blob.size;
  for (const auto* peer : {&b(), &c(), &d()}) {
    const auto dir = run.out / peer->host();
    const auto seed = readJson(dir / "fleet/nav" / "seed.json");
    EXPECT_EQ(seed["status"], "copied") << seed.dump(2);
    EXPECT_EQ(seed["destination"], peer->host() + "/fleet/nav:v1");
    EXPECT_EQ(seed["bytes_sent"].get<std::uint64_t>(), imageBytes) << "each peer is sent the image once";
    EXPECT_EQ(readJson(dir / "fleet/perception" / "seed.json")["status"], "copied");
    const auto own = readJson(dir / "catalog.json");
    EXPECT_EQ(own["to"], peer->host());
    EXPECT_EQ(own["result"], "ok");
    EXPECT_EQ(own["repos"].size(), 2u);
  }
  EXPECT_FALSE(std::filesystem::exists(run.out / "fleet")) << "a fan-out keeps records in the peers' folders";
  const auto rollup = catalogJson(run);
  EXPECT_EQ(rollup["result"], "ok") << rollup.dump(2);
  EXPECT_EQ(rollup["to"], b().host() + "," + c().host() + "," + d().host());
  EXPECT_EQ(rollup["repos"].size(), 6u);
  ASSERT_EQ(rollup["peers"].size(), 3u);
  EXPECT_EQ(rollup["peers"][1]["to"], c().host());
  EXPECT_EQ(rollup["peers"][1]["result"], "ok");
  for (const auto& line : rollup["repos"])
    EXPECT_TRUE(std::filesystem::exists(run.out / line["seed"].get<std::string>())) << line.dump();

  // seed-catalog over the same folder rolls every peer up again.
  auto again = runCli({"registry", "seed-catalog"}, run.out);
  ASSERT_EQ(again.exitCode(), 0) << again.describe();
  const auto rebuilt = readJson(run.out / "catalog.json");
  EXPECT_EQ(rebuilt["repos"].size(), 6u);
  EXPECT_EQ(rebuilt["peers"].size(), 3u);
}

TEST_F(SyncFanOut, APeerThatHasTheImageIsLeftAloneWhileTheOthersGetIt) {
  const auto image = buildImage({LayerSpec(256 * kKiB, 51)}, "fan-delta");
  push(a(), image, "app", "v1");
  ASSERT_EQ(sync({"app:v1"}).exitCode(), 0);  // B has it already
  const auto before = mark(a());
  const auto bBefore = mark(b());

  auto run = runCli({"registry", "sync", "--from-registry", a().host(), "--to-registry", b().host() + "," + c().host(),
                     "--repos", "app:v1", "--allow-insecure-registry", "--skip-verify"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  expectHolds(c(), "app", "v1", image);
  EXPECT_EQ(readJson(run.out / b().host() / "app" / "seed.json")["status"], "up-to-date");
  EXPECT_EQ(readJson(run.out / c().host() / "app" / "seed.json")["status"], "copied");
  EXPECT_TRUE(requestsSince(b(), bBefore, "PUT").empty()) << "nothing is written to the peer that is up to date";
  for (const auto& [digest, n] : blobReads(a(), before)) EXPECT_EQ(n, 1) << digest;
}

TEST_F(SyncFanOut, AnUnreachablePeerFailsOnlyItsOwnRecordsWithKeepGoing) {
  const auto image = buildImage({LayerSpec(128 * kKiB, 61)}, "fan-down");
  push(a(), image, "app", "v1");
  push(a(), buildSmallImage(62), "tool", "v1");
  const std::string down = "127.0.0.1:" + std::to_string(freePort());  // nothing listens there

  auto run = runCli({"registry", "sync", "--from-registry", a().host(), "--to-registry",
                     b().host() + "," + down + "," + d().host(), "--repos", "app:v1,tool:v1",
                     "--allow-insecure-registry", "--skip-verify", "--keep-going"});
  EXPECT_NE(run.exitCode(), 0) << run.describe();
  expectHolds(b(), "app", "v1", image);
  expectHolds(d(), "app", "v1", image);
  EXPECT_TRUE(d().hasTag("tool", "v1"));
  const auto failed = readJson(run.out / down / "app" / "seed.json");
  EXPECT_EQ(failed["status"], "failed") << failed.dump(2);
  EXPECT_TRUE(contains(failed["error"]["message"].get<std::string>(), down)) << failed.dump(2);
  const auto rollup = catalogJson(run);
  EXPECT_EQ(rollup["result"], "partial") << rollup.dump(2);
  EXPECT_EQ(rollup["peers"][0]["result"], "ok");
  EXPECT_EQ(rollup["peers"][1]["result"], "failed");
  EXPECT_EQ(rollup["peers"][2]["result"], "ok");
}

TEST_F(SyncFanOut, PeerListsAreCheckedBeforeAnythingRuns) {
  const std::string peer = "127.0.0.1:5999";
  auto twice = runCli({"registry", "sync", "--from-registry", "127.0.0.1:5998", "--to-registry", peer + "," + peer,
                       "--repos", "app", "--skip-verify"});
  EXPECT_EQ(twice.exitCode(), 2) << twice.describe();
  EXPECT_TRUE(contains(twice.result.stderrText, "names " + peer + " twice")) << twice.describe();
  auto empty = runCli({"registry", "sync", "--from-registry", "127.0.0.1:5998", "--to-registry", peer + ",", "--repos",
                       "app", "--skip-verify"});
  EXPECT_EQ(empty.exitCode(), 2) << empty.describe();
  EXPECT_TRUE(contains(empty.result.stderrText, "empty entry")) << empty.describe();
  auto via = runCli({"registry", "sync", "--via", "http://127.0.0.1:5997", "--from-registry", "127.0.0.1:5998",
                     "--to-registry", peer + ",127.0.0.1:5996", "--repos", "app", "--skip-verify"});
  EXPECT_EQ(via.exitCode(), 2) << via.describe();
  EXPECT_TRUE(contains(via.result.stderrText, "--via takes one --to-registry")) << via.describe();
}

}  // namespace
}  // namespace autonomy::testing::syncit
