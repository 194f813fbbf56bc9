// How a sync fails: a missing tag stops the run (or not, with --keep-going), unreachable and
// non-registry hosts are named in the error, and corrupt source bytes never reach a tag at B.
#include <fstream>

#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/process/Ports.hpp"
#include "tests/support/process/TokenServer.hpp"

namespace autonomy::testing::syncit {
namespace {

using SyncFailure = SyncFixture;

// Write requests (anything but GET/HEAD) that touched /v2/<repo>/ at `reg`.
std::vector<std::string> writesTo(const RegistryProcess& reg, const std::string& repo) {
  std::vector<std::string> out;
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"})
    for (auto& r : SyncFixture::requestsFor(reg, method, "/v2/" + repo + "/")) out.push_back(r);
  return out;
}

TEST_F(SyncFailure, MissingTagStopsTheRunWithoutKeepGoing) {
  pushSmallImage(a(), "good-1", "v1", 101);
  pushSmallImage(a(), "good-2", "v1", 102);
  pushSmallImage(a(), "missing", "v0", 103);  // the repo exists, the tag asked for does not

  auto run = sync({"missing:v1", "good-1:v1", "good-2:v1"},
                  {"--skip-verify", "--concurrency", "1", "--check-concurrency", "1"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();

  auto failed = seedJson(run, "missing");
  EXPECT_EQ(failed["status"], "failed") << failed.dump(2);
  ASSERT_TRUE(failed["error"].is_object()) << failed.dump(2);
  EXPECT_EQ(failed["error"]["code"], "not-found") << failed.dump(2);
  const auto message = failed["error"]["message"].get<std::string>();
  EXPECT_TRUE(contains(message, "missing")) << message;
  EXPECT_TRUE(contains(message, a().host())) << message;
  for (const auto* repo : {"good-1", "good-2"}) {
    auto seed = seedJson(run, repo);
    EXPECT_EQ(seed["status"], "not-attempted") << seed.dump(2);
    EXPECT_FALSE(b().hasTag(repo, "v1")) << repo;
  }
  EXPECT_FALSE(b().hasTag("missing", "v1"));
  EXPECT_TRUE(b().manifestLinks("missing").empty());

  auto catalog = catalogJson(run);
  EXPECT_EQ(catalog["result"], "failed") << catalog.dump(2);
  EXPECT_EQ(catalog["repos"].size(), 3u);
  EXPECT_EQ(catalogLine(catalog, "good-1")["status"], "not-attempted");
}

// An operator who asks for one copy at a time (--concurrency 1) and no --keep-going expects the
// first failure to stop the run, even though checks run wider than copies by default.
TEST_F(SyncFailure, FailureStopsFurtherCopiesWithDefaultCheckConcurrency) {
  for (int i = 1; i <= 3; ++i) pushSmallImage(a(), "good-" + std::to_string(i), "v1", 110 + static_cast<unsigned>(i));

  auto run = sync({"missing:v1", "good-1:v1", "good-2:v1", "good-3:v1"}, {"--skip-verify", "--concurrency", "1"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  EXPECT_EQ(seedJson(run, "missing")["status"], "failed");
  int copied = 0;
  std::string statuses;
  for (int i = 1; i <= 3; ++i) {
    const std::string repo = "good-" + std::to_string(i);
    const auto status = seedJson(run, repo)["status"].get<std::string>();
    statuses += repo + "=" + status + " ";
    if (b().hasTag(repo, "v1")) ++copied;
    EXPECT_TRUE(status == "not-attempted" || status == "cancelled" || status == "copied") << repo << ": " << status;
  }
  // At most the one copy already under way when the 404 arrived may finish.
  EXPECT_LE(copied, 1) << "repos kept being copied after the first failure without --keep-going: " << statuses;
}

TEST_F(SyncFailure, KeepGoingAttemptsEveryRepo) {
  auto one = pushSmallImage(a(), "good-1", "v1", 121);
  auto two = pushSmallImage(a(), "good-2", "v1", 122);

  auto run = sync({"good-1:v1", "missing:v1", "good-2:v1"}, {"--skip-verify", "--concurrency", "1", "--keep-going"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();

  EXPECT_EQ(seedJson(run, "missing")["status"], "failed");
  EXPECT_EQ(seedJson(run, "good-1")["status"], "copied");
  EXPECT_EQ(seedJson(run, "good-2")["status"], "copied");
  EXPECT_EQ(tagDigest(b(), "good-1", "v1"), one.digest.str());
  EXPECT_EQ(tagDigest(b(), "good-2", "v1"), two.digest.str());
  EXPECT_FALSE(b().hasTag("missing", "v1"));
  EXPECT_FALSE(repoExists(b(), "missing"));

  auto catalog = catalogJson(run);
  EXPECT_EQ(catalog["result"], "partial") << catalog.dump(2);
  ASSERT_EQ(catalog["repos"].size(), 3u);
  EXPECT_EQ(catalogLine(catalog, "missing")["status"], "failed");
  EXPECT_EQ(catalog["counts"]["copied"], 2) << catalog.dump(2);
  EXPECT_EQ(catalog["counts"]["failed"], 1) << catalog.dump(2);
}

TEST_F(SyncFailure, UnreachableSourceIsANetworkErrorNamingTheHost) {
  const std::string closed = "127.0.0.1:" + std::to_string(freePort());
  const auto before = mark(b());
  auto run = sync(closed, b().host(), {"robot-behavior:v1"}, {"--skip-verify"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  auto seed = seedJson(run, "robot-behavior");
  EXPECT_EQ(seed["status"], "failed") << seed.dump(2);
  ASSERT_TRUE(seed["error"].is_object()) << seed.dump(2);
  EXPECT_EQ(seed["error"]["code"], "network") << seed.dump(2);
  EXPECT_TRUE(contains(seed["error"]["message"].get<std::string>(), closed)) << seed.dump(2);
  EXPECT_TRUE(contains(run.result.stderrText, closed)) << run.describe();
  EXPECT_EQ(catalogJson(run)["result"], "failed");
  for (const char* method : {"POST", "PUT", "PATCH"}) EXPECT_TRUE(requestsSince(b(), before, method).empty()) << method;
}

TEST_F(SyncFailure, NonRegistryHttpServerIsCalledOut) {
  TokenServer notARegistry;
  const std::string host = "127.0.0.1:" + std::to_string(notARegistry.port());
  auto run = sync(host, b().host(), {"robot-behavior:v1"}, {"--skip-verify"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  auto seed = seedJson(run, "robot-behavior");
  EXPECT_EQ(seed["status"], "failed") << seed.dump(2);
  ASSERT_TRUE(seed["error"].is_object()) << seed.dump(2);
  const auto message = seed["error"]["message"].get<std::string>();
  EXPECT_TRUE(contains(message, host)) << message;
  EXPECT_TRUE(contains(lower(message), "not look like") || contains(lower(message), "not a registry") ||
              contains(lower(message), "not an oci registry"))
      << message;
  EXPECT_FALSE(b().hasTag("robot-behavior", "v1"));
}

TEST_F(SyncFailure, CorruptSourceBlobFailsBeforeAnythingIsTaggedAtPeer) {
  auto image = buildImage({LayerSpec(256 * kKiB, 131), LayerSpec(kSmallLayer, 132)}, "corrupt");
  push(a(), image, "robot-behavior", "v1");
  const BlobRef layer = image.blobs.at(1);
  const auto path = a().blobDataPath(layer.digest.str());
  ASSERT_TRUE(std::filesystem::is_regular_file(path));
  std::string bytes = blobBytes(a(), layer.digest.str());
  ASSERT_EQ(bytes.size(), layer.size);
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  {
    std::ofstream outFile(path, std::ios::binary | std::ios::trunc);
    outFile.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ASSERT_EQ(std::filesystem::file_size(path), layer.size);

  auto run = sync({"robot-behavior:v1"});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  auto seed = seedJson(run, "robot-behavior");
  EXPECT_EQ(seed["status"], "failed") << seed.dump(2);
  ASSERT_TRUE(seed["error"].is_object()) << seed.dump(2);
  EXPECT_EQ(seed["error"]["code"], "integrity") << seed.dump(2);
  const auto message = seed["error"]["message"].get<std::string>();
  EXPECT_TRUE(contains(message, layer.digest.hex().substr(0, 12))) << "names the blob: " << message;
  EXPECT_TRUE(contains(lower(message), "hash") || contains(lower(message), "digest")) << message;

  EXPECT_FALSE(b().hasTag("robot-behavior", "v1"));
  EXPECT_TRUE(b().tags("robot-behavior").empty()) << ::testing::PrintToString(b().tags("robot-behavior"));
  EXPECT_TRUE(b().manifestLinks("robot-behavior").empty())
      << ::testing::PrintToString(b().manifestLinks("robot-behavior"));
  EXPECT_FALSE(hasBlob(b(), layer.digest.str())) << "the corrupt blob was committed at B";
  EXPECT_TRUE(requestsFor(b(), "PUT", "/manifests/").empty())
      << ::testing::PrintToString(writesTo(b(), "robot-behavior"));
  EXPECT_EQ(catalogJson(run)["result"], "failed");
}

}  // namespace
}  // namespace autonomy::testing::syncit
